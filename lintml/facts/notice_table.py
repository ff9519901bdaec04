"""The fast license-notice path: exact matches of known notices, without scancode.

Most file headers are one of a few dozen boilerplate texts (the Apache-2.0 header, the
MIT and BSD texts, "This program is free software..."). ``scripts/build_notice_table.py``
derives, from scancode-toolkit's own rule and license data, a table of hashes of those
texts' normalised token sequences, shipped as ``lintml/data/notice_table.json.gz``. This
module finds exact occurrences of them in a text in well under a millisecond, and says
whether license-ish words are left over that no exact match explains, so a caller knows
when it must ask scancode (``lintml.facts.scancode_adapter``), whose index costs seconds
and gigabytes to load.

Normalisation follows scancode's, in ASCII (a third faster, and the same at build and
match time): lowercase, words are runs of ``[a-z0-9]`` with an optional inner ``+``
(``gpl-2.0+`` gives ``gpl``, ``2``, ``0+``, so "or later" survives), scancode's stopwords
(markup such as ``a``, ``br``, ``quot``) are dropped, and ``https`` is read as ``http``.
The build script imports ``tokenize`` and ``sequence_hashes`` from here, so build and
match cannot drift apart. Line numbers are 1-based over ``text.splitlines()``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "notice_table.json.gz"
FORMAT = 1
HASH_SCHEME = "ascii-words/blake2b64-poly-mod-2^61-1"
MODULUS = (1 << 61) - 1
BASE = 0x1D6F_3A95_C2B7_4E81 % MODULUS
# Texts of 5 tokens and more are kept ("licensed under the MIT license" has 5), and found
# by the hash of their first 5. A match shorter than GUARDED_LENGTH only counts when the
# next token does not go on to change its meaning: "licensed under the apache license"
# followed by "version 1.1" is not Apache-2.0, "licensed under the CC-BY" followed by "NC" not CC-BY-4.0.
PREFIX_TOKENS = 5
MIN_TOKENS = PREFIX_TOKENS
GUARDED_LENGTH = 10
_CONTINUATIONS = frozenset(
    {"version", "versions", "ver", "v", "only", "later", "or", "and", "with", "plus", "+", "any", "newer"}
    | {"exception", "exceptions", "clause", "clauses", "patent"}
    | {"nc", "sa", "nd"}  # Creative Commons' NonCommercial, ShareAlike, NoDerivatives
)
KINDS = ("notice", "text", "tag", "reference", "intro")
TOKEN_ALIASES = {"https": "http"}

_WORD = re.compile(r"[a-z0-9]+\+?[a-z0-9]*")
_SPDX_TAG = re.compile(r"SPDX-License-Identifier\s*:\s*(?P<expression>.*)", re.IGNORECASE)
# Where an SPDX expression ends on a comment line: a block-comment closer, a docstring quote.
_SPDX_TAG_END = re.compile(r"\*/|-->|\"\"\"|'''|#}|-}|\]\]|;\s*$")
_SPDX_TAG_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+:-]*|[()]")
_SPDX_OPERATORS = {"and": "AND", "or": "OR", "with": "WITH"}
_MAX_CACHED_WORDS = 200_000
_LICENSE_ISH, _PHRASE_START, _STARTER, _STOPWORD = 1, 2, 4, -1
# "This file is licensed under the" before a match only says that the match applies:
# such a lead-in, running straight into a match, leaves nothing unexplained.
_LEAD_IN_KEYWORDS = frozenset({"licensed", "licenced"})
# The noun does the same in a label or a sentence that names the license next ("License: Apache 2.0", "Original
# licence: Under MIT License", "The license for this code release is Apache 2.0"), with fewer words between.
_LABEL_KEYWORDS = frozenset({"license", "licence"})
_LABEL_WORDS = frozenset({"for", "of", "this", "the", "code", "file", "files", "release", "is", "under"})
_MAX_LABEL = 6
# The words scancode takes for a clue when no rule of its covers them (lintml.facts.notice_table._a_clue).
_PUBLIC_DOMAIN = ("public", "domain")
_LEAD_IN_WORDS = frozenset(
    {"licensed", "licenced", "released", "distributed", "made", "available", "provided", "under", "terms", "hereby"}
    | {"the", "of", "is", "are", "and", "this", "these", "as", "per", "by", "it"}
    | {"file", "files", "code", "work", "software", "program", "library", "project", "module", "package", "source"}
)
_MAX_LEAD_IN = 8
_FRAGMENT_GAP = 3
# Short license names ("MIT License", "Apache 2.0", "BSD 3-Clause"): at most this many words. A name of one
# word ("MIT") is read only right after one of _NAME_LEADS ("licensed MIT", "License: MIT"), and no name
# right after one of _NAME_BARS ("Apache-2.0 or MIT License" is a choice, "not MIT" no license at all).
MAX_NAME_TOKENS = 6
_NAME_LOOKBACK = 3
_NAME_LEADS = frozenset({"licensed", "licenced", "license", "licence"})
_NAME_BARS = frozenset({"or", "and", "either", "not", "non", "dual", "nor"})
# Where a line points to a license stated elsewhere and names none: "(original copyright/) license info below",
# "license below:", "the following license", a line ending "License:" (what follows is read on its own),
# "LICENSE: https://...", "For licensing see accompanying LICENSE file", "See the LICENSE file for licensing
# terms", "For full license text, see ...", "To view a copy of this license, visit ...", "the license and copyright
# terms herein" (Caffe's contribution agreement, below its BSD text), "the LICENSE file" (as in "... the MIT license
# found in the LICENSE file"), a heading that is the word alone, a path to one ("../LICENSE").
# scancode finds no license in them either.
_POINTER = re.compile(
    r"licen[cs]e[sd]?(?:\s+(?:info(?:rmation)?|text|terms|details))?\s*(?:below|follows|as\s+follows)\b"
    r"|(?:the\s+)?following\s+licen[cs]es?\b"
    r"|licen[cs]es?\s*:\s*(?=$|https?://|www\.)"
    r"|for\s+licensing\s+see\s+(?:the\s+)?accompanying\s+licen[cs]e\s+file"
    r"|see\s+(?:the\s+)?licen[cs]e(?:\.\w+)?\s+file(?:\s+for\s+(?:the\s+)?(?:licen[cs]ing\s+)?(?:terms|details))?"
    r"|for\s+(?:the\s+)?full\s+licen[cs]e\s+text"
    r"|to\s+view\s+a\s+copy\s+of\s+this\s+licen[cs]e"
    r"|licen[cs]e(?:\s+and\s+copyright)?\s+terms\s+herein"
    r"|licen[cs]e(?:\.\w+)?\s+files?\b"
    r"|^[\W_]*licen[cs](?:e|es|ing)[\W_]*$"
    r"|(?:\.\.?/|[\w-]+/)+licen[cs]e(?:\.(?:txt|md|rst))?(?![\w-])"
)
# MIT the institute, not the license: "by MIT Song Han's Lab", "at MIT", "MIT's" (scancode reads no license there).
_INSTITUTE = re.compile(r"\b(?:by|at|from)\s+mit\b(?![\s-]*licen)|\bmit(?=['’]s\b)")
# Words of an address are not license words ("github.com/mit-han-lab", ".../blob/main/LICENSE": scancode reads
# no license there), except on the sites that publish licenses ("opensource.org/licenses/MIT").
_URL = re.compile(r"(?:https?://|www\.)\S+")
_LICENSE_SITE = re.compile(
    r"(?:https?://)?(?:[\w-]+\.)*(?:opensource|apache|gnu|fsf|creativecommons|spdx|choosealicense|mozilla|eclipse)\.(?:org|com)\b"
)


@dataclass(frozen=True)
class NoticeMatch:
    """One license notice, text, tag or reference found in a text."""

    expression: str  # SPDX expression, e.g. "Apache-2.0", "MIT", "GPL-3.0-or-later"
    start_line: int  # 1-based, within the text given
    end_line: int
    kind: str  # "notice" | "text" | "tag" | "reference" | "intro"
    source: str  # "table" or "scancode"


@dataclass(frozen=True)
class TextLicenses:
    """What the table knows about a text."""

    matches: tuple[NoticeMatch, ...]
    # True when license-ish words remain that no exact match covers: ask scancode.
    unexplained: bool


def token_value(token: str) -> int:
    """A token's stable 61-bit value; the same at build and match time, on every platform."""
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % MODULUS


def tokenize(text: str, stopwords: frozenset[str] | set[str]) -> list[str]:
    """The normalised tokens of ``text`` (no line numbers), as the table is built from."""
    tokens = []
    for word in _WORD.findall(text.lower()):
        if word in stopwords:
            continue
        tokens.append(TOKEN_ALIASES.get(word, word))
    return tokens


def sequence_hashes(values: Sequence[int]) -> tuple[int, int]:
    """``(hash of the first PREFIX_TOKENS values, hash of all values)`` of a token sequence."""
    prefix = 0
    whole = 0
    for position, value in enumerate(values):
        whole = (whole * BASE + value) % MODULUS
        if position + 1 == PREFIX_TOKENS:
            prefix = whole
    return prefix, whole


def _continues(token: str) -> bool:
    """Whether ``token``, right after a short match, may change what the match means."""
    return token in _CONTINUATIONS or token[0].isdigit() or (token[0] == "v" and token[1:2].isdigit())


class _Table:
    """The loaded table: lookups by prefix hash, then by full-sequence hash."""

    def __init__(self, document: dict[str, object]) -> None:
        if document.get("format") != FORMAT or document.get("hash_scheme") != HASH_SCHEME:
            raise ValueError(f"{DATA_PATH}: unsupported notice table format; rebuild it")
        if document.get("base") != BASE or document.get("prefix_tokens") != PREFIX_TOKENS:
            raise ValueError(f"{DATA_PATH}: notice table built with other hash parameters; rebuild it")
        self.scancode_version = str(document["scancode_toolkit_version"])
        self.stopwords = frozenset(_strings(document["stopwords"]))
        self.keywords = frozenset(_strings(document["keywords"]))
        self.keyword_prefixes = tuple(_strings(document["keyword_prefixes"]))
        self.keyword_phrases = frozenset(tuple(phrase.split()) for phrase in _strings(document["keyword_phrases"]))
        self.phrase_starts = frozenset(first for first, *_ in self.keyword_phrases)
        self.expressions = tuple(_strings(document["expressions"]))
        self.spdx_ids = {spdx_id.lower(): spdx_id for spdx_id in _strings(document["spdx_ids"])}
        keys = document["license_keys"]
        assert isinstance(keys, dict)
        self.license_keys: dict[str, str] = {str(k): str(v) for k, v in keys.items()}
        others = document["other_spdx_ids"]
        assert isinstance(others, dict)
        # SPDX id (lowercase) -> scancode key, the current ids first, then older or alternative ones.
        self.keys_by_spdx_id: dict[str, str] = {str(k).lower(): str(v) for k, v in others.items()}
        self.keys_by_spdx_id.update({spdx_id.lower(): key for key, spdx_id in sorted(self.license_keys.items())})

        entries = document["entries"]
        assert isinstance(entries, dict)
        prefixes = _unpack("Q", entries["prefix"])
        fulls = _unpack("Q", entries["full"])
        lengths = _unpack("I", entries["length"])
        payloads = _unpack("I", entries["payload"])  # expression index * 8 + kind index
        # Values of the tokens entries start with: a match can only start at one of them.
        self.starters = frozenset(_unpack("Q", entries["starters"]))
        # Entries are stored sorted by prefix, then by length descending.
        self.full: dict[int, int] = dict(zip(fulls, payloads, strict=True))
        self.prefix_lengths: dict[int, tuple[int, ...]] = {}
        start = 0
        count = len(prefixes)
        while start < count:
            prefix = prefixes[start]
            end = start + 1
            while end < count and prefixes[end] == prefix:
                end += 1
            self.prefix_lengths[prefix] = tuple(dict.fromkeys(lengths[start:end]))
            start = end
        longest = max(lengths, default=0)
        self.powers = [1] * (longest + 1)
        for position in range(1, longest + 1):
            self.powers[position] = self.powers[position - 1] * BASE % MODULUS
        self.words: dict[str, tuple[str, int, int]] = {}  # word -> (token, value, flags), filled as texts are read
        names = document.get("names") or {}
        assert isinstance(names, dict)
        # Short license names, by their normalised words: ("mit", "license") -> "MIT".
        self.names: dict[tuple[str, ...], str] = {tuple(str(words).split()): str(name) for words, name in names.items()}
        # The kind of a name that is not a reference: scancode's short public-domain rules ("100% public domain"
        # is a text to scancode, "is public domain" too).
        kinds = document.get("name_kinds") or {}
        assert isinstance(kinds, dict)
        self.name_kinds: dict[tuple[str, ...], str] = {tuple(str(words).split()): str(k) for words, k in kinds.items()}

    def word(self, word: str) -> tuple[str, int, int]:
        """``(token, value, flags)`` of a lowercased word (flags -1 for a stopword); cached."""
        known = self.words.get(word)
        if known is None:
            if len(self.words) > _MAX_CACHED_WORDS:
                self.words.clear()
            if word in self.stopwords:
                known = self.words[word] = ("", 0, _STOPWORD)
                return known
            token = TOKEN_ALIASES.get(word, word)
            value = token_value(token)
            flags = 0
            if token in self.keywords or token.startswith(self.keyword_prefixes):
                flags |= _LICENSE_ISH
            if token in self.phrase_starts:
                flags |= _PHRASE_START
            if value in self.starters:
                flags |= _STARTER
            known = self.words[word] = (token, value, flags)
        return known


def _strings(value: object) -> list[str]:
    assert isinstance(value, list)
    return [str(item) for item in value]


def _unpack(typecode: str, encoded: object) -> array:
    assert isinstance(encoded, str)
    values = array(typecode)
    values.frombytes(base64.b64decode(encoded))
    if sys.byteorder == "big":
        values.byteswap()
    return values


def pack(typecode: str, values: Iterable[int]) -> str:
    """Little-endian base64 of an array of unsigned integers (used by the build script)."""
    packed = array(typecode, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


_TABLE: _Table | None = None


def load_table() -> _Table:
    """The shipped table, loaded on first use (~0.06 s) and kept for the process."""
    global _TABLE
    if _TABLE is None:
        with gzip.open(DATA_PATH, "rb") as handle:
            _TABLE = _Table(json.loads(handle.read()))
    return _TABLE


def spdx_id_for_key(key: str) -> str:
    """The SPDX id of a scancode license key (``LicenseRef-scancode-<key>`` when it has none)."""
    return load_table().license_keys.get(key, f"LicenseRef-scancode-{key}")


def license_key_for_spdx_id(spdx_id: str) -> str | None:
    """The scancode license key whose SPDX id is ``spdx_id`` (case-insensitive), if any."""
    wanted = spdx_id.strip().lower()
    key = load_table().keys_by_spdx_id.get(wanted)
    if key is None and wanted.startswith("licenseref-scancode-"):
        key = wanted[len("licenseref-scancode-") :]
    return key


def _spdx_tag_expression(value: str, spdx_ids: dict[str, str]) -> str | None:
    end = _SPDX_TAG_END.search(value)
    if end:
        value = value[: end.start()]
    parts = []
    for token in _SPDX_TAG_TOKEN.findall(value):
        operator = _SPDX_OPERATORS.get(token.lower())
        parts.append(operator or spdx_ids.get(token.lower(), token))
    expression = " ".join(parts).replace("( ", "(").replace(" )", ")")
    return expression or None


def match_known_notices(text: str) -> TextLicenses:
    """Exact matches of known license notices in ``text`` (a header block or a license file).

    Matches are non-overlapping, chosen longest first, and returned in text order.
    ``SPDX-License-Identifier:`` lines are read as tags. ``unexplained`` is True when a
    license-ish word (license, warranty, permission, GPL, free software, ...) lies
    outside every match: then only scancode can tell what the text says.
    """
    table = load_table()
    word_info = table.word
    cached = table.words.get
    tokens: list[str] = []
    line_starts: list[int] = []  # token position where each line starts
    cumulative = [0]  # polynomial hash of tokens[:position], for any slice's hash in O(1)
    running = 0
    starts: list[int] = []  # positions where a known text may begin
    license_ish: list[int] = []  # positions of license-ish words and phrase starts
    tags: list[NoticeMatch] = []
    muted: set[int] = set()  # license-ish words of addresses and pointers, which name no license
    for line_number, line in enumerate(text.splitlines(), 1):
        line_starts.append(len(tokens))
        lowered = line.lower()
        if "spdx" in lowered:
            tag = _SPDX_TAG.search(line)
            if tag:
                expression = _spdx_tag_expression(tag.group("expression"), table.spdx_ids)
                if expression:
                    tags.append(NoticeMatch(expression, line_number, line_number, "tag", "table"))
                    continue
        quiet = (
            _quiet_spans(lowered)
            if "://" in lowered or "www." in lowered or "licen" in lowered or "mit" in lowered
            else ()
        )
        words: Iterable[tuple[str, int]] = (
            ((found.group(), found.start()) for found in _WORD.finditer(lowered))
            if quiet
            else ((word, -1) for word in _WORD.findall(lowered))
        )
        for word, at in words:
            known = cached(word) or word_info(word)
            flags = known[2]
            if flags:
                if flags < 0:
                    continue  # a stopword
                if flags & _STARTER:
                    starts.append(len(tokens))
                if flags & (_LICENSE_ISH | _PHRASE_START):
                    if quiet and any(start <= at < end for start, end in quiet):
                        muted.add(len(tokens))
                    else:
                        license_ish.append(len(tokens))
            tokens.append(known[0])
            running = (running * BASE + known[1]) % MODULUS
            cumulative.append(running)

    count = len(tokens)
    powers = table.powers
    prefix_lengths = table.prefix_lengths
    full = table.full
    prefix_power = powers[PREFIX_TOKENS]
    last_start = count - PREFIX_TOKENS
    found: list[tuple[int, int, int]] = []  # (length, start, payload)
    for start in starts:
        if start > last_start:
            break
        base = cumulative[start]
        lengths = prefix_lengths.get((cumulative[start + PREFIX_TOKENS] - base * prefix_power) % MODULUS)
        if lengths is None:
            continue
        for length in lengths:
            end = start + length
            if end > count:
                continue
            payload = full.get((cumulative[end] - base * powers[length]) % MODULUS)
            if payload is not None:
                found.append((length, start, payload))

    covered = bytearray(count)
    chosen: list[tuple[int, int, int]] = []
    for length, start, payload in sorted(found, key=lambda item: (-item[0], item[1])):
        end = start + length
        if any(covered[start:end]) or (length < GUARDED_LENGTH and end < count and _continues(tokens[end])):
            continue
        covered[start:end] = b"\x01" * length
        chosen.append((start, end, payload))

    def known(start: int, end: int) -> int | None:
        """The payload of a known text spanning exactly ``tokens[start:end]``, if any."""
        return full.get((cumulative[end] - cumulative[start] * powers[end - start]) % MODULUS)

    named = _named_licenses(table, tokens, covered, license_ish, muted, chosen, known)

    # Matches a few tokens apart are pieces of one notice the table knows only in parts
    # (a program's name where the GPL notice says "This program"): pieces of one license
    # join up; pieces of different ones (scancode reads the GPL's generic sentences as
    # GPL-1.0-or-later) leave the notice for scancode's approximate matching to read whole.
    fragmented = False
    spans: list[tuple[int, int, int]] = []  # (start, end, payload), in text order, joined
    # A license's name between two matches is a title, not a gap in one notice ("# MIT License" between the
    # Apache header and the MIT text).
    titles = {start for start, _, _, _ in named}
    for start, end, payload in sorted(chosen):
        if spans and start - spans[-1][1] <= _FRAGMENT_GAP and not titles.intersection(range(spans[-1][1], start)):
            last_start, last_end, last_payload = spans[-1]
            if payload >> 3 == last_payload >> 3:
                longer = last_payload if last_end - last_start >= end - start else payload
                spans[-1] = (last_start, end, longer)
                continue
            fragmented = True
        spans.append((start, end, payload))

    matches = list(tags)
    for start, end, payload in spans:
        expression = table.expressions[payload >> 3]
        kind = KINDS[payload & 7]
        first_line = bisect_right(line_starts, start)
        last_line = bisect_right(line_starts, end - 1)
        matches.append(NoticeMatch(expression, first_line, last_line, kind, "table"))
    for start, end, expression, kind in named:
        line = bisect_right(line_starts, start)
        matches.append(NoticeMatch(expression, line, bisect_right(line_starts, end - 1), kind, "table"))
    matches.sort(key=lambda match: (match.start_line, match.end_line))
    return TextLicenses(tuple(matches), fragmented or _unexplained(table, tokens, covered, license_ish))


def _quiet_spans(lowered: str) -> list[tuple[int, int]]:
    """Where in a (lowercased) line license words name no license: addresses other than license sites,
    and pointers to a license stated elsewhere."""
    spans = [found.span() for found in _URL.finditer(lowered) if not _LICENSE_SITE.match(found.group())]
    if "licen" in lowered:
        spans.extend(found.span() for found in _POINTER.finditer(lowered))
    if "mit" in lowered:
        spans.extend(found.span() for found in _INSTITUTE.finditer(lowered))
    return spans


def _named_licenses(
    table: _Table,
    tokens: list[str],
    covered: bytearray,
    license_ish: list[int],
    muted: set[int],
    chosen: list[tuple[int, int, int]],
    known: Callable[[int, int], int | None],
) -> list[tuple[int, int, str, str]]:
    """``(start, end, expression, kind)`` of the short license names outside every match ("# MIT License"
    above a text, "(MIT License)" in a credit), each then covered. A name starts at most three words before
    one of its license words ("the MIT License", "3-Clause BSD License", "CC BY-NC License"); the longest name
    wins. A name is a reference (scancode's short public-domain rules keep their own kinds), and a notice when
    "licensed" follows it ("Apache 2.0 licensed impl", "MIT-licensed"), as scancode reads both.

    A known text may begin with a license's name ("License: Licensed under the Apache License ..."): when
    a name runs into such a match, and the match without the name's words is a known text too, the name
    takes its words back ("MIT License" above the Apache header is a title, not the header's first word)."""
    if not table.names:
        return []
    found = []
    count = len(tokens)
    for position in license_ish:
        if covered[position]:
            continue
        for start in range(max(0, position - _NAME_LOOKBACK), position + 1):
            named = _name_at(table, tokens, covered, muted, start, count)
            if named is None:
                named = _name_into_match(table, tokens, covered, muted, start, chosen, known)
            if named is not None:
                lead, end, expression, kind = named
                covered[lead:end] = b"\x01" * (end - lead)
                found.append((start, end, expression, kind))
                break
    return found


def _name_at(
    table: _Table, tokens: list[str], covered: bytearray, muted: set[int], start: int, count: int
) -> tuple[int, int, str, str] | None:
    """``(first word covered, end, license, kind)`` of the longest name starting at ``start`` that its
    neighbours leave alone; a one-word name covers the word that leads into it ("licensed MIT")."""
    if start > 0 and tokens[start - 1] in _NAME_BARS:
        return None
    for end in range(min(count, start + MAX_NAME_TOKENS), start, -1):
        words = tuple(tokens[start:end])
        expression = table.names.get(words)
        if expression is None:
            continue
        if any(covered[start:end]) or any(position in muted for position in range(start, end)):
            return None
        licensed = end < count and tokens[end] in _LEAD_IN_KEYWORDS and not covered[end] and end not in muted
        after = end + 1 if licensed else end
        if after < count and _name_continues(tokens, after):
            return None
        if licensed:
            return start, after, expression, "notice"
        if end - start == 1:
            if start == 0 or tokens[start - 1] not in _NAME_LEADS:
                return None
            return start - 1, end, expression, table.name_kinds.get(words, "reference")
        return start, end, expression, table.name_kinds.get(words, "reference")
    return None


def _name_continues(tokens: list[str], end: int) -> bool:
    """Whether the words from ``end`` go on to change what a name just before means: a version, "or later", a
    choice ("or MIT"), an exception ("with LLVM exceptions"; "with fixed kwargs" is no part of the name)."""
    token = tokens[end]
    if token == "with":
        return any(word.startswith(("exception", "linking", "classpath")) for word in tokens[end + 1 : end + 4])
    return _continues(token) or token in _NAME_BARS


def _name_into_match(
    table: _Table,
    tokens: list[str],
    covered: bytearray,
    muted: set[int],
    start: int,
    chosen: list[tuple[int, int, int]],
    known: Callable[[int, int], int | None],
) -> tuple[int, int, str, str] | None:
    """A name starting at ``start`` that overlaps the first or the last words of a chosen match which is
    known without them too: the match is shortened (in ``chosen`` and ``covered``) and, as ``_name_at``
    gives them, the name's first word, end, license and kind returned. Only one match is shortened, and only
    by the overlap."""
    if start > 0 and tokens[start - 1] in _NAME_BARS:
        return None
    for end in range(min(len(tokens), start + MAX_NAME_TOKENS), start + 1, -1):
        words = tuple(tokens[start:end])
        expression = table.names.get(words)
        if expression is None or any(position in muted for position in range(start, end)):
            continue
        overlapping = [index for index, (first, last, _) in enumerate(chosen) if first < end and start < last]
        if len(overlapping) != 1:
            continue
        index = overlapping[0]
        first, last, _ = chosen[index]
        if start < first < end < last and not any(covered[start:first]):  # the name runs into the match
            payload, kept = known(end, last), (end, last)
        elif first < start < last < end and not any(covered[last:end]):  # the match runs into the name
            payload, kept = known(first, start), (first, start)
        else:
            continue
        if payload is None or kept[1] - kept[0] < MIN_TOKENS:
            continue
        chosen[index] = (*kept, payload)
        covered[first:last] = bytes(last - first)
        covered[kept[0] : kept[1]] = b"\x01" * (kept[1] - kept[0])
        return start, end, expression, table.name_kinds.get(words, "reference")
    return None


def _unexplained(table: _Table, tokens: list[str], covered: bytearray, candidates: list[int]) -> bool:
    """Whether a license-ish word or phrase lies outside every match (lead-ins into a match, and "public
    domain" on its own, aside)."""
    for position in candidates:
        if covered[position]:
            continue
        token = tokens[position]
        if token not in table.keywords and not token.startswith(table.keyword_prefixes):
            following = tokens[position + 1] if position + 1 < len(tokens) else ""
            if (token, following) not in table.keyword_phrases:
                continue  # a phrase's first word, without the rest of the phrase
            if (token, following) == _PUBLIC_DOMAIN and _a_clue(tokens, covered, position):
                continue
        if token in _LEAD_IN_KEYWORDS and _leads_into_match(tokens, covered, position):
            continue
        if token in _LABEL_KEYWORDS and _labels_match(tokens, covered, position):
            continue
        if token == "bsd" and _a_flavour(tokens, position):
            continue
        return True
    return False


def _a_flavour(tokens: list[str], position: int) -> bool:
    """Whether "BSD" at ``position`` only names a flavour: "BSD-style" with no license word right before or
    after it ("BSD-style sockets", "licensing terms (BSD-style)"). scancode reads no license there, and no
    clause count is said; "a BSD-style license" is a name the table reads, "License: BSD-style" a label."""
    if tokens[position + 1 : position + 2] != ["style"]:
        return False
    before = tokens[position - 1] if position > 0 else ""
    after = tokens[position + 2] if position + 2 < len(tokens) else ""
    return not before.startswith("licen") and not after.startswith("licen")


def _a_clue(tokens: list[str], covered: bytearray, position: int) -> bool:
    """Whether the words "public domain" at ``position`` are, to scancode, only a clue: no rule of its
    covers them (the table holds its longer rules, and its shorter ones as names: "100% public domain",
    "public domain code"), and no neighbour makes them part of a choice or a negation ("MIT or public domain",
    "not public domain"). scancode keeps clues apart from its detections, and lintml leaves them out
    ("stb_image - public domain image loader", "Igor Pavlov : Public domain")."""
    if covered[position + 1] or (position > 0 and tokens[position - 1] in _NAME_BARS):
        return False
    return position + 2 >= len(tokens) or not _name_continues(tokens, position + 2)


def _labels_match(tokens: list[str], covered: bytearray, position: int) -> bool:
    """Whether the noun "license" at ``position`` labels the match that follows it, a few words on."""
    if position > 0 and tokens[position - 1] in _NAME_BARS:
        return False
    for ahead in range(position + 1, min(position + 1 + _MAX_LABEL, len(tokens))):
        if covered[ahead]:
            return True
        if tokens[ahead] not in _LABEL_WORDS:
            return False
    return False


def _leads_into_match(tokens: list[str], covered: bytearray, position: int) -> bool:
    for ahead in range(position, min(position + _MAX_LEAD_IN, len(tokens))):
        if covered[ahead]:
            return True
        if tokens[ahead] not in _LEAD_IN_WORDS:
            return False
    return False
