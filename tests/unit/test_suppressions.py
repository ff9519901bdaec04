"""Inline suppressions are read in each language's own comment syntax, per line and per file."""

from __future__ import annotations

from lintml.api import check_source
from lintml.config import Config
from lintml.facts.headers import comment_syntax, find_suppressions
from lintml.repository import MemorySource

AGPL_TAG = "SPDX-License-Identifier: AGPL-3.0-only"


def conflicts(files: dict[str, str]) -> list[str]:
    result = check_source(MemorySource({"LICENSES/MIT.txt": "MIT License\n", **files}), Config())
    return [finding.path for finding in result.findings if finding.rule == "license-conflict"]


def test_line_suppression_in_each_comment_syntax() -> None:
    files = {
        "a.py": f"# {AGPL_TAG}  # lintml: ignore[license-conflict]\n",
        "b.cu": f"// {AGPL_TAG} // lintml: ignore[license-conflict]\n",
        "c.c": f"/* {AGPL_TAG} */ /* lintml: ignore[license] */\n",
        "d.lua": f"-- {AGPL_TAG} -- lintml: ignore\n",
        "e.py": f"# {AGPL_TAG}  # lintml: ignore[license-text]\n",
    }
    assert conflicts(files) == ["e.py"]


def test_file_suppression_anywhere_in_the_file() -> None:
    files = {
        "a.py": f"# {AGPL_TAG}\nx = 1\n# lintml: ignore-file[license-conflict]\n",
        "b.js": f"// {AGPL_TAG}\nlet x = 1;\n// lintml: ignore-file[model-card]\n",
    }
    assert conflicts(files) == ["b.js"]


def test_words_outside_comments_do_not_suppress() -> None:
    text = 'message = "lintml: ignore[license-conflict]"\n'
    assert find_suppressions(text, comment_syntax("a.py")).lines == ()
    markdown = "<!-- lintml: ignore-file[model-card-license-unknown] -->\n"
    assert find_suppressions(markdown, comment_syntax("README.md")).file == ("model-card-license-unknown",)
