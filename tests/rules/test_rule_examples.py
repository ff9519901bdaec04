"""Every rule's examples are tests: the failing ones report exactly the findings listed (where, and in which words),
the passing ones none; a repairable rule's examples that list fixed files are repaired by `lintml fix` into them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lintml.api import check_source, fix
from lintml.config import parse_config
from lintml.models.config import normalize_config
from lintml.models.known import KnownModel
from lintml.provenance.index import IndexContent, write_index
from lintml.provenance.upstream import read_memory_upstream
from lintml.repository import MemorySource
from lintml.rules import ExpectedFinding, Rule, RuleExample, shipped_rules
from tests.helpers import write_tree

CASES = [(rule, example) for rule in shipped_rules() for example in rule.examples]


def _indexes(example: RuleExample, folder: Path) -> list[Path]:
    """The example's known models and upstream, each written to an index in ``folder``."""
    indexes = []
    models = [
        KnownModel(
            name=str(model["name"]),
            license=model.get("license"),
            aliases=tuple(model.get("aliases") or ()),
            config=normalize_config(model["config"]) if model.get("config") else None,
        )
        for model in example.models
    ]
    if models:
        write_index(folder / "models.sqlite3", IndexContent(models=models))
        indexes.append(folder / "models.sqlite3")
    if example.upstream is not None:
        upstream = example.upstream
        project, files = read_memory_upstream(
            str(upstream["name"]),
            {str(path): str(text) for path, text in upstream["files"].items()},
            version=upstream.get("version"),
            license_id=upstream.get("license"),
            url=upstream.get("url"),
            notice=upstream.get("notice"),
        )
        write_index(folder / "example.sqlite3", IndexContent([(project, files)]))
        indexes.append(folder / "example.sqlite3")
    return indexes


def _says(expected: ExpectedFinding, message: str) -> bool:
    if expected.message is not None and message != expected.message:
        return False
    return expected.message_contains is None or expected.message_contains in message


@pytest.mark.parametrize(("rule", "example"), CASES, ids=[f"{rule.id}:{example.name}" for rule, example in CASES])
def test_rule_example(rule: Rule, example: RuleExample, tmp_path: Path) -> None:
    config = parse_config(example.config, f"{rule.source} example {example.name!r}")
    indexes = _indexes(example, tmp_path)
    result = check_source(MemorySource(example.files, links=example.links), config, index_paths=indexes)
    mine = [finding for finding in result.findings if finding.rule == rule.id]
    found = sorted((finding.path, finding.line) for finding in mine)
    expected = sorted((item.path, item.line) for item in example.expect)
    comparable = sorted(
        (path, line if any(item.path == path and item.line is not None for item in example.expect) else None)
        for path, line in found
    )
    assert comparable == expected, f"{rule.id} on {example.name!r}: found {found}, expected {expected}"
    for finding in mine:
        assert finding.message and finding.fix and finding.severity == rule.severity
    # Each expected finding's words are said by a finding of its own at its place.
    unclaimed = sorted(mine, key=lambda finding: (finding.path, finding.line or 0, finding.message))
    for item in sorted(example.expect, key=lambda item: (item.path, item.line or 0, item.message or "")):
        claimed = next(
            (
                finding
                for finding in unclaimed
                if finding.path == item.path and item.line in (None, finding.line) and _says(item, finding.message)
            ),
            None,
        )
        assert claimed is not None, (
            f"{rule.id} on {example.name!r}: no finding at {item.path}:{item.line} says"
            f" {item.message or item.message_contains!r}; found {[finding.message for finding in mine]}"
        )
        unclaimed.remove(claimed)
    if example.fixed or example.fixed_contains:
        _check_fixed(rule, example, tmp_path, indexes)


def _check_fixed(rule: Rule, example: RuleExample, tmp_path: Path, indexes: list[Path]) -> None:
    """`lintml fix`, run on the example written to disk, leaves each listed file as the example says."""
    repository = tmp_path / "repository"
    repository.mkdir()
    write_tree(repository, example.files)
    config = tmp_path / "lintml.yaml"
    config.write_text(yaml.safe_dump(example.config or {}), encoding="utf-8")
    outcome = fix(
        [repository],
        root=repository,
        config_file=config,
        select=[rule.id],
        indexes=indexes,
        use_catalog=False,
        use_cache=False,
        date="2025-01-31",
    )
    assert outcome.fixed, f"{rule.id} on {example.name!r}: nothing was repaired ({outcome.unfixed})"
    for path, text in example.fixed.items():
        assert (repository / path).read_text(encoding="utf-8") == text, f"{rule.id} on {example.name!r}: {path}"
    for path, words in example.fixed_contains.items():
        assert words in (repository / path).read_text(encoding="utf-8"), f"{rule.id} on {example.name!r}: {path}"


def test_every_rule_has_a_passing_and_a_failing_example() -> None:
    for rule in shipped_rules():
        assert any(example.passing for example in rule.examples), rule.id
        assert any(not example.passing for example in rule.examples), rule.id


def test_every_rule_says_what_its_failing_examples_expect_and_repairable_rules_show_the_fix() -> None:
    from lintml.fixes import REPAIRS

    for rule in shipped_rules():
        for example in rule.examples:
            for item in example.expect:
                assert item.message or item.message_contains, f"{rule.id} on {example.name!r}: {item.path}"
        if rule.id in REPAIRS:
            assert any(example.fixed or example.fixed_contains for example in rule.examples), rule.id
