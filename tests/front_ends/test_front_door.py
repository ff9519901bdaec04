"""What a new user meets first: colour as asked (NO_COLOR, --color into a pipe), formats from the formatter
registry, --debug once on lintml itself, the fix summary and index tables rendered by lintml.report, and a
repository-level finding that points at a file the repository has."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintml import api
from lintml.cli import main, use_color
from lintml.findings import Finding
from lintml.report import FORMATTERS, ReportContext
from lintml.report.tables import fix_summary, index_listing, upstream_record
from lintml.rules import Rule
from tests.helpers import GPL3_HEADER, MIT_TEXT, ROOT, run_on_a_terminal

EXAMPLE = ROOT / "examples" / "vision-adapter"
RED = "\x1b[31m"


def _invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def _small_repo(make_repo: Callable[..., Path]) -> Path:
    return make_repo({"LICENSE": MIT_TEXT, "gpl.py": GPL3_HEADER + "x = 1\n"})


def test_color_forced_keeps_its_escapes_in_a_pipe(make_repo: Callable[..., Path]) -> None:
    root = _small_repo(make_repo)
    code, forced, _ = _invoke("check", str(root), "--color", env={"NO_COLOR": "1"})  # the flag wins
    assert code == 1 and RED in forced
    _, plain, _ = _invoke("check", str(root))  # CliRunner's output is no terminal
    assert RED not in plain and "[error]" in plain
    assert forced.replace(RED, "").replace("\x1b[0m", "") == plain


@pytest.mark.parametrize(
    ("asked", "to_terminal", "no_color", "expected"),
    [
        (None, True, None, True),
        (None, True, "1", False),
        (None, True, "", True),  # NO_COLOR counts only with a value
        (None, False, None, False),
        (True, False, "1", True),
        (False, True, None, False),
    ],
)
def test_when_to_colour(
    monkeypatch: pytest.MonkeyPatch, asked: bool | None, to_terminal: bool, no_color: str | None, expected: bool
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert use_color(asked, to_terminal) is expected


def _on_a_terminal(root: Path, environment: dict[str, str]) -> bytes:
    """`lintml check` with its stdout on a pseudo-terminal (what decides colour is the process's own test)."""
    _, shown = run_on_a_terminal(
        lambda terminal: subprocess.run(
            [sys.executable, "-m", "lintml.cli", "check", "."],
            cwd=root,
            env=environment,
            stdout=terminal,
            stderr=subprocess.DEVNULL,
            check=False,
            timeout=300,
        )
    )
    return shown


def test_no_color_turns_colour_off_on_a_terminal(make_repo: Callable[..., Path]) -> None:
    root = _small_repo(make_repo)
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"}
    assert RED.encode() in _on_a_terminal(root, environment)
    shown = _on_a_terminal(root, {**environment, "NO_COLOR": "1"})
    assert b"[error]" in shown and b"\x1b[" not in shown


def test_check_formats_are_the_registered_formatters(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def counts(findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
        return f"{len(findings)} findings in {context.files_checked} files\n"

    monkeypatch.setitem(FORMATTERS, "counts", counts)  # as a new module in lintml/report/ would register it
    _, usage, _ = _invoke("check", "--help")
    assert "counts" in usage and "sarif" in usage
    code, out, _ = _invoke("check", str(_small_repo(make_repo)), "--format", "counts")
    assert (code, out) == (1, "2 findings in 2 files\n")
    code, _, err = _invoke("check", ".", "--format", "nonesuch")
    assert code == 2 and "'nonesuch' is not one of 'text', 'counts', 'github', 'json', 'sarif'" in err


def test_debug_is_an_option_of_lintml_itself(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, ".lintml.yaml": "select: [no-such-rule]\n"})
    code, _, err = _invoke("check", str(root))
    assert code == 2 and err.startswith("lintml: error: ") and "names no rule" in err
    result = CliRunner().invoke(main, ["--debug", "check", str(root)])
    assert type(result.exception).__name__ == "ConfigError"  # raised, for its traceback
    code, _, err = _invoke("check", "--debug", str(root))
    assert code == 2 and "No such option '--debug'" in err


def test_the_fix_summary_names_what_was_done_and_what_is_left(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "gpl.py": GPL3_HEADER + "x = 1\n"})
    result = api.fix([root], dry_run=True, use_catalog=False)
    lines = fix_summary(result)
    assert lines[0] == "lintml: 1 finding repaired; would change 1 file"  # GPL-3.0's text, into LICENSES/
    assert lines[1] == "lintml: 1 finding left for a person:"
    assert lines[2].startswith("  gpl.py:3: license-conflict [error] this file is under GPL-3.0-or-later")
    assert lines[3].startswith("      fix: remove or replace the GPL-3.0-or-later code")
    code, _, err = _invoke("fix", str(root), "--dry-run", "--no-catalog")
    assert code == 1 and err.splitlines() == lines


def test_index_tables(tmp_path: Path) -> None:
    index = tmp_path / "index.sqlite3"
    empty, projects = api.index_projects(index_path=index)
    nothing = f"{index}: no upstreams (add one with `lintml index add NAME SOURCE`)"
    assert index_listing(empty, projects, []) == [nothing]
    api.index_add([api.UpstreamSpec("minivlm", str(ROOT / "examples" / "upstreams" / "minivlm"))], index_path=index)
    path, projects = api.index_projects(index_path=index)
    listing = index_listing(path, projects, [])
    assert listing[0] == f"{index}:" and listing[1].split()[:3] == ["minivlm", "2.5.0", "Apache-2.0"]
    project, paths = api.index_info("minivlm", index_path=index)
    record = upstream_record(project, paths, show_files=True)
    assert "name:      minivlm" in record and "license:   Apache-2.0" in record
    assert record[record.index("indexed files:") + 1 :] == [f"  {path}" for path in paths]
    code, out, _ = _invoke("index", "info", "minivlm", "--files", "--index", str(index))
    assert code == 0 and out.splitlines() == record


def test_a_missing_credit_points_at_a_file_the_repository_has(tmp_path: Path) -> None:
    """Without a README, the attribution finding points at the manifest, not at a README.md that is not there."""
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("minivlm", str(ROOT / "examples" / "upstreams" / "minivlm"))], index_path=index)
    tree = tmp_path / "vision-adapter"
    shutil.copytree(EXAMPLE, tree)
    (tree / "README.md").unlink()
    result = api.check([tree], indexes=[index], use_catalog=False)
    (credit,) = [finding for finding in result.findings if finding.rule == "attribution"]
    assert credit.path == "pyproject.toml" and (tree / credit.path).is_file()
    (tree / "NOTICE").write_text("This product includes software developed by its authors.\n", encoding="utf-8")
    again = api.check([tree], indexes=[index], use_catalog=False)
    assert [finding.path for finding in again.findings if finding.rule == "attribution"] == ["NOTICE"]
