"""Every rule's examples are tests: the failing ones report exactly the findings listed, the passing ones none."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintml.api import check_source
from lintml.config import parse_config
from lintml.models.config import normalize_config
from lintml.models.known import KnownModel
from lintml.provenance.index import IndexContent, write_index
from lintml.provenance.upstream import read_memory_upstream
from lintml.repository import MemorySource
from lintml.rules import Rule, RuleExample, shipped_rules

CASES = [(rule, example) for rule in shipped_rules() for example in rule.examples]


@pytest.mark.parametrize(("rule", "example"), CASES, ids=[f"{rule.id}:{example.name}" for rule, example in CASES])
def test_rule_example(rule: Rule, example: RuleExample, tmp_path: Path) -> None:
    config = parse_config(example.config, f"{rule.source} example {example.name!r}")
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
        write_index(tmp_path / "models.sqlite3", IndexContent(models=models))
        indexes.append(tmp_path / "models.sqlite3")
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
        write_index(tmp_path / "example.sqlite3", IndexContent([(project, files)]))
        indexes.append(tmp_path / "example.sqlite3")
    result = check_source(MemorySource(example.files, links=example.links), config, index_paths=indexes)
    found = sorted((finding.path, finding.line) for finding in result.findings if finding.rule == rule.id)
    expected = sorted((item.path, item.line) for item in example.expect)
    comparable = sorted(
        (path, line if any(item.path == path and item.line is not None for item in example.expect) else None)
        for path, line in found
    )
    assert comparable == expected, f"{rule.id} on {example.name!r}: found {found}, expected {expected}"
    for finding in result.findings:
        if finding.rule == rule.id:
            assert finding.message and finding.fix and finding.severity == rule.severity


def test_every_rule_has_a_passing_and_a_failing_example() -> None:
    for rule in shipped_rules():
        assert any(example.passing for example in rule.examples), rule.id
        assert any(not example.passing for example in rule.examples), rule.id
