"""Obligations of upstream licenses on copied code, on real git repositories.

Apache-2.0 §4(d) NOTICE files, §4(a) license texts and copyleft conflicts of derived code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.copying import rename, stdlib_source, strip_and_reformat
from tests.helpers import MIT_TEXT, commit, findings, index_upstream, invoke_lintml

UPSTREAM_NOTICE = "Textkit\nCopyright 2024 The Textkit Authors\n=======\nThis product includes software from Textkit.\n"
TEXTWRAP_COPY = {
    "LICENSE": MIT_TEXT,
    "src/fold.py": rename(strip_and_reformat(stdlib_source("textwrap")), {"TextWrapper": "Folder"}),
}


def test_apache_upstream_notice_must_be_carried(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    # textkit's own line heads the file: it is textkit's code, not only a carrier of Python's (a file carrying
    # only other holders' lines makes its duties warnings: see test_origin_evidence).
    own = "# Copyright 2024 The Textkit Authors\n"
    upstream = make_repo(
        {"NOTICE": UPSTREAM_NOTICE, "textkit/wrapping.py": own + stdlib_source("textwrap")}, name="upstream"
    )
    index = index_upstream(tmp_path, "textkit", upstream, "Apache-2.0")
    local = make_repo(TEXTWRAP_COPY, name="local")

    def notice_findings() -> list[dict]:
        return findings(local, index, "notice-file")

    (finding,) = notice_findings()
    assert finding["path"] == "NOTICE" and finding["severity"] == "error" and finding["license"] == "Apache-2.0"
    assert "textkit" in finding["message"] and "src/fold.py" in finding["message"] and "§4(d)" in finding["message"]
    assert '"Textkit"' in finding["message"] and "(and 2 more lines)" in finding["message"]
    assert finding["upstream"]["name"] == "textkit"

    commit(local, "NOTICE", "Textkit\nCopyright 2024 The Textkit Authors\n")
    (finding,) = notice_findings()  # still one line short
    assert '"This product includes software from Textkit."' in finding["message"]

    commit(
        local,
        "NOTICE",
        "Our project\n\nIt includes code from Textkit:\n  textkit\n  COPYRIGHT 2024 The Textkit Authors\n"
        "This product includes software from Textkit.\n",
    )
    assert notice_findings() == []  # case and spacing aside, every attribution line is there


def test_an_upstream_under_another_license_or_without_notice_owes_no_notice(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    with_notice = make_repo({"NOTICE": UPSTREAM_NOTICE, "a/wrapping.py": stdlib_source("textwrap")}, name="mit")
    without = make_repo({"b/queues.py": stdlib_source("heapq")}, name="plain")
    index_upstream(tmp_path, "mitkit", with_notice, "MIT")
    index = index_upstream(tmp_path, "queuekit", without, "Apache-2.0")
    local = make_repo(
        {"LICENSE": MIT_TEXT, "fold.py": stdlib_source("textwrap"), "queues.py": stdlib_source("heapq")}, name="local"
    )
    rules = {(item["rule"], item["path"]) for item in findings(local, index)}
    assert ("provenance", "fold.py") in rules and ("provenance", "queues.py") in rules
    assert not any(rule == "notice-file" for rule, _ in rules)


def test_derived_code_needs_its_upstream_license_text(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """Apache-2.0 §4(a) follows the code even when the copy stripped its header."""
    upstream = make_repo({"textkit/wrapping.py": stdlib_source("textwrap")}, name="upstream")
    index = index_upstream(tmp_path, "textkit", upstream, "Apache-2.0")
    local = make_repo(TEXTWRAP_COPY, name="local")

    (finding,) = findings(local, index, "license-text")
    assert finding["path"] == "src/fold.py" and finding["license"] == "Apache-2.0" and finding["line"] >= 1
    assert "its code came from textkit, textkit/wrapping.py" in finding["message"]
    assert finding["upstream"]["path"] == "textkit/wrapping.py"

    commit(local, "LICENSES/Apache-2.0.txt", "Apache License\nVersion 2.0, January 2004\n")
    assert findings(local, index, "license-text") == []


def test_renamed_copy_of_gpl_code_in_an_mit_project_is_a_conflict(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    upstream = make_repo({"gplkit/queues.py": stdlib_source("heapq")}, name="upstream")
    index = index_upstream(tmp_path, "gplkit", upstream, "GPL-3.0-only")
    renames = {"heappush": "push_item", "heappop": "pop_item", "_siftdown": "_bubble_up", "heap": "pq"}
    local = make_repo({"LICENSE": MIT_TEXT, "util/pq.py": rename(stdlib_source("heapq"), renames)}, name="local")

    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "json")

    (conflict,) = [item for item in json.loads(result.stdout)["findings"] if item["rule"] == "license-conflict"]
    assert result.returncode == 1 and conflict["path"] == "util/pq.py" and conflict["license"] == "GPL-3.0-only"
    assert "its code came from gplkit, gplkit/queues.py" in conflict["message"] and "MIT" in conflict["message"]
    reported = {(item["from"], item["to"]) for item in conflict["upstream"]["renames"]}
    assert set(renames.items()) <= reported
    assert "heappush -> push_item" in conflict["evidence"]["renamed_identifiers"]
