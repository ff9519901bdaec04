"""`lintml audit`: a fork made from an upstream in every way people make one, with real git history."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import git
import pytest

from lintml import api
from lintml.report.audit_html import render_audit_html
from lintml.report.audit_text import render_text
from tests.forks import NEW_FILES, Fork, build_fork
from tests.helpers import ROOT, invoke_lintml

HEADER = "# Copyright 2023 The Upstream Authors.\n# SPDX-License-Identifier: Apache-2.0\n"


def stdlib(name: str) -> str:
    """Real, varied code: a module of the running Python's standard library (read, never imported from here)."""
    return (Path(sysconfig.get_paths()["stdlib"]) / f"{name}.py").read_text(encoding="utf-8")


def reindented(text: str) -> str:
    """The same code indented by two spaces a level instead of four."""
    return re.sub(r"(?m)^( +)", lambda found: " " * (len(found.group(1)) // 2), text)


def commit_all(repo: git.Repo, message: str) -> None:
    repo.git.add("-A")
    repo.index.commit(message)


@pytest.fixture
def fork_and_upstream(tmp_path: Path) -> tuple[Path, Path]:
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    repo = git.Repo.init(upstream)
    with repo.config_writer() as config:
        config.set_value("user", "name", "upstream dev")
        config.set_value("user", "email", "dev@upstream.invalid")
    files = {
        "LICENSE": "Apache License\nVersion 2.0, January 2004\n",
        "README.md": "# Upstream\n\nThe original project.\n",
        "upstream/same.py": HEADER + stdlib("colorsys"),
        "upstream/layout.py": HEADER + stdlib("textwrap"),
        "upstream/names.py": HEADER + stdlib("shlex"),
        "upstream/changed.py": HEADER + stdlib("pprint"),
        "upstream/big.py": HEADER + stdlib("calendar"),
        "upstream/whole.py": HEADER + stdlib("heapq"),
        "upstream/first.py": HEADER + stdlib("fnmatch"),
        "upstream/second.py": HEADER + stdlib("glob"),
        "upstream/moved.py": HEADER + stdlib("bisect"),
    }
    for name, text in files.items():
        (upstream / name).parent.mkdir(parents=True, exist_ok=True)
        (upstream / name).write_text(text)
    commit_all(repo, "upstream: first release")
    fork = tmp_path / "fork"
    cloned = git.Repo.clone_from(str(upstream), fork)
    with cloned.config_writer() as config:
        config.set_value("user", "name", "fork dev")
        config.set_value("user", "email", "dev@fork.invalid")
    # Layout only: reindented, with the header stripped.
    (fork / "upstream/layout.py").write_text(reindented(stdlib("textwrap")))
    commit_all(cloned, "reformat layout.py")
    # Identifiers renamed throughout.
    names = files["upstream/names.py"]
    for old, new in (("token", "tok"), ("nextchar", "nxt"), ("escapedstate", "esc_state"), ("wordchars", "wchars")):
        names = re.sub(rf"\b{old}\b", new, names)
    (fork / "upstream/names.py").write_text(names)
    # Modified: the last fifth of the file dropped, other code added.
    changed = files["upstream/changed.py"]
    kept = changed[: len(changed) * 4 // 5].rsplit("\n    def ", 1)[0]
    (fork / "upstream/changed.py").write_text(kept + "\n\n" + stdlib("codeop"))
    commit_all(cloned, "rename and rework")
    # Partial: a few functions of calendar.py taken into a file of our own.
    big = stdlib("calendar")
    start, end = big.index("def isleap("), big.index("class Calendar(")
    (fork / "ours").mkdir()
    (fork / "ours/taken.py").write_text('"""Our date helpers."""\nimport datetime\n\n' + big[start:end])
    # Moved; merged (fnmatch + glob in one file); split (heapq in two); and a file of our own.
    subprocess.run(["git", "-C", str(fork), "mv", "upstream/moved.py", "ours/relocated.py"], check=True)
    (fork / "ours/joined.py").write_text(stdlib("fnmatch") + "\n\n" + stdlib("glob"))
    (fork / "upstream/first.py").unlink()
    (fork / "upstream/second.py").unlink()
    whole = stdlib("heapq")
    cut = whole.index("def merge(")
    (fork / "ours/part_one.py").write_text(whole[:cut])
    (fork / "ours/part_two.py").write_text(whole[cut:])
    (fork / "upstream/whole.py").unlink()
    (fork / "ours/new.py").write_text(stdlib("sched"))
    commit_all(cloned, "restructure")
    return fork, upstream


def test_every_kind_of_copy_is_classified_with_its_history(
    fork_and_upstream: tuple[Path, Path], tmp_path: Path
) -> None:
    fork, upstream = fork_and_upstream
    result = invoke_lintml(tmp_path, "audit", str(fork), "--upstream", str(upstream), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "lintml-audit" and report["version"] == 1
    files = {record["path"]: record for record in report["files"]}
    kinds = {path: record["kind"] for path, record in files.items() if path.endswith(".py")}
    assert kinds == {
        "upstream/same.py": "identical",
        "upstream/layout.py": "reformatted",
        "upstream/names.py": "renamed",
        "upstream/changed.py": "modified",
        "ours/taken.py": "partial",
        "ours/relocated.py": "identical",
        "ours/joined.py": kinds["ours/joined.py"],  # checked below: a merge of two upstream files
        "ours/part_one.py": "partial",
        "ours/part_two.py": "partial",
        "ours/new.py": "new",
        "upstream/big.py": "identical",
    }
    assert files["ours/relocated.py"]["moved"] and files["ours/relocated.py"]["upstream_path"] == "upstream/moved.py"
    joined = files["ours/joined.py"]
    assert {joined["upstream_path"], *(item["upstream_path"] for item in joined["also_from"])} == {
        "upstream/first.py",
        "upstream/second.py",
    }
    assert files["ours/part_one.py"]["split_with"] == ["ours/part_two.py"]
    assert files["ours/part_one.py"]["upstream_path"] == "upstream/whole.py"
    renames = {(item["from"], item["to"]) for item in files["upstream/names.py"]["renames"]}
    assert {("token", "tok"), ("nextchar", "nxt"), ("wordchars", "wchars")} <= renames
    assert "Copyright 2023 The Upstream Authors." in files["upstream/layout.py"]["stripped_notices"]
    assert files["upstream/same.py"]["stripped_notices"] == []
    # Shared history: the merge base is the upstream's commit, and each file names the fork's commits.
    (only,) = report["upstreams"]
    assert only["merge_base"] == git.Repo(upstream).head.commit.hexsha
    assert [commit["summary"] for commit in files["upstream/layout.py"]["commits"]] == ["reformat layout.py"]
    assert [commit["summary"] for commit in files["upstream/names.py"]["commits"]] == ["rename and rework"]
    assert files["upstream/same.py"]["commits"] == []
    summary = report["summary"]
    assert summary["by_kind"]["new"] >= 1 and summary["moved"] >= 1 and summary["split"] == 2 and summary["merged"] == 1
    # Neither repository was written to.
    assert git.Repo(fork).is_dirty(untracked_files=True) is False
    assert git.Repo(upstream).is_dirty(untracked_files=True) is False


def test_git_urls_with_a_ref_and_the_text_report(fork_and_upstream: tuple[Path, Path], tmp_path: Path) -> None:
    fork, upstream = fork_and_upstream
    git.Repo(upstream).create_tag("v1.0")
    url = f"file://{upstream}@v1.0"
    result = invoke_lintml(tmp_path, "audit", str(fork), "--upstream", f"orig={url}")
    assert result.returncode == 0, result.stderr
    assert "upstream: orig" in result.stdout and "merge base" in result.stdout
    assert "upstream/names.py: renamed from orig:same path" in result.stdout
    assert "ours/relocated.py: identical from orig:upstream/moved.py" in result.stdout


EXAMPLE_AUDIT = (
    "audit",
    str(ROOT / "examples" / "vision-adapter"),
    "--upstream",
    str(ROOT / "examples" / "upstreams" / "minivlm"),
)


def test_the_example_audit_names_the_stripped_notices_and_obligations(tmp_path: Path) -> None:
    result = invoke_lintml(tmp_path, *EXAMPLE_AUDIT, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    files = {record["path"]: record for record in report["files"]}
    assert files["src/vision_adapter/tiling.py"]["kind"] == "renamed"
    assert files["src/vision_adapter/tiling.py"]["upstream_path"] == "minivlm/image_slicing.py"
    assert "Copyright 2024 The MiniVLM Authors." in files["src/vision_adapter/tiling.py"]["stripped_notices"]
    rules = {finding["rule"] for finding in report["obligations"]}
    assert {"change-notice", "copyright-notice", "license-text", "notice-file"} <= rules
    html = tmp_path / "audit.html"
    written = invoke_lintml(tmp_path, *EXAMPLE_AUDIT, "--format", "html", "--output", str(html))
    assert written.returncode == 0, written.stderr
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "image_slicing.py" in page


def test_audit_errors_are_usage_errors(tmp_path: Path) -> None:
    missing = invoke_lintml(tmp_path, "audit", str(tmp_path / "nowhere"), "--upstream", str(tmp_path))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    no_upstream = invoke_lintml(tmp_path, "audit", str(tmp_path))
    assert no_upstream.returncode == 2 and "--upstream" in no_upstream.stderr
    (tmp_path / "empty").mkdir()
    empty = invoke_lintml(tmp_path, "audit", str(tmp_path), "--upstream", str(tmp_path / "empty"))
    assert empty.returncode == 2 and "no code files" in empty.stderr


# -- a fork of two upstreams, as maintainers meet them (tests/forks.py) -------------------------


def _audit(fork: Fork, *, obligations: bool = True) -> dict[str, Any]:
    return api.audit(fork.root, [str(fork.core), str(fork.helpers)], obligations=obligations).as_json()


def _owed(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(finding["rule"], finding["path"]) for finding in report["obligations"]}


def test_stripped_notices_and_missing_change_notices_are_owed_everywhere(tmp_path: Path) -> None:
    fork = build_fork(tmp_path)
    report = _audit(fork)
    files = {record["path"]: record for record in report["files"]}
    owed = _owed(report)
    # The two Apache headers stripped, and the MIT one: each is a stripped notice, and restoring it is owed,
    # though `lintml check` takes the fork (which kept core's manifest and its authors) for core's owner.
    stripped = sorted(path for path, record in files.items() if record["stripped_notices"])
    assert stripped == ["core/colorsys.py", "core/shlex.py", "lib/calendar_tools.py"]
    assert "Copyright 2023 The Core Authors." in files["core/shlex.py"]["stripped_notices"]
    for path in stripped:
        assert ("copyright-notice", path) in owed, path
        assert "copyright-notice" in files[path]["owed"]
    # A change notice is owed by the modified code taken from Apache-2.0 code, and by nothing else: not the
    # header-stripped or reindented files (the same code), the MIT file, the README, nor identical files.
    assert {path for path, record in files.items() if record["change_notice_owed"]} == {
        "core/pprint.py",
        "core/heapq.py",
    }
    assert files["core/heapq.py"]["change_notice"] and not files["core/pprint.py"]["change_notice"]
    assert ("change-notice", "core/pprint.py") in owed and ("change-notice", "core/heapq.py") not in owed
    # The rules, for every file: what a file shows owed is listed, and what is listed is at its path.
    for record in report["files"]:
        if record["stripped_notices"]:
            assert ("copyright-notice", record["path"]) in owed
        if record["change_notice_owed"] and not record["change_notice"]:
            assert ("change-notice", record["path"]) in owed
        assert {(rule, record["path"]) for rule in record["owed"]} <= owed
    summary = report["summary"]
    assert summary["stripped_files"] == 3
    assert summary["stripped_notices"] == sum(len(files[path]["stripped_notices"]) for path in stripped)
    assert (summary["change_notices_owed"], summary["change_notices_missing"]) == (2, 1)
    assert summary["obligations"] == len(report["obligations"]) and summary["obligations_checked"] is True
    # The text and the page say the same.
    text = render_text(report)
    assert f"stripped notices: {summary['stripped_notices']} in 3 files (owed: restoring them)" in text
    assert "change notices: 1 missing of 2 owed" in text
    assert f"{summary['obligations']} obligations to the upstreams unmet" in text
    assert "nothing owed" not in text
    page = render_audit_html(report, {})
    assert "found nothing the fork owes" not in page
    assert page.count('<tr><td><span class="sev') == summary["obligations"]
    # Without `lintml check`, what the pairs show is still owed, and the report says the check did not run.
    unchecked = _audit(fork, obligations=False)
    assert unchecked["summary"]["obligations_checked"] is False
    assert {("copyright-notice", path) for path in stripped} | {("change-notice", "core/pprint.py")} == _owed(unchecked)
    assert "`lintml check` not run" in render_text(unchecked)


def test_upstream_files_are_counted_once_and_never_beyond_their_total(tmp_path: Path) -> None:
    fork = build_fork(tmp_path)
    report = _audit(fork)
    summary = report["summary"]
    listed = {
        (name, path)
        for name, root in (("core", fork.core), ("helpers", fork.helpers))
        for path in git.Repo(root).git.ls_files().splitlines()
    }
    code = {(name, path) for name, path in listed if path.endswith(".py")}
    paired = [(record["upstream"], record["upstream_path"]) for record in report["files"] if record["upstream"]]
    held = set(paired) | {
        (item["upstream"], item["upstream_path"]) for record in report["files"] for item in record["also_from"]
    }
    assert held <= listed
    # Every file of core is held (core/fnmatch.py twice: in place and copied to vendor/), one of helpers'.
    assert len(paired) == 29 and len(held) == 28
    assert (summary["upstream_files_used"], summary["upstream_files"]) == (len(held), len(listed)) == (28, 30)
    assert (summary["upstream_code_files_used"], summary["upstream_code_files"]) == (len(held & code), len(code))
    assert len(code) == 11
    for used, total in (("upstream_files_used", "upstream_files"), ("upstream_code_files_used", "upstream_code_files")):
        assert summary[used] <= summary[total]
    assert "upstream files the fork holds: 28 of 30 (11 of 11 code files)" in render_text(report)
    page = render_audit_html(report, {})
    assert "<dd>28 of 30 upstream files, whole or in part (11 of 11 code files)</dd>" in page


_GROUP = re.compile(r"^([a-z][a-z, ]*) \(([\d,]+)\):$")


def _text_groups(text: str) -> dict[str, list[str]]:
    """The files the text report lists, by the heading of their group."""
    groups: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        heading = _GROUP.match(line)
        if heading:
            current = groups.setdefault(heading.group(1), [])
        elif current is not None and line.startswith("  "):
            current.append(line[2:].split(": ", 1)[0])
        else:
            current = None
    return groups


def test_the_text_report_lists_every_file_that_is_not_its_upstream_file(tmp_path: Path) -> None:
    fork = build_fork(tmp_path)
    report = _audit(fork)
    text = render_text(report)
    assert render_text(copy.deepcopy(report)) == text
    groups = _text_groups(text)
    assert list(groups) == ["reformatted", "modified", "new", "identical, moved"]
    for heading, paths in groups.items():
        assert paths == sorted(paths), heading
        assert f"{heading} ({len(paths)}):" in text
    listed = {path: heading for heading, paths in groups.items() for path in paths}
    unlisted = 0
    for record in report["files"]:
        if record["kind"] == "identical" and not record["moved"]:
            assert record["path"] not in listed
            unlisted += 1
        else:
            expected = "identical, moved" if record["kind"] == "identical" else record["kind"]
            assert listed.get(record["path"]) == expected, record["path"]
    assert len(groups["new"]) == NEW_FILES + 1 == report["summary"]["by_kind"]["new"]
    assert f"{unlisted} files identical to the upstream file at the same path, not listed" in text
    assert "  core/pprint.py: reformatted from core:same path" in text
    assert "no change notice; 1 commit since the merge base; owes change-notice" in text
