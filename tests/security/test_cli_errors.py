"""Any abnormal end is one line on stderr and exit code 2, never a traceback (``--debug`` shows it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lintml.api import check
from lintml.config import ConfigError, load_config_file
from tests.helpers import GPL3_HEADER, MIT_TEXT, run_lintml

HOSTILE_CONFIGS: dict[str, tuple[bytes, str]] = {
    "not UTF-8": (b"exclude: [caf\xe9]\n", "line 1: the configuration is not UTF-8 text"),
    "nested 50,000 deep": (b"a: " + b"[" * 50_000 + b"]" * 50_000 + b"\n", "nested more than 64 levels deep"),
    "a pattern git refuses": (b"exclude: ['!']\n", "option 'exclude': '!' is not a valid pattern"),
    "an alias bomb": (
        b"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b]\n",
        "aliases (*name) are not allowed",
    ),
    "a per-path pattern git refuses": (b"per-path-ignores:\n  '!': [license-text]\n", "is not a valid pattern"),
    "larger than a configuration can be": (b"# " + b"x" * (1024 * 1024 + 10) + b"\n", "larger than 1024 KB"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CONFIGS))
def test_hostile_configurations_are_one_line_errors(case: str, tmp_path: Path) -> None:
    content, expected = HOSTILE_CONFIGS[case]
    path = tmp_path / ".lintml.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as error:
        load_config_file(path)
    assert str(error.value).startswith(f"{path}: ") and expected in str(error.value)
    assert "\n" not in str(error.value)


def test_the_command_says_one_line_and_exits_2(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, ".lintml.yaml": b"a: " + b"[" * 50_000 + b"]" * 50_000 + b"\n"})
    completed = run_lintml(root, "check", ".")
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1 and completed.stderr.startswith("lintml: error: ")
    assert ".lintml.yaml: not valid YAML: line 1, column 67: nested more than 64 levels deep" in completed.stderr
    # --debug (an option of lintml itself, given before the command) shows where it came from instead.
    debugged = run_lintml(root, "--debug", "check", ".")
    assert "Traceback (most recent call last)" in debugged.stderr
    assert "ConfigError" in debugged.stderr


def test_a_toml_configuration_nested_too_deep(make_repo: Callable[..., Path]) -> None:
    nested = "[tool.lintml]\nexclude = " + "[" * 50_000 + "]" * 50_000 + "\n"
    root = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": nested})
    completed = run_lintml(root, "check", ".")
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert completed.stderr.strip().endswith("pyproject.toml: not valid TOML: nested too deeply")


def test_a_manifest_nested_too_deep_is_a_finding(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "pyproject.toml": "[project]\nname = " + "[" * 50_000 + "]" * 50_000 + "\n",
            "gpl.py": GPL3_HEADER + "x = 1\n",
        }
    )
    result = check([root])
    found = {(finding.path, finding.rule): finding.message for finding in result.findings}
    assert found[("pyproject.toml", "unreadable-input")] == "not valid TOML: nested too deeply to read"
    assert ("gpl.py", "license-conflict") in found  # and the rest of the check went on


def test_a_gitignore_line_git_would_not_understand_is_left_out(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    (root / ".gitignore").write_text("!\n\\\nbuild/\n", encoding="utf-8")
    (root / "build").mkdir()
    (root / "build" / "gpl.py").write_text(GPL3_HEADER, encoding="utf-8")
    (root / "gpl.py").write_text(GPL3_HEADER, encoding="utf-8")
    result = check([root])
    assert [finding.path for finding in result.findings if finding.rule == "license-conflict"] == ["gpl.py"]


def test_a_missing_path_is_a_usage_error_in_one_line(tmp_path: Path) -> None:
    completed = run_lintml(tmp_path, "check", "no\nsuch\x1b[2Jfile")
    assert completed.returncode == 2
    assert completed.stderr == "lintml: error: no\\nsuch\\x1b[2Jfile: no such file or directory\n"
