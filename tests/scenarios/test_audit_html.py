"""The HTML audit page: escaping, structure and determinism here; then the page in headless Chromium.

The browser test drives Debian's ``chromium`` over the DevTools protocol on a pipe (file
descriptors 3 and 4), with the standard library only: it loads the page, fails on any console
error, uncaught exception, dialog or network request, then sorts, filters and opens pairs as a
reader would. Without ``chromium`` it is skipped, except under CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import html5lib
import pytest

from lintml import api
from lintml.audit import KINDS
from lintml.report.audit_html import LINES_SHOWN, render_audit_html
from tests.forks import build_fork

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples"
SECTIONS = ("summary", "chart", "files", "pairs", "models", "obligations")
HOSTILE = '"""</script><script>window.pwned = 1; alert(1)</script> <b>bold</b> <!-- x"""\n'
QUOTED_PATH = "src/we\"ird'<name>&.py"

PROJECTION_RENAMES = [
    ("embed_dim", "dim", 7), ("channels", "ch", 6), ("queries", "q", 6), ("features", "feats", 5),
    ("projected", "h", 4), ("attended", "out", 3), ("padding", "mask", 3), ("cells", "nc", 3),
    ("grid_sizes", "sizes", 2), ("angles", "ang", 2), ("half", "hc", 2), ("keys", "kv", 2),
    ("sinusoid_table", "sin_table", 2), ("num_queries", "n_query", 2), ("Resampler", "Projection", 1),
]  # fmt: skip
TILING_RENAMES = [
    ("columns", "gx", 9), ("budget", "res", 8), ("patch_size", "ps", 8), ("tiles", "n_tiles", 6),
    ("grid", "g", 6), ("image", "img", 6), ("rows", "gy", 5), ("size", "sz", 5), ("max_tiles", "max_n", 4),
    ("snap_to_patches", "ensure_div", 4), ("tile_height", "th", 3), ("tile_width", "tw", 3),
    ("fit_within", "best_resize", 3), ("choose_grid", "pick_grid", 2), ("slice_image", "slice_img", 1),
]  # fmt: skip
NOTICES = ["Copyright 2024 The MiniVLM Authors.", 'Licensed under the Apache License, Version 2.0 (the "License");']


def _renames(pairs: list[tuple[str, str, int]]) -> list[dict[str, Any]]:
    return [{"from": old, "to": new, "count": count} for old, new, count in pairs]


def _file(path: str, kind: str = "new", **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "path": path, "kind": kind, "upstream": None, "upstream_path": None, "moved": False,
        "fork_share": None, "upstream_share": None, "lines": [], "upstream_lines": [], "renames": [],
        "stripped_notices": [], "change_notice": False, "change_notice_owed": False, "upstream_license": None,
        "owed": [], "commits": [], "also_from": [], "split_with": [],
    }  # fmt: skip
    entry.update(fields)
    return entry


def _finding(rule: str, severity: str, path: str, line: int | None, message: str, fix: str | None) -> dict[str, Any]:
    return {
        "rule": rule, "category": rule, "severity": severity, "path": path, "line": line, "end_line": line,
        "column": 1 if line else None, "message": message, "fix": fix, "license": "Apache-2.0",
        "upstream": None, "evidence": {},
    }  # fmt: skip


def example_report(*, hostile: bool = False) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """An audit of the shipped example fork against minivlm, written by hand after docs/audit-json.md."""
    fork_root, upstream_root = EXAMPLE / "vision-adapter", EXAMPLE / "upstreams" / "minivlm"
    pairs = {
        "src/vision_adapter/projection.py": "minivlm/resampler.py",
        "src/vision_adapter/tiling.py": "minivlm/image_slicing.py",
        "src/vision_adapter/__init__.py": "minivlm/__init__.py",
    }
    sources: dict[str, dict[str, str]] = {
        "fork": {path: (fork_root / path).read_text(encoding="utf-8") for path in pairs},
        "minivlm": {path: (upstream_root / path).read_text(encoding="utf-8") for path in pairs.values()},
    }
    files = [
        _file("LICENSE"),
        _file("README.md"),
        _file("models/chat/README.md"),
        _file("models/chat/config.json"),
        _file("models/small/README.md"),
        _file("notebooks/demo.ipynb"),
        _file("pyproject.toml"),
        _file(
            "src/vision_adapter/__init__.py",
            "partial",
            upstream="minivlm",
            upstream_path="minivlm/__init__.py",
            upstream_license="Apache-2.0",
            moved=True,
            fork_share=0.4,
            upstream_share=0.5,
            lines=[[3, 3], [5, 5]],
            upstream_lines=[[4, 4], [6, 6]],
            stripped_notices=["Copyright 2024 The MiniVLM Authors.", "SPDX-License-Identifier: Apache-2.0"],
        ),
        _file(
            "src/vision_adapter/projection.py",
            "renamed",
            upstream="minivlm",
            upstream_path="minivlm/resampler.py",
            upstream_license="Apache-2.0",
            change_notice_owed=True,
            owed=["change-notice", "copyright-notice"],
            moved=True,
            fork_share=1.0,
            upstream_share=1.0,
            lines=[[6, 48]],
            upstream_lines=[[22, 75]],
            renames=_renames(PROJECTION_RENAMES),
            stripped_notices=NOTICES,
            commits=[
                {
                    "sha": "9c1f0e2a7b3d4c5e6f708192a3b4c5d6e7f80912",
                    "date": "2026-11-20",
                    "author": "someone",
                    "summary": "rename the resampler",
                },
                {
                    "sha": "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
                    "date": "2026-11-18",
                    "author": "someone",
                    "summary": "import the upstream resampler",
                },
            ],
        ),
        _file("src/vision_adapter/resampler.py"),
        _file("src/vision_adapter/sampling.py"),
        _file(
            "src/vision_adapter/tiling.py",
            "renamed",
            upstream="minivlm",
            upstream_path="minivlm/image_slicing.py",
            upstream_license="Apache-2.0",
            change_notice_owed=True,
            owed=["change-notice", "copyright-notice"],
            moved=True,
            fork_share=1.0,
            upstream_share=0.96,
            lines=[[5, 67]],
            upstream_lines=[[21, 95]],
            renames=_renames(TILING_RENAMES),
            stripped_notices=NOTICES,
        ),
        _file("src/vision_adapter/train.py"),
    ]
    if hostile:
        sources["fork"][QUOTED_PATH] = HOSTILE + "def snap(length, patch):\n    return length // patch\n"
        sources["minivlm"]["minivlm/<b>odd</b>.py"] = "def snap_to_patches(length, patch_size):\n    return 0\n"
        files.append(
            _file(
                QUOTED_PATH, "modified", upstream="minivlm", upstream_path="minivlm/<b>odd</b>.py", fork_share=0.5,
                upstream_share=0.5, lines=[[2, 3]], upstream_lines=[[1, 2]],
                renames=[{"from": "snap_to_patches", "to": "snap", "count": 1}, {"from": "a|b(", "to": "</script>"}],
                stripped_notices=["<script>alert(2)</script>"],
                commits=[{"sha": "<x>", "date": "\"", "author": "<i>me</i>", "summary": "</script>"}],
            )
        )  # fmt: skip
        files.sort(key=lambda entry: entry["path"])
    by_kind = dict.fromkeys(("identical", "reformatted", "renamed", "modified", "partial", "new"), 0)
    for entry in files:
        by_kind[entry["kind"]] += 1
    report = {
        "format": "lintml-audit",
        "version": 1,
        "lintml": "0.1.0",
        "fork": {"source": "examples/vision-adapter", "root": "/abs/examples/vision-adapter", "ref": None,
                 "commit": None, "files": len(files), "code_files": 6},
        "upstreams": [
            {"name": "minivlm", "source": "examples/upstreams/minivlm", "ref": None, "commit": None,
             "version": "2.5.0", "license": "Apache-2.0", "files": 7, "code_files": 3, "merge_base": None}
        ],
        "summary": {
            "files": len(files), "by_kind": by_kind, "moved": 3, "split": 0, "merged": 0,
            "copied_lines": 108, "code_lines": 171, "copied_share": 0.6316,
            "upstream_files_used": 3, "upstream_code_files": 3, "seconds": 1.4,
        },
        "files": files,
        "models": [
            {
                "fork_path": "models/small", "upstream": "minivlm", "upstream_path": "weights",
                "config": {"relation": "identical", "differences": [], "compared": 9},
                "tokenizer": {"relation": "superset", "containment": 1.0, "extra_tokens": 2,
                              "description": "the same 32,000-token vocabulary and 2 more tokens"},
                "weights": {
                    "verdict": "derived", "score": 0.71, "reason": "most tensors correlate strongly",
                    "paired_by_name": 10, "paired_by_shape": 2, "unpaired_a": 0, "unpaired_b": 1,
                    "informative": 12, "strong": 9,
                    "evidence": [
                        {"a": f"layers.{n}.attn.q_proj.weight", "b": f"blocks.{n}.attn.q.weight", "paired": "shape",
                         "kind": "matrix", "correlation": round(0.95 - n * 0.07, 4), "samples": 4096}
                        for n in range(14)
                    ] + [{"a": "norm.weight", "b": "norm.weight", "paired": "name", "kind": "vector",
                          "correlation": None, "samples": 64}],
                },
                "related": True,
            }
        ],
        "obligations": [
            _finding("notice-file", "error", "NOTICE", None,
                     "2 files here came from minivlm 2.5.0 (Apache-2.0), which ships a NOTICE file, but this "
                     "repository has no NOTICE file with its attribution notices",
                     "copy the attribution notices of minivlm 2.5.0's NOTICE file into a NOTICE file"),
            _finding("attribution", "warning", "README.md", None,
                     "files here came from minivlm 2.5.0, and nothing in the repository names it",
                     "credit minivlm 2.5.0 in the README or in NOTICE"),
            _finding("change-notice", "error", "src/vision_adapter/projection.py", 1,
                     "this file came from minivlm 2.5.0, minivlm/resampler.py (Apache-2.0) and was modified, but it "
                     "carries no notice that it was changed", "add a comment at the top of this file (`lintml fix`)"),
            _finding("copyright-notice", "error", "src/vision_adapter/tiling.py", 1,
                     "the upstream file's notices are not kept: \"Copyright 2024 The MiniVLM Authors.\"",
                     "restore \"Copyright 2024 The MiniVLM Authors.\" and the Apache-2.0 license notice"),
            _finding("provenance", "info", "src/vision_adapter/tiling.py", 5,
                     "this file's code comes from minivlm 2.5.0 (minivlm/image_slicing.py, Apache-2.0)", None),
        ],
    }  # fmt: skip
    if hostile:
        report["obligations"].append(
            _finding("change-notice", "error", QUOTED_PATH, 2, "<script>alert(3)</script>", "<b>fix</b>")
        )
    return report, sources


def _data_block(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', page, re.S)
    assert match, "the data block is missing"
    return json.loads(match.group(1))


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _elements(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


# -- the page as text ------------------------------------------------------------------------


def test_every_section_is_there_with_a_stable_id() -> None:
    report, sources = example_report()
    ids = _elements(render_audit_html(report, sources)).ids
    for section in SECTIONS:
        assert ids.count(section) == 1, section
    assert len(ids) == len(set(ids)), "ids are unique"
    assert {"pair-7", "pair-8", "pair-11", "file-table", "similarity-chart", "audit-data"} <= set(ids)


def test_the_page_is_valid_html5_and_self_contained() -> None:
    report, sources = example_report(hostile=True)
    page = render_audit_html(report, sources)
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)  # raises on any parse error
    elements = _elements(page)
    assert page.startswith("<!DOCTYPE html>\n")
    for tag, attributes in elements.tags:
        for name in ("src", "href"):
            value = attributes.get(name)
            assert value is None or value.startswith(("#", "data:")), (tag, name, value)
        assert tag not in {"iframe", "img", "object", "embed"}
    assert [tag for tag, _ in elements.tags].count("script") == 2  # the data, the page's script
    outside_data = re.sub(r'(id="audit-data">).*?</script>', r"\1</script>", page, flags=re.S)
    assert "http://" not in outside_data.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in outside_data and "@import" not in outside_data and "url(" not in outside_data


def test_the_content_security_policy_allows_exactly_the_pages_script() -> None:
    report, sources = example_report(hostile=True)
    page = render_audit_html(report, sources)
    elements = _elements(page)
    policy = next(
        attrs["content"] for tag, attrs in elements.tags if attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert policy is not None and "default-src 'none'" in policy
    script = elements.scripts[-1]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    assert f"script-src 'sha256-{digest}'" in policy


def test_file_texts_paths_and_messages_are_escaped() -> None:
    report, sources = example_report(hostile=True)
    page = render_audit_html(report, sources)
    # The only script elements are the two the page writes; nothing a file holds opens or closes one.
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<b>" not in page and "<i>" not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page  # a finding's message
    assert "&lt;b&gt;fix&lt;/b&gt;" in page
    assert QUOTED_PATH not in page
    assert "src/we&quot;ird&#x27;&lt;name&gt;&amp;.py" in page
    # In the data block, "<", ">" and "&" are \u escapes; JSON.parse gives the texts back unchanged.
    block = page.split('id="audit-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "&" not in block
    data = _data_block(page)
    index = next(i for i, entry in enumerate(report["files"]) if entry["path"] == QUOTED_PATH)
    pair = data["pairs"][str(index)]
    assert "\n".join(pair["fork"]).startswith(HOSTILE.rstrip("\n"))
    assert pair["renames"] == [["snap_to_patches", "snap", 1], ["a|b(", "</script>", None]]
    assert pair["stripped_notices"] == ["<script>alert(2)</script>"]
    assert pair["commits"] == [["<x>", '"', "<i>me</i>", "</script>"]]


def test_the_same_report_gives_the_same_bytes() -> None:
    report, sources = example_report(hostile=True)
    first = render_audit_html(report, sources)
    shuffled_sources = {name: dict(reversed(list(texts.items()))) for name, texts in reversed(list(sources.items()))}
    assert render_audit_html(copy.deepcopy(report), shuffled_sources) == first
    assert render_audit_html(report, sources) == first


def test_pairs_are_rendered_lazily_from_the_data_block() -> None:
    report, sources = example_report()
    page = render_audit_html(report, sources)
    elements = _elements(page)
    views = [attrs for tag, attrs in elements.tags if attrs.get("class") == "pair-view"]
    assert len(views) == 3 and all(attrs.get("data-state") == "empty" for attrs in views)
    assert not any(tag in {"td", "tr"} and attrs.get("class", "") in {"ln", "src"} for tag, attrs in elements.tags)
    assert "ensure_div(width, ps)" not in page.split('id="audit-data"')[0]  # no code outside the data block
    data = _data_block(page)
    assert sorted(data["pairs"], key=int) == ["7", "8", "11"]
    tiling = data["pairs"]["11"]
    assert tiling["fork"][4] == "def ensure_div(l, ps):"
    # The copied regions face each other: lines 1-4 beside 1-20, then 5-67 beside 21-95.
    assert tiling["segments"] == [[1, 4, 1, 20, 0], [5, 67, 21, 95, 1]]
    assert data["pairs"]["7"]["segments"] == [[1, 2, 1, 3, 0], [3, 3, 4, 4, 1], [4, 4, 5, 5, 0], [5, 5, 6, 6, 1]]


def test_long_files_are_cut_and_missing_texts_are_noted() -> None:
    report, sources = example_report()
    sources["fork"]["src/vision_adapter/tiling.py"] = "".join(f"x_{n} = {n}\r\n" for n in range(1, 2501))
    del sources["minivlm"]["minivlm/resampler.py"]
    report["files"][11]["lines"], report["files"][11]["upstream_lines"] = [[10, 2400]], [[21, 95]]
    data = _data_block(render_audit_html(report, sources))
    tiling = data["pairs"]["11"]
    assert len(tiling["fork"]) == LINES_SHOWN and tiling["fork_total"] == 2500
    assert tiling["fork"][0] == "x_1 = 1"  # no "\r"
    assert tiling["segments"] == [[1, 9, 1, 20, 0], [10, LINES_SHOWN, 21, 95, 1]]
    projection = data["pairs"]["8"]
    assert projection["upstream"] is None and projection["upstream_total"] == 0
    assert projection["segments"] == [[1, len(projection["fork"]), 1, 0, 0]]


def test_a_bare_report_still_has_every_section() -> None:
    page = render_audit_html({}, {})
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert set(SECTIONS) <= set(_elements(page).ids)
    odd = {"path": "a.py", "kind": "odd", "upstream": "u", "upstream_path": "b.py", "lines": [[3, 1], "x"]}
    broken = {"files": [{**odd, "fork_share": "high", "renames": [{"from": 1}]}, "nonsense"],
              "summary": {"by_kind": {"odd": 1}}, "models": [{"weights": {"evidence": [{"correlation": "x"}]}}],
              "obligations": [{"severity": "fatal"}, 3]}  # fmt: skip
    page = render_audit_html(broken, {"fork": {"a.py": "x\n"}})
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert _data_block(page)["pairs"]["0"]["lines"] == []
    # Characters HTML does not allow (a NUL, a lone surrogate from undecodable bytes) become U+FFFD.
    odd_path = "src/nul\x00and\udcff.py"
    page = render_audit_html({"files": [{"path": odd_path, "kind": "new"}]}, {"fork": {odd_path: "\x00\udcff\n"}})
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    assert "src/nul\ufffdand\ufffd.py" in page
    page.encode("utf-8")


# -- the page in a browser -------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
    if found:
        return found
    reason = "chromium is not installed (apt-get install chromium); .ci/run installs it"
    if os.environ.get("CI", "").lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"{reason}, and CI must run the browser test")
    pytest.skip(reason)


def test_without_chromium_the_browser_tests_fail_in_ci_and_skip_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        _chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        _chromium()


class DevTools:
    """Chromium's DevTools protocol over --remote-debugging-pipe: NUL-separated JSON on fds 3 (in) and 4 (out)."""

    def __init__(self, executable: str, profile: Path, *, timeout: float = 60.0) -> None:
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def pipes_at_3_and_4() -> None:  # in the child, before exec: the two pipe ends the protocol expects
            inbound, outbound = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10), fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(inbound, 3)
            os.dup2(outbound, 4)

        self.process = subprocess.Popen(
            [executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", f"--user-data-dir={profile}",
             "--remote-debugging-pipe", "--window-size=1280,1600", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=pipes_at_3_and_4,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._buffer = b""
        self._next_id = 0
        self.session: str | None = None

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode("utf-8") + b"\0")
        reply = self._until(lambda item: item.get("id") == self._next_id)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method: str) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        return self._until(lambda item: item.get("method") == method)

    def _until(self, wanted: Any) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                item = json.loads(raw)
                if "method" in item:
                    self.events.append(item)
                if wanted(item):
                    return item
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise AssertionError("chromium did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise AssertionError(f"chromium closed the pipe (exit code {self.process.poll()})")
            self._buffer += chunk

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, log errors, dialogs and requests off the file."""
        self.evaluate("new Promise(done => setTimeout(done, 100))")  # let late events arrive
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in {"error", "assert", "warning"}:
                found.append(f"console.{params['type']}: {[arg.get('value') for arg in params.get('args', [])]}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(f"exception: {details.get('exception', {}).get('description') or details.get('text')}")
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in {"error", "warning"}:
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params.get('message')}")
            elif method == "Network.requestWillBeSent":
                url = params.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "about:")):
                    found.append(f"network request: {url}")
        return found

    def close(self) -> None:
        with contextlib.suppress(AssertionError):
            self.send("Browser.close", session=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read)
        os.close(self._write)


@pytest.fixture
def browser(tmp_path: Path) -> Any:
    devtools = DevTools(_chromium(), tmp_path / "profile")
    yield devtools
    devtools.close()


def _page(tmp_path: Path, *, hostile: bool) -> tuple[dict[str, Any], str]:
    report, sources = example_report(hostile=hostile)
    path = tmp_path / "audit.html"
    path.write_text(render_audit_html(report, sources), encoding="utf-8")
    return report, path.as_uri()


def test_the_browser_harness_sees_errors(tmp_path: Path, browser: DevTools) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="script-src \'none\'">'
        '<title>x</title></head><body><img src="http://127.0.0.1:9/x.png" alt=""><script>1</script></body></html>',
        encoding="utf-8",
    )
    browser.open(page.as_uri())
    browser.evaluate("console.error('boom'); setTimeout(() => { throw new Error('late'); }, 10)")
    problems = "\n".join(browser.problems())
    for expected in ("console.error: ['boom']", "exception:", "exception: Error: late", "network request: http://127.0.0.1:9/x.png",
                     "Content Security Policy"):  # fmt: skip
        assert expected in problems, problems


def test_the_page_works_in_chromium(tmp_path: Path, browser: DevTools) -> None:
    report, url = _page(tmp_path, hostile=False)
    browser.open(url)
    sections = browser.evaluate(
        "Array.from(document.querySelectorAll('main > section')).map(s => [s.id, s.getBoundingClientRect().height])"
    )
    assert [name for name, _ in sections] == list(SECTIONS)
    assert all(height > 40 for _, height in sections), sections
    assert browser.evaluate("document.querySelectorAll('#similarity-chart a.bar-link').length") == 3
    assert browser.evaluate("document.querySelectorAll('#file-table tbody tr').length") == len(report["files"])
    assert browser.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scrolling at 1280px

    def column(index: int) -> list[str]:
        return browser.evaluate(
            f"Array.from(document.querySelectorAll('#file-table tbody tr')).map(r => r.cells[{index}].dataset.v)"
        )

    paths = [entry["path"] for entry in report["files"]]
    by_kind = sorted(report["files"], key=lambda entry: (KINDS.index(entry["kind"]), entry["path"]))
    assert column(0) == [entry["path"] for entry in by_kind]  # changed files first, new ones last
    browser.evaluate("document.querySelector('#file-table th[data-key=path] button').click()")
    assert column(0) == sorted(paths)
    browser.evaluate("document.querySelector('#file-table th[data-key=path] button').click()")
    assert column(0) == sorted(paths, reverse=True)
    browser.evaluate("document.querySelector('#file-table th[data-key=fork_share] button').click()")
    shares = column(3)
    assert shares[:3] == ["0.400000", "1.000000", "1.000000"] and set(shares[3:]) == {""}
    browser.evaluate("document.querySelector('#file-table th[data-key=fork_share] button').click()")
    assert column(3)[:3] == ["1.000000", "1.000000", "0.400000"]
    assert browser.evaluate("document.querySelector('#file-table th[data-key=fork_share]').ariaSort") == "descending"

    visible = "Array.from(document.querySelectorAll('#file-table tbody tr')).filter(r => !r.hidden).length"
    browser.evaluate("{ const f = document.getElementById('file-filter'); f.value = 'vision_adapter/t';"
                     " f.dispatchEvent(new Event('input')); }")  # fmt: skip
    assert browser.evaluate(visible) == 2
    assert browser.evaluate("document.getElementById('file-count').textContent") == f"2 of {len(paths)} files"
    browser.evaluate("{ const f = document.getElementById('file-filter'); f.value = '';"
                     " const k = document.getElementById('kind-filter'); k.value = 'renamed';"
                     " k.dispatchEvent(new Event('change')); f.dispatchEvent(new Event('input')); }")  # fmt: skip
    assert browser.evaluate(visible) == 2

    # Nothing is drawn until a pair opens; following the table's link opens and draws that one.
    assert browser.evaluate("document.querySelectorAll('.pair-view tr').length") == 0
    browser.evaluate("document.querySelector('#file-table a[href=\"#pair-11\"]').click()")
    browser.evaluate("new Promise(done => setTimeout(done, 50))")
    assert browser.evaluate("document.getElementById('pair-11').open") is True
    assert browser.evaluate("document.querySelectorAll('.pair-view[data-state=rendered]').length") == 1
    view = "document.querySelector('#pair-11 .pair-view')"
    rows = browser.evaluate(
        f"Array.from({view}.querySelectorAll('tbody tr')).map(r => [r.cells[0].textContent, r.cells[2].textContent])"
    )
    facing = [(int(fork) if fork else None, int(upstream) if upstream else None) for fork, upstream in rows]
    assert [fork for fork, _ in facing if fork] == list(range(1, 68))  # every line once, in order, on each side
    assert [upstream for _, upstream in facing if upstream] == list(range(1, 96))
    assert (5, 21) in facing  # the copied regions start side by side (renames, docstrings and all)
    assert (10, 29) in facing  # "width, height = sz" beside "width, height = size": the same line, renamed
    assert (4, None) not in facing[20:]  # the gap before the region: fork 1-4 beside the upstream's header 1-20
    assert browser.evaluate(f"{view}.querySelectorAll('td.src.copied').length") == 63 + 75
    fork_marks = browser.evaluate(
        f"Array.from({view}.querySelectorAll('td.src:not(.right) mark')).map(m => m.textContent)"
    )
    upstream_marks = browser.evaluate(
        f"Array.from({view}.querySelectorAll('td.src.right mark')).map(m => m.textContent)"
    )
    assert {"ensure_div", "ps", "gx", "img"} <= set(fork_marks) and "l" not in fork_marks
    assert {"snap_to_patches", "patch_size", "columns", "image"} <= set(upstream_marks)
    assert "size" in upstream_marks and "sz" in fork_marks
    assert browser.evaluate(f"{view}.querySelector('td.src:not(.right) mark').title").startswith("renamed from ")
    assert browser.evaluate(f"{view}.querySelector('td.src.right mark').title").startswith("renamed to ")
    browser.evaluate("document.querySelector('#pair-11 .regions button').click()")

    # Opening a pair by its summary draws it too; a chart bar leads to its pair.
    browser.evaluate("document.querySelector('#pair-7 > summary').click()")
    browser.evaluate("new Promise(done => setTimeout(done, 50))")
    assert browser.evaluate("document.querySelectorAll('#pair-7 .pair-view tbody tr').length") >= 5
    browser.evaluate("location.hash = '#pair-8'")
    browser.evaluate("new Promise(done => setTimeout(done, 50))")
    assert browser.evaluate("document.getElementById('pair-8').open") is True
    assert browser.evaluate("document.querySelectorAll('#pair-8 .pair-view tbody tr').length") > 40
    assert browser.problems() == []


def test_hostile_texts_stay_text_in_chromium(tmp_path: Path, browser: DevTools) -> None:
    report, url = _page(tmp_path, hostile=True)
    browser.open(url)
    index = next(i for i, entry in enumerate(report["files"]) if entry["path"] == QUOTED_PATH)
    browser.evaluate(f"document.getElementById('pair-{index}').open = true")
    browser.evaluate("new Promise(done => setTimeout(done, 50))")
    view = f"document.querySelector('#pair-{index} .pair-view')"
    first_line = browser.evaluate(f"{view}.querySelector('tbody td.src').textContent")
    assert first_line == HOSTILE.splitlines()[0]
    assert browser.evaluate("window.pwned === undefined && document.querySelectorAll('main b, main i').length === 0")
    assert browser.evaluate(f"{view}.querySelectorAll('script').length") == 0
    assert browser.evaluate("document.scripts.length") == 2
    assert browser.evaluate(f"{view}.querySelector('thead th').textContent") == f"fork: {QUOTED_PATH}"
    meta = f"document.querySelector('#pair-{index} dl.meta')"
    assert browser.evaluate(f"{meta}.querySelector('ul code').textContent") == "<script>alert(2)</script>"
    assert browser.evaluate(f"{meta}.querySelectorAll('code.to')[1].textContent") == "</script>"
    assert browser.evaluate(f"{meta}.querySelectorAll('script').length") == 0
    # The renamed "a|b(" is matched as text, not as a pattern: "a" and "b(" alone are not marked.
    assert browser.evaluate(f"{view}.querySelectorAll('td.src.right mark').length") == 1
    assert browser.problems() == []


def test_a_real_forks_page_shows_changed_files_first_and_change_notices_only_where_owed(
    tmp_path: Path, browser: DevTools
) -> None:
    fork = build_fork(tmp_path)
    result = api.audit(fork.root, [str(fork.core), str(fork.helpers)])
    report = result.as_json()
    page = tmp_path / "audit.html"
    page.write_text(render_audit_html(report, result.sources), encoding="utf-8")
    browser.open(page.as_uri())
    rows = "Array.from(document.querySelectorAll('#{} tbody tr'))"
    cells = ".map(r => [r.cells[0].dataset.v, r.dataset.kind, r.cells[7].textContent, r.checkVisibility()])"
    changed = browser.evaluate(rows.format("file-table") + cells)
    identical = browser.evaluate(rows.format("identical-table") + cells)
    # Every file is there once: the changed and new ones first, in kind order, then the identical ones, folded.
    expected = sorted(
        (entry for entry in report["files"] if entry["kind"] != "identical"),
        key=lambda entry: (KINDS.index(entry["kind"]), entry["path"]),
    )
    assert [(path, kind) for path, kind, _, _ in changed] == [(entry["path"], entry["kind"]) for entry in expected]
    assert sorted(path for path, _, _, _ in identical) == sorted(
        entry["path"] for entry in report["files"] if entry["kind"] == "identical"
    )
    assert {kind for _, kind, _, _ in identical} == {"identical"} and len(identical) == 22
    assert all(shown for *_, shown in changed) and not any(shown for *_, shown in identical)
    assert browser.evaluate("document.getElementById('identical-files').open") is False
    # A verdict only where a change notice is owed: modified code from Apache-2.0 code.
    notice = {path: text for path, _, text, _ in changed + identical}
    assert notice["core/pprint.py"] == "missing" and notice["core/heapq.py"] == "yes"
    for path in ("LICENSE", "PKG-INFO", "NOTICE", "core/bisect.py", "core/shlex.py", "lib/calendar_tools.py",
                 "README.md", "core/sched.py"):  # fmt: skip
        assert notice[path] == "not owed", path
    assert notice["ours/compile_tools.py"] == "—"
    assert [path for path, text in notice.items() if text not in ("not owed", "—")] == [
        "core/heapq.py",
        "core/pprint.py",
    ]
    # The summary says what the JSON says.
    facts = browser.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('dl.facts dt'))"
        ".map(dt => [dt.textContent, dt.nextElementSibling.textContent]))"
    )
    summary = report["summary"]
    assert facts["upstream files the fork holds"] == (
        f"{summary['upstream_files_used']} of {summary['upstream_files']} upstream files, whole or in part"
        f" ({summary['upstream_code_files_used']} of {summary['upstream_code_files']} code files)"
    )
    assert facts["stripped notices"].startswith(f"{summary['stripped_notices']} in 3 files (owed")
    assert facts["obligations owed"].startswith(f"{len(report['obligations'])}: ")
    assert browser.evaluate("document.querySelectorAll('table.obligations tbody tr').length") == len(
        report["obligations"]
    )
    # Asking for identical files unfolds them; following the link to an identical pair unfolds its section.
    browser.evaluate("{ const k = document.getElementById('kind-filter'); k.value = 'identical';"
                     " k.dispatchEvent(new Event('change')); }")  # fmt: skip
    assert browser.evaluate("document.getElementById('identical-files').open") is True
    assert (
        browser.evaluate("document.getElementById('file-count').textContent") == f"22 of {len(report['files'])} files"
    )
    index = next(i for i, entry in enumerate(report["files"]) if entry["path"] == "LICENSE")
    assert browser.evaluate("document.getElementById('identical-pairs').open") is False
    browser.evaluate(f"location.hash = '#pair-{index}'")
    browser.evaluate("new Promise(done => setTimeout(done, 50))")
    assert browser.evaluate(f"document.getElementById('pair-{index}').open") is True
    assert browser.evaluate("document.getElementById('identical-pairs').open") is True
    assert "not owed" in browser.evaluate(f"document.querySelector('#pair-{index} dl.meta').textContent")
    assert browser.problems() == []
