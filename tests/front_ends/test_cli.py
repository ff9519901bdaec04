"""The command line: exit codes, formats, help, errors without tracebacks, and the shipped example."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from lintml import __version__
from lintml.cli import main
from tests.helpers import APACHE_HEADER, MIT_TEXT, ROOT, invoke_lintml, run_lintml

EXAMPLE = ROOT / "examples" / "vision-adapter"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out
    code, out, _ = run("--help")
    assert code == 0
    for command in ("check", "fix", "rules", "rule"):
        assert command in out
    code, out, _ = run("check", "--help")
    for option in ("--format", "--output", "--config", "--fail-on", "--select", "--ignore", "--no-cache"):
        assert option in out


def test_example_repository_shows_its_findings(tmp_path: Path) -> None:
    """The README's first command: index the example upstream, check the example repository."""
    index = tmp_path / "upstreams.sqlite3"
    code, out, err = run(
        "index", "add", "minivlm", str(ROOT / "examples" / "upstreams" / "minivlm"), "--index", str(index)
    )
    assert code == 0, err
    assert "added minivlm 2.5.0 (Apache-2.0): 3 files" in out
    code, out, _ = run("check", str(EXAMPLE), "--index", str(index), "--format", "json")
    assert code == 1
    report = json.loads(out)
    found = {(item["rule"], path) for item in report["findings"] for path in (item["path"], *item["related"])}
    copies = {item["path"]: item["upstream"] for item in report["findings"] if item["rule"] == "provenance"}
    assert {path: upstream["path"] for path, upstream in copies.items()} == {
        "src/vision_adapter/projection.py": "minivlm/resampler.py",
        "src/vision_adapter/tiling.py": "minivlm/image_slicing.py",
        "src/vision_adapter/preprocess.py": "minivlm/image_slicing.py",  # three functions among its own
    }
    renames = {(item["from"], item["to"]) for upstream in copies.values() for item in upstream["renames"]}
    assert {("Resampler", "Projection"), ("get_refine_size", "get_size"), ("columns", "gx")} <= renames
    assert found - {("provenance", path) for path in copies} == {
        ("notice-file", "NOTICE"),  # minivlm ships a NOTICE file the copy did not carry (Apache-2.0 §4(d))
        ("license-text", "src/vision_adapter/projection.py"),  # minivlm's Apache-2.0 text is not shipped (§4(a))
        ("license-text", "src/vision_adapter/tiling.py"),
        ("change-notice", "src/vision_adapter/projection.py"),  # renamed copies say nothing of it (§4(b))
        ("change-notice", "src/vision_adapter/tiling.py"),
        ("copyright-notice", "src/vision_adapter/projection.py"),  # the upstream header was stripped (§4(c))
        ("copyright-notice", "src/vision_adapter/tiling.py"),
        ("license-text", "src/vision_adapter/preprocess.py"),  # the same, as warnings: moderate evidence
        ("change-notice", "src/vision_adapter/preprocess.py"),
        ("copyright-notice", "src/vision_adapter/preprocess.py"),
        ("attribution", "README.md"),  # minivlm is credited nowhere
        ("license-mismatch", "pyproject.toml"),
        ("license-mismatch", "README.md"),
        ("license-text", "src/vision_adapter/resampler.py"),
        ("license-conflict", "src/vision_adapter/sampling.py"),
        ("license-text", "src/vision_adapter/sampling.py"),
        ("model-card-license-unknown", "models/small/README.md"),
        ("model-card-license-other", "models/custom/MODEL_CARD.md"),
        ("model-card-license-link", "models/custom/MODEL_CARD.md"),
        # a Llama 3 fine-tune under `license: mit`, without the agreement, its Notice, its name or its policy
        ("model-license", "models/chat/README.md"),
        ("model-license-duty", "models/chat/README.md"),
        ("model-attribution", "models/chat/README.md"),
        ("model-code-residue", "models/chat/config.json"),  # auto_map names modeling_llava_next.py
    }
    part = [item for item in report["findings"] if item["path"] == "src/vision_adapter/preprocess.py"]
    assert {(item["severity"], item["grade"]["level"]) for item in part} >= {("warning", "moderate")}
    assert not [item for item in part if item["severity"] == "error"]
    duties = sorted(item["evidence"]["duty"] for item in report["findings"] if item["rule"] == "model-license-duty")
    assert duties == ["acceptable-use", "agreement-copy", "name-prefix", "notice-file"]
    assert report["summary"]["total"] == len(report["findings"])


def test_text_format_names_file_line_and_rule() -> None:
    code, out, _ = run("check", str(EXAMPLE), "--no-color")
    assert code == 1
    assert "src/vision_adapter/sampling.py:3:" in out and "license-conflict" in out
    assert "\x1b[" not in out


def test_clean_repository_exits_zero(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": "# SPDX-License-Identifier: MIT\nx = 1\n"})
    code, out, _ = run("check", str(root))
    assert code == 0, out
    assert "no findings" in out


def test_fail_on_controls_the_exit_code(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "a.ipynb": "not json"})
    assert run("check", str(root))[0] == 0  # unreadable-input is a warning
    assert run("check", str(root), "--fail-on", "warning")[0] == 1


def test_missing_path_is_a_usage_error_without_traceback() -> None:
    code, out, err = run("check", "/no/such/place")
    assert code == 2
    assert err.strip() == "lintml: error: /no/such/place: no such file or directory"
    assert "Traceback" not in out + err


def test_config_typo_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, ".lintml.yaml": "selcet: [license]\n"})
    code, _, err = run("check", str(root))
    assert code == 2
    assert ".lintml.yaml" in err and "unknown option 'selcet'" in err


def test_output_file_and_sarif(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.sarif"
    code, out, _ = run("check", str(EXAMPLE), "--format", "sarif", "--output", str(target))
    assert code == 1 and out == ""
    sarif = json.loads(target.read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert {result["ruleId"] for result in sarif["runs"][0]["results"]} >= {"license-conflict", "license-text"}


def test_github_annotations() -> None:
    code, out, _ = run("check", str(EXAMPLE), "--format", "github")
    assert code == 1
    assert any(line.startswith("::error file=") and "title=license-conflict" in line for line in out.splitlines())


def test_select_by_prefix_on_the_command_line() -> None:
    _code, out, _ = run("check", str(EXAMPLE), "--format", "json", "--select", "model-card")
    rules = {item["rule"] for item in json.loads(out)["findings"]}
    assert rules == {"model-card-license-unknown", "model-card-license-other", "model-card-license-link"}


def test_rules_and_rule_docs() -> None:
    code, out, _ = run("rules")
    assert code == 0 and "license-conflict" in out and "model-card-license-missing" in out
    code, out, _ = run("rule", "license-text")
    assert code == 0
    for heading in ("What it does", "Why it matters", "Example", "Fix", "§4(a)"):
        assert heading in out
    code, _, err = run("rule", "no-such-rule")
    assert code == 2 and "no rule 'no-such-rule'" in err


def test_checking_single_files_uses_repository_facts(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": APACHE_HEADER + "x = 1\n", "b.py": APACHE_HEADER + "y = 2\n"})
    completed = invoke_lintml(root, "check", "a.py", "--format", "json")
    assert completed.returncode == 1, completed.stderr
    findings = json.loads(completed.stdout)["findings"]
    assert [(item["rule"], item["path"]) for item in findings] == [("license-text", "a.py")]


def test_lintml_passes_its_own_check() -> None:
    code, out, _ = run("check", str(ROOT))
    assert code == 0, out
    code, out, _ = run("check", str(EXAMPLE), "--format", "json")
    assert code == 1  # the example keeps failing when checked on its own, with its own configuration


def test_a_run_that_loaded_scancode_writes_its_whole_report_and_exit_code(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    # The program ends without freeing scancode's index (os._exit once the output is out): the --output
    # file must still be whole, the exit code the findings', the facts cache committed, and scancode's
    # temporary folder removed by the exit handlers.
    from lintml.facts.scancode_adapter import INDEX_MESSAGE
    from tests.helpers import GPL_NAMED_PROGRAM

    root = make_repo({"LICENSE": MIT_TEXT, "foo.py": GPL_NAMED_PROGRAM + "x = 1\n"})
    target = tmp_path / "report.json"
    scancode_temp = tmp_path / "scancode-temp"  # where scancode makes its per-process folder
    scancode_temp.mkdir()
    result = run_lintml(
        root,
        "check",
        ".",
        "--format",
        "json",
        "--output",
        str(target),
        "--no-catalog",
        env={"SCANCODE_TEMP": str(scancode_temp)},
    )
    assert INDEX_MESSAGE in result.stderr  # the run loaded the index
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    report = json.loads(target.read_text(encoding="utf-8"))
    assert sorted((item["rule"], item["path"], item["license"]) for item in report["findings"]) == [
        ("license-conflict", "foo.py", "GPL-3.0-or-later"),
        ("license-text", "foo.py", "GPL-3.0-or-later"),
    ]
    assert list(scancode_temp.iterdir()) == []

    # What scancode found was committed to the cache: the second run answers from it without the index,
    # and ends with the same report and code.
    again = run_lintml(root, "check", ".", "--format", "json", "--no-catalog")
    assert INDEX_MESSAGE not in again.stderr
    assert again.returncode == 1
    assert json.loads(again.stdout) == report
