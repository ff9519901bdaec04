"""Progress: a bar on a terminal for long work; piped or in CI, a plain line every few seconds for long work
and nothing for quick work; stdout never touched."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import progress
from tests.helpers import APACHE_HEADER, MIT_TEXT, run_on_a_terminal

# Progress is drawn for cold work: each test starts from an empty cache of its own.
pytestmark = pytest.mark.usefixtures("isolated_cache")

_SETTINGS = ("LINTML_PROGRESS", "LINTML_NO_PROGRESS", "CI", "GITHUB_ACTIONS")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _terminal(monkeypatch: pytest.MonkeyPatch) -> _Terminal:
    """stderr as a terminal, with none of the settings that turn bars on or off.

    Set in the test itself: pytest puts its own stderr back between a fixture and the test."""
    for name in _SETTINGS:
        monkeypatch.delenv(name, raising=False)
    stream = _Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def _environment(**settings: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in _SETTINGS}
    environment.update(settings)
    return environment


def _repository(make_repo: Callable[..., Path]) -> Path:
    files: dict[str, str | bytes] = {"LICENSE": MIT_TEXT, "README.md": "# demo\n"}
    files |= {f"pkg/module_{number}.py": f"{APACHE_HEADER}\nVALUE = {number}\n" for number in range(10)}
    return make_repo(files)  # 12 files


def _check(repo: Path, environment: dict[str, str], *, stderr: int | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "lintml.cli", "check", "."],
        cwd=repo,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=stderr if stderr is not None else subprocess.PIPE,
        check=False,
        timeout=300,
    )


# What a run off a terminal may say on stderr: progress lines, never a bar's carriage returns.
_PROGRESS_LINE = re.compile(rb"lintml: [^\r\n]+, \d+ s( \(done\))?")


def _only_progress_lines(stderr: bytes) -> bool:
    return all(_PROGRESS_LINE.fullmatch(line) for line in stderr.splitlines()) and b"\r" not in stderr


def test_piped_and_ci_runs_print_nothing_extra(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """Quick work prints nothing; a run slowed by a busy machine may say how far it got, on stderr only."""
    repo = _repository(make_repo)
    # Each run gets an empty cache, so each does the whole (cold) work a bar would be drawn for.
    runs = {
        name: _check(repo, _environment(LINTML_CACHE_DIR=str(tmp_path / name), **settings))
        for name, settings in {
            "off": {"LINTML_NO_PROGRESS": "1"},
            "piped": {},
            "ci": {"CI": "true"},
            "actions": {"GITHUB_ACTIONS": "true"},
        }.items()
    }
    assert runs["off"].returncode == 1 and b"pkg/module_0.py" in runs["off"].stdout
    for name in ("piped", "ci", "actions"):
        assert runs[name].returncode == runs["off"].returncode
        assert runs[name].stdout == runs["off"].stdout, name  # byte for byte
        assert runs["off"].stderr == b"" and _only_progress_lines(runs[name].stderr), name


def test_ci_on_a_terminal_prints_nothing_extra(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = _repository(make_repo)
    environment = _environment(CI="true", LINTML_CACHE_DIR=str(tmp_path / "cache"))
    completed, shown = run_on_a_terminal(lambda terminal: _check(repo, environment, stderr=terminal))
    assert completed.returncode == 1 and b"pkg/module_0.py" in completed.stdout
    assert _only_progress_lines(shown.replace(b"\r\n", b"\n"))  # a terminal's line discipline adds the CR


def test_forced_bars_show_counts(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = _repository(make_repo)
    quiet = _check(repo, _environment(LINTML_CACHE_DIR=str(tmp_path / "quiet"), LINTML_NO_PROGRESS="1"))
    shown = _check(repo, _environment(LINTML_CACHE_DIR=str(tmp_path / "shown"), LINTML_PROGRESS="1"))
    assert shown.stdout == quiet.stdout  # bars go to stderr only
    assert b"reading files" in shown.stderr and b"12/12" in shown.stderr
    assert b"fingerprinting 10 code files" in shown.stderr and b"10/10" in shown.stderr


def test_a_warm_check_does_not_import_tqdm(make_repo: Callable[..., Path]) -> None:
    repo = _repository(make_repo)
    script = (
        "import sys\nfrom lintml import api\napi.check(['.'])\napi.check(['pkg/module_1.py'])\n"
        "print('tqdm' in sys.modules)\n"
    )
    environment = _environment()  # no bar forced: quick work on a terminal would not draw one either
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, env=environment, capture_output=True, text=True, check=True
    )
    assert completed.stdout == "False\n"


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, True),
        ({"CI": "true"}, False),
        ({"CI": "false"}, True),
        ({"GITHUB_ACTIONS": "true"}, False),
        ({"LINTML_NO_PROGRESS": "1"}, False),
        ({"LINTML_PROGRESS": "0"}, False),
        ({"LINTML_PROGRESS": "1", "CI": "true"}, True),
        ({"LINTML_PROGRESS": "1", "LINTML_NO_PROGRESS": "1"}, False),
    ],
)
def test_interactive_on_a_terminal(monkeypatch: pytest.MonkeyPatch, settings: dict[str, str], expected: bool) -> None:
    _terminal(monkeypatch)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    assert progress.interactive() is expected


def test_not_interactive_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.interactive() is False
    monkeypatch.setenv("LINTML_PROGRESS", "1")
    assert progress.interactive() is True


def test_quick_work_draws_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _terminal(monkeypatch)
    with progress.progress_bar("quick", 3) as bar:
        for _ in range(3):
            bar.advance()
    assert terminal.getvalue() == ""


def test_long_work_draws_a_bar_with_count_rate_and_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _terminal(monkeypatch)
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.05)
    with progress.progress_bar("fingerprinting", 4) as bar:
        for _ in range(4):
            time.sleep(0.05)
            bar.advance()
        bar.describe("fingerprinting, almost done")
    shown = terminal.getvalue()
    assert "fingerprinting, almost done: 100%" in shown and "4/4" in shown and "files/s" in shown
    assert "<00:00" in shown  # the time left
    assert shown.endswith("\n")  # a finished count stays on screen


def test_a_wait_without_total_is_erased(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _terminal(monkeypatch)
    monkeypatch.setattr(progress, "DELAY_SECONDS", 0.05)
    with progress.progress_bar("loading an index", None):
        time.sleep(0.3)  # nothing to count: the bar's clock moves on its own
    shown = terminal.getvalue()
    assert "loading an index [00:00]" in shown
    assert shown.endswith("\r")


def test_track_counts_each_item(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _terminal(monkeypatch)
    monkeypatch.setenv("LINTML_PROGRESS", "1")
    assert list(progress.track(["a", "b", "c"], "items", unit="")) == ["a", "b", "c"]
    assert "3/3" in terminal.getvalue()


def _piped(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a pipe, with none of the settings that turn progress on or off."""
    for name in _SETTINGS:
        monkeypatch.delenv(name, raising=False)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    return stream


def test_long_work_off_a_terminal_says_how_far_it_got_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = _piped(monkeypatch)
    monkeypatch.setattr(progress, "LINE_SECONDS", 0.05)
    with progress.progress_bar("reading files", 4) as bar:
        for _ in range(4):
            bar.advance()
            time.sleep(0.12)  # at least one line falls between two steps
    lines = piped.getvalue().splitlines()
    assert len(lines) >= 2 and "\r" not in piped.getvalue()
    assert all(re.fullmatch(r"lintml: reading files: [0-4]/4 files, \d+ s", line) for line in lines[:-1]), lines
    assert re.fullmatch(r"lintml: reading files: 4/4 files, \d+ s \(done\)", lines[-1]), lines


def test_a_wait_off_a_terminal_says_its_time(monkeypatch: pytest.MonkeyPatch) -> None:
    piped = _piped(monkeypatch)
    monkeypatch.setattr(progress, "LINE_SECONDS", 0.05)
    with progress.progress_bar("loading an index", None) as bar:
        time.sleep(0.12)
        bar.describe("loading an index, nearly done")
        bar.advance(3)
        time.sleep(0.12)
    lines = piped.getvalue().splitlines()
    assert re.fullmatch(r"lintml: loading an index, \d+ s", lines[0]), lines
    assert re.fullmatch(r"lintml: loading an index, nearly done: 3 files, \d+ s \(done\)", lines[-1]), lines


@pytest.mark.parametrize("settings", [{}, {"LINTML_NO_PROGRESS": "1"}, {"LINTML_PROGRESS": "0"}])
def test_quick_or_silenced_work_off_a_terminal_says_nothing(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, str]
) -> None:
    piped = _piped(monkeypatch)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    if settings:  # turned off: not even long work speaks
        monkeypatch.setattr(progress, "LINE_SECONDS", 0.01)
    with progress.progress_bar("reading files", 3) as bar:
        for _ in range(3):
            bar.advance()
        if settings:
            time.sleep(0.1)
    assert piped.getvalue() == ""
