"""Names and texts from a hostile repository, in every report format and in what `lintml fix` writes.

The repository is real: files named with a newline, a carriage return, terminal escape
sequences, DEL, a C1 control, a right-to-left override and bytes that are not UTF-8, made
with bytes paths and committed with git; a copyright line carrying an escape sequence meant
to rewrite the terminal. Each format is run in-process on the findings `lintml.api.check`
returns, and once as a process per format with strict UTF-8 output, so a lone surrogate is an
error rather than a silently mangled byte.
"""

from __future__ import annotations

import ast
import base64
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest

from lintml import api
from lintml.findings import Finding
from lintml.fixes.comments import comment_block
from lintml.report import ReportContext, format_findings
from lintml.rules import Rule
from tests.helpers import (
    GPL3_HEADER,
    MINIVLM,
    MIT_TEXT,
    RENAMED_SLICING,
    assert_valid_sarif,
    index_upstream,
    run_lintml,
)

# name on disk -> how text output shows it
HOSTILE_NAMES = {
    b"new\nline.py": "new\\nline.py",
    b"cr\rreturn.py": "cr\\rreturn.py",
    b"esc\x1b[2J\x1b]0;owned\x07.py": "esc\\x1b[2J\\x1b]0;owned\\x07.py",
    b"del\x7f.py": "del\\x7f.py",
    b"c1\xc2\x9b31m.py": "c1\\u009b31m.py",
    b"rlo\xe2\x80\xaeyp.txt.py": "rlo\\u202eyp.txt.py",
    b"tab\there.py": "tab\\there.py",
    b"latin1-caf\xe9.py": "latin1-caf\\xe9.py",
    b"bad\xff\xfe.py": "bad\\xff\\xfe.py",
    b"pct%41 :,.py": "pct%41 :,.py",
}
HOLDERS = ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Wonka", "Stark", "Wayne", "Tyrell")
ANSI_COPYRIGHT = "Copyright (C) 2021 Evil\x1b]0;owned\x07\x1b[2J\x1b[31m Corp"
# Anything that may not reach a terminal raw: C0 controls but the line feed, DEL, C1 controls,
# bidirectional controls, line separators and surrogates.
RAW = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=@/%]+")


def _commit_all(root: Path) -> None:
    for command in (["git", "add", "-A"], ["git", "commit", "-q", "-m", "hostile names"]):
        subprocess.run(command, cwd=root, check=True, capture_output=True, timeout=60)


@pytest.fixture
def hostile(make_repo: Callable[..., Path]) -> Path:
    """An MIT project with GPL files under hostile names, and one whose copyright line rewrites the terminal."""
    root = make_repo({"LICENSE": MIT_TEXT})
    for number, name in enumerate(HOSTILE_NAMES):
        # A holder per file: each conflict is a cause of its own, so each file is a finding's location.
        holder = HOLDERS[number]
        body = GPL3_HEADER.replace("Someone Else", f"{holder} Labs") + "\n\ndef answer():\n    return 42\n"
        with open(os.path.join(os.fsencode(root), name), "wb") as stream:
            stream.write(body.encode("utf-8"))
    ansi = GPL3_HEADER.replace("Copyright (C) 2021 Someone Else", ANSI_COPYRIGHT)
    (root / "ansi.py").write_text(ansi + "\n\ndef answer():\n    return 42\n", encoding="utf-8")
    _commit_all(root)
    return root


@pytest.fixture
def checked(hostile: Path) -> tuple[tuple[Finding, ...], tuple[Rule, ...]]:
    result = api.check([hostile], use_catalog=False)
    paths = {path for finding in result.findings for path in (finding.path, *finding.related)}
    assert {os.fsdecode(name) for name in HOSTILE_NAMES} | {"ansi.py"} <= paths  # every hostile file was reported
    assert any("Evil\x1b" in finding.message for finding in result.findings)  # and the escape is quoted
    return result.findings, result.rules


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _exists(root: Path, name: bytes) -> bool:
    return os.path.lexists(os.path.join(os.fsencode(root), name))


def _finding_lines(text: str) -> list[str]:
    lines = text.split("\n")
    assert lines[-1] == "" and lines[-3] == ""  # findings, a blank line, the summary, a final newline
    return [line for line in lines[:-3] if not line.startswith(("    fix: ", "    also: ", "    evidence: "))]


# --- text --------------------------------------------------------------------------------


def test_text_output_is_one_line_per_finding_and_nothing_raw(
    checked: tuple[tuple[Finding, ...], tuple[Rule, ...]],
) -> None:
    findings, rules = checked
    output = format_findings("text", findings, rules, ReportContext(files_checked=12))
    assert RAW.search(output) is None
    lines = _finding_lines(output)
    assert len(lines) == len(findings)
    # One missing GPL text is one finding, at the first file, naming the others on its "also:" line.
    (also,) = [line for line in output.split("\n") if line.startswith("    also: ")]
    for shown in HOSTILE_NAMES.values():
        assert f"{shown}:3:1: license-conflict [error] " in "\n".join(lines)
        assert sum(line.startswith(f"{shown}:3:1: ") for line in lines) == 1  # the conflict
        assert shown in also
    (quoted,) = [line for line in lines if line.startswith("ansi.py:3:1: license-text ")]
    assert "(Copyright (c) 2021 Evil\\x1b)" in quoted


def test_coloured_text_has_only_its_own_escape_sequences(
    checked: tuple[tuple[Finding, ...], tuple[Rule, ...]],
) -> None:
    findings, rules = checked
    output = format_findings("text", findings, rules, ReportContext(color=True, files_checked=12))
    assert output.count("\x1b") == 2 * len(findings)  # the colour of each severity word, and its reset
    assert RAW.search(re.sub(r"\x1b\[(?:31|0)m", "", output)) is None


# --- JSON --------------------------------------------------------------------------------


def test_json_is_valid_unicode_and_gives_each_name_back_exactly(
    hostile: Path, checked: tuple[tuple[Finding, ...], tuple[Rule, ...]]
) -> None:
    findings, rules = checked
    output = format_findings("json", findings, rules, ReportContext(files_checked=12))
    assert output.isascii()
    document = json.loads(output)
    assert not [text for text in _strings(document) if re.search(r"[\ud800-\udfff]", text)]  # no lone surrogate
    for record in document["findings"]:
        name = base64.b64decode(record["path_bytes"]) if record["path_bytes"] else record["path"].encode("utf-8")
        assert _exists(hostile, name), record["path"]
    by_name = {record["path"]: record["path_bytes"] for record in document["findings"]}
    assert by_name["bad\\xff\\xfe.py"] == base64.b64encode(b"bad\xff\xfe.py").decode("ascii")
    assert by_name["latin1-caf\\xe9.py"] == base64.b64encode(b"latin1-caf\xe9.py").decode("ascii")
    assert by_name["new\nline.py"] is None and by_name["esc\x1b[2J\x1b]0;owned\x07.py"] is None  # JSON holds them


# --- SARIF -------------------------------------------------------------------------------


def test_sarif_uris_are_percent_encoded_from_the_names_bytes(
    hostile: Path, checked: tuple[tuple[Finding, ...], tuple[Rule, ...]]
) -> None:
    findings, rules = checked
    output = format_findings("sarif", findings, rules, ReportContext(root=str(hostile), files_checked=12))
    output.encode("utf-8")  # valid UTF-8: no lone surrogate to encode
    document = json.loads(output)
    assert_valid_sarif(document)
    assert not [text for text in _strings(document) if re.search(r"[\ud800-\udfff]", text)]
    results = document["runs"][0]["results"]
    assert len(results) == len(findings)
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in results}
    for uri in uris:
        assert URI_CHARACTERS.fullmatch(uri) and ":" not in uri, uri
        assert _exists(hostile, unquote_to_bytes(uri)), uri
    assert {"bad%FF%FE.py", "new%0Aline.py", "esc%1B%5B2J%1B%5D0;owned%07.py", "pct%2541%20%3A,.py"} <= uris


# --- GitHub ------------------------------------------------------------------------------


def test_github_annotations_are_one_command_per_finding(
    checked: tuple[tuple[Finding, ...], tuple[Rule, ...]],
) -> None:
    findings, rules = checked
    output = format_findings("github", findings, rules, ReportContext(files_checked=12))
    assert RAW.search(output) is None
    lines = output.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(findings)
    assert all(re.match(r"::(error|warning|notice) file=", line) for line in lines[:-1])
    files = {re.match(r"::\w+ file=([^,]*),", line).group(1) for line in lines[:-1]}  # type: ignore[union-attr]
    assert {"new%0Aline.py", "cr%0Dreturn.py", "pct%2541 %3A%2C.py", "bad\\xff\\xfe.py", "rlo\\u202eyp.txt.py"} <= files
    assert "esc\\x1b[2J\\x1b]0;owned\\x07.py" in files


# --- the command, one process per format -------------------------------------------------


def _lintml(cwd: Path, *args: str, **popen: Any) -> subprocess.CompletedProcess[bytes]:
    # Strict UTF-8 on the standard streams: a surrogate that reached them would be an error, not a stray byte.
    return run_lintml(cwd, *args, env={"PYTHONIOENCODING": "utf-8"}, text=False, **popen)


@pytest.mark.parametrize(
    ("output_format", "to_file"),
    [("text", False), ("text", True), ("json", False), ("sarif", False), ("github", False)],
    ids=["text", "text-to-file", "json", "sarif", "github"],
)
def test_check_prints_every_format_without_a_traceback(
    tmp_path: Path,
    hostile: Path,
    checked: tuple[tuple[Finding, ...], tuple[Rule, ...]],
    output_format: str,
    to_file: bool,
) -> None:
    findings, _ = checked
    destination = tmp_path / "report.out"
    arguments = ["check", "--no-catalog", "--format", output_format] + (["-o", str(destination)] if to_file else [])
    result = _lintml(hostile, *arguments)
    assert result.returncode == 1, result.stderr.decode("utf-8", "replace")  # findings: not 2, not a crash
    assert b"Traceback" not in result.stderr and result.stderr == b""
    output = (destination.read_bytes() if to_file else result.stdout).decode("utf-8")
    if output_format == "text":
        assert RAW.search(output) is None
        assert len(_finding_lines(output)) == len(findings)
    elif output_format == "github":
        assert RAW.search(output) is None
        assert output.count("\n") == len(findings)
    elif output_format == "json":
        assert len(json.loads(output)["findings"]) == len(findings)
    else:
        assert len(json.loads(output)["runs"][0]["results"]) == len(findings)


# --- what `lintml fix` prints and writes -------------------------------------------------


def test_fix_names_hostile_files_escaped(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    index = index_upstream(tmp_path, "minivlm", MINIVLM, "auto")
    local = make_repo({"LICENSE": MIT_TEXT}, name="local")
    for name in (b"sl\x1b[2Jicing.py", b"bad\xff.py"):
        with open(os.path.join(os.fsencode(local), name), "wb") as stream:
            stream.write(RENAMED_SLICING.encode("utf-8"))
    _commit_all(local)
    result = _lintml(local, "fix", "--no-catalog", "--index", str(index), "--date", "2026-11-21")
    assert result.returncode == 1  # the copies need a person: lintml writes only to plain names
    assert b"Traceback" not in result.stderr
    stderr = result.stderr.decode("utf-8")
    assert RAW.search(stderr) is None
    lines = stderr.splitlines()
    for shown in ("sl\\x1b[2Jicing.py", "bad\\xff.py"):
        refused = f"{shown}: not a plain path inside the repository"
        assert f"lintml: could not repair change-notice in {shown}: {refused}" in lines
    assert (local / "NOTICE").is_file()  # the rest was repaired


@pytest.fixture
def hostile_upstream_index(tmp_path: Path) -> Path:
    """minivlm with an escape sequence in its copyright line and NOTICE, indexed with a URL holding a CR and code."""
    upstream = tmp_path / "hostile-minivlm"
    shutil.copytree(MINIVLM, upstream)
    source = upstream / "minivlm" / "image_slicing.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("The MiniVLM Authors.", "The MiniVLM Authors\x1b]0;owned\x07.", 1), encoding="utf-8")
    notice = upstream / "NOTICE"
    notice.write_text(notice.read_text(encoding="utf-8") + "\x1b[2J\x1b[3J\n", encoding="utf-8")
    index = tmp_path / "hostile.sqlite3"
    url = 'https://example.invalid/minivlm\rprint("PWNED")'
    arguments = ["index", "add", "minivlm", str(upstream), "--url", url, "--index", str(index)]
    added = subprocess.run(
        [sys.executable, "-m", "lintml.cli", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    return index


def test_fix_writes_no_upstream_text_that_could_end_a_comment(
    make_repo: Callable[..., Path], hostile_upstream_index: Path
) -> None:
    local = make_repo({"LICENSE": MIT_TEXT, "vision/slicing.py": RENAMED_SLICING}, name="local")
    result = api.fix([local], date="2026-11-21", indexes=[hostile_upstream_index], use_catalog=False)
    reasons = {finding.rule: reason for finding, reason in result.failed_repairs}
    assert "U+000D" in reasons["change-notice"]  # the URL's carriage return
    assert "U+001B" in reasons["copyright-notice"]  # the copyright line's escape sequence
    assert "U+000D" in reasons["notice-file"] or "U+001B" in reasons["notice-file"]
    written = {change.path: change.after for change in result.changes}
    assert "LICENSES/Apache-2.0.txt" in written  # what is safe is still written
    for path in local.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            data = path.read_bytes()
            assert b"\r" not in data and b"\x1b" not in data, path
    tree = ast.parse((local / "vision/slicing.py").read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print"]
    assert calls == []  # no code smuggled in through a comment


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("a.py", "Upstream: https://x.invalid/\rimport os"),
        ("a.js", "Copyright 2024 Someone\u2028alert(1)"),
        ("a.c", "Copyright 2024 Someone \\"),
        ("a.py", "Copyright 2024 \u202eenoemoS"),
        ("a.py", "Copyright 2024 \x85 Someone"),
    ],
    ids=["carriage-return", "line-separator", "line-splice", "right-to-left", "next-line"],
)
def test_comment_text_that_could_end_the_comment_is_refused(path: str, line: str) -> None:
    with pytest.raises(ValueError, match=r"could (end the comment early|join the next line)"):
        comment_block(path, ["Copyright 2024 Someone", line])
    assert comment_block(path, ["Copyright 2024 Someone\tand Others"])  # a tab is fine


def test_fix_diff_on_a_terminal_escapes_what_the_patch_carries_raw(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    index = index_upstream(tmp_path, "minivlm", MINIVLM, "auto")
    hostile_line = "# note \x1b]0;owned\x07\x1b[2J\n"
    local = make_repo({"LICENSE": MIT_TEXT, "vision/slicing.py": hostile_line + RENAMED_SLICING}, name="local")
    arguments = ("fix", "--dry-run", "--no-catalog", "--index", str(index), "--date", "2026-11-21", "--no-cache")

    piped = _lintml(local, *arguments)
    assert piped.returncode == 1 and hostile_line.encode("utf-8") in piped.stdout  # a patch keeps the file's bytes

    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "lintml.cli", *arguments],
        cwd=local,
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    os.close(terminal)
    shown = b""
    try:
        while select.select([controller], [], [], 300)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: lintml is done
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
        process.kill()
        process.wait(timeout=60)
    assert b"+++ b/vision/slicing.py" in shown
    assert b"# note \\x1b]0;owned\\x07\\x1b[2J" in shown
    assert b"\x1b" not in shown and b"\x07" not in shown


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_audit_of_a_fork_with_hostile_names_prints_valid_escaped_text(
    tmp_path: Path, make_repo: Callable[..., Path], output_format: str
) -> None:
    fork = make_repo({"LICENSE": MIT_TEXT}, name="fork")
    copy = b"sl\x1b[2Ji\nce\xff.py"
    with open(os.path.join(os.fsencode(fork), copy), "wb") as stream:
        stream.write(RENAMED_SLICING.encode("utf-8"))
    _commit_all(fork)
    result = _lintml(tmp_path, "audit", str(fork), "--upstream", str(MINIVLM), "--format", output_format)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in result.stderr
    output = result.stdout.decode("utf-8")
    if output_format == "text":
        assert RAW.search(output) is None
        shown = "  sl\\x1b[2Ji\\nce\\xff.py: renamed from minivlm:minivlm/image_slicing.py ("
        assert any(line.startswith(shown) for line in output.splitlines())  # one line, whatever the name holds
    else:
        document = json.loads(output)
        strings = list(_strings(document))
        assert "sl\x1b[2Ji\nce\\xff.py" in strings  # JSON escapes the control characters itself
        assert not [text for text in strings if re.search(r"[\ud800-\udfff]", text)]


def test_index_info_of_a_hostile_upstream_prints_nothing_raw(tmp_path: Path, hostile_upstream_index: Path) -> None:
    result = _lintml(tmp_path, "index", "info", "minivlm", "--index", str(hostile_upstream_index), "--files")
    assert result.returncode == 0 and b"Traceback" not in result.stderr
    output = result.stdout.decode("utf-8")
    assert RAW.search(output) is None
    lines = output.splitlines()
    assert 'url:       https://example.invalid/minivlm\\rprint("PWNED")' in lines
    assert "  \\x1b[2J\\x1b[3J" in lines  # the NOTICE's last line


def test_files_reported_with_another_are_escaped_in_every_format(make_repo: Callable[..., Path]) -> None:
    """Hostile names of files a finding names as owing the same (related) are quoted like its own path."""
    root = make_repo({"LICENSE": MIT_TEXT})
    body = GPL3_HEADER + "\n\ndef answer():\n    return 42\n"
    for name in (b"a.py", b"new\nline.py", b"esc\x1b[2J.py", b"bad\xff.py"):
        with open(os.path.join(os.fsencode(root), name), "wb") as stream:
            stream.write(body.encode("utf-8"))
    _commit_all(root)
    result = api.check([root], use_catalog=False)
    (conflict,) = [finding for finding in result.findings if finding.rule == "license-conflict"]
    assert conflict.path == "a.py" and len(conflict.related) == 3
    context = ReportContext(files_checked=5, root=str(root))
    text = format_findings("text", result.findings, result.rules, context)
    assert RAW.search(text) is None and "new\\nline.py" in text and "esc\\x1b[2J.py" in text
    document = json.loads(format_findings("json", result.findings, result.rules, context))
    (record,) = [item for item in document["findings"] if item["rule"] == "license-conflict"]
    assert sorted(record["related"]) == ["bad\\xff.py", "esc\x1b[2J.py", "new\nline.py"]
    sarif = json.loads(format_findings("sarif", result.findings, result.rules, context))
    assert_valid_sarif(sarif)
    (found,) = [item for item in sarif["runs"][0]["results"] if item["ruleId"] == "license-conflict"]
    uris = {location["physicalLocation"]["artifactLocation"]["uri"] for location in found["relatedLocations"]}
    assert uris == {"new%0Aline.py", "esc%1B%5B2J.py", "bad%FF.py"}
