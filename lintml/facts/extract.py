"""Content -> facts for one file, cached by content hash.

The order of work keeps the expensive parts rare: SPDX tags by regex, header notices
from the shipped table of known notice texts, scancode only for headers and license
files the table cannot explain, and each distinct header block or copyright block is
analysed once per run (and once ever, through the cache).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lintml import __version__, repository
from lintml.bounded_json import JSONInputError, load_json
from lintml.facts.cache import FactCache
from lintml.facts.headers import (
    SUPPRESSION_COMMENT,
    CommentSyntax,
    Header,
    SpdxTag,
    Suppressions,
    change_notes,
    comment_syntax,
    extract_header,
    find_suppressions,
    is_lintml_change_notice,
    numbered_credit_lines,
    spdx_copyrights,
    spdx_tags,
)
from lintml.facts.model_card import ModelCard, parse_model_card

if TYPE_CHECKING:
    from lintml.facts.notice_table import TextLicenses

# Bump when extraction changes, so cached facts from older versions are not reused.
FACTS_VERSION = "19"

# scancode's copyright grammar takes time superlinear in a line's length (two 1 MB lines took 28 s);
# a real copyright statement fits in a few hundred characters, so each line is read up to this many.
MAX_COPYRIGHT_LINE = 1000
_COPYRIGHT_WORDS = re.compile(r"copyright|\(c\)|©|\bcopr\.", re.I)
_BINARY_SNIFF = 8192
# Notebooks are read whole (up to max-file-size, 2 MB by default); with outputs saved a real one can
# reach tens of MB, beyond which it is refused. They nest about six levels deep (bounded_json's cap
# applies); cells, outputs and their line lists stay far below these counts.
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
MAX_NOTEBOOK_ITEMS = 4_000_000
MAX_NOTEBOOK_CONTAINERS = 1_000_000


@dataclass(frozen=True)
class Notice:
    """A license statement found in a file: an SPDX expression and the lines it spans."""

    expression: str
    start_line: int
    end_line: int
    kind: str  # notice | text | tag | reference | intro | spdx
    source: str  # spdx | table | scancode


# Kinds of notice that state a file's own license ("intro" lines such as "licensed under the
# following terms" say nothing on their own).
STATING_KINDS = frozenset({"notice", "text", "tag", "reference", "spdx"})

# What the notice table answers for "licensed under the license found in the LICENSE file in the root
# directory of this source tree" (Meta's header; scripts/notice_table_extras.yaml): a reference to the
# root license of whatever project holds the file, which a file's facts cannot know. The project reads
# it as its root license (lintml.project), and marks the notice it makes so with this source.
ROOT_LICENSE_REFERENCE = "LicenseRef-lintml-root-license-file"
ROOT_LICENSE_SOURCE = "root-license"


@dataclass(frozen=True)
class CopyrightLine:
    statement: str
    holder: str | None
    line: int


@dataclass(frozen=True)
class Problem:
    """Why a file could not be read as its kind; becomes an ``input`` finding."""

    check: str  # the check that reports it
    detail: str
    line: int | None = None


@dataclass(frozen=True)
class FileFacts:
    notices: tuple[Notice, ...] = ()
    copyrights: tuple[CopyrightLine, ...] = ()
    suppressions: Suppressions = field(default_factory=Suppressions)
    problems: tuple[Problem, ...] = ()
    model_card: ModelCard | None = None
    text: str | None = None  # kept only for manifests and NOTICE files, which checks read again
    change_notes: tuple[tuple[int, str], ...] = ()  # lines saying the file was changed ("Adapted from ...")
    credits: tuple[tuple[int, str], ...] = ()  # (line, words) of comments and docstrings saying where code came from
    header_end: int = 0  # the last line of the comments and docstrings the file starts with; 0 without any

    def as_dict(self) -> dict[str, Any]:
        return {
            "notices": [list(_astuple(item)) for item in self.notices],
            "copyrights": [list(_astuple(item)) for item in self.copyrights],
            "suppressions": self.suppressions.as_dict(),
            "problems": [list(_astuple(item)) for item in self.problems],
            "model_card": self.model_card.as_dict() if self.model_card else None,
            "text": self.text,
            "change_notes": [list(item) for item in self.change_notes],
            "credits": [list(item) for item in self.credits],
            "header_end": self.header_end,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileFacts:
        """What :meth:`as_dict` wrote; ValueError, TypeError or KeyError for anything else (a damaged cache)."""
        card = data.get("model_card")
        if card is not None and not isinstance(card.get("metadata"), dict | None):
            raise ValueError("a model card whose metadata is not a mapping")
        if not isinstance(data.get("text"), str | None):
            raise ValueError("a text that is not a string")
        return cls(
            notices=_notices(data["notices"]),
            copyrights=_copyright_lines(data["copyrights"]),
            suppressions=Suppressions.from_dict(data["suppressions"]),
            problems=tuple(Problem(*item) for item in _records(data["problems"], _PROBLEM_FIELDS)),
            model_card=ModelCard.from_dict(card) if card else None,
            text=data.get("text"),
            change_notes=tuple((int(line), str(words)) for line, words in data.get("change_notes") or ()),
            credits=tuple((int(line), str(words)) for line, words in data.get("credits") or ()),
            header_end=int(data.get("header_end") or 0),
        )


def _astuple(item: Any) -> tuple[Any, ...]:
    return tuple(getattr(item, name) for name in item.__dataclass_fields__)


# The types of each field of a record as the cache stores it (a list), checked on reading it back.
_NOTICE_FIELDS: tuple[type | tuple[type, ...], ...] = (str, int, int, str, str)
_COPYRIGHT_FIELDS: tuple[type | tuple[type, ...], ...] = (str, (str, type(None)), int)
_PROBLEM_FIELDS: tuple[type | tuple[type, ...], ...] = (str, str, (int, type(None)))


def _fields(item: Any, types: tuple[type | tuple[type, ...], ...]) -> list[Any]:
    """A cached record's fields, once they have the types given; ValueError otherwise."""
    if not isinstance(item, list) or len(item) != len(types):
        raise ValueError("a cached record of another shape")
    if not all(isinstance(value, kind) for value, kind in zip(item, types, strict=True)):
        raise ValueError("a cached record with values of other types")
    return item


def _records(cached: Any, types: tuple[type | tuple[type, ...], ...]) -> list[list[Any]]:
    if not isinstance(cached, list):
        raise ValueError("cached records that are not a list")
    return [_fields(item, types) for item in cached]


def _notices(cached: Any) -> tuple[Notice, ...]:
    return tuple(Notice(*item) for item in _records(cached, _NOTICE_FIELDS))


def _copyright_lines(cached: Any) -> tuple[CopyrightLine, ...]:
    return tuple(CopyrightLine(*item) for item in _records(cached, _COPYRIGHT_FIELDS))


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """Text of a file, or None with a problem when it is binary. Non-UTF-8 text is read as Latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    if b"\0" in data[:_BINARY_SNIFF]:
        return None, Problem("unreadable_input", "binary content where text was expected; the file was skipped")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        problem = Problem(
            "unreadable_input", "not valid UTF-8; read as Latin-1, so names and notices may be garbled", line
        )
        return data.decode("latin-1"), problem


class FactExtractor:
    """Extracts and caches facts; holds the per-run memo of header and copyright blocks."""

    def __init__(self, cache: FactCache) -> None:
        self.cache = cache
        self._license_memo: dict[str, tuple[Notice, ...]] = {}
        self._copyright_memo: dict[str, tuple[CopyrightLine, ...]] = {}
        self._keys: dict[tuple[str, str], str] = {}  # (path, sha256) -> cache key

    def facts(self, item: repository.RepoFile, data: bytes, digest: str | None = None) -> FileFacts:
        """The facts of a file whose bytes are ``data`` (``digest``: their sha256, when the caller has it)."""
        syntax = comment_syntax(item.path)
        key = self._key_of(item, digest or hashlib.sha256(data).hexdigest())
        cached = self.cache.get(key, FileFacts.from_dict)
        if cached is not None:
            return cached
        facts = self._extract(item, data, syntax)
        self.cache.put(key, facts.as_dict())
        return facts

    def cached(self, item: repository.RepoFile, digest: str) -> FileFacts | None:
        """The facts cached for a file whose bytes have this sha256, or None."""
        return self.cache.get(self._key_of(item, digest), FileFacts.from_dict)

    def prefetch(self, files: Iterable[tuple[repository.RepoFile, str]]) -> None:
        """Have the cache read ahead the facts of these files (each with the sha256 of its bytes)."""
        self.cache.prefetch(self._key_of(item, digest) for item, digest in files)

    def _key_of(self, item: repository.RepoFile, digest: str) -> str:
        """The cache key of a file's facts, worked out once a run (prefetch, then the lookup, ask for it)."""
        key = self._keys.get((item.path, digest))
        if key is None:
            mode = "reuse" if _is_reuse_text(item.path) else "notice" if _is_notice_file(item.path) else ""
            syntax = _syntax_name(comment_syntax(item.path))
            key = f"file:{FACTS_VERSION}:{__version__}:{table_version()}:{item.kind}:{mode}:{syntax}:{digest}"
            self._keys[(item.path, digest)] = key
        return key

    def _extract(self, item: repository.RepoFile, data: bytes, syntax: CommentSyntax) -> FileFacts:
        text, problem = decode(data)
        problems = (problem,) if problem else ()
        if text is None:
            return FileFacts(problems=problems)
        if item.kind == repository.NOTEBOOK:
            return self._notebook(text, problems)
        if item.kind in (repository.PYTHON, repository.CODE):
            return self._source(text, syntax, problems)
        if item.kind == repository.LICENSE:
            # REUSE names the license in the file name (LICENSES/<id>.txt) and a NOTICE file carries
            # attributions, not license texts: the table's answer is enough, scancode is not woken.
            use_scancode = not (_is_reuse_text(item.path) or _is_notice_file(item.path))
            return FileFacts(
                notices=self._licenses_in(text, whole_file=True, use_scancode=use_scancode),
                copyrights=self._copyrights_in(tuple(enumerate(text.splitlines()[:400], start=1))),
                suppressions=find_suppressions(text, syntax),
                problems=problems,
                # A NOTICE file's attributions are compared with the upstreams' (Apache-2.0 §4(d)).
                text=text if _is_notice_file(item.path) else None,
            )
        if item.kind == repository.MODEL_CARD:
            card = parse_model_card(text)
            card_problems = problems
            if card.problem:
                card_problems += (Problem("model_card_front_matter", card.problem, card.problem_line),)
            return FileFacts(model_card=card, problems=card_problems, suppressions=find_suppressions(text, syntax))
        if item.kind == repository.MANIFEST:
            return FileFacts(text=text, problems=problems, suppressions=find_suppressions(text, syntax))
        return FileFacts(problems=problems, suppressions=find_suppressions(text, syntax))

    def _source(self, text: str, syntax: CommentSyntax, problems: tuple[Problem, ...]) -> FileFacts:
        header = extract_header(text, syntax)
        notices = self._tag_notices(spdx_tags(text)) + self._licenses_in_header(header)
        copyrights = self._copyrights_in(header.lines) + tuple(
            CopyrightLine(statement, None, line) for statement, line in spdx_copyrights(text)
        )
        return FileFacts(
            notices=_unique(notices),
            copyrights=_unique(copyrights),
            suppressions=find_suppressions(text, syntax),
            problems=problems,
            change_notes=change_notes(text, syntax),
            credits=numbered_credit_lines(text, syntax),
            header_end=header.lines[-1][0] if header.lines else 0,
        )

    def _notebook(self, text: str, problems: tuple[Problem, ...]) -> FileFacts:
        try:
            document = load_json(
                text,
                max_bytes=MAX_NOTEBOOK_BYTES,
                max_items=MAX_NOTEBOOK_ITEMS,
                max_containers=MAX_NOTEBOOK_CONTAINERS,
            )
        except JSONInputError as error:
            reason = f"notebook is {error.reason}" if error.reason.startswith("not ") else f"notebook: {error.reason}"
            return FileFacts(problems=(*problems, Problem("unreadable_input", reason)))
        cells = document.get("cells") if isinstance(document, dict) else None
        if not isinstance(cells, list):
            return FileFacts(problems=(*problems, Problem("unreadable_input", "notebook has no list of cells")))
        code = []
        for cell in cells:
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                source = cell.get("source", "")
                parts = source if isinstance(source, list) else [source]
                code.append("".join(part if isinstance(part, str) else str(part) for part in parts))
        if not code:
            return FileFacts(problems=problems)
        # Notebook cells have no stable line numbers in the file: notices report line 0 (file level).
        header = extract_header(code[0], comment_syntax("cell.py"))
        notices = self._tag_notices(spdx_tags("\n".join(code))) + self._licenses_in_header(header)
        copyrights = self._copyrights_in(header.lines)
        strip = _at_file_level
        return FileFacts(
            notices=tuple(strip(item) for item in _unique(notices)),
            copyrights=tuple(strip(item) for item in _unique(copyrights)),
            suppressions=find_suppressions("\n".join(code), comment_syntax("cell.py")),
            problems=problems,
            change_notes=tuple((0, words) for _, words in change_notes("\n".join(code), comment_syntax("cell.py"))),
        )

    @staticmethod
    def _tag_notices(tags: tuple[SpdxTag, ...]) -> tuple[Notice, ...]:
        return tuple(Notice(tag.expression, tag.line, tag.line, "spdx", "spdx") for tag in tags)

    def _licenses_in_header(self, header: Header) -> tuple[Notice, ...]:
        # Blank copyright lines (keeping line numbers) so headers that differ only in year or holder
        # share one analysis, and keep only the paragraphs with license words in them: the same notice
        # followed by other comments ("References: ...") is the same text to analyse, answered alike.
        shaped = _notice_paragraphs(_without_disowned(list(header.lines)), _without_copyright_statement)
        if not shaped:
            return ()
        offset = shaped[0][0] - 1
        shifted = (
            Notice(item.expression, item.start_line + offset, item.end_line + offset, item.kind, item.source)
            for item in self._licenses_in("\n".join(line for _, line in shaped), whole_file=False)
        )
        # A docstring is prose about the code: a license *named* there ("unlike the GPL ...") is not
        # the file's license, while a full notice or license text in it still is.
        return tuple(
            item
            for item in shifted
            if item.kind in _STATEMENT_KINDS
            or not all(line in header.prose_lines for line in range(item.start_line, item.end_line + 1))
        )

    def _licenses_in(self, text: str, whole_file: bool, use_scancode: bool = True) -> tuple[Notice, ...]:
        digest = hashlib.sha256(f"{whole_file}:{use_scancode}:{text}".encode("utf-8", "surrogatepass")).hexdigest()
        if digest in self._license_memo:
            return self._license_memo[digest]
        key = f"licenses:{FACTS_VERSION}:{table_version()}:{digest}"
        cached = self.cache.get(key, _notices)
        if cached is not None:
            found = cached
        else:
            found = _match_licenses(text, whole_file, use_scancode)
            self.cache.put(key, [list(_astuple(item)) for item in found])
        self._license_memo[digest] = found
        return found

    def _copyrights_in(self, lines: tuple[tuple[int, str], ...]) -> tuple[CopyrightLine, ...]:
        wanted = [(number, line) for number, line in lines if _COPYRIGHT_WORDS.search(line)]
        if not wanted:
            return ()
        # scancode's grammar wants a little context around each copyright line.
        numbers = {number for number, _ in wanted}
        context = [
            (number, line[:MAX_COPYRIGHT_LINE]) for number, line in lines if {number - 1, number, number + 1} & numbers
        ]
        digest = hashlib.sha256(json.dumps(context).encode("utf-8", "surrogatepass")).hexdigest()
        if digest in self._copyright_memo:
            return self._copyright_memo[digest]
        key = f"copyrights:{FACTS_VERSION}:{digest}"
        cached_lines = self.cache.get(key, _copyright_lines)
        if cached_lines is not None:
            found = cached_lines
        else:
            from lintml.facts import scancode_adapter

            found = tuple(
                CopyrightLine(item.statement, item.holder, item.line)
                for item in scancode_adapter.detect_copyrights(context)
            )
            self.cache.put(key, [list(_astuple(item)) for item in found])
        self._copyright_memo[digest] = found
        return found


_LICENSE_HINTS = re.compile(
    r"licen[cs]|copyleft|\bgpl|\bmit\b|\bbsd|apache|free software|warrant|permission|redistribut|spdx|public domain",
    re.I,
)


_STATEMENT_KINDS = frozenset({"notice", "text"})
# "copyright notice", "copyright holders", "copyright owner" and "copyright law" are words of a license text
# that may begin a line of it ("copyright notice, this list of conditions ..."): blanking them would cut a
# hole in the text, which the notice table then cannot match whole.
_COPYRIGHT_STATEMENT = re.compile(
    r"(?:^[\s#/*;!%<\-]*(?:copyright(?!\s+(?:notices?|holders?|owners?|laws?)\b)|\(c\)|©)|copyright\s*(?:\(c\)|©|\d{4}))",
    re.IGNORECASE,
)


def _without_copyright_statement(line: str) -> str:
    """The line with its copyright statement blanked, so headers differing only in year or holder
    share one analysis; what follows the statement on the same line ("... Licensed under X") stays.
    Suppression comments name rules ("license-...") and are not license words either."""
    line = SUPPRESSION_COMMENT.sub("", line)
    if is_lintml_change_notice(line):
        return ""
    statement = _COPYRIGHT_STATEMENT.search(line)
    if statement is None:
        return line
    # "Copyright 2024 MIT, Tsinghua University ..." names MIT the institute, a holder; "Copyright 2022 X
    # MIT License" names the license.
    rest = next(
        (hint for hint in _LICENSE_HINTS.finditer(line, statement.end()) if not _INSTITUTE.match(line, hint.start())),
        None,
    )
    return line[: statement.start()] + (" " * (rest.start() - statement.start()) + line[rest.start() :] if rest else "")


_INSTITUTE = re.compile(r"mit\b(?!\s*licen[cs]e)", re.I)


def _might_hold_license(text: str) -> bool:
    return bool(_LICENSE_HINTS.search(text))


_NO_CODE_USED = re.compile(r"\bno\s+code\s+(?:was\s+|is\s+|has\s+been\s+)?(?:used|taken|copied)\b", re.I)
# A line with nothing but comment markers, rules and quotes: where one paragraph of a header ends.
_PARAGRAPH_BREAK = re.compile(r"[\s#/*;!%<>=~{}\[\]\"'-]*")


def _without_disowned(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The lines, those of a paragraph that says no code came from where its license applies blanked ("No code
    was used directly from ConvNeXt-V2, however the weights are CC BY-NC 4.0"): it states the license of
    something else, and is not read at all (nor does it change how the paragraphs around it read)."""
    if not _NO_CODE_USED.search(" ".join(line for _, line in lines)):
        return lines
    disowned = {
        number
        for paragraph in _paragraphs(lines)
        if _NO_CODE_USED.search(" ".join(line for _, line in paragraph))
        for number, _ in paragraph
    }
    return [(number, "" if number in disowned else line) for number, line in lines]


def _paragraphs(lines: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """The runs of non-blank lines (blank: only comment markers and space), in order."""
    found: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in lines:
        if _PARAGRAPH_BREAK.fullmatch(line):
            if current:
                found.append(current)
            current = []
        else:
            current.append((number, line))
    if current:
        found.append(current)
    return found


def _notice_paragraphs(lines: list[tuple[int, str]], shape: Callable[[str], str]) -> list[tuple[int, str]]:
    """The lines, each shaped, from the first paragraph with license words (once shaped) to the last one;
    empty when none has any. Other comments before and after the notices ("References: ...", a module's
    description) are left out; those between them stay, as a license text's headings do.

    Paragraphs are the file's own: shaping blanks a copyright statement, which may begin a line inside
    a license text ("COPYRIGHT HOLDERS BE LIABLE ...")."""
    shaped = [(number, shape(line)) for number, line in lines]
    by_number = dict(shaped)
    licensed = [
        paragraph
        for paragraph in _paragraphs(lines)
        if _might_hold_license("\n".join(by_number[number] for number, _ in paragraph))
    ]
    if not licensed:
        return []
    first, last = licensed[0][0][0], licensed[-1][-1][0]
    return [(number, line) for number, line in shaped if first <= number <= last]


def _table_paragraphs(text: str) -> list[tuple[int, int, list[Notice]]]:
    """``(first line, last line, notices)`` of each paragraph of ``text`` that the notice table explains
    on its own: its known notices, which no other paragraph changes the meaning of."""
    from lintml.facts.notice_table import match_known_notices

    settled = []
    for paragraph in _paragraphs(list(enumerate(text.splitlines(), start=1))):
        first, last = paragraph[0][0], paragraph[-1][0]
        # The paragraph's own lines, numbered as in the text: blank lines before it keep the numbers.
        table = match_known_notices("\n" * (first - 1) + "\n".join(line for _, line in paragraph))
        if table.matches and not table.unexplained:
            notices = [Notice(m.expression, m.start_line, m.end_line, m.kind, m.source) for m in table.matches]
            settled.append((first, last, notices))
    return settled


def _with_table_paragraphs(text: str, scanned: list[Notice]) -> list[Notice]:
    """scancode's reading of a header, except in the paragraphs the table explains on their own, which
    keep the table's answer: a notice reads the same whatever paragraphs surround it.

    A paragraph that a scancode match runs into from outside is part of a longer notice (the Apache
    header's disclaimer, a GPL notice's second and third paragraphs), read whole by scancode: there
    scancode's reading stands."""
    kept = list(scanned)
    for first, last, notices in _table_paragraphs(text):
        inside = [notice for notice in kept if notice.end_line >= first and notice.start_line <= last]
        if any(notice.start_line < first or notice.end_line > last for notice in inside):
            continue
        kept = [notice for notice in kept if notice not in inside] + notices
    return kept


def is_notice_file(path: str) -> bool:
    """NOTICE, NOTICE.txt, THIRD_PARTY_NOTICES and the like: files that carry attributions."""
    return _is_notice_file(path)


def _is_notice_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name.startswith(("notice", "third_party_notices", "thirdpartynotices", "third-party-notices"))


def _is_reuse_text(path: str) -> bool:
    parts = path.split("/")
    return len(parts) >= 2 and parts[-2] == "LICENSES"


def _match_licenses(text: str, whole_file: bool, use_scancode: bool = True) -> tuple[Notice, ...]:
    from lintml.facts.notice_table import match_known_notices

    table = match_known_notices(text)
    found = [Notice(m.expression, m.start_line, m.end_line, m.kind, m.source) for m in table.matches]
    if use_scancode and needs_scancode(text, whole_file, table):
        from lintml.facts import scancode_adapter

        found = [
            Notice(m.expression, m.start_line, m.end_line, m.kind, m.source)
            for m in scancode_adapter.detect_licenses(text)
        ] or found
        if not whole_file:
            found = _with_table_paragraphs(text, found)
    return tuple(sorted(found, key=lambda item: (item.start_line, item.end_line, item.expression)))


def needs_scancode(text: str, whole_file: bool, table: TextLicenses | None = None) -> bool:
    """Whether reading ``text`` (a header block, or a license file when ``whole_file``) takes scancode:
    the one place lintml decides to load its index (``benchmarks/bench_scancode_need.py`` hooks it).

    A license file the table recognises as a full license text is answered; a header, and any other
    license file (a page that includes ``../LICENSE``, a file that names its license), are answered only
    when no license words are left outside what the table matched."""
    if table is None:
        from lintml.facts.notice_table import match_known_notices

        table = match_known_notices(text)
    if whole_file and any(match.kind == "text" for match in table.matches):
        return False
    return table.unexplained and (not whole_file or _might_hold_license(text))


def _unique(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def _at_file_level(item: Any) -> Any:
    if isinstance(item, Notice):
        return replace(item, start_line=0, end_line=0)
    return replace(item, line=0)


def _syntax_name(syntax: CommentSyntax) -> str:
    return ",".join(syntax.line) + "|" + ",".join(opening for opening, _ in syntax.block) + f"|{syntax.docstrings}"


# The file lintml.facts.notice_table reads (its DATA_PATH), named here too: a warm run needs only its
# hash, and importing that module would cost it ~8 ms.
NOTICE_TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "notice_table.json.gz"


@lru_cache(maxsize=1)
def table_version() -> str:
    """Identifies the shipped notice table without loading it (a warm run never needs its contents)."""
    try:
        return hashlib.sha256(NOTICE_TABLE_PATH.read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"
