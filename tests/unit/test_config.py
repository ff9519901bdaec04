"""Configuration: found by walking up, validated option by option, applied to findings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lintml.api import check
from lintml.config import ConfigError, find_config, load_config_file, parse_config
from tests.helpers import GPL3_HEADER, write_tree


def test_unknown_option_names_the_option_and_the_file(tmp_path: Path) -> None:
    config = tmp_path / ".lintml.yaml"
    config.write_text("fail_on: error\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config_file(config)
    assert str(config) in str(error.value) and "unknown option 'fail_on'" in str(error.value)


@pytest.mark.parametrize(
    ("raw", "complaint"),
    [
        ({"fail-on": "fatal"}, "'fail-on' must be one of"),
        ({"severity": {"license-text": "loud"}}, "'severity.license-text' must be one of"),
        ({"select": 3}, "'select' must be a list of strings"),
        ({"max-file-size": "huge"}, "'max-file-size' must be a size"),
        ({"project-license": "My Own License"}, "not a license lintml knows"),
        ({"per-path-ignores": ["x"]}, "'per-path-ignores' must be a mapping"),
    ],
)
def test_invalid_values_are_refused(raw: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        parse_config(raw, "test.yaml")


def test_sizes_parse() -> None:
    assert parse_config({"max-file-size": "2MB"}, "t").max_file_size == 2 * 1024 * 1024
    assert parse_config({"max-file-size": 5000}, "t").max_file_size == 5000


def test_pyproject_tool_table_is_found_walking_up(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[tool.lintml]\nfail-on = 'warning'\n", "src/pkg/a.py": ""})
    found = find_config(tmp_path / "src" / "pkg")
    assert found == tmp_path / "pyproject.toml"
    assert load_config_file(found).fail_on == "warning"


def test_pyproject_without_tool_table_is_not_config(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", ".git/HEAD": ""})
    assert find_config(tmp_path) is None


def test_config_selects_ignores_and_overrides(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSES/MIT.txt": "MIT License\n",
            "vendor/ops.py": GPL3_HEADER + "x = 1\n",
            "src/ops.py": GPL3_HEADER + "x = 1\n",
            "README.md": "---\nlicense: Apache 2.0\n---\n",
        }
    )
    baseline = {finding.rule for finding in check([root]).findings}
    assert {"license-conflict", "model-card-license-unknown"} <= baseline

    (root / ".lintml.yaml").write_text(
        "ignore: [model-card, license-mismatch, license-text]\n"
        "per-path-ignores:\n  'vendor/**': [license-conflict]\n"
        "severity:\n  license-conflict: warning\n",
        encoding="utf-8",
    )
    result = check([root])
    assert not any(finding.rule.startswith("model-card") for finding in result.findings)
    conflicts = [finding for finding in result.findings if finding.rule == "license-conflict"]
    assert [finding.path for finding in conflicts] == ["src/ops.py"]
    assert conflicts[0].severity == "warning"
    assert not result.failed()
    assert result.failed("warning")


def test_project_license_override(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": "Some custom words nobody can classify.\n", "ops.py": GPL3_HEADER})
    assert not [f for f in check([root]).findings if f.rule == "license-conflict"]
    (root / ".lintml.yaml").write_text("project-license: MIT\n", encoding="utf-8")
    assert [f.path for f in check([root]).findings if f.rule == "license-conflict"] == ["ops.py"]
