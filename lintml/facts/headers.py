"""Text-level facts of a source file: its header block, SPDX tags and suppression comments.

Pure functions of a file's text and its comment syntax; no license matching here. The
header is the leading run of comments and docstrings, which is where license notices
and copyright lines live, so scancode never has to read a whole file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

MAX_HEADER_LINES = 200


@dataclass(frozen=True)
class CommentSyntax:
    line: tuple[str, ...]
    block: tuple[tuple[str, str], ...]
    docstrings: bool = False


HASH = CommentSyntax(line=("#",), block=())
PYTHON = CommentSyntax(line=("#",), block=(), docstrings=True)
C_LIKE = CommentSyntax(line=("//",), block=(("/*", "*/"),))
DASH = CommentSyntax(line=("--",), block=(("--[[", "]]"), ("{-", "-}")))
MARKUP = CommentSyntax(line=(), block=(("<!--", "-->"),))
PERCENT = CommentSyntax(line=("%",), block=())
LISP = CommentSyntax(line=(";",), block=())
FORTRAN = CommentSyntax(line=("!", "c ", "C "), block=())

_BY_SUFFIX: dict[str, CommentSyntax] = {
    **dict.fromkeys([".py", ".pyi", ".pyx", ".pxd", ".ipynb"], PYTHON),
    **dict.fromkeys(
        (".sh .bash .zsh .fish .ps1 .rb .pl .pm .r .jl .cmake .yaml .yml .toml .cfg .ini .txt .mk .dockerfile").split(),
        HASH,
    ),
    **dict.fromkeys(
        (
            ".c .h .cc .cpp .cxx .hpp .hh .hxx .cu .cuh .m .mm .metal .cl .js .mjs .cjs .ts .tsx .jsx "
            ".go .rs .java .kt .scala .swift .php .proto .dart .cs .css .scss .vue .svelte .json"
        ).split(),
        C_LIKE,
    ),
    **dict.fromkeys([".lua", ".sql", ".hs"], DASH),
    **dict.fromkeys([".md", ".html", ".htm", ".xml", ".rst"], MARKUP),
    **dict.fromkeys([".tex", ".sty"], PERCENT),
    **dict.fromkeys([".el", ".lisp", ".clj", ".scm"], LISP),
    **dict.fromkeys([".f", ".f90", ".f95"], FORTRAN),
}
_BY_NAME = {"makefile": HASH, "dockerfile": HASH, "cmakelists.txt": HASH}


def comment_syntax(path: str) -> CommentSyntax:
    name = path.rpartition("/")[2].lower()  # the name and suffix PurePosixPath gives, at string speed
    dot = name.rfind(".")
    return _BY_NAME.get(name) or _BY_SUFFIX.get(name[dot:] if 0 < dot < len(name) - 1 else "", HASH)


@dataclass(frozen=True)
class Header:
    """The leading comment/docstring block: ``(line_number, text)`` pairs, 1-based."""

    lines: tuple[tuple[int, str], ...]
    prose_lines: frozenset[int] = frozenset()  # lines inside a docstring, which is prose about the code

    @property
    def text(self) -> str:
        return "\n".join(text for _, text in self.lines)

    @property
    def start_line(self) -> int:
        return self.lines[0][0] if self.lines else 0


_DOCSTRING_OPEN = re.compile(r"""^[rRuUbB]{0,2}("{3}|'{3})""")
_ENCODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def extract_header(text: str, syntax: CommentSyntax, first_line: int = 1) -> Header:
    """The comments, docstrings and blank lines a file starts with, up to its first code."""
    lines = text.splitlines()[:MAX_HEADER_LINES]
    taken: list[tuple[int, str]] = []
    index = 0
    closing: str | None = None  # inside a block comment or docstring until this appears
    in_docstring = False
    prose: set[int] = set()
    while index < len(lines):
        raw = lines[index]
        stripped = raw.strip()
        number = index + first_line
        if closing is not None:
            taken.append((number, raw))
            if in_docstring:
                prose.add(number)
            if closing in stripped:
                closing = None
            index += 1
            continue
        if not stripped or (index == 0 and stripped.startswith("#!")) or _ENCODING.match(raw):
            taken.append((number, raw))  # blank lines too: the header's lines stay contiguous
            index += 1
            continue
        if any(stripped.startswith(marker) for marker in syntax.line):
            taken.append((number, raw))
            index += 1
            continue
        opened = opens_block(stripped, syntax)
        if opened is not None:
            taken.append((number, raw))
            in_docstring = opened[0] not in {opening for opening, _ in syntax.block}
            if in_docstring:
                prose.add(number)
            rest = stripped[len(opened[0]) :]
            if opened[1] not in rest:
                closing = opened[1]
            index += 1
            continue
        break
    return Header(lines=tuple(taken), prose_lines=frozenset(prose))


def opens_block(stripped: str, syntax: CommentSyntax) -> tuple[str, str] | None:
    """The opening and closing markers of the block comment or docstring a line starts, if it starts one."""
    for opening, closing in syntax.block:
        if stripped.startswith(opening):
            return opening, closing
    if syntax.docstrings:
        match = _DOCSTRING_OPEN.match(stripped)
        if match:
            return match.group(0), match.group(1)
    return None


# What may stand before a tag on its line: comment markers and space, never a quote (a string
# literal that mentions a tag is not one).
_TAG_PREFIX = re.compile(r"[\s#/*;!%<\-{(]*")
# Where a tag's value ends: a closing comment, a trailing comment, or a docstring's end.
_TAG_END = re.compile(r"\*/|-->|\s#|//|\s--\s|\"\"\"|'''|;")
_SPDX_EXPRESSION = re.compile(r"[\w.+:()\- ]+")


@dataclass(frozen=True)
class SpdxTag:
    expression: str
    line: int


def _tag_values(text: str, tag: str) -> list[tuple[str, int]]:
    """``(value, line)`` for each line where ``tag`` stands in a comment; linear in the text."""
    found = []
    start = 0
    counted, line = 0, 1  # lines are counted on from the last tag, not from the top again
    while (position := text.find(tag, start)) != -1:
        line_start = text.rfind("\n", 0, position) + 1
        line_end = text.find("\n", position)
        line_end = len(text) if line_end == -1 else line_end
        start = line_end
        if not _TAG_PREFIX.fullmatch(text, line_start, position):
            continue
        value = text[position + len(tag) : line_end]
        cut = _TAG_END.search(value)
        value = (value[: cut.start()] if cut else value).strip()
        if value:
            line += text.count("\n", counted, position)
            counted = position
            found.append((value, line))
    return found


def spdx_tags(text: str) -> tuple[SpdxTag, ...]:
    """Every ``SPDX-License-Identifier:`` tag in a comment, with its line. A cheap scan, no scancode."""
    if "SPDX-License-Identifier" not in text:
        return ()
    tags = []
    for value, line in _tag_values(text, "SPDX-License-Identifier:"):
        expression = _SPDX_EXPRESSION.match(value)
        if expression and expression.group().strip():
            tags.append(SpdxTag(" ".join(expression.group().split()), line))
    return tuple(tags)


def spdx_copyrights(text: str) -> tuple[tuple[str, int], ...]:
    if "SPDX-FileCopyrightText" not in text:
        return ()
    return tuple(_tag_values(text, "SPDX-FileCopyrightText:"))


# The list of ids is bounded: with none, an unclosed "[" made each "lintml:ignore[" of a long line scan to its end.
SUPPRESSION_COMMENT = re.compile(r"lintml:\s*ignore(?:-file)?\b(?:\[[^\]]{0,500}\])?")
_SUPPRESSION = re.compile(r"lintml:\s*(?P<scope>ignore-file|ignore)\b(?:\[(?P<ids>[^\]]{0,500})\])?")
ALL_RULES = "*"


@dataclass(frozen=True)
class Suppressions:
    """Inline ``lintml: ignore[ID]`` (per line) and ``lintml: ignore-file[ID]`` comments."""

    file: tuple[str, ...] = ()
    lines: tuple[tuple[int, tuple[str, ...]], ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {"file": list(self.file), "lines": [[line, list(ids)] for line, ids in self.lines]}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Suppressions:
        lines = data.get("lines") or []
        return cls(
            file=tuple(data.get("file") or ()),  # type: ignore[arg-type]
            lines=tuple((int(line), tuple(ids)) for line, ids in lines),  # type: ignore[union-attr]
        )


def find_suppressions(text: str, syntax: CommentSyntax) -> Suppressions:
    """Suppression comments written in the file's own comment syntax."""
    if "lintml:" not in text:
        return Suppressions()
    markers = syntax.line + tuple(opening for opening, _ in syntax.block)
    whole_file: list[str] = []
    per_line: list[tuple[int, tuple[str, ...]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "lintml:" not in line:
            continue
        for match in _SUPPRESSION.finditer(line):
            before = line[: match.start()]
            if not any(marker in before for marker in markers):
                continue  # the words appear in code or prose, not in a comment
            ids = tuple(part.strip() for part in (match.group("ids") or ALL_RULES).split(",") if part.strip())
            if match.group("scope") == "ignore-file":
                whole_file.extend(ids)
            else:
                per_line.append((number, ids))
    return Suppressions(file=tuple(whole_file), lines=tuple(per_line))


# The ways people say that a copied file was changed: "Modified from", "Adapted from",
# "Changes made by", "Modifications copyright 2024 ...", "with modifications", a CHANGES
# heading. Deliberately not "based on" or "copied from", which name an origin, not a change; but "inspired by"
# (the code is a rework of the origin, not a copy of it) and "copied from X and added Y" say what changed.
_CHANGE_NOTE = re.compile(
    r"""\b(?:modified|adapted|ported|forked|rewritten|altered|derived)\s+(?:from|by)\b
      | \b(?:changed|edited)\s+by\b
      | \bmodifications?\s+(?:copyright|\(c\)|©|by|made|to|for|from)\b
      | \bmodifications?\s*:
      | \bchanges?\s+(?:made|by|to\s+the\s+original|from\s+the\s+original)\b
      | \bwith\s+(?:some\s+|minor\s+|small\s+|local\s+)?(?:modifications|changes|adaptations|edits)\b
      | \b(?:this|the)\s+(?:file|code|module|source|implementation)\s+(?:has\s+been|was|is)
        \s+(?:modified|changed|adapted)\b
      | \bmodified\s+(?:version|copy|variant)\s+of\b
      | \b(?:ideas|components|inspiration)\s+(?:\w+\s+){0,3}?from\b
      | \binspired\s+by\b
      | \b(?:copied|taken)\s+from\b.{1,200}?\band\s+(?:add|added|adds|changed|removed|modified|replaced)\b
      | \bbut\s+(?:we|i)\s+(?:use|used|changed|replaced|removed|added|rewrote)\b
      | ^[\W_]*(?:changes|modifications|change\s+log|changelog)[\W_]*$
    """,
    re.I | re.X,
)
# In the body of a file only a comment that opens with the words counts ("# Adapted from ...");
# prose in a docstring ("a name derived from the string") is about the code, not its history.
# One run of blanks before the comment marker and one after it: two optional runs side by side made
# a marker followed by a few hundred blanks cost quadratic time, every such line.
_BODY_CHANGE_NOTE = re.compile(
    r"""^\s*(?:(?:\#|//|/\*|\*|--|;|%|[rRuU]?(?:\"\"\"|'''))\s*)?
        (?:(?:this|the)\s+\w+\s+(?:was|is|has\s+been)\s+)?
        (?:(?:modified|adapted|ported|forked|rewritten|altered|derived)\s+(?:from|by|for)\b
          |inspired\s+by\b
          |modifications?\s*(?:copyright|by|:|to\b)|modification\s+of\b)""",
    re.I | re.X,
)
MAX_CHANGE_NOTES = 20
_NOTE_CONTEXT = 2  # lines after a note that belong to it (a date or a name often follows)
_CHANGE_NOTE_HINT = re.compile(
    r"modif|adapt|derived|ported|changed|altered|forked|rewritten|edited|change|ideas|components|inspir|but\s+(?:we|i)\b"
    r"|\band\s+add",
    re.I,
)


def change_notes(text: str, syntax: CommentSyntax) -> tuple[tuple[int, str], ...]:
    """``(line, words)`` for each line saying the file was changed, with the lines that follow it.

    Any wording counts in the header (the leading comments and docstring); further down, only
    a comment that starts with it.
    """
    if not _CHANGE_NOTE_HINT.search(text):
        return ()
    header = {number for number, _ in extract_header(text, syntax).lines}
    lines = text.splitlines()
    found = []
    for index, line in enumerate(lines):
        if len(line) > 400:
            continue
        stripped = line.strip()
        in_header = index + 1 in header
        if not (in_header and _CHANGE_NOTE.search(stripped)) and not _BODY_CHANGE_NOTE.match(stripped):
            continue
        context = [stripped, *(item.strip() for item in lines[index + 1 : index + 1 + _NOTE_CONTEXT])]
        found.append((index + 1, " ".join(part for part in context if part)[:500]))
        if len(found) == MAX_CHANGE_NOTES:
            break
    return tuple(found)


# The change notice `lintml fix` writes. It names the upstream's license, but is a note about
# where the code came from, not the file's license statement (the SPDX tag beside it is).
_LINTML_CHANGE_NOTICE = re.compile(r"This file was modified from .{1,300}, licensed under [\w.+\-() ]{1,120}\.\s*$")


def lintml_change_notice(origin: str, license_id: str) -> str:
    """The first line of the change notice `lintml fix` adds: ``This file was modified from X, licensed under L.``"""
    return f"This file was modified from {origin}, licensed under {license_id}."


def is_lintml_change_notice(line: str) -> bool:
    return bool(_LINTML_CHANGE_NOTICE.search(line))


# What an upstream file says about where its own code came from ("Copied from openai/CLIP",
# "based on https://github.com/...", "inspired by Detectron2"): such a file may be a relay of a
# common ancestor rather than the origin of what a copy shares with it.
_CREDIT = re.compile(
    r"""\b(?:copied|adapted|adpated|ported|taken|borrowed|derived|modified|forked|extracted|lifted|vendored|translated
          |downloaded)
        \s+(?:\w+\s+){0,3}?from\b
      | \bfrom\s+(?:the\s+)?original\s+(?:at\b|in\b|here\b|:)
      | \b(?:is|are|was|were)\s+referred\s+(?:to|from)\b
      | \bbased\s+(?:on|upon)\b
      | \binspired\s+by\b
      | \b(?:original|reference|official)\s+(?:\w+\s+)?(?:implementation|code|source|repo|repository)s?\b
      | \bcredits?\s*(?:to\b|:)
      | \b(?:from|see)\s+https?://github\.com/""",
    re.I | re.X,
)
MAX_CREDITS = 20
# What may follow a credit's phrase at the end of its line when the origin it names is on the next line.
_AFTER_CREDIT = " \t:,.-*/#"
# Phrases of license texts that read like credits: BSD's "products derived from this software", the GPL's
# "a work based on the Program", Apache's "based on (or derived from) the Work".
_LICENSE_PHRASE = re.compile(
    r"derived\s+from\s+(?:this|the)\s+software|based\s+on\s+the\s+(?:program|library|work)\b"
    r"|based\s+on\s+\(or\s+derived\s+from\)",
    re.I,
)
_TRIPLE_QUOTE = re.compile(r'"""|\'\'\'')


def credit_lines(text: str, syntax: CommentSyntax) -> tuple[str, ...]:
    """Comment and docstring lines that credit another origin for the code."""
    return tuple(words for _, words in numbered_credit_lines(text, syntax))


def numbered_credit_lines(text: str, syntax: CommentSyntax) -> tuple[tuple[int, str], ...]:
    """``(line, words)`` of the comment and docstring lines that credit another origin for the code (1-based)."""
    # One pass of the pattern over the whole text finds the candidates; only their lines are judged.
    hits = list(_CREDIT.finditer(text))
    if not hits:
        return ()
    markers = syntax.line + tuple(opening for opening, _ in syntax.block) + ("*",)
    quotes = [found.start() for found in _TRIPLE_QUOTE.finditer(text)] if syntax.docstrings else []
    found: list[tuple[int, str]] = []
    seen: set[int] = set()
    counted, line = 0, 1  # lines are counted once, forward, as the hits come in order
    for hit in hits:
        start = text.rfind("\n", 0, hit.start()) + 1
        if start in seen:
            continue
        seen.add(start)
        end = text.find("\n", hit.start())
        stripped = text[start : end if end != -1 else len(text)].strip()
        # "# Copied from" with the address on the next comment line: the credit goes on there.
        if end != -1 and not text[hit.end() : end].strip(_AFTER_CREDIT):
            following = text.find("\n", end + 1)
            stripped = f"{stripped} {text[end + 1 : following if following != -1 else len(text)].strip()}"
        # Inside a docstring when an odd number of triple quotes come before the line.
        in_string = bisect.bisect_left(quotes, start) % 2 == 1
        prose = in_string or '"""' in stripped or "'''" in stripped or stripped.startswith(markers)
        if prose and len(stripped) < 300 and not _LICENSE_PHRASE.search(stripped):
            line += text.count("\n", counted, start)
            counted = start
            found.append((line, stripped))
            if len(found) == MAX_CREDITS:
                break
    return tuple(found)
