"""Tokenizer fingerprints: which vocabulary a tokenizer holds, whatever file format carries it.

A copied tokenizer keeps its vocabulary even when the ids shift, when special tokens are
appended, or when it is converted from one format to another (a tiktoken ``tokenizer.model``
to a Hugging Face ``tokenizer.json``, a SentencePiece model to a ``tokenizer.json``, a
BERT ``vocab.txt`` to a ``tokenizer.json``). So a vocabulary is compared as a *set of
canonical tokens*, each a byte string:

- byte-level BPE (GPT-2 style ``tokenizer.json``, ``vocab.json`` + ``merges.txt``) writes
  every byte as a printable character; the GPT-2 byte-to-unicode table maps it back;
- tiktoken files and Mistral tekken files hold the bytes already (base64);
- SentencePiece pieces (``▁the``), WordPiece tokens (``##ing``) and byte-fallback pieces
  (``<0x0A>``) are kept as their UTF-8 text, the same in every format that carries them.

Regular tokens are the model's vocabulary less its special tokens (added tokens marked
special, SentencePiece control and unknown pieces, tekken's special ranks, tokens a
``tokenizer_config.json`` declares special); special and added tokens are kept apart, so
appending a few of them to a copied tokenizer reads as a superset, not as a new vocabulary.

A :class:`TokenizerFingerprint` is small enough for a catalog (a few KB even for a 200k
vocabulary): digests of the token set, of the merges and of the pre-tokenizer, the special
tokens, and a bottom-k sample of token hashes that estimates containment. At check time the
candidate's full set of token hashes (a :class:`TokenizerVocabulary`) is compared with a
known fingerprint by :func:`compare_tokenizers`.

Every reader is bounded: files over :data:`MAX_TOKENIZER_BYTES` are refused, JSON is measured
before it is parsed (:mod:`lintml.bounded_json`), lines are counted before they are split,
protobuf lengths are checked against the buffer and its fields counted, and any malformed
input raises :class:`TokenizerError` naming the file, never another exception. Files are read
from a folder through a :class:`~lintml.containment.Tree` rooted at it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lintml.bounded_json import JSONInputError, load_json
from lintml.containment import OutsideTree, Tree

# The largest real tokenizer files (a 260k-token tokenizer.json with its merges) are about 35 MB.
MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
# Tokens read from one file: real vocabularies hold up to about 260k (XLM-V: 900k). Reading costs
# about 3 µs a token (hashing, protobuf fields), so this bounds a tokenizer to a few seconds.
MAX_TOKENS = 1_500_000
# Protobuf fields walked in a SentencePiece model: about four per piece (the piece, its score and
# type, the message); about 0.7 µs each, whatever the file spells.
MAX_PROTOBUF_FIELDS = 4 * MAX_TOKENS
# Values in a tokenizer JSON (commas and brackets): one per vocabulary entry, three per merge in
# the newer [a, b] format or per Unigram [piece, score]; a 260k vocabulary with its merges holds
# about 1.1 million, XLM-V's 900k Unigram pieces about 2.7 million.
MAX_TOKENIZER_ITEMS = 3 * MAX_TOKENS
# Lists and objects in one: a merge or a Unigram piece is one.
MAX_TOKENIZER_CONTAINERS = MAX_TOKENS
SAMPLE_SIZE = 256
SPECIAL_TOKENS_KEPT = 64
SUPERSET_EXTRA_TOKENS = 1024  # or 1% of the known vocabulary, whichever is larger
SIMILAR_CONTAINMENT = 0.9

KINDS = frozenset({"bpe-bytelevel", "bpe", "unigram", "wordpiece", "wordlevel", "sentencepiece", "tiktoken", "tekken"})
RELATIONS = ("identical", "superset", "similar", "different")

# File names a tokenizer is read from, best first, and the files that only add facts to them.
_CONFIG_FILES = ("tokenizer_config.json", "special_tokens_map.json", "added_tokens.json")
_MODEL_FILE = re.compile(r"\.model(?:\.v\w+)?$|\.tiktoken$")
_TEKKEN_FILE = re.compile(r"^tekken.*\.json$")

# Mistral's special tokens for tekken files that do not list their own (mistral-common's
# DEPRECATED_SPECIAL_TOKENS, ranks 0-19); the remaining special ranks are <SPECIAL_n> fillers.
_TEKKEN_DEFAULT_SPECIALS = (
    "<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]", "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]",
    "[IMG_END]", "[PREFIX]", "[MIDDLE]", "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]",
    "[TOOL_CONTENT]",
)  # fmt: skip

# Formats that do not say which tokens are special: the conventional names are.
_BERT_SPECIAL = re.compile(r"\[[A-Z]+\]")
_BPE_SPECIAL = re.compile(r"<\|[^|<>]*\|>|</?s>|<unk>|<pad>|<mask>")
# Numbered placeholders, listed last when the special tokens are capped.
_FILLER = re.compile(
    r"<SPECIAL_\d+>|<\|reserved_special_token_\d+\|>|\[unused\d+\]|\[control_\d+\]|<extra_id_\d+>|<unused\d+>"
)
_TIKTOKEN_LINE = re.compile(rb"[A-Za-z0-9+/=]+ \d+")


class TokenizerError(Exception):
    """A tokenizer file that cannot be read: too large, malformed, or lying about its lengths."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class TokenizerFingerprint:
    """What the catalog keeps of a tokenizer; ``as_dict`` / ``from_dict`` round-trip through JSON.

    ``size`` counts the distinct regular tokens; ``vocab_digest`` is the sha256 of their sorted
    canonical bytes (independent of ids and order); ``merges_digest`` the sha256 of the
    ordered merges, None when the format has none; ``special_tokens`` the sorted special and
    added tokens, at most :data:`SPECIAL_TOKENS_KEPT` of them (numbered placeholders dropped
    first), with ``special_count`` and ``special_digest`` over all of them;
    ``pre_tokenizer_digest`` the sha256 of the normalizer and pre-tokenizer (or the split
    pattern), None when the file does not hold one; ``sample`` the :data:`SAMPLE_SIZE`
    smallest 64-bit hashes of the regular tokens, ascending.
    """

    kind: str
    source: str
    size: int
    vocab_digest: str
    merges_digest: str | None
    special_tokens: tuple[str, ...]
    special_count: int
    special_digest: str
    pre_tokenizer_digest: str | None
    sample: tuple[int, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "size": self.size,
            "vocab_digest": self.vocab_digest,
            "merges_digest": self.merges_digest,
            "special_tokens": list(self.special_tokens),
            "special_count": self.special_count,
            "special_digest": self.special_digest,
            "pre_tokenizer_digest": self.pre_tokenizer_digest,
            # hex, so that no JSON reader rounds a 64-bit integer
            "sample": [f"{value:016x}" for value in self.sample],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenizerFingerprint:
        """Rebuild a fingerprint from :meth:`as_dict`; raises ``ValueError`` when a field is missing or mistyped."""
        try:
            fingerprint = cls(
                kind=_expect(data["kind"], str),
                source=_expect(data["source"], str),
                size=_expect(data["size"], int),
                vocab_digest=_expect(data["vocab_digest"], str),
                merges_digest=_expect(data["merges_digest"], str, optional=True),
                special_tokens=tuple(_expect(token, str) for token in _expect(data["special_tokens"], list)),
                special_count=_expect(data["special_count"], int),
                special_digest=_expect(data["special_digest"], str),
                pre_tokenizer_digest=_expect(data["pre_tokenizer_digest"], str, optional=True),
                sample=tuple(int(_expect(value, str), 16) for value in _expect(data["sample"], list)),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a tokenizer fingerprint: {error!r}") from None
        if list(fingerprint.sample) != sorted(set(fingerprint.sample)):
            raise ValueError("not a tokenizer fingerprint: the sample is not sorted and distinct")
        return fingerprint


@dataclass(frozen=True)
class TokenizerVocabulary:
    """A tokenizer as read at check time: its fingerprint, the hash of every regular token, and every special token."""

    fingerprint: TokenizerFingerprint
    hashes: frozenset[int]
    special_tokens: frozenset[str]


@dataclass(frozen=True)
class TokenizerComparison:
    """How a candidate tokenizer relates to a known one.

    ``relation`` is one of :data:`RELATIONS`; ``containment`` the share of the known
    fingerprint's sample found in the candidate (exact over the sample, an estimate for the
    whole vocabulary); ``extra_tokens`` how many more tokens (regular and special) the
    candidate holds; ``description`` a phrase that reads after "the tokenizer has", such as
    "the same vocabulary of 128,000 tokens" or "about 79% of the 128,000-token vocabulary (...)".
    """

    relation: str
    containment: float
    extra_tokens: int
    description: str


# --- canonical tokens -------------------------------------------------------------------


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's table: printable Latin-1 bytes stand for themselves, the others for code points from 256 on."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    table = {byte: chr(byte) for byte in printable}
    shifted = 0
    for byte in range(256):
        if byte not in table:
            table[byte] = chr(256 + shifted)
            shifted += 1
    return table


BYTE_TO_UNICODE: dict[int, str] = _bytes_to_unicode()
# str.translate table from the printable stand-ins to Latin-1 characters; a character outside
# the alphabet becomes U+FFFF so that the Latin-1 encoding fails and the token is kept as text.
_UNICODE_TO_LATIN1: dict[int, int] = {code: 0xFFFF for code in range(256)}
_UNICODE_TO_LATIN1.update({ord(char): byte for byte, char in BYTE_TO_UNICODE.items()})


def byte_level_token(text: str) -> bytes:
    """The bytes a byte-level BPE token stands for; a token outside the alphabet is kept as its UTF-8."""
    try:
        return text.translate(_UNICODE_TO_LATIN1).encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _text_token(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def token_hash(token: bytes) -> int:
    """The 64-bit hash of a canonical token, the unit of samples and containment."""
    return int.from_bytes(hashlib.blake2b(token, digest_size=8).digest(), "big")


def _sequence_digest(items: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(len(item).to_bytes(4, "big"))
        digest.update(item)
    return digest.hexdigest()


# --- the parsed form every reader produces ----------------------------------------------


@dataclass
class _Parsed:
    kind: str
    source: str
    tokens: list[bytes]  # the model's vocabulary, specials included; duplicates allowed
    specials: set[str]  # special and added tokens, as text
    special_bytes: set[bytes]  # regular-token spellings to leave out of the vocabulary
    merges: list[tuple[bytes, bytes]] | None
    pre_tokenizer: str | None


def _vocabulary(parsed: _Parsed) -> TokenizerVocabulary:
    excluded = parsed.special_bytes | {_text_token(text) for text in parsed.specials}
    regular = set(parsed.tokens) - excluded
    hashes = frozenset(token_hash(token) for token in regular)
    merges_digest = None
    if parsed.merges is not None:
        merges_digest = _sequence_digest(part for pair in parsed.merges for part in pair)
    specials = sorted(parsed.specials)
    kept = sorted(sorted(specials, key=lambda text: (_FILLER.fullmatch(text) is not None, text))[:SPECIAL_TOKENS_KEPT])
    fingerprint = TokenizerFingerprint(
        kind=parsed.kind,
        source=parsed.source,
        size=len(regular),
        vocab_digest=_sequence_digest(sorted(regular)),
        merges_digest=merges_digest,
        special_tokens=tuple(kept),
        special_count=len(specials),
        special_digest=_sequence_digest(_text_token(text) for text in specials),
        pre_tokenizer_digest=None
        if parsed.pre_tokenizer is None
        else hashlib.sha256(parsed.pre_tokenizer.encode("utf-8", "surrogatepass")).hexdigest(),
        sample=tuple(sorted(heapq.nsmallest(SAMPLE_SIZE, hashes))),
    )
    return TokenizerVocabulary(fingerprint=fingerprint, hashes=hashes, special_tokens=frozenset(parsed.specials))


# --- readers ----------------------------------------------------------------------------


def _bounded_json(raw: bytes) -> Any:
    """The document of a tokenizer JSON file; :class:`JSONInputError` when it is over a cap or malformed."""
    return load_json(
        raw,
        max_bytes=MAX_TOKENIZER_BYTES,
        max_items=MAX_TOKENIZER_ITEMS,
        max_containers=MAX_TOKENIZER_CONTAINERS,
    )


def _load_json(name: str, raw: bytes) -> Any:
    try:
        return _bounded_json(raw)
    except JSONInputError as error:
        raise TokenizerError(name, error.reason) from None


def _lines(name: str, raw: bytes) -> int:
    """How many lines ``raw`` holds, refused over :data:`MAX_TOKENS` before anything is split."""
    count = raw.count(b"\n") + 1
    if count > MAX_TOKENS + 1:
        raise TokenizerError(name, f"{count:,} lines, more than the {MAX_TOKENS:,} tokens read")
    return count


def _decode_text(name: str, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TokenizerError(name, f"not UTF-8 text ({error.reason} at byte {error.start})") from None


def _check_count(name: str, count: int) -> None:
    if count > MAX_TOKENS:
        raise TokenizerError(name, f"{count:,} tokens, more than the {MAX_TOKENS:,} read")


def _mentions_byte_level(node: Any, depth: int = 0) -> bool:
    """Whether a pre-tokenizer or decoder (possibly a Sequence of them) is ByteLevel."""
    if depth > 16:
        return False
    if isinstance(node, dict):
        if node.get("type") == "ByteLevel":
            return True
        return any(_mentions_byte_level(value, depth + 1) for value in node.values())
    if isinstance(node, list):
        return any(_mentions_byte_level(value, depth + 1) for value in node)
    return False


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _merge_pairs(name: str, merges: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(merges, list):
        raise TokenizerError(name, "model.merges is not a list")
    _check_count(name, len(merges))
    for merge in merges:
        if isinstance(merge, str):
            parts = merge.split(" ")
        elif isinstance(merge, list):
            parts = merge
        else:
            raise TokenizerError(name, f"a merge is neither a string nor a pair: {merge!r:.60}")
        if len(parts) != 2 or not all(isinstance(part, str) for part in parts):
            raise TokenizerError(name, f"a merge is not two tokens: {merge!r:.60}")
        yield parts[0], parts[1]


def _parse_tokenizer_json(name: str, raw: bytes, declared: set[str]) -> _Parsed:
    data = _load_json(name, raw)
    if not isinstance(data, dict):
        raise TokenizerError(name, "not a JSON object")
    model = data.get("model")
    if not isinstance(model, dict):
        raise TokenizerError(name, "no tokenizer model object")
    vocab = model.get("vocab")
    model_type = model.get("type")
    if model_type is None:  # files written before "type" existed
        model_type = "Unigram" if isinstance(vocab, list) else "BPE" if "merges" in model else "WordPiece"
    if model_type not in ("BPE", "WordPiece", "Unigram", "WordLevel"):
        raise TokenizerError(name, f"unknown tokenizer model type {model_type!r:.40}")
    pieces: list[str]
    if isinstance(vocab, dict):
        pieces = list(vocab)
    elif isinstance(vocab, list):
        pieces = []
        for entry in vocab:
            piece = entry[0] if isinstance(entry, list) and entry else entry
            if not isinstance(piece, str):
                raise TokenizerError(name, f"a vocabulary entry is not a token: {entry!r:.60}")
            pieces.append(piece)
    else:
        raise TokenizerError(name, "model.vocab is neither an object nor a list")
    _check_count(name, len(pieces))
    byte_level = _mentions_byte_level(data.get("pre_tokenizer")) or _mentions_byte_level(data.get("decoder"))
    canonical = byte_level_token if byte_level else _text_token

    added = data.get("added_tokens") or []
    if not isinstance(added, list):
        raise TokenizerError(name, "added_tokens is not a list")
    _check_count(name, len(added))
    specials = set(declared)
    added_texts: set[str] = set()
    for entry in added:
        content = entry.get("content") if isinstance(entry, dict) else None
        if not isinstance(content, str):
            raise TokenizerError(name, f"an added token has no content: {entry!r:.60}")
        added_texts.add(content)
        if entry.get("special", False) is True:
            specials.add(content)
    in_vocab = set(pieces)
    # Added tokens the model's vocabulary does not hold are extra, whether marked special or not.
    specials |= added_texts - in_vocab
    special_bytes = {canonical(text) for text in specials if text in in_vocab}

    merges = None
    if model_type == "BPE":
        merges = [(canonical(left), canonical(right)) for left, right in _merge_pairs(name, model.get("merges") or [])]
    kind = {"BPE": "bpe-bytelevel" if byte_level else "bpe", "WordPiece": "wordpiece"}.get(
        model_type, model_type.lower()
    )
    pre_tokenizer = _canonical_json({"normalizer": data.get("normalizer"), "pre_tokenizer": data.get("pre_tokenizer")})
    return _Parsed(kind, name, [canonical(piece) for piece in pieces], specials, special_bytes, merges, pre_tokenizer)


def _parse_vocab_txt(name: str, raw: bytes, declared: set[str]) -> _Parsed:
    _lines(name, raw)
    lines = _decode_text(name, raw).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    _check_count(name, len(lines))
    # as transformers' load_vocab: one token a line, only the newline stripped
    specials = set(declared) | {line for line in lines if _BERT_SPECIAL.fullmatch(line)}
    return _Parsed("wordpiece", name, [_text_token(line) for line in lines], specials, set(), None, None)


def _parse_vocab_json(
    name: str, raw: bytes, merges_name: str | None, merges_raw: bytes | None, declared: set[str]
) -> _Parsed:
    data = _load_json(name, raw)
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        raise TokenizerError(name, "not an object of tokens")
    pieces = list(data)
    _check_count(name, len(pieces))
    specials = set(declared) | {piece for piece in pieces if _BPE_SPECIAL.fullmatch(piece)}
    # vocab.json + merges.txt is the byte-level format (GPT-2, RoBERTa, CLIP, Qwen); a
    # vocabulary outside the byte alphabet (SentencePiece-style "▁" pieces) is kept as text.
    alphabet = set(BYTE_TO_UNICODE.values())
    byte_level = all(set(piece) <= alphabet for piece in pieces if piece not in specials)
    canonical = byte_level_token if byte_level else _text_token
    merges = None
    if merges_name is not None and merges_raw is not None:
        merges = []
        _lines(merges_name, merges_raw)
        lines = _decode_text(merges_name, merges_raw).split("\n")
        _check_count(merges_name, len(lines))
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\r")
            if not line or (number == 1 and line.startswith("#version")):
                continue
            parts = line.split(" ")
            if len(parts) != 2:
                raise TokenizerError(merges_name, f"line {number} is not a merge of two tokens")
            merges.append((canonical(parts[0]), canonical(parts[1])))
    special_bytes = {canonical(text) for text in specials if text in data}
    kind = ("bpe-bytelevel" if byte_level else "bpe") if merges is not None else "wordlevel"
    return _Parsed(kind, name, [canonical(piece) for piece in pieces], specials, special_bytes, merges, None)


def _looks_like_tiktoken(raw: bytes) -> bool:
    first = raw[:512].split(b"\n", 1)[0].rstrip(b"\r")
    return _TIKTOKEN_LINE.fullmatch(first) is not None


def _parse_tiktoken(name: str, raw: bytes, declared: set[str]) -> _Parsed:
    _lines(name, raw)
    tokens = []
    for number, line in enumerate(raw.split(b"\n"), 1):
        encoded, _, rank = line.strip().partition(b" ")
        if not encoded:
            continue
        if not rank.isdigit():
            raise TokenizerError(name, f"line {number} is not 'base64-token rank'")
        try:
            tokens.append(binascii.a2b_base64(encoded))
        except binascii.Error:
            raise TokenizerError(name, f"line {number} is not base64") from None
    _check_count(name, len(tokens))
    if not tokens:
        raise TokenizerError(name, "no tokens")
    # The split pattern and the special tokens live in the code that loads the file, not in it.
    return _Parsed("tiktoken", name, tokens, set(declared), set(), None, None)


def _parse_tekken(name: str, raw: bytes, declared: set[str]) -> _Parsed:
    data = _load_json(name, raw)
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("vocab"), list)
        or not isinstance(data.get("config"), dict)
    ):
        raise TokenizerError(name, "not a tekken file (config and vocab)")
    config, vocab = data["config"], data["vocab"]
    _check_count(name, len(vocab))
    special_count = config.get("default_num_special_tokens")
    vocab_size = config.get("default_vocab_size")
    inner = len(vocab)
    if isinstance(special_count, int) and isinstance(vocab_size, int) and 0 <= vocab_size - special_count <= len(vocab):
        inner = vocab_size - special_count  # mistral-common cuts the vocabulary to this many ranks
    tokens = []
    for entry in vocab[:inner]:
        encoded = entry.get("token_bytes") if isinstance(entry, dict) else None
        if not isinstance(encoded, str):
            raise TokenizerError(name, f"a vocabulary entry has no token_bytes: {entry!r:.60}")
        try:
            tokens.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            raise TokenizerError(name, f"token_bytes is not base64: {encoded!r:.60}") from None
    listed = data.get("special_tokens")
    specials: list[str] = []
    if isinstance(listed, list):
        for entry in listed:
            text = entry.get("token_str") if isinstance(entry, dict) else None
            if not isinstance(text, str):
                raise TokenizerError(name, f"a special token has no token_str: {entry!r:.60}")
            specials.append(text)
    elif listed is None:
        specials = list(_TEKKEN_DEFAULT_SPECIALS)
    else:
        raise TokenizerError(name, "special_tokens is not a list")
    if isinstance(special_count, int) and len(specials) < special_count <= MAX_TOKENS:
        specials += [f"<SPECIAL_{rank}>" for rank in range(len(specials), special_count)]
    pattern = config.get("pattern")
    return _Parsed(
        "tekken",
        name,
        tokens,
        set(specials) | declared,
        set(),
        None,
        pattern if isinstance(pattern, str) else None,
    )


# SentencePiece ModelProto, read from the protobuf wire format without a protobuf library.
_PIECE_NORMAL, _PIECE_UNKNOWN, _PIECE_CONTROL = 1, 2, 3


def _varint(buffer: bytes, position: int, name: str) -> tuple[int, int]:
    value = 0
    for shift in range(0, 70, 7):
        if position >= len(buffer):
            raise TokenizerError(name, "protobuf varint runs past the end")
        byte = buffer[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
    raise TokenizerError(name, "protobuf varint longer than 10 bytes")


class _FieldCount:
    """Protobuf fields walked in one file so far, refused past :data:`MAX_PROTOBUF_FIELDS`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.walked = 0

    def step(self) -> None:
        self.walked += 1
        if self.walked > MAX_PROTOBUF_FIELDS:
            raise TokenizerError(self.name, f"more than {MAX_PROTOBUF_FIELDS:,} protobuf fields")


def _protobuf_fields(buffer: bytes, name: str, count: _FieldCount) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field; length-delimited values are sliced, never trusted."""
    position = 0
    end = len(buffer)
    while position < end:
        count.step()
        key, position = _varint(buffer, position, name)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise TokenizerError(name, "protobuf field number 0")
        if wire == 0:
            value, position = _varint(buffer, position, name)
            yield field, wire, value
        elif wire == 1 or wire == 5:
            width = 8 if wire == 1 else 4
            if position + width > end:
                raise TokenizerError(name, "protobuf fixed-width field runs past the end")
            yield field, wire, buffer[position : position + width]
            position += width
        elif wire == 2:
            length, position = _varint(buffer, position, name)
            if length > end - position:
                raise TokenizerError(name, f"protobuf length {length} runs past the end")
            yield field, wire, buffer[position : position + length]
            position += length
        else:
            raise TokenizerError(name, f"protobuf wire type {wire} is not used by SentencePiece")


def _parse_sentencepiece(name: str, raw: bytes, declared: set[str]) -> _Parsed:
    tokens: list[bytes] = []
    specials = set(declared)
    normalizer = b""
    count = _FieldCount(name)
    for field, wire, value in _protobuf_fields(raw, name, count):
        if field == 1 and wire == 2 and isinstance(value, bytes):
            piece, piece_type = _sentencepiece_piece(value, name, len(tokens), count)
            tokens.append(piece)
            if piece_type in (_PIECE_UNKNOWN, _PIECE_CONTROL):
                specials.add(piece.decode("utf-8"))
            _check_count(name, len(tokens))
        elif field == 3 and wire == 2 and isinstance(value, bytes):
            normalizer = value
    if not tokens:
        raise TokenizerError(name, "no SentencePiece pieces (not a SentencePiece model)")
    return _Parsed("sentencepiece", name, tokens, specials, set(), None, normalizer.hex())


def _sentencepiece_piece(message: bytes, name: str, index: int, count: _FieldCount) -> tuple[bytes, int]:
    """(UTF-8 piece, type) of one SentencePiece message: field 1 the piece, field 3 its type (normal by default)."""
    piece: bytes | None = None
    piece_type = _PIECE_NORMAL
    for field, wire, value in _protobuf_fields(message, name, count):
        if field == 1 and wire == 2 and isinstance(value, bytes):
            piece = value
        elif field == 3 and wire == 0 and isinstance(value, int):
            piece_type = value
    if piece is None:
        raise TokenizerError(name, f"SentencePiece piece {index} has no text")
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenizerError(name, f"SentencePiece piece {index} is not UTF-8") from None
    return piece, piece_type


# --- choosing and reading files ---------------------------------------------------------


def _basename(key: str) -> str:
    return key.replace("\\", "/").rsplit("/", 1)[-1]


def _declared_specials(files: Mapping[str, bytes]) -> set[str]:
    """Tokens the tokenizer_config.json, special_tokens_map.json and added_tokens.json name (broken files: none)."""
    found: set[str] = set()

    def collect(value: Any, depth: int = 0) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict) and isinstance(value.get("content"), str):
            found.add(value["content"])
        elif isinstance(value, list) and depth == 0:
            for item in value:
                collect(item, 1)

    for key, raw in sorted(files.items()):
        base = _basename(key)
        if base not in _CONFIG_FILES or len(raw) > MAX_TOKENIZER_BYTES:
            continue
        try:
            data = _bounded_json(raw)
        except JSONInputError:
            continue  # a broken config is the config checks' business, not the vocabulary's
        if not isinstance(data, dict):
            continue
        if base == "added_tokens.json":
            found.update(token for token in data if isinstance(token, str))
            continue
        for field, value in data.items():
            if field.endswith("_token") or field == "additional_special_tokens":
                collect(value)
        decoder = data.get("added_tokens_decoder")
        if isinstance(decoder, dict):
            for entry in decoder.values():
                if isinstance(entry, dict) and entry.get("special") is True and isinstance(entry.get("content"), str):
                    found.add(entry["content"])
    return found


def _primary(files: Mapping[str, bytes]) -> str | None:
    """The file to read the vocabulary from, best format first; None when there is none."""
    by_base: dict[str, str] = {}
    for key in sorted(files):
        by_base.setdefault(_basename(key), key)
    if "tokenizer.json" in by_base:
        return by_base["tokenizer.json"]
    for base in sorted(by_base):
        if _TEKKEN_FILE.match(base):
            return by_base[base]
    if "tokenizer.model" in by_base:
        return by_base["tokenizer.model"]
    for base in sorted(by_base):
        if _MODEL_FILE.search(base):
            return by_base[base]
    for base in ("vocab.json", "vocab.txt"):
        if base in by_base:
            return by_base[base]
    return None


def _parse(primary: str, files: Mapping[str, bytes]) -> _Parsed:
    raw = files[primary]
    if len(raw) > MAX_TOKENIZER_BYTES:
        raise TokenizerError(primary, f"{len(raw):,} bytes, more than the {MAX_TOKENIZER_BYTES:,} read")
    declared = _declared_specials(files)
    base = _basename(primary)
    if base == "vocab.txt":
        return _parse_vocab_txt(primary, raw, declared)
    if base == "vocab.json":
        merges_key = next((key for key in sorted(files) if _basename(key) == "merges.txt"), None)
        merges_raw = files[merges_key] if merges_key is not None else None
        if merges_raw is not None and len(merges_raw) > MAX_TOKENIZER_BYTES:
            raise TokenizerError(
                str(merges_key), f"{len(merges_raw):,} bytes, more than the {MAX_TOKENIZER_BYTES:,} read"
            )
        return _parse_vocab_json(primary, raw, merges_key, merges_raw, declared)
    if _TEKKEN_FILE.match(base):
        return _parse_tekken(primary, raw, declared)
    if base.endswith(".json"):
        return _parse_tokenizer_json(primary, raw, declared)
    if _looks_like_tiktoken(raw):
        return _parse_tiktoken(primary, raw, declared)
    return _parse_sentencepiece(primary, raw, declared)


def fingerprint_from_files(files: Mapping[str, bytes], primary: str | None = None) -> TokenizerVocabulary | None:
    """The tokenizer the given files hold, keyed by file name (``tokenizer.json``, ``vocab.txt``, ...).

    The vocabulary is read from one file, the best format present: ``tokenizer.json``, a
    tekken ``tekken*.json``, ``tokenizer.model`` (tiktoken or SentencePiece, told apart by
    content), another ``*.model`` / ``*.tiktoken``, ``vocab.json`` (with ``merges.txt``), then
    ``vocab.txt``; ``primary`` names the file instead. ``tokenizer_config.json``,
    ``special_tokens_map.json`` and ``added_tokens.json`` add the special tokens they name.
    Keys may be paths; the base name decides.

    Returns None when no tokenizer file is among ``files``. Raises :class:`TokenizerError`
    (naming the file) when the chosen file is too large or malformed; no other exception.
    """
    chosen = primary if primary is not None else _primary(files)
    if chosen is None:
        return None
    if chosen not in files:
        raise TokenizerError(chosen, "no such file among those given")
    try:
        return _vocabulary(_parse(chosen, files))
    except TokenizerError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as error:
        # a shape the readers did not foresee: still the file's fault, and still named
        raise TokenizerError(chosen, f"malformed tokenizer ({type(error).__name__})") from None


def _read_capped(tree: Tree, path: Path) -> bytes:
    try:
        real = tree.inside(path)
        if not real.is_file():  # a FIFO or a device would block or never end
            raise TokenizerError(str(path), "not a regular file")
        with open(real, "rb") as handle:
            raw = handle.read(MAX_TOKENIZER_BYTES + 1)
    except OutsideTree as refused:
        raise TokenizerError(str(path), refused.escape.describe()) from None
    except (OSError, ValueError) as error:
        raise TokenizerError(str(path), f"cannot be read ({getattr(error, 'strerror', None) or error})") from None
    if len(raw) > MAX_TOKENIZER_BYTES:
        raise TokenizerError(str(path), f"more than the {MAX_TOKENIZER_BYTES:,} bytes read")
    return raw


def read_vocabulary(folder_or_file: Path) -> TokenizerVocabulary | None:
    """:func:`fingerprint_from_files` on a folder's tokenizer files, or on one file and its folder's config files.

    Returns None when the folder holds no tokenizer file, or the file's name is not one a
    tokenizer is read from; raises :class:`TokenizerError` when the file is unreadable, too
    large or malformed, or a link that leads out of the folder.
    """
    folder_or_file = Path(folder_or_file)
    is_folder = folder_or_file.is_dir()
    folder = folder_or_file if is_folder else folder_or_file.parent
    tree = Tree(folder)
    try:
        with os.scandir(tree.root) as listing:
            names = sorted(entry.name for entry in listing if entry.is_symlink() or entry.is_file())
    except OSError as error:
        raise TokenizerError(str(folder), f"cannot be listed ({error.strerror or error})") from None
    if is_folder:
        primary = _primary(dict.fromkeys(names, b""))
    else:
        primary = folder_or_file.name if _primary({folder_or_file.name: b""}) is not None else None
    if primary is None:
        return None
    # read only the chosen file and the small files that add to it
    helpers = {"merges.txt", *_CONFIG_FILES} if primary == "vocab.json" else set(_CONFIG_FILES)
    files = {name: _read_capped(tree, folder / name) for name in names if name in helpers}
    files[primary] = _read_capped(tree, folder / primary)
    return fingerprint_from_files(files, primary)


def read_tokenizer(folder_or_file: Path) -> TokenizerFingerprint | None:
    """The fingerprint of a folder's (or a file's) tokenizer; None and errors as :func:`read_vocabulary`."""
    vocabulary = read_vocabulary(folder_or_file)
    return None if vocabulary is None else vocabulary.fingerprint


# --- comparison -------------------------------------------------------------------------


def compare_tokenizers(known: TokenizerFingerprint, candidate: TokenizerVocabulary) -> TokenizerComparison:
    """How ``candidate`` relates to the ``known`` tokenizer.

    - ``identical``: the same regular vocabulary (digest) and the same merges when both have
      merges; special tokens may differ only when the candidate has no more of them (the
      description says so), or when one side's format does not list them (tiktoken);
    - ``superset``: the same vocabulary plus added tokens, or every sampled token of the known
      vocabulary in a larger candidate; either way at most :data:`SUPERSET_EXTRA_TOKENS` (or
      1% of the known size) more tokens, regular or added;
    - ``similar``: the same vocabulary with other merges, or at least
      :data:`SIMILAR_CONTAINMENT` of the known sample in the candidate;
    - ``different``: otherwise.
    """
    mine = candidate.fingerprint
    sample = known.sample
    containment = sum(value in candidate.hashes for value in sample) / len(sample) if sample else 0.0
    extra_regular = max(0, mine.size - known.size)
    extra_added = max(0, mine.special_count - known.special_count)
    extra = extra_regular + extra_added
    allowed = max(SUPERSET_EXTRA_TOKENS, known.size // 100)
    same_vocab = known.vocab_digest == mine.vocab_digest
    both_merge = known.merges_digest is not None and mine.merges_digest is not None
    same_merges = not both_merge or known.merges_digest == mine.merges_digest
    vocabulary = f"the same vocabulary of {known.size:,} tokens"
    if known.kind != mine.kind:
        vocabulary += f" ({known.kind} and {mine.kind})"
    if same_vocab and same_merges:
        if known.special_digest == mine.special_digest or 0 in (known.special_count, mine.special_count):
            return TokenizerComparison("identical", 1.0, 0, vocabulary)
        if extra_added == 0:
            others = f"{mine.special_count:,} special or added tokens rather than {known.special_count:,}"
            return TokenizerComparison("identical", 1.0, 0, f"{vocabulary}, with {others}")
        relation = "superset" if extra_added <= allowed else "similar"
        return TokenizerComparison(relation, 1.0, extra, f"{vocabulary} plus {extra_added:,} added tokens")
    if same_vocab:
        return TokenizerComparison("similar", 1.0, extra, f"{vocabulary}, but other merges")
    judged = f"judged from a sample of {len(sample)}"
    if sample and containment == 1.0 and mine.size > known.size and extra <= allowed:
        return TokenizerComparison(
            "superset",
            containment,
            extra,
            f"the whole vocabulary of {known.size:,} tokens ({judged}) plus {extra_regular:,} tokens"
            + (f" and {extra_added:,} added tokens" if extra_added else ""),
        )
    share = f"about {containment:.0%} of the {known.size:,}-token vocabulary ({judged})"
    if mine.size < known.size:
        share += f", and {known.size - mine.size:,} tokens fewer"
    elif mine.size > known.size:
        share += f", and {mine.size - known.size:,} tokens more"
    relation = "similar" if containment >= SIMILAR_CONTAINMENT else "different"
    return TokenizerComparison(relation, containment, extra, share)


def _expect(value: Any, kind: type, *, optional: bool = False) -> Any:
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value
