"""Writing comments into a file's header: license tags, copyright lines, change notes.

Pure functions of a file's text and path. The comment syntax comes from
``lintml.facts.headers.comment_syntax``, the same table lintml reads headers with, with
a few corrections for writing: JSON and notebooks have no comments, and CSS, Vue,
Svelte and SVG only take block comments.

Where the lines go, in order of preference:

- never before what must stay first: a shebang, a PEP 263 encoding line or an editor
  modeline, an XML declaration or doctype, ``<?php``, CSS's ``@charset``, Swift's
  tools-version line, Dockerfile parser directives, a Markdown/HTML front matter block
  (a Hugging Face model card's metadata);
- right after a leading run of line comments that reads as a header (it mentions a
  copyright, a license or where the code came from), joined to it by a bare comment
  line, so the header stays one block;
- else at the top, before any docstring, block comment or other comment (a Go package
  comment must stay next to its package clause), followed by a blank line.

The file's newline style, byte-order mark and final newline (or its absence) are kept.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from lintml.facts.headers import CommentSyntax, comment_syntax

# JSON has no comments; a notebook is JSON, and a comment line in JSON Lines is a broken record.
_NO_COMMENTS = frozenset({".json", ".jsonl", ".ipynb"})
# Where only a block comment is valid: "//" is no CSS comment, and a .vue or .svelte file is
# markup at its top level; headers.py reads them as C-like, and SVG as its "#" default.
_BLOCK_ONLY = {
    ".css": ("/*", "*/"),
    ".vue": ("<!--", "-->"),
    ".svelte": ("<!--", "-->"),
    ".svg": ("<!--", "-->"),
}

_SHEBANG = "#!"
# PEP 263 encoding lines, and Emacs-style "-*- mode: ... -*-" lines, only count on line 1 or 2.
_CODING = re.compile(r"coding[:=]\s*[-\w.]+|-\*-.*-\*-")
_FIRST_LINE = re.compile(r"<\?xml\b|<!doctype\b|<\?php\b|@charset\b|//\s*swift-tools-version\b", re.IGNORECASE)
_DOCKER_DIRECTIVE = re.compile(r"#\s*[A-Za-z]\w*\s*=\s*\S")
_LUA_LONG_COMMENT = re.compile(r"--\[=*\[")
_FRONT_MATTER_ENDS = frozenset({"---", "..."})
# What makes a leading comment run a header to extend rather than a comment on the code below.
_HEADER_WORDS = re.compile(
    r"copyright|\(c\)|©|licen[cs]|spdx|rights\s+reserved|warranty"
    r"|\b(?:adapted|modified|derived|copied|ported|taken|borrowed)\s+from\b|\bbased\s+on\b",
    re.IGNORECASE,
)


# Characters some language, editor or terminal takes as a line break or a command. The text of a
# comment comes from an upstream (its copyright lines, URL, name), so it may be hostile: inside a
# comment these could end it early and turn the rest into code (Python ends a line at a lone CR,
# JavaScript at U+2028), reorder what a reviewer sees (bidirectional controls) or act on a screen.
_ENDS_OR_BENDS_A_COMMENT = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def comment_block(path: str, lines: Sequence[str]) -> list[str]:
    """Render text lines as comment lines in the language of `path` (no trailing newlines).

    One line comment per line where the language has line comments (an empty line gives
    the bare marker, ``#``); else one block, ``<!-- text -->`` for a single line. Raises
    ``ValueError`` for formats without comments (JSON, notebooks) and for text that would
    end the block early: a control character or line separator, or a line comment ending in
    a backslash (C and C++ splice the next line into it).
    """
    texts = [part.rstrip() for line in lines for part in line.split("\n")]
    if not texts:
        return []
    for text in texts:
        unsafe = _ENDS_OR_BENDS_A_COMMENT.search(text)
        if unsafe:
            raise ValueError(f"the text to add holds U+{ord(unsafe.group()):04X}, which could end the comment early")
    line_marker, block = _writing_syntax(path)
    if line_marker is not None and any(text.endswith("\\") for text in texts):
        raise ValueError("a line of the text to add ends in a backslash, which could join the next line to it")
    if line_marker is not None:
        return [f"{line_marker} {text}" if text else line_marker for text in texts]
    assert block is not None
    opening, closing = block
    if any(closing in text for text in texts):
        raise ValueError(f"{path}: {closing!r} in the text would end the comment early")
    if len(texts) == 1 and texts[0]:
        return [f"{opening} {texts[0]} {closing}"]
    if opening == "/*":
        return ["/*", *(f" * {text}" if text else " *" for text in texts), " */"]
    return [opening, *texts, closing]


def insert_header_lines(text: str, path: str, lines: Sequence[str]) -> str:
    """Return `text` with `lines` added as comments at the top of the file's header."""
    block = comment_block(path, lines)
    if not block:
        return text
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    body = text[len(bom) :]
    newline = _newline(body)
    pieces = re.findall(r"[^\n]*\n|[^\n]+\Z", body)  # lines with their endings; not splitlines(), which splits at \f
    bare = [piece.rstrip("\r\n") for piece in pieces]
    syntax = comment_syntax(path)
    markers = _line_markers(path, syntax)
    at = _prologue_end(bare, path, syntax, markers)
    run = _leading_comment_run(bare, at, syntax, markers)
    if run is not None and _HEADER_WORDS.search("\n".join(bare[run[0] : run[1]])):
        at = run[1]
        marker, _ = _writing_syntax(path)  # a run exists only where line comments do
        joiner = [] if bare[at - 1].strip() in markers else [str(marker)]
        new = [*joiner, *block]
    else:
        new = [*block, ""] if at < len(bare) and bare[at].strip() else block
    inserted = "".join(line + newline for line in new)
    before, after = "".join(pieces[:at]), "".join(pieces[at:])
    if before and not before.endswith("\n"):  # appending after a last line that has no newline
        before += newline
        inserted = inserted[: -len(newline)]
    return bom + before + inserted + after


def python_statement_start(text: str, line: int) -> int | None:
    """The first line (1-based) of the top-level Python statement that holds ``line``, its decorators
    included: where a comment can stand without landing inside a string. None when the text does not parse."""
    import ast

    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in tree.body:
        first = min([node.lineno, *(item.lineno for item in getattr(node, "decorator_list", ()))])
        if first <= line <= (node.end_lineno or node.lineno):
            return first
    starts = [node.lineno for node in tree.body if node.lineno >= line]
    return min(starts) if starts else None


def insert_lines_before(text: str, path: str, line: int, lines: Sequence[str]) -> str:
    """Return ``text`` with ``lines`` added as comments before its 1-based ``line`` (a statement's first line)."""
    block = comment_block(path, lines)
    if not block:
        return text
    newline = _newline(text)
    pieces = re.findall(r"[^\n]*\n|[^\n]+\Z", text)
    at = max(0, min(line - 1, len(pieces)))
    before, after = "".join(pieces[:at]), "".join(pieces[at:])
    if before and not before.endswith("\n"):
        before += newline
    return before + "".join(item + newline for item in block) + after


def _writing_syntax(path: str) -> tuple[str | None, tuple[str, str] | None]:
    """``(line marker, None)`` or ``(None, (opening, closing))`` to write comments in `path`."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _NO_COMMENTS:
        raise ValueError(f"{path}: the {suffix} format has no comments")
    if suffix in _BLOCK_ONLY:
        return None, _BLOCK_ONLY[suffix]
    syntax = comment_syntax(path)
    if syntax.line:
        return syntax.line[0], None
    if syntax.block:
        return None, syntax.block[0]
    raise ValueError(f"{path}: no comment syntax known")


def _line_markers(path: str, syntax: CommentSyntax) -> tuple[str, ...]:
    """Line-comment markers that start a comment wherever they stand first on a line."""
    if PurePosixPath(path).suffix.lower() in _BLOCK_ONLY:
        return ()
    # Fortran's fixed-form "c " would also match code such as "c = a + b".
    return tuple(marker for marker in syntax.line if not marker[0].isalpha())


def _is_line_comment(line: str, syntax: CommentSyntax, markers: tuple[str, ...]) -> bool:
    stripped = line.lstrip()
    if any(stripped.startswith(opening) for opening, _ in syntax.block) or _LUA_LONG_COMMENT.match(stripped):
        return False  # "--[[" opens a Lua block comment, not a "--" line comment
    return any(stripped.startswith(marker) for marker in markers)


def _prologue_end(lines: list[str], path: str, syntax: CommentSyntax, markers: tuple[str, ...]) -> int:
    """How many leading lines must stay where they are, first in the file."""
    if not lines:
        return 0
    end = 0
    first = lines[0].strip()
    if first.startswith(_SHEBANG) or _FIRST_LINE.match(first):
        end = 1
    for index in (0, 1):
        if index >= len(lines) or not _is_line_comment(lines[index], syntax, markers):
            continue
        if index == 1 and not (not first or first.startswith(_SHEBANG) or _is_line_comment(lines[0], syntax, markers)):
            break  # PEP 263: line 2 counts only after a comment or blank line 1
        if _CODING.search(lines[index]):
            end = max(end, index + 1)
    if _is_dockerfile(path):
        while end < len(lines) and _DOCKER_DIRECTIVE.match(lines[end].strip()):
            end += 1
    if end == 0 and not syntax.line and first == "---":  # front matter of a Markdown or HTML page
        for index in range(1, len(lines)):
            if lines[index].strip() in _FRONT_MATTER_ENDS:
                return index + 1
    return end


def _is_dockerfile(path: str) -> bool:
    name = PurePosixPath(path).name.lower()
    return name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile")


def _leading_comment_run(
    lines: list[str], start: int, syntax: CommentSyntax, markers: tuple[str, ...]
) -> tuple[int, int] | None:
    """``(first, past last)`` of the line comments that follow `start` and any blank lines."""
    first = start
    while first < len(lines) and not lines[first].strip():
        first += 1
    end = first
    while end < len(lines) and _is_line_comment(lines[end], syntax, markers):
        end += 1
    return (first, end) if end > first else None


def _newline(text: str) -> str:
    """The file's newline: the first line's ending, ``\\n`` when there is none."""
    position = text.find("\n")
    return "\r\n" if position > 0 and text[position - 1] == "\r" else "\n"
