"""Rule files are validated at load: every malformed file is refused with its name in the message."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lintml.rules import RuleError, load_rules, rules_directory, shipped_rules

VALID = yaml.safe_load((rules_directory() / "project" / "license-missing.yaml").read_text())


def write_rule(folder: Path, name: str, **changes: object) -> Path:
    rule = {**VALID, **changes}
    for key, value in list(rule.items()):
        if value is None:
            del rule[key]
    path = folder / "family" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(rule), encoding="utf-8")
    return path


def test_shipped_rules_load_and_have_unique_ids() -> None:
    rules = shipped_rules()
    assert len({rule.id for rule in rules}) == len(rules) >= 10
    assert {rule.category for rule in rules} >= {
        "license-missing",
        "license-mismatch",
        "license-conflict",
        "license-text",
        "model-card",
    }


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"check": "no_such_check"}, "unknown check 'no_such_check'"),
        ({"severity": "fatal"}, "bad severity 'fatal'"),
        ({"category": "style"}, "unknown category 'style'"),
        ({"docs": {"what": "x", "why": "y", "example": "z"}}, "missing the key 'fix'"),
        ({"title": None}, "missing the key 'title'"),
        ({"examples": [VALID["examples"][1]]}, "one passing and one failing example"),
        ({"message": "bad {0} placeholder"}, "bad placeholder"),
    ],
)
def test_malformed_rule_is_refused_naming_the_file(tmp_path: Path, changes: dict[str, object], complaint: str) -> None:
    path = write_rule(tmp_path, "broken", **changes)
    with pytest.raises(RuleError) as error:
        load_rules(tmp_path)
    assert str(path) in str(error.value)
    assert complaint in str(error.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    write_rule(tmp_path, "first")
    second = write_rule(tmp_path, "second")
    with pytest.raises(RuleError, match="duplicate rule id 'license-missing'") as error:
        load_rules(tmp_path)
    assert str(second) in str(error.value)


def test_broken_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "family" / "bad.yaml"
    path.parent.mkdir()
    path.write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RuleError, match="not valid YAML") as error:
        load_rules(tmp_path)
    assert str(path) in str(error.value)


def test_each_rule_lives_in_the_folder_of_its_checks_module() -> None:
    """rules/<folder>/ holds the rules whose checks are in lintml/checks/<folder>.py (`-` read as `_`)."""
    from lintml.checks import CHECKS

    for rule in shipped_rules():
        module = CHECKS[rule.check].__module__.rsplit(".", 1)[-1]
        assert rule.source.parent.name.replace("-", "_") == module, f"{rule.id}: {rule.source} runs {module}.py"
