"""SARIF 2.1.0, the format GitHub code scanning and other dashboards import.

One run. ``tool.driver.rules`` lists every rule that was run, fired or not, so a dashboard
can show what was checked and close alerts whose rule stopped firing. Paths are relative
URIs under ``%SRCROOT%``, the scanned folder, percent-encoded from the name's exact bytes
(RFC 3986), so a name that is not valid UTF-8 survives. Each result carries a fingerprint that
ignores line numbers, so an alert survives edits above it. Texts are made valid Unicode
(:func:`lintml.report.valid_text`), so the log is valid UTF-8 JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from lintml.findings import Finding
from lintml.report import (
    ReportContext,
    ordered,
    ordered_rules,
    raw_bytes,
    register,
    upstream_record,
    valid_everywhere,
)
from lintml.rules import Rule

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://github.com/lintml/lintml"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "lintmlFingerprint/v1"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}

# Characters a relative URI path may carry as they are. ``:`` is not among them: in a first
# segment it would read as a URI scheme.
_PATH_SAFE = "/!$&'()*+,;=@"

# Line references in messages ("line 12", "lines 3-9", "setup.py:12:4", "#L3-L9") change
# whenever code moves; the fingerprint must not.
_LINE_REFERENCES = (
    (re.compile(r"\blines?\s+\d+(?:\s*(?:-|\u2013|to|and|,)\s*\d+)*", re.IGNORECASE), "line N"),
    (re.compile(r"#L\d+(?:-L?\d+)?"), "#L"),
    (re.compile(r"(?<=[^\s:]):\d+(?::\d+)?\b"), ""),
)


def artifact_uri(path: str) -> str:
    """A POSIX path as a relative URI reference, percent-encoded where a URI needs it, from its exact bytes."""
    return quote(raw_bytes(path), safe=_PATH_SAFE)


def without_line_numbers(message: str) -> str:
    """``message`` with the line references that move with unrelated edits taken out."""
    for pattern, replacement in _LINE_REFERENCES:
        message = pattern.sub(replacement, message)
    return message


def fingerprint(finding: Finding) -> str:
    """A hash of what a finding is (rule, file, message), not where in the file it sits."""
    identity = "\0".join((finding.rule, finding.path, without_line_numbers(finding.message)))
    return hashlib.sha256(raw_bytes(identity)).hexdigest()[:32]


def _root_location(root: str) -> dict[str, Any]:
    location: dict[str, Any] = {"description": {"text": f"The folder lintml scanned, as given: {root}"}}
    for flavour in (PurePosixPath, PureWindowsPath):
        path = flavour(root)
        if path.is_absolute():
            # SARIF wants a base URI that is absolute and ends in a slash, or none at all.
            uri = path.as_uri()
            location["uri"] = uri if uri.endswith("/") else uri + "/"
            break
    return location


def _template_shape(template: str, placeholder: str) -> str:
    # A fix hint is a template; show each placeholder as e.g. <name> instead of raw braces.
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return template
    return "".join(literal + (placeholder.format(name) if name is not None else "") for literal, name, _, _ in parts)


def _fenced(text: str) -> str:
    if text.lstrip().startswith("```"):
        return text
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _help(rule: Rule) -> dict[str, str]:
    hint = _template_shape(rule.fix, "<{}>")
    clauses = [(clause.license, clause.clause, clause.summary) for clause in rule.clauses]
    text = [rule.docs.what, f"Why: {rule.docs.why}", f"Example:\n{rule.docs.example}", f"Fix: {rule.docs.fix}"]
    text.append(f"Suggested fix: {hint}")
    text.append("Enforces:\n" + "\n".join(f"- {name} ({clause}): {summary}" for name, clause, summary in clauses))
    markdown = [
        f"## What it does\n\n{rule.docs.what}",
        f"## Why is this bad\n\n{rule.docs.why}",
        f"## Example\n\n{_fenced(rule.docs.example)}",
        f"## How to fix\n\n{rule.docs.fix}\n\nSuggested fix: {_template_shape(rule.fix, '`<{}>`')}",
        "## License clauses\n\n"
        + "\n".join(f"- **{name}** ({clause}): {summary}" for name, clause, summary in clauses),
    ]
    if rule.references:
        text.append("References:\n" + "\n".join(f"- {reference}" for reference in rule.references))
        markdown.append("## References\n\n" + "\n".join(f"- <{reference}>" for reference in rule.references))
    return {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)}


_SPDX_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")


def _tags(rule: Rule) -> list[str]:
    # Clause licenses become tags only when they name one license ("any", "GPL-2.0 / GPL-3.0" do not).
    licenses = [c.license for c in rule.clauses if c.license != "any" and _SPDX_ID.fullmatch(c.license)]
    return list(dict.fromkeys(["license", rule.category, *licenses]))


def rule_descriptor(rule: Rule) -> dict[str, Any]:
    """A rule as a SARIF ``reportingDescriptor``, docs and license clauses included."""
    return {
        "id": rule.id,
        "name": rule.title,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.docs.what},
        "help": _help(rule),
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "category": rule.category,
            "tags": _tags(rule),
            "clauses": [
                {"license": clause.license, "clause": clause.clause, "summary": clause.summary}
                for clause in rule.clauses
            ],
        },
    }


def _physical_location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": SRCROOT}}
    if finding.line is not None and finding.line >= 1:
        region: dict[str, int] = {"startLine": finding.line}
        if finding.end_line is not None and finding.end_line >= finding.line:
            region["endLine"] = finding.end_line
        if finding.column is not None and finding.column >= 1:
            region["startColumn"] = finding.column
        physical["region"] = region
    return physical


def _upstream_location(finding: Finding) -> dict[str, Any] | None:
    upstream = finding.upstream
    if upstream is None or not upstream.path:
        return None
    named = " ".join(part for part in (upstream.name, upstream.version) if part)
    where = f"{named} ({upstream.url})" if upstream.url else named
    # The path is relative to the upstream project, not to %SRCROOT%: no uriBaseId claims otherwise.
    return {
        "message": {"text": f"Upstream source: {upstream.path} in {where}"},
        "physicalLocation": {
            "artifactLocation": {
                "uri": artifact_uri(upstream.path),
                "description": {"text": f"A file of the upstream project {where}"},
            }
        },
    }


def _result(finding: Finding, rule_index: dict[str, int], occurrence: int) -> dict[str, Any]:
    text = finding.message if not finding.fix else f"{finding.message} (fix: {finding.fix})"
    properties: dict[str, Any] = {"category": finding.category}
    if finding.license is not None:
        properties["license"] = finding.license
    if finding.upstream is not None:
        properties["upstream"] = upstream_record(finding.upstream)
    if finding.evidence:
        properties["evidence"] = dict(finding.evidence)
    if finding.grade is not None:
        properties["grade"] = {"level": finding.grade.level, "why": finding.grade.why}
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical_location(finding)}],
        # Findings that hash alike (same rule, file, message) are told apart by their order.
        "partialFingerprints": {FINGERPRINT_KEY: f"{fingerprint(finding)}:{occurrence}"},
        "properties": properties,
    }
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    related = [location for location in (_upstream_location(finding),) if location is not None]
    # The other files that owe the same thing for the same reason, reported once here.
    related += [
        {
            "message": {"text": "owes the same for the same reason"},
            "physicalLocation": {"artifactLocation": {"uri": artifact_uri(path), "uriBaseId": SRCROOT}},
        }
        for path in finding.related
    ]
    if related:
        result["relatedLocations"] = [{"id": number, **location} for number, location in enumerate(related)]
    return result


def sarif_log(findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> dict[str, Any]:
    """The SARIF log as plain data, before it is written out."""
    descriptors = ordered_rules(rules)
    rule_index = {rule.id: index for index, rule in enumerate(descriptors)}
    seen: dict[str, int] = {}
    results = []
    for finding in ordered(findings):
        key = fingerprint(finding)
        seen[key] = seen.get(key, 0) + 1
        results.append(_result(finding, rule_index, seen[key]))
    driver = {
        "name": "lintml",
        "version": context.version,
        "informationUri": INFORMATION_URI,
        "rules": [rule_descriptor(rule) for rule in descriptors],
    }
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: _root_location(context.root)},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return valid_everywhere({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]})


@register("sarif")
def format_sarif(findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
    """Render findings and every rule that was run as one SARIF 2.1.0 log."""
    return json.dumps(sarif_log(findings, rules, context), indent=2, sort_keys=True, allow_nan=False) + "\n"
