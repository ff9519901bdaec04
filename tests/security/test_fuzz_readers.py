"""Property-based fuzzing of every reader of model and notebook files.

Each reader gets arbitrary bytes and structured-but-hostile input (valid framing with lying
lengths, offsets, counts and depths) and must return a result or raise its own error type
(WeightsError, UnsafePickle, TokenizerError, JSONInputError), never anything else: no
MemoryError, RecursionError, struct.error, UnicodeDecodeError, KeyError. The worst memory bombs
are then read in a child process under an address-space limit, and their errors checked.

Hypothesis runs derandomized (the same examples in every run), with no example database in the
checkout and a fixed number of examples per reader, so the module takes well under a minute.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import pickle
import pickletools
import struct
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st

from lintml.bounded_json import JSONInputError, load_json
from lintml.facts.cache import FactCache
from lintml.facts.extract import FactExtractor
from lintml.facts.model_card import parse_model_card
from lintml.models.card import declaration
from lintml.models.config import compare_configs, normalize_config
from lintml.models.evidence import FolderReading, read_folder
from lintml.models.folder import ModelFolder
from lintml.models.pickled import BytesFile, pickle_format
from lintml.models.tokenizer import TokenizerError, fingerprint_from_files
from lintml.models.weights import WeightsError, read_tensors, tensor_values
from lintml.repository import NOTEBOOK, RepoFile
from tests.helpers import ROOT

# Hypothesis keeps caches (character tables, the constants of test modules) in ``.hypothesis/`` of the
# working folder, from collection on: set here, at import, they go to the temporary folder instead.
if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
    configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "lintml-hypothesis")

FUZZ = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
FEW = settings(FUZZ, max_examples=80)

BIG = st.sampled_from([0, 1, 7, 255, 2**16, 2**31 - 1, 2**32, 2**40, 2**62, 2**63, 2**64 - 1])
SIZES = st.one_of(st.integers(0, 64), BIG)
WEIGHTS_DATA = ROOT / "tests" / "data" / "weights"


def honest(value: int) -> st.SearchStrategy[int]:
    """Mostly the true value (so that reading goes on to what follows), sometimes a lie."""
    return st.one_of(st.just(value), st.just(value), st.just(value), BIG)


@st.composite
def mutated(draw: st.DrawFn, base: bytes) -> bytes:
    """A real file with a few bytes changed, and sometimes cut short."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    if draw(st.integers(0, 3)) == 0:
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the module: hypothesis runs many examples per test, each rewriting its file."""
    return tmp_path_factory.mktemp("fuzz")


def weights_outcome(path: Path) -> None:
    """Read the file as weights and, if it reads, sample every readable tensor: WeightsError is the only failure."""
    try:
        infos = read_tensors(path)
    except WeightsError:
        return
    for info in infos:
        if info.readable and info.numel:
            positions = np.unique(np.linspace(0, info.numel - 1, num=min(info.numel, 8), dtype=np.int64))
            with contextlib.suppress(WeightsError):
                tensor_values(info, positions)


# ---------------------------------------------------------------------------------------------
# safetensors


DTYPES = st.sampled_from(["F32", "F16", "BF16", "I64", "U8", "BOOL", "F8_E4M3", "F4", "C64", "X9", ""])
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8))
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)


@st.composite
def safetensors_files(draw: st.DrawFn) -> bytes:
    entries: dict[str, Any] = {}
    for index in range(draw(st.integers(0, 4))):
        shape = draw(st.one_of(st.lists(SIZES, max_size=4), JSON_VALUES))
        begin = draw(SIZES)
        end = draw(st.one_of(SIZES, st.just(begin + 4), st.just(begin)))
        offsets = draw(st.one_of(st.just([begin, end]), JSON_VALUES))
        entry = {"dtype": draw(DTYPES), "shape": shape, "data_offsets": offsets}
        entries[draw(st.text(max_size=6)) + str(index)] = draw(st.one_of(st.just(entry), JSON_VALUES))
    if draw(st.booleans()):
        entries["__metadata__"] = draw(JSON_VALUES)
    header = json.dumps(entries).encode()
    if draw(st.integers(0, 5)) == 0:
        header = b"[" * draw(st.integers(0, 3000)) + header
    length = draw(st.one_of(honest(len(header)), st.integers(0, len(header) + 16)))
    return struct.pack("<Q", length % 2**64) + header + draw(st.binary(max_size=256))


@functools.cache
def real_safetensors() -> bytes:
    from safetensors.numpy import save

    return save({"layer.weight": np.arange(24, dtype=np.float32).reshape(4, 6), "layer.bias": np.ones(6, np.float16)})


@FUZZ
@given(content=st.one_of(st.binary(max_size=512), safetensors_files(), mutated(real_safetensors())))
def test_safetensors_reader(scratch: Path, content: bytes) -> None:
    path = scratch / "model.safetensors"
    path.write_bytes(content)
    weights_outcome(path)


# ---------------------------------------------------------------------------------------------
# GGUF


def gguf_string(draw: st.DrawFn) -> bytes:
    text = draw(st.binary(max_size=12))
    length = draw(st.one_of(st.just(len(text)), st.just(len(text)), BIG))
    return struct.pack("<Q", length % 2**64) + text


def gguf_value(draw: st.DrawFn, value_type: int, depth: int) -> bytes:
    if value_type == 8:
        return gguf_string(draw)
    if value_type == 9:
        element = draw(st.sampled_from([0, 4, 6, 7, 8, 9, 10, 12, 13, 99]))
        count = draw(st.one_of(st.integers(0, 4), BIG))
        shown = min(count, 4) if depth < 4 else 0
        body = b"".join(gguf_value(draw, element, depth + 1) for _ in range(shown))
        return struct.pack("<IQ", element, count % 2**64) + body
    width = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}.get(value_type, 3)
    return draw(st.binary(min_size=width, max_size=width))


@st.composite
def gguf_files(draw: st.DrawFn) -> bytes:
    order = draw(st.sampled_from(["<", ">"]))
    version = draw(st.sampled_from([2, 3, 3, 3, 3, 1, 4]))
    metadata = b""
    keys = draw(st.integers(0, 4))
    for _ in range(keys):
        key = draw(st.sampled_from([b"general.alignment", b"general.name", b"k", b""]))
        value_type = draw(st.sampled_from([0, 2, 4, 6, 7, 8, 9, 10, 12, 77]))
        metadata += struct.pack("<Q", len(key)) + key + struct.pack("<I", value_type) + gguf_value(draw, value_type, 0)
    tensors = b""
    count = draw(st.integers(0, 3))
    for index in range(count):
        dims = draw(st.lists(SIZES, max_size=6))
        tensors += struct.pack("<Q", 2) + f"t{index}".encode() + struct.pack("<I", len(dims))
        tensors += b"".join(struct.pack("<Q", size % 2**64) for size in dims)
        type_id = draw(st.sampled_from([0, 1, 8, 12, 24, 28, 30, 4, 99]))
        tensors += struct.pack("<IQ", type_id, draw(st.one_of(st.sampled_from([0, 32, 64, 4]), BIG)) % 2**64)
    declared_tensors = draw(honest(count)) % 2**64
    declared_keys = draw(honest(keys)) % 2**64
    head = b"GGUF" + struct.pack(order + "I", version) + struct.pack(order + "QQ", declared_tensors, declared_keys)
    content = head + metadata + tensors
    content += b"\0" * (-len(content) % 32) + draw(st.binary(max_size=256))
    if draw(st.integers(0, 3)) == 0:
        content = content[: draw(st.integers(0, len(content)))]
    return content


@functools.cache
def real_gguf() -> bytes:
    """A small GGUF file written by the gguf package: metadata of every kind, float and quantized tensors."""
    import gguf

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.gguf"
        writer = gguf.GGUFWriter(str(path), "llama")
        writer.add_string("tokenizer.chat_template", "{{ x }}")
        writer.add_array("tokenizer.ggml.tokens", ["a", "b", "c"])
        writer.add_array("nested", [[1, 2], [3]])
        writer.add_uint32("general.alignment", 64)
        writer.add_tensor("w", np.arange(64, dtype=np.float32).reshape(2, 32))
        writer.add_tensor("h", np.ones((2, 32), dtype=np.float16))
        writer.add_tensor(
            "q",
            gguf.quants.quantize(np.ones((2, 64), np.float32), gguf.GGMLQuantizationType.Q8_0),
            raw_dtype=gguf.GGMLQuantizationType.Q8_0,
        )
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return path.read_bytes()


def real_gguf_header_mutated() -> st.SearchStrategy[bytes]:
    """The real file with bytes changed in its header, where every count and length is."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = bytearray(real_gguf())
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, 400))] = draw(st.sampled_from([0, 1, 0x7F, 0x80, 0xFF]))
        return bytes(data)

    return build()


@FUZZ
@given(
    content=st.one_of(
        st.binary(max_size=256).map(lambda data: b"GGUF" + data), gguf_files(), real_gguf_header_mutated()
    )
)
def test_gguf_reader(scratch: Path, content: bytes) -> None:
    path = scratch / "model.gguf"
    path.write_bytes(content)
    weights_outcome(path)


# ---------------------------------------------------------------------------------------------
# PyTorch pickles, zip and legacy


# Opcodes with the argument bytes that follow them; lengths are drawn, and may lie.
def pickle_opcode(draw: st.DrawFn) -> bytes:
    opcode = draw(st.sampled_from(list(pickletools.opcodes)))
    code = opcode.code.encode("latin-1")
    argument = opcode.arg
    if argument is None:
        return code
    name = argument.name
    if name in ("uint1", "int4", "uint2", "uint4", "uint8", "float8"):
        return code + draw(st.binary(min_size=argument.n, max_size=argument.n))
    if name.startswith("long") or name.endswith(("string1", "string4", "string8", "bytes1", "bytes4", "bytes8")):
        width = {"1": 1, "4": 4, "8": 8}[name[-1]]
        data = draw(st.binary(max_size=8))
        length = draw(st.one_of(st.just(len(data)), BIG)) % 2 ** (8 * width)
        return code + length.to_bytes(width, "little") + data
    return code + draw(st.sampled_from([b"1\n", b"'a'\n", b"torch\nFloatStorage\n", b"os\nsystem\n", b"x", b"99\n"]))


TORCH_GLOBALS = [
    b"ctorch._utils\n_rebuild_tensor_v2\n",
    b"ccollections\nOrderedDict\n",
    b"ctorch\nFloatStorage\n",
    b"cposix\nsystem\n",
]


@st.composite
def pickles(draw: st.DrawFn) -> bytes:
    choice = draw(st.integers(0, 2))
    if choice == 0:  # opcodes in any order, with lying lengths
        body = b"".join(pickle_opcode(draw) for _ in range(draw(st.integers(0, 30))))
        return b"\x80\x02" + body + draw(st.sampled_from([b".", b""]))
    if choice == 1:  # a real pickle of plain data, bytes mutated
        data = bytearray(pickle.dumps(draw(JSON_VALUES), protocol=draw(st.integers(0, 5))))
        for _ in range(draw(st.integers(0, 4))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    # a torch-shaped skeleton: globals, a persistent id tuple, REDUCE, with drawn arguments
    body = b"\x80\x02}(X\x01\x00\x00\x00w" + draw(st.sampled_from(TORCH_GLOBALS))
    body += b"((X\x07\x00\x00\x00storage" + draw(st.sampled_from(TORCH_GLOBALS))
    body += b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpu" + b"J" + struct.pack("<i", draw(st.integers(-4, 2**31 - 1)))
    body += (
        b"tQ"
        + b"K\x00"
        + b"K"
        + bytes([draw(st.integers(0, 255))])
        + b"\x85K\x01\x85\x89"
        + b"}R" * draw(st.integers(0, 1))
    )
    body += b"tR" + draw(st.sampled_from([b"u.", b"s.", b".", b""]))
    return body


def torch_zip(payload: bytes, storages: dict[str, bytes]) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("archive/data.pkl", payload)
        for key, data in storages.items():
            opened.writestr(f"archive/data/{key}", data)
    return archive.getvalue()


@functools.cache
def real_checkpoint(name: str) -> bytes:
    return (WEIGHTS_DATA / name).read_bytes()


@functools.cache
def real_data_pkl() -> tuple[bytes, dict[str, bytes]]:
    """facenet P-Net's data.pkl and storages, from the real torch.save zip checkpoint."""
    with zipfile.ZipFile(WEIGHTS_DATA / "facenet-pnet-zip.pt") as archive:
        names = archive.namelist()
        root = next(name for name in names if name.endswith("/data.pkl"))[: -len("data.pkl")]
        storages = {name[len(root) + 5 :]: archive.read(name) for name in names if name.startswith(f"{root}data/")}
        return archive.read(f"{root}data.pkl"), storages


@FUZZ
@given(
    payload=st.one_of(st.binary(max_size=256), pickles()),
    storage=st.binary(max_size=64),
    container=st.sampled_from(["zip", "legacy"]),
)
def test_pickle_walker(scratch: Path, payload: bytes, storage: bytes, container: str) -> None:
    path = scratch / "pytorch_model.bin"
    path.write_bytes(torch_zip(payload, {"0": storage}) if container == "zip" else b"\x80" + payload[1:] + storage)
    weights_outcome(path)


@FUZZ
@given(data=st.data(), container=st.sampled_from(["zip", "legacy"]))
def test_pickle_walker_on_real_checkpoints_with_bytes_changed(
    scratch: Path, data: st.DataObject, container: str
) -> None:
    path = scratch / "pytorch_model.bin"
    if container == "zip":
        payload, storages = real_data_pkl()
        path.write_bytes(torch_zip(data.draw(mutated(payload)), storages))
    else:
        path.write_bytes(data.draw(mutated(real_checkpoint("facenet-pnet.pt"))))
    weights_outcome(path)


@FEW
@given(content=st.binary(max_size=512), cut=st.integers(0, 600))
def test_damaged_zip_archives(scratch: Path, content: bytes, cut: int) -> None:
    whole = torch_zip(pickle.dumps({"a": 1}, protocol=2), {"0": b"\0" * 16})
    path = scratch / "damaged.pt"
    path.write_bytes(whole[:cut] + content + whole[cut + len(content) :])
    weights_outcome(path)


# ---------------------------------------------------------------------------------------------
# Tokenizers


def varint(value: int) -> bytes:
    out = bytearray()
    value %= 2**70
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


@st.composite
def sentencepiece_models(draw: st.DrawFn) -> bytes:
    out = b""
    for _ in range(draw(st.integers(0, 6))):
        piece = draw(st.binary(max_size=6))
        inner = b"\x0a" + varint(draw(st.one_of(st.just(len(piece)), BIG))) + piece
        inner += b"\x18" + varint(draw(st.integers(0, 6)))
        field = draw(st.sampled_from([0x0A, 0x1A, 0x0B, 0x08, 0x00]))
        out += bytes([field]) + varint(draw(st.one_of(st.just(len(inner)), BIG))) + inner
    return out


@st.composite
def tokenizer_jsons(draw: st.DrawFn) -> bytes:
    vocab = draw(st.one_of(st.dictionaries(st.text(max_size=4), st.integers(0, 9), max_size=6), JSON_VALUES))
    model = {"type": draw(st.sampled_from(["BPE", "WordPiece", "Unigram", "WordLevel", None, 3])), "vocab": vocab}
    if draw(st.booleans()):
        model["merges"] = draw(st.one_of(st.lists(st.text(max_size=5), max_size=4), JSON_VALUES))
    document: Any = {"model": draw(st.one_of(st.just(model), JSON_VALUES)), "added_tokens": draw(JSON_VALUES)}
    if draw(st.booleans()):
        document["pre_tokenizer"] = {"type": "ByteLevel"}
    text = json.dumps(document)
    depth = draw(st.integers(0, 2000))
    return ("[" * depth + text + "]" * draw(st.integers(0, depth))).encode()


TOKENIZER_NAMES = ["tokenizer.json", "tokenizer.model", "vocab.txt", "vocab.json", "tekken.json", "x.tiktoken"]


@FUZZ
@given(
    name=st.sampled_from(TOKENIZER_NAMES),
    content=st.one_of(
        st.binary(max_size=256),
        sentencepiece_models(),
        tokenizer_jsons(),
        st.lists(st.binary(max_size=6).map(lambda token: token.hex().encode() + b" 1"), max_size=6).map(b"\n".join),
    ),
    config=st.one_of(st.none(), st.binary(max_size=64), JSON_VALUES.map(lambda value: json.dumps(value).encode())),
    merges=st.binary(max_size=64),
)
def test_tokenizer_readers(name: str, content: bytes, config: bytes | None, merges: bytes) -> None:
    files = {name: content, "merges.txt": merges}
    if config is not None:
        files["tokenizer_config.json"] = config
    with contextlib.suppress(TokenizerError):
        fingerprint_from_files(files)


# ---------------------------------------------------------------------------------------------
# Model configs, notebooks, model cards, and telling pickles apart


def json_documents(values: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """JSON text of ``values``, sometimes wrapped in thousands of brackets or cut short."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        text = json.dumps(draw(values)).encode()
        depth = draw(st.integers(0, 5000))
        text = b"[" * depth + text + b"]" * draw(st.integers(0, depth))
        if draw(st.booleans()):
            text = text[: draw(st.integers(0, len(text)))]
        return text

    return build()


CONFIGS = st.fixed_dictionaries(
    {"model_type": JSON_VALUES, "architectures": JSON_VALUES, "auto_map": JSON_VALUES},
    optional={"hidden_size": JSON_VALUES, "text_config": JSON_VALUES, "quantization_config": JSON_VALUES},
)


@FUZZ
@given(content=st.one_of(st.binary(max_size=256), json_documents(CONFIGS)), other=CONFIGS)
def test_model_config_reader(content: bytes, other: dict[str, Any]) -> None:
    folder = ModelFolder("", None, ("config.json", "tokenizer_config.json"), (), (), ("config.json",))
    files = {"config.json": content, "tokenizer_config.json": content}
    reading = read_folder(folder, files.get, lambda path: None)
    assert isinstance(reading, FolderReading)
    if reading.config is not None:
        compare_configs(normalize_config(other), normalize_config(reading.config))


NOTEBOOKS = st.fixed_dictionaries(
    {"cells": st.lists(st.fixed_dictionaries({"cell_type": st.just("code"), "source": JSON_VALUES}), max_size=3)},
    optional={"metadata": JSON_VALUES},
)


@FUZZ
@given(content=st.one_of(st.binary(max_size=256), json_documents(NOTEBOOKS)))
def test_notebook_reader(content: bytes) -> None:
    facts = FactExtractor(FactCache(None)).facts(RepoFile("demo.ipynb", NOTEBOOK, len(content)), content)
    assert facts is not None


FRONT_MATTER = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.one_of(
            st.sampled_from(["license: mit", "base_model: [a, b]", "- x", "  - y", "a: &x 1", "b: *x", "{[", "? x"]),
            st.text(max_size=20),
            st.integers(0, 400).map(lambda depth: "k: " + "[" * depth + "]" * depth),
        ),
        max_size=12,
    ).map("\n".join),
)


@FEW
@given(body=FRONT_MATTER, text=st.text(max_size=100), closed=st.booleans())
def test_model_card_front_matter(body: str, text: str, closed: bool) -> None:
    card_text = "---\n" + body + ("\n---\n" if closed else "\n") + text
    card = parse_model_card(card_text)
    declaration("README.md", card, card_text)


@FUZZ
@given(
    name=st.sampled_from(["a.pkl", "a.pickle", "a.joblib", "a.npy", "a.bin", "a.pt", "a.pth", "a.ckpt"]),
    content=st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=200).map(lambda tail: b"\x93NUMPY\x01\x00" + tail),
        st.binary(max_size=200).map(lambda tail: b"PK\x03\x04" + tail + b"PK\x05\x06" + tail[:18]),
    ),
)
def test_telling_pickles_apart(name: str, content: bytes) -> None:
    pickle_format(name, BytesFile(name, content))


@FUZZ
@given(content=st.one_of(st.binary(max_size=300), json_documents(JSON_VALUES)))
def test_bounded_json(content: bytes) -> None:
    with contextlib.suppress(JSONInputError):
        load_json(content, max_bytes=4096)


# ---------------------------------------------------------------------------------------------
# Memory bombs under an address-space limit


def bombs() -> Iterator[tuple[str, bytes, str]]:
    """(file name, content, what the error must say) for the cheapest ways to ask for gigabytes."""
    yield (
        "array.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<IIQ", 9, 0, 1 << 40),
        "is an array of 1,099,511,627,776 elements",
    )
    yield "tensors.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 0) + b"\0" * 8, "tensors, more than the 262,144"
    yield (
        "string.gguf",
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1) + b"k" + struct.pack("<IQ", 8, 1 << 62),
        "more than the 16,777,216 read",
    )
    yield "header.safetensors", struct.pack("<Q", 1 << 62) + b"{}", "over the 100000000-byte limit"
    yield "containers.safetensors", struct.pack("<Q", 3 * 1_300_000) + b"{}," * 1_300_000, "more lists and objects"
    yield (
        "directory.bin",
        b"PK\x03\x04" + b"\0" * 60 + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, 0xFFFFFFF0, 0, 0),
        "its zip directory is 4,294,967,280 bytes",
    )
    yield "stack.bin", b"\x80\x02" + b"N" + b"r" + struct.pack("<I", 0xFFFFFFFF) + b"N" * 1_000_001, "stacks up more"


def test_memory_bombs_are_refused_within_an_address_space_limit(tmp_path: Path) -> None:
    cases = list(bombs())
    for name, content, _ in cases:
        (tmp_path / name).write_bytes(content)
    (tmp_path / "tokenizer.json").write_bytes(b"[" + b"{}," * 20_000_000 + b"{}]")
    script = textwrap.dedent(
        f"""
        import resource, sys
        from pathlib import Path
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        from lintml.models.tokenizer import TokenizerError, fingerprint_from_files
        from lintml.models.weights import WeightsError, read_tensors
        folder = Path({str(tmp_path)!r})
        for name in {[name for name, _, _ in cases]!r}:
            try:
                read_tensors(folder / name)
                print(name, "READ")
            except WeightsError as error:
                print(name, error.reason)
        try:
            fingerprint_from_files({{"tokenizer.json": (folder / "tokenizer.json").read_bytes()}})
        except TokenizerError as error:
            print("tokenizer.json", error.reason)
        """
    )
    environment = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment
    )
    assert done.returncode == 0, done.stderr[-2000:]
    said = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    for name, _, expected in cases:
        assert expected in said[name], (name, said[name])
    assert "20,000,002 brackets, more lists and objects than the 1,500,000 read" in said["tokenizer.json"]
