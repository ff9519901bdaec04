"""Tokenizer fingerprints: one vocabulary, the same fingerprint in every file format that carries it.

The tests write small but real tokenizer files (Hugging Face ``tokenizer.json``, ``vocab.txt``,
``vocab.json`` + ``merges.txt``, tiktoken, Mistral tekken, SentencePiece protobuf) for the
same vocabularies and check that they agree, and that broken files fail with TokenizerError.
"""

from __future__ import annotations

import base64
import contextlib
import json
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from lintml.models import tokenizer as tokenizer_module
from lintml.models.tokenizer import (
    BYTE_TO_UNICODE,
    TokenizerError,
    TokenizerFingerprint,
    TokenizerVocabulary,
    byte_level_token,
    compare_tokenizers,
    fingerprint_from_files,
    read_tokenizer,
    read_vocabulary,
)

# --- a byte-level BPE vocabulary, written in several formats ------------------------------

BYTE_MERGES: list[tuple[bytes, bytes]] = [
    (b" ", b"t"),
    (b"h", b"e"),
    (b" t", b"he"),
    (b"\xc3", b"\xa9"),
    (b"\n", b"\n"),
    (b"c", b"a"),
    (b"ca", b"f"),
    (b"caf", b"\xc3\xa9"),
    (b" ", b"caf\xc3\xa9"),
]
BYTE_TOKENS: list[bytes] = [bytes([value]) for value in range(256)] + [left + right for left, right in BYTE_MERGES]


def _unicode(token: bytes) -> str:
    return "".join(BYTE_TO_UNICODE[value] for value in token)


def _byte_level_json(
    tokens: list[bytes] = BYTE_TOKENS,
    merges: list[tuple[bytes, bytes]] = BYTE_MERGES,
    added: tuple[tuple[str, bool], ...] = (("<|endoftext|>", True),),
    offset: int = 0,
    pair_merges: bool = False,
) -> bytes:
    vocab = {_unicode(token): offset + index for index, token in enumerate(tokens)}
    data = {
        "version": "1.0",
        "added_tokens": [
            {"id": len(tokens) + index, "content": content, "special": special, "normalized": False}
            for index, (content, special) in enumerate(added)
        ],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": False},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "vocab": vocab,
            "merges": [
                [_unicode(left), _unicode(right)] if pair_merges else f"{_unicode(left)} {_unicode(right)}"
                for left, right in merges
            ],
        },
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _vocab_json_files() -> dict[str, bytes]:
    vocab = {_unicode(token): index for index, token in enumerate(BYTE_TOKENS)}
    vocab["<|endoftext|>"] = len(vocab)
    merges = "#version: 0.2\n" + "".join(f"{_unicode(left)} {_unicode(right)}\n" for left, right in BYTE_MERGES)
    return {"vocab.json": json.dumps(vocab).encode(), "merges.txt": merges.encode("utf-8")}


def _tiktoken(tokens: list[bytes]) -> bytes:
    return b"".join(base64.b64encode(token) + b" %d\n" % rank for rank, token in enumerate(tokens))


def _vocabulary(files: dict[str, bytes]) -> TokenizerVocabulary:
    vocabulary = fingerprint_from_files(files)
    assert vocabulary is not None
    return vocabulary


def test_byte_table_is_gpt2s() -> None:
    assert len(set(BYTE_TO_UNICODE.values())) == 256
    assert BYTE_TO_UNICODE[ord(" ")] == "Ġ" and BYTE_TO_UNICODE[ord("\n")] == "Ċ" and BYTE_TO_UNICODE[0] == "Ā"
    assert all(BYTE_TO_UNICODE[value] == chr(value) for value in range(ord("!"), ord("~") + 1))
    assert byte_level_token("Ġthe") == b" the"
    assert byte_level_token("Ã©") == "é".encode()
    assert byte_level_token("ĊĊ") == b"\n\n"
    # a token outside the alphabet is kept as its text
    assert byte_level_token("▁the") == "▁the".encode()
    assert byte_level_token(" raw") == b" raw"


def test_byte_level_formats_agree() -> None:
    from_json = _vocabulary({"tokenizer.json": _byte_level_json()}).fingerprint
    from_pairs = _vocabulary({"tokenizer.json": _byte_level_json(pair_merges=True)}).fingerprint
    from_vocab_json = _vocabulary(_vocab_json_files()).fingerprint
    from_tiktoken = _vocabulary({"tokenizer.model": _tiktoken(BYTE_TOKENS)}).fingerprint
    assert from_json.kind == "bpe-bytelevel" and from_vocab_json.kind == "bpe-bytelevel"
    assert from_tiktoken.kind == "tiktoken"
    assert from_json.size == from_vocab_json.size == from_tiktoken.size == len(BYTE_TOKENS)
    assert from_json.vocab_digest == from_pairs.vocab_digest == from_vocab_json.vocab_digest
    assert from_json.vocab_digest == from_tiktoken.vocab_digest
    assert from_json.merges_digest == from_pairs.merges_digest == from_vocab_json.merges_digest is not None
    assert from_tiktoken.merges_digest is None
    assert from_json.special_tokens == from_vocab_json.special_tokens == ("<|endoftext|>",)
    assert from_tiktoken.special_tokens == ()


def test_vocab_json_outside_the_byte_alphabet_is_kept_as_text() -> None:
    files = _vocab_json_files()
    vocab = json.loads(files["vocab.json"])
    vocab["<|im start|>"] = len(vocab)  # a special token with a raw space does not make the vocabulary text
    files["vocab.json"] = json.dumps(vocab).encode()
    fingerprint = _vocabulary(files).fingerprint
    assert fingerprint.kind == "bpe-bytelevel" and fingerprint.size == len(BYTE_TOKENS)
    spm_style = {"vocab.json": json.dumps({"▁the": 0, "s": 1, "é": 2}).encode(), "merges.txt": b"\xe2\x96\x81 the\n"}
    fingerprint = _vocabulary(spm_style).fingerprint
    assert fingerprint.kind == "bpe"
    spm = _vocabulary({"tokenizer.model": _sentencepiece_model([("▁the", 1), ("s", 1), ("é", 1)])}).fingerprint
    assert fingerprint.vocab_digest == spm.vocab_digest


def test_ids_do_not_matter() -> None:
    shifted = list(reversed(BYTE_TOKENS))
    first = _vocabulary({"tokenizer.json": _byte_level_json()}).fingerprint
    second = _vocabulary({"tokenizer.json": _byte_level_json(tokens=shifted, offset=1000)})
    comparison = compare_tokenizers(first, second)
    assert comparison.relation == "identical" and comparison.extra_tokens == 0
    assert first.vocab_digest == second.fingerprint.vocab_digest


def test_tiktoken_and_tokenizer_json_are_identical() -> None:
    tiktoken = _vocabulary({"tokenizer.model": _tiktoken(BYTE_TOKENS)})
    converted = _vocabulary({"tokenizer.json": _byte_level_json()})
    for known, candidate in ((tiktoken.fingerprint, converted), (converted.fingerprint, tiktoken)):
        comparison = compare_tokenizers(known, candidate)
        assert comparison.relation == "identical", comparison
        assert "tiktoken and bpe-bytelevel" in comparison.description or "bpe-bytelevel and tiktoken" in (
            comparison.description
        )


def test_appended_special_tokens_make_a_superset() -> None:
    known = _vocabulary({"tokenizer.json": _byte_level_json()}).fingerprint
    added = (("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("newword", False))
    candidate = _vocabulary({"tokenizer.json": _byte_level_json(added=added)})
    comparison = compare_tokenizers(known, candidate)
    assert comparison.relation == "superset" and comparison.extra_tokens == 3
    assert "3 added tokens" in comparison.description
    # seen the other way round, the same vocabulary with fewer added tokens
    assert compare_tokenizers(candidate.fingerprint, _vocabulary({"tokenizer.json": _byte_level_json()})).relation == (
        "identical"
    )


def _synthetic(count: int, start: int = 0) -> list[bytes]:
    return [b"tok%06d" % number for number in range(start, start + count)]


def test_a_few_extra_regular_tokens_make_a_superset() -> None:
    base = _synthetic(3000)
    known = _vocabulary({"tokenizer.model": _tiktoken(base)}).fingerprint
    extended = _vocabulary({"tokenizer.model": _tiktoken(base + _synthetic(40, start=90000))})
    comparison = compare_tokenizers(known, extended)
    assert comparison.relation == "superset" and comparison.extra_tokens == 40 and comparison.containment == 1.0
    grown = _vocabulary({"tokenizer.model": _tiktoken(base + _synthetic(5000, start=90000))})
    assert compare_tokenizers(known, grown).relation == "similar"


def test_partial_overlap_is_similar_and_little_is_different() -> None:
    base = _synthetic(4000)
    known = _vocabulary({"tokenizer.model": _tiktoken(base)}).fingerprint
    most = _vocabulary({"tokenizer.model": _tiktoken(base[:3800] + _synthetic(200, start=50000))})
    comparison = compare_tokenizers(known, most)
    assert comparison.relation == "similar" and 0.9 <= comparison.containment < 1.0
    assert "about 9" in comparison.description
    little = _vocabulary({"tokenizer.model": _tiktoken(base[:1000] + _synthetic(3000, start=50000))})
    comparison = compare_tokenizers(known, little)
    assert comparison.relation == "different" and 0.1 < comparison.containment < 0.4
    unrelated = _vocabulary({"tokenizer.model": _tiktoken(_synthetic(4000, start=50000))})
    assert compare_tokenizers(known, unrelated).containment == 0.0


def test_same_vocabulary_with_other_merges_is_similar() -> None:
    known = _vocabulary({"tokenizer.json": _byte_level_json()}).fingerprint
    swapped = [BYTE_MERGES[1], BYTE_MERGES[0], *BYTE_MERGES[2:]]
    candidate = _vocabulary({"tokenizer.json": _byte_level_json(merges=swapped)})
    comparison = compare_tokenizers(known, candidate)
    assert comparison.relation == "similar" and "other merges" in comparison.description


# --- WordPiece ------------------------------------------------------------------------------

WORDPIECE = [
    "[PAD]",
    "[unused0]",
    "[unused1]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "the",
    "##s",
    "##ing",
    "café",
    "中",
]


def _wordpiece_json(vocab: list[str]) -> bytes:
    specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    data = {
        "added_tokens": [
            {"id": index, "content": token, "special": True} for index, token in enumerate(vocab) if token in specials
        ],
        "normalizer": {"type": "BertNormalizer", "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "decoder": {"type": "WordPiece", "prefix": "##"},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {token: i for i, token in enumerate(vocab)}},
    }
    return json.dumps(data).encode()


def test_vocab_txt_and_tokenizer_json_agree() -> None:
    from_txt = _vocabulary({"vocab.txt": ("\n".join(WORDPIECE) + "\n").encode()}).fingerprint
    from_json = _vocabulary({"tokenizer.json": _wordpiece_json(WORDPIECE)}).fingerprint
    assert from_txt.kind == from_json.kind == "wordpiece"
    assert from_txt.size == from_json.size == len(WORDPIECE) - 5
    assert from_txt.vocab_digest == from_json.vocab_digest
    assert from_txt.special_tokens == from_json.special_tokens == ("[CLS]", "[MASK]", "[PAD]", "[SEP]", "[UNK]")
    assert compare_tokenizers(from_txt, _vocabulary({"tokenizer.json": _wordpiece_json(WORDPIECE)})).relation == (
        "identical"
    )


def test_tokenizer_config_declares_special_tokens() -> None:
    config = {"unk_token": {"content": "<oov>", "__type": "AddedToken"}, "additional_special_tokens": ["<x>"]}
    files = {"vocab.txt": b"<oov>\n<x>\nthe\n", "tokenizer_config.json": json.dumps(config).encode()}
    fingerprint = _vocabulary(files).fingerprint
    assert fingerprint.size == 1 and fingerprint.special_tokens == ("<oov>", "<x>")
    files["tokenizer_config.json"] = b"{broken"
    assert _vocabulary(files).fingerprint.size == 3  # a broken config adds nothing


# --- SentencePiece ------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _piece(text: str, score: float, kind: int) -> bytes:
    message = _field(1, text.encode()) + _varint(2 << 3 | 5) + struct.pack("<f", score)
    if kind != 1:  # NORMAL is the default and not written
        message += _varint(3 << 3 | 0) + _varint(kind)
    return _field(1, message)


SPM_PIECES: list[tuple[str, int]] = [
    ("<unk>", 2),
    ("<s>", 3),
    ("</s>", 3),
    ("<0x0A>", 6),
    ("<0xC3>", 6),
    ("▁", 1),
    ("▁the", 1),
    ("s", 1),
    ("é", 1),
    ("▁café", 1),
    ("<mask>", 4),
]


def _sentencepiece_model(pieces: list[tuple[str, int]] = SPM_PIECES, model_type: int = 2) -> bytes:
    body = b"".join(_piece(text, -float(index), kind) for index, (text, kind) in enumerate(pieces))
    trainer = _varint(3 << 3 | 0) + _varint(model_type)
    normalizer = _field(1, b"identity")
    return body + _field(2, trainer) + _field(3, normalizer)


def _sentencepiece_json(model_type: str) -> bytes:
    added = [
        {"id": index, "content": text, "special": True}
        for index, (text, kind) in enumerate(SPM_PIECES)
        if kind in (2, 3)
    ]
    model: dict[str, Any]
    if model_type == "BPE":
        vocab = {text: index for index, (text, _) in enumerate(SPM_PIECES)}
        model = {"type": "BPE", "byte_fallback": True, "vocab": vocab, "merges": ["▁ the", "▁ café"]}
    else:
        model = {"type": "Unigram", "unk_id": 0, "vocab": [[text, -float(i)] for i, (text, _) in enumerate(SPM_PIECES)]}
    data = {
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}]},
        "pre_tokenizer": None,
        "decoder": {"type": "Sequence", "decoders": [{"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": model,
    }
    return json.dumps(data).encode()


def test_sentencepiece_model_reads_pieces_and_types() -> None:
    fingerprint = _vocabulary({"tokenizer.model": _sentencepiece_model()}).fingerprint
    assert fingerprint.kind == "sentencepiece"
    assert fingerprint.size == len(SPM_PIECES) - 3
    assert fingerprint.special_tokens == ("</s>", "<s>", "<unk>")
    assert fingerprint.merges_digest is None and fingerprint.pre_tokenizer_digest is not None


@pytest.mark.parametrize("model_type", ["BPE", "Unigram"])
def test_sentencepiece_model_and_converted_tokenizer_json_agree(model_type: str) -> None:
    spm = _vocabulary({"tokenizer.model": _sentencepiece_model()})
    converted = _vocabulary({"tokenizer.json": _sentencepiece_json(model_type)})
    assert converted.fingerprint.kind == model_type.lower()
    assert spm.fingerprint.vocab_digest == converted.fingerprint.vocab_digest
    assert compare_tokenizers(spm.fingerprint, converted).relation == "identical"
    assert compare_tokenizers(converted.fingerprint, spm).relation == "identical"


def test_a_mistral_style_model_file_name_is_recognised() -> None:
    files = {"mistral_instruct_tokenizer_240323.model.v3": _sentencepiece_model(), "README.md": b"# hi"}
    assert _vocabulary(files).fingerprint.source == "mistral_instruct_tokenizer_240323.model.v3"


# --- tekken -------------------------------------------------------------------------------


def _tekken(tokens: list[bytes], inner: int, special_count: int, specials: list[str] | None = None) -> bytes:
    data: dict[str, Any] = {
        "config": {
            "pattern": "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+",
            "num_vocab_tokens": len(tokens),
            "default_vocab_size": inner + special_count,
            "default_num_special_tokens": special_count,
            "version": "v3",
        },
        "vocab": [
            {"rank": rank, "token_bytes": base64.b64encode(token).decode(), "token_str": token.decode("latin-1")}
            for rank, token in enumerate(tokens)
        ],
    }
    if specials is not None:
        data["special_tokens"] = [
            {"rank": rank, "token_str": text, "is_control": True} for rank, text in enumerate(specials)
        ]
    return json.dumps(data).encode()


def test_tekken_cuts_the_vocabulary_and_fills_the_special_ranks() -> None:
    tokens = BYTE_TOKENS + _synthetic(50)
    vocabulary = _vocabulary({"tekken.json": _tekken(tokens, inner=len(BYTE_TOKENS), special_count=30)})
    fingerprint = vocabulary.fingerprint
    assert fingerprint.kind == "tekken" and fingerprint.size == len(BYTE_TOKENS)
    assert fingerprint.special_count == 30
    assert {"<unk>", "[INST]", "[TOOL_CONTENT]", "<SPECIAL_20>", "<SPECIAL_29>"} <= vocabulary.special_tokens
    assert fingerprint.pre_tokenizer_digest is not None
    tiktoken = _vocabulary({"tokenizer.model": _tiktoken(BYTE_TOKENS)})
    assert compare_tokenizers(fingerprint, tiktoken).relation == "identical"
    listed = _vocabulary({"tekken.json": _tekken(tokens, len(BYTE_TOKENS), 3, specials=["<unk>", "<s>", "</s>"])})
    assert listed.special_tokens == {"<unk>", "<s>", "</s>"}


# --- the fingerprint itself ---------------------------------------------------------------


def test_fingerprint_round_trips_through_json_and_stays_small() -> None:
    vocabulary = _vocabulary({"tokenizer.model": _tiktoken(_synthetic(50_000))})
    fingerprint = vocabulary.fingerprint
    text = json.dumps(fingerprint.as_dict())
    assert len(text) < 8_000
    assert TokenizerFingerprint.from_dict(json.loads(text)) == fingerprint
    assert len(fingerprint.sample) == tokenizer_module.SAMPLE_SIZE
    assert list(fingerprint.sample) == sorted(fingerprint.sample)
    assert set(fingerprint.sample) <= vocabulary.hashes
    assert len(vocabulary.hashes) == fingerprint.size == 50_000


def test_special_tokens_are_capped_and_placeholders_go_first() -> None:
    added = (*((f"<|reserved_special_token_{index}|>", True) for index in range(200)), ("<|eot_id|>", True))
    fingerprint = _vocabulary({"tokenizer.json": _byte_level_json(added=added)}).fingerprint
    assert fingerprint.special_count == 200 + 1
    assert len(fingerprint.special_tokens) == tokenizer_module.SPECIAL_TOKENS_KEPT
    assert "<|eot_id|>" in fingerprint.special_tokens


@pytest.mark.parametrize(
    "broken",
    [
        {"kind": "tiktoken"},
        {**_vocabulary({"vocab.txt": b"a\nb\n"}).fingerprint.as_dict(), "size": "2"},
        {**_vocabulary({"vocab.txt": b"a\nb\n"}).fingerprint.as_dict(), "sample": ["zz"]},
        {**_vocabulary({"vocab.txt": b"a\nb\n"}).fingerprint.as_dict(), "sample": ["02", "01"]},
    ],
)
def test_from_dict_rejects_malformed_data(broken: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TokenizerFingerprint.from_dict(broken)


# --- files and folders ----------------------------------------------------------------------


def test_no_tokenizer_file_is_none() -> None:
    assert fingerprint_from_files({}) is None
    assert fingerprint_from_files({"config.json": b"{}", "README.md": b"hi"}) is None


def test_the_best_format_is_chosen_and_paths_are_accepted() -> None:
    files = {"model/vocab.txt": b"x\ny\n", "model/tokenizer.json": _wordpiece_json(WORDPIECE)}
    assert _vocabulary(files).fingerprint.source == "model/tokenizer.json"
    assert _vocabulary({"model/vocab.txt": b"x\ny\n"}).fingerprint.size == 2


def test_read_tokenizer_from_a_folder_and_a_file(tmp_path: Path) -> None:
    (tmp_path / "vocab.txt").write_text("\n".join(WORDPIECE) + "\n", encoding="utf-8")
    (tmp_path / "tokenizer.json").write_bytes(_wordpiece_json(WORDPIECE))
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    from_folder = read_tokenizer(tmp_path)
    from_file = read_tokenizer(tmp_path / "vocab.txt")
    assert from_folder is not None and from_folder.source == "tokenizer.json"
    assert from_file is not None and from_file.source == "vocab.txt"
    assert from_folder.vocab_digest == from_file.vocab_digest
    assert read_tokenizer(tmp_path / "config.json") is None
    empty = tmp_path / "empty"
    empty.mkdir()
    assert read_tokenizer(empty) is None
    vocabulary = read_vocabulary(tmp_path)
    assert vocabulary is not None and vocabulary.fingerprint == from_folder


def test_read_tokenizer_pairs_vocab_json_with_merges(tmp_path: Path) -> None:
    for name, content in _vocab_json_files().items():
        (tmp_path / name).write_bytes(content)
    fingerprint = read_tokenizer(tmp_path)
    assert fingerprint is not None and fingerprint.merges_digest is not None
    assert fingerprint.vocab_digest == _vocabulary({"tokenizer.json": _byte_level_json()}).fingerprint.vocab_digest


def test_unreadable_paths_raise_tokenizer_error(tmp_path: Path) -> None:
    with pytest.raises(TokenizerError):
        read_tokenizer(tmp_path / "missing" / "tokenizer.json")


# --- hostile input: TokenizerError naming the file, never another exception ----------------


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tokenizer.json", b"{not json"),
        ("tokenizer.json", b"[" * 100_000 + b"]" * 100_000),
        ("tokenizer.json", b"[]"),
        ("tokenizer.json", b'{"model": 3}'),
        ("tokenizer.json", b'{"model": {"type": "Magic", "vocab": {}}}'),
        ("tokenizer.json", b'{"model": {"type": "BPE", "vocab": 5, "merges": []}}'),
        ("tokenizer.json", b'{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": {"a": "b"}}}'),
        ("tokenizer.json", b'{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}}'),
        ("tokenizer.json", b'{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [[1, 2]]}}'),
        ("tokenizer.json", b'{"model": {"type": "Unigram", "vocab": [[1, 0.0]]}}'),
        ("tokenizer.json", b'{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "added_tokens": "x"}'),
        ("tokenizer.json", b'{"model": {"type": "WordPiece", "vocab": {"a": 0}}, "added_tokens": [{"id": 1}]}'),
        ("tokenizer.json", b"\xff\xfe\x00garbage"),
        ("vocab.txt", b"ok\n\xff\xfe broken utf-8\n"),
        ("vocab.json", b'["not", "an", "object"]'),
        ("tokenizer.model", b"QQ== 0\nQg== one\n"),
        ("tokenizer.model", b"QQ== 0\nQ 1\n"),
        ("tokenizer.model", b"\x0a\xff\xff\xff\xff\x0f" + b"abc"),  # a length far past the end
        ("tokenizer.model", b"\x0a\x05\x0a\x09abc"),  # a nested length past the end of its message
        ("tokenizer.model", b"\x0a\x80"),  # a varint that never ends
        ("tokenizer.model", b"\x0a" + b"\xff" * 20),  # a varint longer than 10 bytes
        ("tokenizer.model", b"\x0b\x0c"),  # a group, which SentencePiece never writes
        ("tokenizer.model", b"\x00\x01"),  # field number 0
        ("tokenizer.model", b"\x12\x00"),  # a valid message without pieces
        ("tokenizer.model", b"\x0a\x04\x0a\x02\xc3\x28"),  # a piece that is not UTF-8
        ("tokenizer.model", b"\x0a\x02\x10\x01"),  # a piece without text
        ("tekken.json", b'{"config": {}, "vocab": [{"rank": 0}]}'),
        ("tekken.json", b'{"config": {}, "vocab": [{"rank": 0, "token_bytes": "%%%"}]}'),
        ("tekken.json", b'{"config": [], "vocab": []}'),
        ("tekken.json", b'{"config": {}, "vocab": [], "special_tokens": [{"rank": 0}]}'),
    ],
)
def test_broken_files_raise_tokenizer_error(name: str, content: bytes) -> None:
    with pytest.raises(TokenizerError) as raised:
        fingerprint_from_files({name: content})
    assert raised.value.path == name and raised.value.reason


def test_merges_txt_with_a_bad_line_is_named() -> None:
    files = _vocab_json_files()
    files["merges.txt"] += b"a b c\n"
    with pytest.raises(TokenizerError) as raised:
        fingerprint_from_files(files)
    assert raised.value.path == "merges.txt"


def test_size_caps(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tokenizer_module, "MAX_TOKENIZER_BYTES", 1_000)
    big = _tiktoken(_synthetic(200))
    with pytest.raises(TokenizerError, match="bytes"):
        fingerprint_from_files({"tokenizer.model": big})
    (tmp_path / "tokenizer.model").write_bytes(big)
    with pytest.raises(TokenizerError, match="bytes"):
        read_tokenizer(tmp_path)
    monkeypatch.setattr(tokenizer_module, "MAX_TOKENIZER_BYTES", 10_000_000)
    monkeypatch.setattr(tokenizer_module, "MAX_TOKENS", 100)
    for name, content in (
        ("tokenizer.model", big),
        ("vocab.txt", b"\n".join(_synthetic(200))),
        ("tokenizer.model", _sentencepiece_model([(f"p{index}", 1) for index in range(200)])),
    ):
        with pytest.raises(TokenizerError, match="tokens"):
            fingerprint_from_files({name: content})


@pytest.mark.parametrize("seed", range(40))
def test_mutated_files_fail_only_with_tokenizer_error(seed: int) -> None:
    generator = random.Random(seed)
    originals = {
        "tokenizer.model": _sentencepiece_model(),
        "tokenizer.json": _byte_level_json(),
        "tekken.json": _tekken(BYTE_TOKENS, len(BYTE_TOKENS), 5),
        "vocab.txt": "\n".join(WORDPIECE).encode(),
    }
    for name, original in originals.items():
        for _ in range(10):
            mutated = bytearray(original)
            for _ in range(generator.randint(1, 8)):
                if not mutated:
                    break
                position = generator.randrange(len(mutated))
                if generator.random() < 0.5:
                    mutated[position] = generator.randrange(256)
                else:
                    del mutated[position : position + generator.randint(1, 64)]
            try:
                result = fingerprint_from_files({name: bytes(mutated)})
            except TokenizerError as error:
                assert error.path == name
            else:
                assert result is not None


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_fail_only_with_tokenizer_error(seed: int) -> None:
    content = random.Random(seed).randbytes(200 + seed * 37)
    with contextlib.suppress(TokenizerError):
        fingerprint_from_files({"tokenizer.model": content})
