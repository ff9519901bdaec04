"""Rules as data: load every ``rules/**/*.yaml``, validate it, and select by id or prefix.

A rule file names the check (a Python predicate in :mod:`lintml.checks`) it runs, the
license clause it enforces, its default severity, message template, fix hint, docs and
examples. Anything malformed fails loudly with the file's name: a linter whose rules
silently half-load is worse than one that refuses to start.

Checks report; this module decides what a report becomes: which rules run (selection), the
severity a finding gets (the configuration's, bounded by its evidence), which findings are
suppressed (``# lintml: disable``, per-path ignores) and how findings of one cause are merged.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lintml.config import Config, ConfigError
from lintml.facts.headers import ALL_RULES, Suppressions
from lintml.findings import CATEGORIES, SEVERITIES, SEVERITY_RANK, Finding, Severity
from lintml.ruledata import RuleError, matches_selector, rules_directory

if TYPE_CHECKING:
    from lintml.checks import Report
from lintml.yaml_files import InvalidYAML, read_yaml


@dataclass(frozen=True)
class Clause:
    """The license text a rule enforces: which license, which clause, what it says."""

    license: str
    clause: str
    summary: str


@dataclass(frozen=True)
class ExpectedFinding:
    path: str
    line: int | None = None
    message: str | None = None  # the whole message
    message_contains: str | None = None  # words the message must hold


@dataclass(frozen=True)
class RuleExample:
    """A small repository (path -> content) and the findings the rule must report on it."""

    name: str
    files: dict[str, str]
    expect: tuple[ExpectedFinding, ...]
    config: dict[str, Any] = field(default_factory=dict)
    # An upstream project (name, version, license, url, files) indexed before the example is checked.
    upstream: dict[str, Any] | None = None
    # Known models (name, license, aliases, config) recorded in the example's index.
    models: tuple[dict[str, Any], ...] = ()
    # Symbolic links: path -> what the link says (see repository.MemorySource).
    links: dict[str, str] = field(default_factory=dict)
    # For a repairable rule: path -> the file's whole text after `lintml fix` (as sqlfluff's fix_str), or words
    # it must hold (a file too long to spell out, such as a license text).
    fixed: dict[str, str] = field(default_factory=dict)
    fixed_contains: dict[str, str] = field(default_factory=dict)

    @property
    def passing(self) -> bool:
        return not self.expect


@dataclass(frozen=True)
class RuleDocs:
    what: str
    why: str
    example: str
    fix: str


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    severity: Severity
    check: str
    message: str
    fix: str
    clauses: tuple[Clause, ...]
    docs: RuleDocs
    references: tuple[str, ...]
    examples: tuple[RuleExample, ...]
    source: Path

    @property
    def family(self) -> str:
        return self.source.parent.name

    def render_message(self, params: dict[str, Any]) -> str:
        return _render(self.message, params, self)

    def render_fix(self, params: dict[str, Any]) -> str:
        return _render(self.fix, params, self)

    @property
    def help_uri(self) -> str:
        return f"https://github.com/lintml/lintml/blob/main/docs/rules.md#{self.id}"


def _render(template: str, params: dict[str, Any], rule: Rule) -> str:
    try:
        return template.format(**params)
    except (KeyError, IndexError) as error:  # a check and its YAML disagree: a bug, say where
        raise RuleError(f"{rule.source}: template needs {error} which check {rule.check!r} did not give") from error


_RULE_KEYS = {
    "id",
    "title",
    "category",
    "severity",
    "check",
    "message",
    "fix",
    "clauses",
    "docs",
    "references",
    "examples",
}
_REQUIRED = _RULE_KEYS - {"references"}
_DOC_KEYS = {"what", "why", "example", "fix"}
_CLAUSE_KEYS = {"license", "clause", "summary"}
_EXAMPLE_KEYS = {"name", "files", "expect", "config", "upstream", "models", "links", "fixed", "fixed_contains"}
_MODEL_KEYS = {"name", "license", "aliases", "config"}
_UPSTREAM_KEYS = {"name", "version", "license", "url", "notice", "files"}
_EXPECT_KEYS = {"path", "line", "message", "message_contains"}


def _require_mapping(value: Any, what: str, source: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(f"{source}: {what} must be a mapping")
    return value


def _check_keys(mapping: dict[str, Any], allowed: set[str], required: set[str], what: str, source: Path) -> None:
    for key in mapping:
        if key not in allowed:
            raise RuleError(f"{source}: unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required - set(mapping)):
        raise RuleError(f"{source}: {what} is missing the key {key!r}")


def _text(mapping: dict[str, Any], key: str, source: Path) -> str:
    value = mapping[key]
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{source}: {key!r} must be a non-empty string")
    return value.strip()


def _parse_example(raw: Any, source: Path) -> RuleExample:
    example = _require_mapping(raw, "an example", source)
    _check_keys(example, _EXAMPLE_KEYS, {"name", "files", "expect"}, "an example", source)
    files = _require_mapping(example["files"], f"example {example['name']!r} files", source)
    expected = []
    for item in example["expect"] or []:
        item = _require_mapping(item, "an expected finding", source)
        _check_keys(item, _EXPECT_KEYS, {"path"}, "an expected finding", source)
        words = {key: item.get(key) for key in ("message", "message_contains")}
        for key, value in words.items():
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise RuleError(f"{source}: {key!r} of an expected finding must be a non-empty string")
        expected.append(ExpectedFinding(path=str(item["path"]), line=item.get("line"), **words))
    upstream = None
    if example.get("upstream") is not None:
        upstream = _require_mapping(example["upstream"], "an example upstream", source)
        _check_keys(upstream, _UPSTREAM_KEYS, {"name", "files"}, "an example upstream", source)
        _require_mapping(upstream["files"], "an example upstream's files", source)
    models = []
    for item in example.get("models") or []:
        model = _require_mapping(item, "an example model", source)
        _check_keys(model, _MODEL_KEYS, {"name"}, "an example model", source)
        models.append(model)
    fixed = _require_mapping(example.get("fixed") or {}, "an example's fixed files", source)
    fixed_contains = _require_mapping(example.get("fixed_contains") or {}, "an example's fixed_contains", source)
    if (fixed or fixed_contains) and not expected:
        raise RuleError(f"{source}: example {example['name']!r} expects no finding, so nothing to fix")
    return RuleExample(
        name=str(example["name"]),
        files={str(path): str(content) for path, content in files.items()},
        expect=tuple(expected),
        config=_require_mapping(example.get("config") or {}, "an example config", source),
        upstream=upstream,
        models=tuple(models),
        links={
            str(path): str(target)
            for path, target in _require_mapping(example.get("links") or {}, "an example's links", source).items()
        },
        fixed={str(path): str(content) for path, content in fixed.items()},
        fixed_contains={str(path): str(words) for path, words in fixed_contains.items()},
    )


def parse_rule(raw: Any, source: Path, known_checks: set[str]) -> Rule:
    rule = _require_mapping(raw, "a rule file", source)
    _check_keys(rule, _RULE_KEYS, _REQUIRED, "the rule", source)
    category = _text(rule, "category", source)
    if category not in CATEGORIES:
        raise RuleError(f"{source}: unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    severity = _text(rule, "severity", source)
    if severity not in SEVERITIES:
        raise RuleError(f"{source}: bad severity {severity!r} (one of: {', '.join(SEVERITIES)})")
    check = _text(rule, "check", source)
    if check not in known_checks:
        raise RuleError(f"{source}: unknown check {check!r} (known: {', '.join(sorted(known_checks))})")
    docs = _require_mapping(rule["docs"], "docs", source)
    _check_keys(docs, _DOC_KEYS, _DOC_KEYS, "docs", source)
    clauses = []
    for item in rule["clauses"] or []:
        item = _require_mapping(item, "a clause", source)
        _check_keys(item, _CLAUSE_KEYS, _CLAUSE_KEYS, "a clause", source)
        clauses.append(Clause(*(_text(item, key, source) for key in ("license", "clause", "summary"))))
    if not clauses:
        raise RuleError(f"{source}: a rule names at least one clause it enforces")
    examples = tuple(_parse_example(item, source) for item in rule["examples"] or [])
    if not any(example.passing for example in examples) or all(example.passing for example in examples):
        raise RuleError(f"{source}: a rule needs at least one passing and one failing example")
    for key in ("message", "fix"):
        for _, name, _, _ in string.Formatter().parse(_text(rule, key, source)):
            if name is not None and not name.isidentifier():
                raise RuleError(f"{source}: {key} template has a bad placeholder {{{name}}}")
    return Rule(
        id=_text(rule, "id", source),
        title=_text(rule, "title", source),
        category=category,
        severity=severity,  # type: ignore[arg-type]  # validated above
        check=check,
        message=_text(rule, "message", source),
        fix=_text(rule, "fix", source),
        clauses=tuple(clauses),
        docs=RuleDocs(*(_text(docs, key, source) for key in ("what", "why", "example", "fix"))),
        references=tuple(str(item) for item in rule.get("references") or ()),
        examples=examples,
        source=source,
    )


def load_rules(directory: Path | None = None) -> tuple[Rule, ...]:
    """Every rule under ``directory`` (default: the shipped rules), sorted by id."""
    from lintml.checks import CHECKS

    root = directory or rules_directory()
    rules: dict[str, Rule] = {}
    for source in sorted(root.rglob("*.yaml")):
        if "licenses" in source.relative_to(root).parts:
            continue  # license knowledge, not rules
        try:
            raw = read_yaml(source)
        except InvalidYAML as error:
            raise RuleError(f"{source}: not valid YAML: {error}") from error
        rule = parse_rule(raw, source, set(CHECKS))
        if rule.id in rules:
            raise RuleError(f"{source}: duplicate rule id {rule.id!r} (also in {rules[rule.id].source})")
        rules[rule.id] = rule
    return tuple(rules[rule_id] for rule_id in sorted(rules))


@lru_cache(maxsize=1)
def shipped_rules() -> tuple[Rule, ...]:
    return load_rules()


def select_rules(rules: tuple[Rule, ...], select: list[str] | None, ignore: list[str]) -> tuple[Rule, ...]:
    chosen = [rule for rule in rules if not select or any(matches_selector(rule.id, item) for item in select)]
    return tuple(rule for rule in chosen if not any(matches_selector(rule.id, item) for item in ignore))


def find_rule(rules: tuple[Rule, ...], rule_id: str) -> Rule | None:
    return next((rule for rule in rules if rule.id == rule_id), None)


def check_selectors(config: Config, rules: tuple[Rule, ...]) -> None:
    """A rule id or prefix that names no rule is a typo; say so instead of silently doing nothing."""
    where = str(config.source) if config.source else "the command line"
    named = [("select", item) for item in config.select] + [("ignore", item) for item in config.ignore]
    named += [("severity", rule_id) for rule_id, _ in config.severity]
    named += [("per-path-ignores", rule_id) for _, ids in config.per_path_ignores for rule_id in ids]
    for option, selector in named:
        if selector != ALL_RULES and not any(matches_selector(rule.id, selector) for rule in rules):
            raise ConfigError(f"{where}: {option}: {selector!r} names no rule (see `lintml rules`)")


def finding_for(rule: Rule, report: Report, config: Config) -> Finding | None:
    """What a check's report becomes under the configuration: None where a per-path ignore covers it."""
    if config.ignored_at(rule.id, report.path):
        return None
    severity = config.severity_for(rule.id, rule.severity)
    if report.grade is not None and SEVERITY_RANK[severity] > SEVERITY_RANK[report.grade.ceiling]:
        severity = report.grade.ceiling  # the evidence bounds the severity (docs/provenance.md)
    return Finding(
        rule=rule.id,
        category=rule.category,
        severity=severity,  # type: ignore[arg-type]
        path=report.path,
        line=report.line,
        end_line=report.end_line if report.end_line is not None else report.line,
        column=1 if report.line is not None else None,
        message=rule.render_message(report.params),
        fix=rule.render_fix(report.params) if report.has_fix else None,
        license=report.license,
        upstream=report.upstream,
        evidence=report.evidence,
        grade=report.grade,
    )


def suppressed(finding: Finding, suppressions: Suppressions) -> bool:
    """Whether the file's ``# lintml: disable`` comments cover the finding (the whole file, or its lines)."""

    def names(ids: Iterable[str]) -> bool:
        return any(item == ALL_RULES or matches_selector(finding.rule, item) for item in ids)

    if names(suppressions.file):
        return True
    if finding.line is None:
        return False
    last = finding.end_line or finding.line
    return any(finding.line <= line <= last and names(ids) for line, ids in suppressions.lines)


def one_per_cause(reported: Sequence[tuple[Finding, tuple[str, ...] | None]]) -> list[Finding]:
    """One finding per cause: findings of one rule that a check gave the same cause (one missing license
    text, one vendored package's conflict) become the first of them, naming the other files."""
    alone = [finding for finding, cause in reported if cause is None]
    shared: dict[tuple[str, tuple[str, ...]], list[Finding]] = {}
    for finding, cause in reported:
        if cause is not None:
            shared.setdefault((finding.rule, cause), []).append(finding)
    for group in shared.values():
        group.sort(key=Finding.sort_key)
        first = group[0]
        others = tuple(dict.fromkeys(finding.path for finding in group[1:] if finding.path != first.path))
        if not others:
            alone.extend(group[:1])
            continue
        more = f"{len(others)} more file{'s' if len(others) > 1 else ''}"
        message = f"{first.message} (the same holds for {more}: see related)"
        alone.append(replace(first, message=message, related=others))
    return alone


def render_rule_docs(rule: Rule, heading: str = "#") -> str:
    """A rule's documentation as Markdown: used by ``lintml rule ID`` and docs/rules.md."""
    clauses = "\n".join(f"- **{item.license} {item.clause}**: {item.summary}" for item in rule.clauses)
    references = "\n".join(f"- {item}" for item in rule.references)
    parts = [
        f"{heading} {rule.id}",
        f"{rule.title}\n\nCategory: `{rule.category}` · default severity: `{rule.severity}`",
        f"{heading}# What it does\n\n{rule.docs.what}",
        f"{heading}# Why it matters\n\n{rule.docs.why}",
        f"{heading}# Clauses enforced\n\n{clauses}",
        f"{heading}# Example\n\n{rule.docs.example}",
        f"{heading}# Fix\n\n{rule.docs.fix}",
    ]
    if references:
        parts.append(f"{heading}# References\n\n{references}")
    return "\n\n".join(parts) + "\n"


def render_rules_markdown(rules: tuple[Rule, ...]) -> str:
    """The whole of docs/rules.md, generated from the rule files (scripts/document_rules.py)."""
    lines = [
        "# lintml rules",
        "",
        "Generated from `rules/` by `python scripts/document_rules.py`; do not edit by hand.",
        "`lintml rule ID` prints the same text for one rule.",
        "",
        "| id | category | severity | title |",
        "|---|---|---|---|",
    ]
    lines += [f"| [{rule.id}](#{rule.id}) | `{rule.category}` | {rule.severity} | {rule.title} |" for rule in rules]
    body = "\n".join(render_rule_docs(rule, heading="##") for rule in rules)
    return "\n".join(lines) + "\n\n" + body
