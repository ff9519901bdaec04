"""Hostile model files: links out of the tree, lying GGUF headers, pickles of every kind, and readers' caps.

Every test builds real files (safetensors written by safetensors, GGUF by hand or by the gguf
package, pickles by pickle, zips by zipfile, .npy by numpy) in real temporary git repositories or
folders, and runs lintml on them in-process; each asserts what would change if the defence went.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from lintml import api
from lintml.containment import Tree
from lintml.findings import Finding
from lintml.models.pickled import BytesFile, pickle_format
from lintml.models.weights import WeightsError, read_tensors
from tests.helpers import ROOT

TORCH_MAGIC = 0x1950A86A20F9469CFC6C
EMPTY_SAFETENSORS = b"\x02\0\0\0\0\0\0\0{}"  # a valid safetensors file holding no tensors


def tensors(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "embed.weight": rng.normal(0, 0.02, (64, 32)).astype(np.float32),
        "layer.0.weight": rng.normal(0, 0.05, (32, 32)).astype(np.float32),
        "layer.1.weight": rng.normal(0, 0.05, (32, 32)).astype(np.float32),
        "head.weight": rng.normal(0, 0.02, (64, 32)).astype(np.float32),
    }


def safetensors_bytes(tmp_path: Path, values: dict[str, np.ndarray]) -> bytes:
    target = tmp_path / f"staging-{len(list(tmp_path.glob('staging-*')))}.safetensors"
    save_file(values, str(target))
    return target.read_bytes()


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", *args], cwd=root, check=True, capture_output=True, text=True
    )


def link(root: Path, path: str, target: Path | str) -> None:
    """A symbolic link committed to the repository, as an attacker's repository would carry it."""
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, root / path)
    git(root, "add", path)
    git(root, "commit", "-q", "-m", f"link {path}")


def findings(root: Path, *, indexes: tuple[Path, ...] = (), select: tuple[str, ...] = ()) -> list[Finding]:
    result = api.check([root], root=root, indexes=indexes, use_catalog=False, use_cache=False, select=select)
    return list(result.findings)


def of_rule(found: list[Finding], rule: str) -> dict[str, str]:
    return {finding.path: finding.message for finding in found if finding.rule == rule}


@pytest.fixture
def sketch_index(tmp_path: Path) -> Path:
    """An index knowing acme/base by its weight sketch, so that checks read and sketch model weights."""
    base = tmp_path / "base"
    base.mkdir()
    save_file(tensors(1), str(base / "model.safetensors"))
    index = tmp_path / "models.sqlite3"
    api.index_add_model("acme/base", base, license_id="apache-2.0", index_path=index)
    return index


# ---------------------------------------------------------------------------------------------
# Containment: shards, indexes and siblings that lead out of the tree


@pytest.mark.parametrize("with_index", [True, False], ids=["index", "shards-by-name"])
def test_a_shard_linked_out_of_the_repository_is_refused_and_named(
    with_index: bool, sketch_index: Path, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    base = tensors(1)
    first = {name: value for name, value in base.items() if name < "layer.1"}
    second = {name: value for name, value in base.items() if name >= "layer.1"}
    outside = tmp_path / "outside"
    outside.mkdir()
    # What the link leads to is a real shard: read, it would make the weights match acme/base.
    (outside / "secret.safetensors").write_bytes(safetensors_bytes(tmp_path, second))
    files: dict[str, str | bytes] = {
        "README.md": "---\nlicense: apache-2.0\n---\n# Ours\n",
        "model-00001-of-00002.safetensors": safetensors_bytes(tmp_path, first),
    }
    if with_index:
        files["model.safetensors.index.json"] = json.dumps(
            {
                "weight_map": {
                    **dict.fromkeys(first, "model-00001-of-00002.safetensors"),
                    **dict.fromkeys(second, "model-00002-of-00002.safetensors"),
                }
            }
        )
    root = make_repo(files)
    link(root, "model-00002-of-00002.safetensors", outside / "secret.safetensors")
    found = findings(root, indexes=(sketch_index,))
    unreadable = of_rule(found, "unreadable-input")
    message = unreadable["model-00001-of-00002.safetensors"]
    assert f"model-00002-of-00002.safetensors is a symbolic link to {outside / 'secret.safetensors'}" in message
    assert "header length" not in message
    assert not any("weights derive from" in finding.message for finding in found)


def test_a_shard_linked_out_is_never_opened_even_when_it_would_read_as_a_header(tmp_path: Path) -> None:
    """The reported attack: a second shard linked to a system file, its first bytes read as a header length."""
    folder = tmp_path / "model"
    folder.mkdir()
    save_file(tensors(1), str(folder / "model-00001-of-00002.safetensors"))
    secret = tmp_path / "passwd"
    secret.write_bytes(b"root:x:0:0:root:/root:/bin/bash\n")
    os.symlink(secret, folder / "model-00002-of-00002.safetensors")
    with pytest.raises(WeightsError) as raised:
        read_tensors(folder)
    assert raised.value.path == str(folder / "model-00002-of-00002.safetensors")
    assert raised.value.reason == (
        f"model-00002-of-00002.safetensors is a symbolic link to {secret}, outside the repository: not read"
    )


def test_a_link_that_stays_inside_the_tree_is_followed(tmp_path: Path) -> None:
    """Hub snapshots link shards to blobs: inside the tree that is fine, and read."""
    root = tmp_path / "snapshot"
    (root / "blobs").mkdir(parents=True)
    (root / "model").mkdir()
    save_file(tensors(1), str(root / "blobs" / "abc123"))
    os.symlink("../blobs/abc123", root / "model" / "model.safetensors")
    infos = read_tensors(root / "model", Tree(root))
    assert [info.name for info in infos] == sorted(tensors(1))
    with pytest.raises(WeightsError, match=r"symbolic link to \.\./blobs/abc123"):
        read_tensors(root / "model")  # contained in the model folder alone, the blob is outside


def test_an_index_naming_a_shard_under_a_linked_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    save_file(tensors(1), str(outside / "model-00001-of-00001.safetensors"))
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(outside, folder / "parts")
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"weight_map": dict.fromkeys(tensors(1), "parts/model-00001-of-00001.safetensors")})
    )
    with pytest.raises(WeightsError) as raised:
        read_tensors(folder)
    assert raised.value.path == str(folder / "model.safetensors.index.json")
    assert f"parts is a symbolic link to {outside}, outside the repository" in raised.value.reason


def test_compare_models_reads_nothing_outside_the_folder_named(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 32}))
    (outside / "tokenizer.json").write_text(
        json.dumps({"model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1}, "unk_token": "a"}})
    )
    (outside / "README.md").write_text("---\nlicense: secret-license\n---\n")
    save_file(tensors(2), str(outside / "weights.safetensors"))
    first = tmp_path / "a"
    first.mkdir()
    save_file(tensors(1), str(first / "model.safetensors"))
    (first / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 32}))
    second = tmp_path / "b"
    second.mkdir()
    for name in ("config.json", "tokenizer.json", "README.md"):
        os.symlink(outside / name, second / name)
    os.symlink(outside / "weights.safetensors", second / "model.safetensors")
    with pytest.raises(api.UsageError) as raised:
        api.compare_models(first, second)
    message = str(raised.value)
    for name in ("config.json", "tokenizer.json", "README.md", "model.safetensors"):
        assert f"{name} is a symbolic link to {outside / name if name != 'model.safetensors' else outside}" in message
    assert "nothing to compare" in message


def test_index_add_model_holds_to_the_folder_named(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    save_file({"secret": np.ones(8, np.float32)}, str(outside / "shard.safetensors"))
    folder = tmp_path / "model"
    folder.mkdir()
    save_file(tensors(1), str(folder / "model-00001-of-00002.safetensors"))
    os.symlink(outside / "shard.safetensors", folder / "model-00002-of-00002.safetensors")
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": 32}))
    model, problems = api.index_add_model("acme/x", folder, license_id="mit", index_path=tmp_path / "i.sqlite3")
    assert model.sketch is None and model.config is not None
    assert any("model-00002-of-00002.safetensors is a symbolic link to" in problem for problem in problems)


# ---------------------------------------------------------------------------------------------
# GGUF: lintml's own header reader


def gguf_string(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def gguf(
    *,
    version: int = 3,
    tensors_declared: int | None = None,
    metadata: bytes = b"",
    keys: int = 0,
    tensor_entries: bytes = b"",
    tensor_count: int = 0,
    data: bytes = b"",
    pad_to: int = 32,
) -> bytes:
    header = (
        b"GGUF"
        + struct.pack("<I", version)
        + struct.pack("<QQ", tensor_count if tensors_declared is None else tensors_declared, keys)
        + metadata
        + tensor_entries
    )
    return header + b"\0" * (-len(header) % pad_to) + data


def tensor_entry(name: bytes, dims: tuple[int, ...], type_id: int, offset: int) -> bytes:
    return (
        gguf_string(name)
        + struct.pack("<I", len(dims))
        + struct.pack(f"<{len(dims)}Q", *dims)
        + (struct.pack("<IQ", type_id, offset))
    )


def kv(key: bytes, value_type: int, value: bytes) -> bytes:
    return gguf_string(key) + struct.pack("<I", value_type) + value


def nested_arrays(depth: int) -> bytes:
    value = struct.pack("<IQ", 4, 1) + struct.pack("<I", 7)  # an array of one uint32
    for _ in range(depth - 1):
        value = struct.pack("<IQ", 9, 1) + value
    return value


F32_4 = np.arange(4, dtype=np.float32).tobytes()

HOSTILE_GGUF = [
    ("array-2^40", gguf(keys=1, metadata=kv(b"k", 9, struct.pack("<IQ", 0, 1 << 40))), "array of 1,099,511,627,776"),
    ("string-array-2^40", gguf(keys=1, metadata=kv(b"k", 9, struct.pack("<IQ", 8, 1 << 40))), "1,099,511,627,776"),
    ("tensors-2^60", gguf(tensors_declared=1 << 60), "lists 1,152,921,504,606,846,976 tensors"),
    ("keys-2^60", gguf(keys=1 << 60), "1,152,921,504,606,846,976 metadata entries"),
    ("key-length", gguf(keys=1, metadata=struct.pack("<Q", 1 << 62) + b"k"), "more than the 256"),
    ("string-length", gguf(keys=1, metadata=kv(b"k", 8, struct.pack("<Q", 1 << 40))), "more than the 16,777,216"),
    ("string-past-end", gguf(keys=1, metadata=kv(b"k", 8, struct.pack("<Q", 4096))), "runs past the end of the file"),
    ("nesting", gguf(keys=1, metadata=kv(b"k", 9, nested_arrays(12))), "nests arrays more than 8 deep"),
    ("value-type", gguf(keys=1, metadata=kv(b"k", 77, b"")), "unknown value type 77"),
    ("duplicate-key", gguf(keys=2, metadata=kv(b"k", 4, b"\0" * 4) * 2), "names 'k' twice"),
    ("alignment", gguf(keys=1, metadata=kv(b"general.alignment", 4, struct.pack("<I", 3))), "not a power of two"),
    ("version-1", gguf(version=1), "GGUF version 1"),
    (
        "dims",
        gguf(tensor_count=1, tensor_entries=tensor_entry(b"t", (1, 1, 1, 1, 1), 0, 0), data=F32_4),
        "5 dimensions",
    ),
    (
        "elements",
        gguf(tensor_count=1, tensor_entries=tensor_entry(b"t", (1 << 40, 1 << 40), 0, 0), data=F32_4),
        "more elements than any file can hold",
    ),
    ("type", gguf(tensor_count=1, tensor_entries=tensor_entry(b"t", (4,), 99, 0), data=F32_4), "unknown type 99"),
    ("offset", gguf(tensor_count=1, tensor_entries=tensor_entry(b"t", (4,), 0, 1 << 40), data=F32_4), "past the end"),
    ("misaligned", gguf(tensor_count=1, tensor_entries=tensor_entry(b"t", (4,), 0, 4), data=F32_4 * 2), "alignment"),
    (
        "overlap",
        gguf(
            tensor_count=2,
            tensor_entries=tensor_entry(b"a", (16,), 0, 0) + tensor_entry(b"b", (16,), 0, 32),
            data=F32_4 * 8,
        ),
        "overlap",
    ),
    (
        "duplicate-tensor",
        gguf(tensor_count=2, tensor_entries=tensor_entry(b"a", (4,), 0, 0) * 2, data=F32_4),
        "listed twice",
    ),
    ("blocks", gguf(tensor_count=1, tensor_entries=tensor_entry(b"q", (31,), 8, 0), data=F32_4), "whole blocks of 32"),
    ("truncated", gguf(keys=1, metadata=kv(b"k", 4, b""))[:30], "runs past the end"),
]


@pytest.mark.parametrize(("content", "reason"), [case[1:] for case in HOSTILE_GGUF], ids=[c[0] for c in HOSTILE_GGUF])
def test_gguf_headers_that_lie_are_refused_with_a_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(WeightsError) as raised:
        read_tensors(path)
    assert reason in raised.value.reason
    assert raised.value.path == str(path)


def test_the_reported_49_byte_gguf_is_a_finding_in_a_repository(make_repo: Callable[..., Path]) -> None:
    bomb = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_string(b"k") + struct.pack("<IIQ", 9, 0, 1 << 40)
    assert len(bomb) == 49
    root = make_repo({"README.md": "---\nlicense: mit\n---\n# m\n", "LICENSE": "MIT License\n", "model.gguf": bomb})
    message = of_rule(findings(root, select=("unreadable-input",)), "unreadable-input")["model.gguf"]
    assert "'k' is an array of 1,099,511,627,776 elements" in message


def test_a_real_gguf_file_is_read_without_the_gguf_package(tmp_path: Path) -> None:
    gguf_package = pytest.importorskip("gguf")
    path = tmp_path / "model.gguf"
    writer = gguf_package.GGUFWriter(str(path), "llama")
    writer.add_string("tokenizer.chat_template", "{{ messages }}" * 100)
    writer.add_array("tokenizer.ggml.tokens", [f"t{number}" for number in range(500)])
    writer.add_array("nested", [[1, 2], [3]])
    writer.add_tensor("w", np.arange(64, dtype=np.float32).reshape(2, 32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    script = (
        "import sys; sys.modules['gguf'] = None\n"  # importing gguf now fails: the reader must not need it
        "from pathlib import Path\n"
        "import numpy as np\n"
        "from lintml.models.weights import read_tensors, tensor_values\n"
        f"(info,) = read_tensors(Path({str(path)!r}))\n"
        "print(info.name, info.dtype, info.shape, tensor_values(info, np.arange(64)).sum())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["w", "F32", "(2,", "32)", "2016.0"]


# ---------------------------------------------------------------------------------------------
# Pickle-based files


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {self.marker}",))


def torch_zip(payload: bytes) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as opened:
        opened.writestr("archive/data.pkl", payload)
        opened.writestr("archive/version", "3\n")
    return archive.getvalue()


def object_npy() -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_every_pickle_based_file_is_reported_once(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    numbers = io.BytesIO()
    np.save(numbers, np.arange(12, dtype=np.float32))
    hostile = pickle.dumps({"weight": _Exploit(marker)}, protocol=2)
    root = make_repo(
        {
            "README.md": "---\nlicense: mit\n---\n# Assorted models\n",
            "LICENSE": "MIT License\n",
            "classic/clf.pkl": pickle.dumps({"coef": [1.0, 2.0]}, protocol=4),
            "classic/cache.pickle": pickle.dumps({"a": 1}, protocol=0),
            "classic/forest.joblib": zlib.compress(pickle.dumps(list(range(100)))),
            "lightning/last.ckpt": torch_zip(pickle.dumps({"epoch": 3}, protocol=2)),
            "old/model.pt": pickle.dumps(TORCH_MAGIC, protocol=2) + pickle.dumps(1001, protocol=2),
            "arrays/features.npy": object_npy(),
            "arrays/numbers.npy": numbers.getvalue(),
            "data/train.bin": np.arange(1000, dtype=np.uint16).tobytes(),
            "notes/readme.pkl": "not a pickle at all, just words\n",
            "remote/weights.pt": "version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 12\n",
            "hostile/config.json": json.dumps({"model_type": "llama"}),
            "hostile/pytorch_model.bin": torch_zip(hostile),
            "hostile/evil.pkl": hostile,
        }
    )
    found = findings(root)
    reported = sorted(finding.path for finding in found if finding.rule == "pickle-weights")
    assert reported == [
        "arrays/features.npy",
        "classic/cache.pickle",
        "classic/clf.pkl",
        "classic/forest.joblib",
        "hostile/evil.pkl",
        "lightning/last.ckpt",
        "old/model.pt",
        "remote/weights.pt",
    ]
    messages = of_rule(found, "pickle-weights")
    assert messages["lightning/last.ckpt"].startswith("last.ckpt is a PyTorch checkpoint (a torch.save zip")
    assert "walks a PyTorch pickle's opcodes without running them" in messages["lightning/last.ckpt"]
    assert "NumPy array of Python objects" in messages["arrays/features.npy"]
    assert "Git LFS pointer" in messages["remote/weights.pt"]
    # The hostile checkpoint keeps its stronger finding, which names the function its pickle calls.
    assert "'posix.system'" in of_rule(found, "unreadable-input")["hostile/pytorch_model.bin"]
    assert not marker.exists(), "a pickle in the scanned repository was executed"


def test_pickle_formats_are_told_from_the_first_bytes() -> None:
    def what(path: str, data: bytes) -> str | None:
        found = pickle_format(path, BytesFile(path, data))
        return None if found is None else found.what

    assert what("a.pkl", pickle.dumps([1], protocol=5)) == "a pickle"
    assert what("a.pkl", pickle.dumps(["v" * 2000], protocol=0)) == "a pickle"  # MARK, LIST, then a long string
    assert what("a.pkl", b"Index of files\n") is None
    assert what("a.bin", pickle.dumps([1], protocol=0)) is None  # a .bin needs a protocol 2+ header
    assert what("a.zip", pickle.dumps([1], protocol=4)) is None
    assert what("old.pth", b"\0" * 257 + b"ustar\0" + b"\0" * 300) is not None
    assert what("a.bin", torch_zip(b"\x80\x02N.")) is not None
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as opened:
        opened.writestr("model/weights.txt", "1 2 3")
    assert what("a.bin", plain_zip.getvalue()) is None
    structured = io.BytesIO()
    np.save(structured, np.zeros(2, dtype=[("x", "<f4"), ("y", "O")]), allow_pickle=True)
    assert what("s.npy", structured.getvalue()) is not None
    lying = b"\x93NUMPY\x01\x00" + struct.pack("<H", 60_000) + b"{'descr': '|O'}"
    assert what("lying.npy", lying) is None  # a header longer than the file: not read


# ---------------------------------------------------------------------------------------------
# The pickle walker's count caps, and the zip directory's


@pytest.mark.parametrize(
    ("payload", "reason", "container"),
    [
        (b"\x80\x02" + b"N0" * 2_500_001 + b"N.", "runs more than 5,000,000 opcodes", "zip"),
        (b"\x80\x04N" + b"\x94" * 2_000_001 + b".", "memoizes more than 2,000,000 values", "zip"),
        (b"\x80\x02" + b"N" * 1_000_001 + b".", "stacks up more than 1,000,000 values", "zip"),
        (b"\x80\x02" + b"N" * 1_000_001 + b".", "stacks up more than 1,000,000 values", "legacy"),
        (b"\x80\x02" + b"(" * 10_001 + b".", "more than 10,000 MARKs", "legacy"),
        (b"\x80\x02" + b"]0" * 2_000_001 + b"N.", "more than 2000000 containers", "legacy"),
    ],
    ids=["opcodes", "memo", "stack", "stack-legacy", "marks-legacy", "containers-legacy"],
)
def test_a_pickle_that_builds_without_end_is_capped_by_count(
    tmp_path: Path, payload: bytes, reason: str, container: str
) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(torch_zip(payload) if container == "zip" else payload)
    with pytest.raises(WeightsError) as raised:
        read_tensors(path)
    assert reason in raised.value.reason


def test_a_zip_directory_larger_than_the_cap_is_refused_before_zipfile_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "pytorch_model.bin"
    directory_size = 20 * 1024 * 1024
    with path.open("wb") as handle:  # a sparse file: 20 MB of claimed directory, no disk used
        handle.write(b"PK\x03\x04")
        handle.seek(directory_size + 64)
        handle.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, directory_size, 32, 0))
    with pytest.raises(WeightsError, match="its zip directory is 20,971,520 bytes, more than the 16,777,216"):
        read_tensors(path)


# ---------------------------------------------------------------------------------------------
# JSON, tokenizer and front matter caps, through a check


def test_json_and_text_bombs_in_a_model_folder_are_findings(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "README.md": "---\nlicense: mit\n---\n# m\n",
            "LICENSE": "MIT License\n",
            "deep/config.json": "[" * 50_000 + "]" * 50_000,
            "deep/model.safetensors": EMPTY_SAFETENSORS,
            "wide/config.json": '{"model_type": "llama", "x": [' + "{}," * 150_000 + "{}]}",
            "wide/model.safetensors": EMPTY_SAFETENSORS,
            "tok/tokenizer.json": '{"model": ' + "[" * 100 + "]" * 100 + "}",
            "vocab/vocab.txt": "\n" * 1_600_000,
            "nb/deep.ipynb": '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "card/README.md": "---\nlicense: mit\ntags:\n" + "  - a\n" * 50_000 + "---\n# big\n",
            "card/model.safetensors": EMPTY_SAFETENSORS,
        }
    )
    found = findings(root)
    unreadable = of_rule(found, "unreadable-input")
    assert "config: nested 50,000 levels deep, more than the 64 lintml reads" in unreadable["deep/config.json"]
    assert "150,003 brackets, more lists and objects than the 100,000 read" in unreadable["wide/config.json"]
    assert "nested 101 levels deep" in unreadable["tok/tokenizer.json"]
    assert "1,600,001 lines, more than the 1,500,000 tokens read" in unreadable["vocab/vocab.txt"]
    assert "notebook: nested 100,001 levels deep" in unreadable["nb/deep.ipynb"]
    front = of_rule(found, "model-card-front-matter")
    assert "front matter of 300,018 characters is more than lintml reads (262,144)" in front["card/README.md"]


def test_compare_models_on_fifos_and_a_gguf_bomb_ends_with_one_line(tmp_path: Path) -> None:
    """FIFOs named like a config, a tokenizer, a card and weights are not opened (opening one blocks)."""
    first = tmp_path / "a"
    first.mkdir()
    save_file(tensors(1), str(first / "model.safetensors"))
    second = tmp_path / "b"
    second.mkdir()
    for name in ("config.json", "tokenizer.json", "README.md", "model.safetensors"):
        os.mkfifo(second / name)
    (second / "model.gguf").write_bytes(
        b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + gguf_string(b"k") + struct.pack("<IIQ", 9, 0, 1 << 40)
    )
    done = subprocess.run(
        [sys.executable, "-m", "lintml.cli", "compare-models", str(first), str(second)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "model.gguf: not a readable GGUF file: 'k' is an array of 1,099,511,627,776 elements" in done.stderr
