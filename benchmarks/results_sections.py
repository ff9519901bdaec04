"""RESULTS.md is shared by several benchmarks: each owns one marked section and never touches the others.

A section is the text between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``; writing one
replaces it in place, or appends it when the file has none yet. The transformers benchmark,
which writes the top of the file, keeps every marked section it finds.
"""

from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"<!-- (?P<name>[a-z-]+):start -->.*?<!-- (?P=name):end -->\n?", re.S)


def marked(name: str, body: str) -> str:
    return f"<!-- {name}:start -->\n{body.rstrip()}\n<!-- {name}:end -->\n"


def write_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` into the section ``name`` of ``path``, leaving everything else as it was."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = marked(name, body)
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip() + ("\n\n" if text.strip() else "") + block
    path.write_text(text, encoding="utf-8")


def sections_of(text: str) -> list[str]:
    """Every marked section in ``text``, in order, as it stands."""
    return [match.group(0).rstrip("\n") + "\n" for match in _SECTION.finditer(text)]
