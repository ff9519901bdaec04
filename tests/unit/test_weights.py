"""The weights readers: real files read right, hostile ones refused with a reason, nothing ever unpickled."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from lintml.models.weights import TensorInfo, UnsafePickle, WeightsError, read_tensors, tensor_values

DATA = Path(__file__).resolve().parents[1] / "data" / "weights"

# What torch 2.13.0's torch.load(weights_only=True) reads from the facenet-pytorch 2.6.0 P-Net
# (MIT; see tests/data/weights/README.md): shape, element strides, float64 sum of the values in
# logical order, and the first three of them. The convolution weights are stored column-major.
PNET = {
    "conv1.weight": (
        (10, 3, 3, 3),
        (1, 10, 30, 90),
        2.3487670375034213,
        [-0.08164715766906738, 0.8359154462814331, 1.246496558189392],
    ),
    "conv1.bias": ((10,), (1,), 2.8166785170324147, [-0.08283686637878418, 0.9197800159454346, 1.1886699199676514]),
    "prelu1.weight": ((10,), (1,), -2.3045754581689835, [-0.6254063248634338, -0.21168090403079987, 1.011683464050293]),
    "conv2.weight": (
        (16, 10, 3, 3),
        (1, 16, 160, 480),
        -38.56578886404168,
        [-0.11650128662586212, 0.3188821077346802, -0.3413528800010681],
    ),
    "conv2.bias": ((16,), (1,), 20.170246325433254, [1.0205367803573608, 2.487583637237549, 2.3625850677490234]),
    "prelu2.weight": ((16,), (1,), 1.459170639864169, [0.06700239330530167, 0.2046985626220703, 0.2521429657936096]),
    "conv3.weight": (
        (32, 16, 3, 3),
        (1, 32, 512, 1536),
        -43.27973151439073,
        [0.06602189689874649, 0.46020421385765076, 0.390400230884552],
    ),
    "conv3.bias": ((32,), (1,), 14.904955178499222, [-0.08974096179008484, 1.731507658958435, 1.294243574142456]),
    "prelu3.weight": (
        (32,),
        (1,),
        -0.13740601483732462,
        [0.052782170474529266, -0.05109226703643799, 0.09215743094682693],
    ),
    "conv4_1.weight": (
        (2, 32, 1, 1),
        (1, 2, 64, 64),
        -0.6180732490029186,
        [0.07251090556383133, 0.11779201775789261, -0.5561442375183105],
    ),
    "conv4_1.bias": ((2,), (1,), 2.2583466488867998e-05, [0.0005302674253471196, -0.0005076839588582516]),
    "conv4_2.weight": (
        (4, 32, 1, 1),
        (1, 4, 128, 128),
        0.17496657329320442,
        [-0.0058697802014648914, 0.015570960938930511, 0.005003034602850676],
    ),
    "conv4_2.bias": (
        (4,),
        (1,),
        -0.0945487953722477,
        [0.02156050130724907, -0.04284999892115593, -0.061071790754795074],
    ),
}

# What torch.load reads from tests/data/weights/torch-misc.pt (made by make_torch_fixtures.py with
# torch 2.13.0): dtype, shape, strides, sum, first values. torch also returns the optimizer state,
# which lintml leaves out on purpose.
MISC = {
    "model.a": ("BF16", (3, 4), (4, 1), 2.25, [-0.5, -0.375, -0.25]),
    "model.b": ("F32", (3, 4), (1, 3), 66.0, [0.0, 3.0, 6.0]),
    "model.c": ("I64", (5,), (1,), 20.0, [2.0, 3.0, 4.0]),
    "model.e": ("F32", (2, 3), (0, 1), 5.5, [1.5, -2.0, 3.25]),
    "model.p": ("F16", (2,), (1,), -0.5, [0.25, -0.75]),
    "model.nested.x": ("F64", (2, 2), (2, 1), 10.0, [1.0, 2.0, 3.0]),
    "model.tied": ("BF16", (3, 4), (4, 1), 2.25, [-0.5, -0.375, -0.25]),
}


def all_values(info: TensorInfo) -> np.ndarray:
    return tensor_values(info, np.arange(info.numel))


def bf16_bits(values: np.ndarray) -> np.ndarray:
    return (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)


def raw_safetensors(path: Path, header: dict[str, object], data: bytes, *, length: int | None = None) -> Path:
    encoded = json.dumps(header).encode("utf-8")
    path.write_bytes(struct.pack("<Q", len(encoded) if length is None else length) + encoded + data)
    return path


# ---------------------------------------------------------------------------------------------
# safetensors


def test_reads_a_safetensors_file_written_by_safetensors(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    tensors: dict[str, np.ndarray] = {
        "encoder.weight": rng.standard_normal((33, 17)).astype(np.float32),
        "encoder.bias": rng.standard_normal(17).astype(np.float16),
        "position_ids": np.arange(12, dtype=np.int64).reshape(1, 12),
        "scalar": np.array(2.5, dtype=np.float64),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }
    path = tmp_path / "model.safetensors"
    save_file(tensors, str(path), metadata={"format": "np"})
    infos = read_tensors(path)
    assert [info.name for info in infos] == sorted(tensors)
    for info in infos:
        expected = tensors[info.name]
        assert info.shape == expected.shape
        assert info.nbytes == expected.nbytes
        assert info.dtype == {"float32": "F32", "float16": "F16", "int64": "I64", "float64": "F64"}[str(expected.dtype)]
        np.testing.assert_array_equal(all_values(info), expected.reshape(-1).astype(np.float32))
    weight = next(info for info in infos if info.name == "encoder.weight")
    positions = np.array([560, 0, 17, 300])
    np.testing.assert_array_equal(tensor_values(weight, positions), tensors["encoder.weight"].reshape(-1)[positions])


def test_bfloat16_values_are_widened_exactly(tmp_path: Path) -> None:
    values = np.array([1.0, -2.5, 0.15625, 3.0e38, -1.0e-30, 0.0, 1.0 + 2**-7], dtype=np.float32)
    path = raw_safetensors(
        tmp_path / "bf16.safetensors",
        {"w": {"dtype": "BF16", "shape": [7], "data_offsets": [0, 14]}},
        bf16_bits(values).tobytes(),
    )
    with safe_open(str(path), framework="numpy") as opened:  # the real library accepts the file we wrote
        assert list(opened.keys()) == ["w"]
    (info,) = read_tensors(path)
    assert info.dtype == "BF16"
    expected = (bf16_bits(values).astype(np.uint32) << 16).view(np.float32)
    np.testing.assert_array_equal(all_values(info), expected)
    assert all_values(info)[0] == 1.0 and all_values(info)[6] == 1.0 + 2**-7


def test_sharded_checkpoint_through_its_index_or_its_folder(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    first = {"layers.0.w": rng.standard_normal((8, 8)).astype(np.float32)}
    second = {"layers.1.w": rng.standard_normal((8, 8)).astype(np.float32), "norm": np.ones(8, np.float32)}
    save_file(first, str(tmp_path / "model-00001-of-00002.safetensors"))
    save_file(second, str(tmp_path / "model-00002-of-00002.safetensors"))
    weight_map = {name: "model-00001-of-00002.safetensors" for name in first}
    weight_map |= {name: "model-00002-of-00002.safetensors" for name in second}
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    through_index = read_tensors(index)
    assert [info.name for info in through_index] == ["layers.0.w", "layers.1.w", "norm"]
    assert read_tensors(tmp_path) == through_index
    np.testing.assert_array_equal(all_values(through_index[1]), second["layers.1.w"].reshape(-1))
    index.unlink()  # shards named -0000N-of-0000M still form one checkpoint
    assert read_tensors(tmp_path) == through_index


def test_a_folder_prefers_safetensors_and_refuses_to_guess(tmp_path: Path) -> None:
    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "model.safetensors"))
    (tmp_path / "pytorch_model.bin").write_bytes(b"not read")
    assert [info.file.name for info in read_tensors(tmp_path)] == ["model.safetensors"]
    other = tmp_path / "other"
    other.mkdir()
    save_file({"a": np.ones(2, np.float32)}, str(other / "one.safetensors"))
    save_file({"a": np.ones(2, np.float32)}, str(other / "two.safetensors"))
    with pytest.raises(WeightsError, match="several weights files"):
        read_tensors(other)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WeightsError, match="no weights file"):
        read_tensors(empty)


F32_12 = np.arange(12, dtype=np.float32).tobytes()


@pytest.mark.parametrize(
    ("header", "data", "length", "reason"),
    [
        (
            {"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}},
            F32_12[:40],
            None,
            "ends at byte 48 of the data but the file has only 40 bytes of data",
        ),
        ({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 4800]}}, F32_12, None, "ends at byte 4800"),
        (
            {"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 44]}},
            F32_12,
            None,
            "which is 48 bytes, but its data_offsets span 44",
        ),
        (
            {
                "w": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]},
                "v": {"dtype": "F32", "shape": [4], "data_offsets": [16, 32]},
            },
            F32_12,
            None,
            "overlap",
        ),
        (
            {"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}},
            F32_12,
            2**60,
            "over the 100000000-byte limit",
        ),
        ({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}}, F32_12, 99_000_000, "only"),
        ({"w": {"dtype": "Q4", "shape": [3, 4], "data_offsets": [0, 48]}}, F32_12, None, "unknown dtype 'Q4'"),
        (
            {"w": {"dtype": "F32", "shape": [-3, 4], "data_offsets": [0, 48]}},
            F32_12,
            None,
            "not a list of non-negative integers",
        ),
        (
            {"w": {"dtype": "F32", "shape": [3, True], "data_offsets": [0, 48]}},
            F32_12,
            None,
            "not a list of non-negative integers",
        ),
        (
            {"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 48]}},
            F32_12,
            None,
            "more elements than any file can hold",
        ),
        ({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [48, 0]}}, F32_12, None, "before it begins"),
        ({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0]}}, F32_12, None, "data_offsets"),
        ({"w": [1, 2]}, F32_12, None, "not an object"),
        ({"__metadata__": "x"}, F32_12, None, "__metadata__"),
    ],
)
def test_safetensors_that_lie_are_refused_with_a_reason(
    tmp_path: Path, header: dict[str, object], data: bytes, length: int | None, reason: str
) -> None:
    path = raw_safetensors(tmp_path / "bad.safetensors", header, data, length=length)
    tracemalloc.start()
    try:
        with pytest.raises(WeightsError) as raised:
            read_tensors(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # refused from the header: nothing of the size it claims was built
    assert raised.value.path == str(path)
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file has 0 bytes"),
        (b"\x10\x00\x00", "the file has 3 bytes"),
        (struct.pack("<Q", 9) + b"{not json", "not valid JSON"),
        (struct.pack("<Q", 4) + b"[1] ", "not a JSON object"),
        (struct.pack("<Q", 2) + b"\xff{", "not UTF-8"),
        (struct.pack("<Q", 40) + b'{"w": 1, "w": 2}' + b" " * 24, "names 'w' twice"),
        (struct.pack("<Q", 200_000) + b"[" * 100_000 + b"]" * 100_000, "nested 100,000 levels deep"),
    ],
)
def test_safetensors_headers_that_are_not_json_objects(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(WeightsError) as raised:
        read_tensors(path)
    assert reason in raised.value.reason


def test_a_truncated_real_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_file({"a": np.ones((64, 64), np.float32), "b": np.zeros(64, np.float32)}, str(path))
    content = path.read_bytes()
    for cut in (len(content) - 1, len(content) // 2, 20, 7):
        path.write_bytes(content[:cut])
        with pytest.raises(WeightsError):
            read_tensors(path)


def test_mangled_headers_only_ever_raise_weights_error(tmp_path: Path) -> None:
    source = tmp_path / "model.safetensors"
    save_file({"layer.weight": np.ones((4, 4), np.float32), "layer.bias": np.ones(4, np.float16)}, str(source))
    content = bytearray(source.read_bytes())
    (length,) = struct.unpack("<Q", content[:8])
    rng = np.random.default_rng(2)
    target = tmp_path / "mangled.safetensors"
    for _ in range(300):
        mangled = bytearray(content)
        for position in rng.integers(0, 8 + length, size=rng.integers(1, 4)):
            mangled[position] = int(rng.integers(0, 256))
        target.write_bytes(bytes(mangled))
        try:
            infos = read_tensors(target)
        except WeightsError:
            continue
        for info in infos:
            if info.readable:
                all_values(info)


def test_an_index_that_names_a_missing_or_escaping_shard(tmp_path: Path) -> None:
    save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "model-00001-of-00002.safetensors"))
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(
        json.dumps({"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})
    )
    with pytest.raises(WeightsError) as raised:
        read_tensors(index)
    assert raised.value.path == str(index)
    assert "'model-00002-of-00002.safetensors', which does not exist" in raised.value.reason
    index.write_text(json.dumps({"weight_map": {"a": "../outside.safetensors"}}))
    with pytest.raises(WeightsError, match="not a file beside the index"):
        read_tensors(index)
    index.write_text(
        json.dumps({"weight_map": {"a": "model-00001-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}})
    )
    with pytest.raises(WeightsError, match="puts tensor 'c' in this shard, which lacks it"):
        read_tensors(index)
    index.write_text(json.dumps({"metadata": {}}))
    with pytest.raises(WeightsError, match="no weight_map"):
        read_tensors(index)


def test_sampling_a_huge_sparse_checkpoint_reads_only_what_it_samples(tmp_path: Path) -> None:
    """A 4 GiB tensor (a sparse file: no disk used) is sampled without mapping or loading it."""
    numel = 1 << 30
    header = json.dumps(
        {"huge": {"dtype": "F32", "shape": [1 << 15, 1 << 15], "data_offsets": [0, numel * 4]}}
    ).encode()
    path = tmp_path / "huge.safetensors"
    with path.open("wb") as handle:
        handle.write(struct.pack("<Q", len(header)) + header)
        handle.truncate(8 + len(header) + numel * 4)
    (info,) = read_tensors(path)
    positions = np.sort(np.random.default_rng(3).choice(numel, 512, replace=False))
    tracemalloc.start()
    try:
        values = tensor_values(info, positions)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert values.shape == (512,) and not values.any()
    assert peak < 8 * 1024 * 1024  # the 4 GiB tensor was neither loaded nor copied


# ---------------------------------------------------------------------------------------------
# PyTorch


@pytest.mark.parametrize(
    ("fixture", "container"), [("facenet-pnet.pt", "pytorch-legacy"), ("facenet-pnet-zip.pt", "pytorch")]
)
def test_real_pytorch_checkpoints_read_as_torch_reads_them(fixture: str, container: str) -> None:
    infos = read_tensors(DATA / fixture)
    assert {info.name for info in infos} == set(PNET)
    for info in infos:
        shape, strides, total, first = PNET[info.name]
        assert (info.dtype, info.shape, info.container) == ("F32", shape, container)
        contiguous = strides == tuple(int(np.prod(shape[index + 1 :])) for index in range(len(shape)))
        assert info.strides == (None if contiguous else strides)
        values = all_values(info)
        assert values.astype(np.float64).sum() == pytest.approx(total, rel=1e-12, abs=1e-15)
        assert values[: len(first)].tolist() == first


@pytest.mark.parametrize("fixture", ["torch-misc.pt", "torch-misc-p4.pt"])
def test_pytorch_views_dtypes_parameters_and_nesting(fixture: str) -> None:
    infos = {info.name: info for info in read_tensors(DATA / fixture)}
    assert set(infos) == set(MISC)  # the optimizer's state is training state, not weights
    for name, (dtype, shape, strides, total, first) in MISC.items():
        info = infos[name]
        assert (info.dtype, info.shape) == (dtype, shape)
        values = all_values(info)
        assert float(values.astype(np.float64).sum()) == total
        assert values[: len(first)].tolist() == first
        contiguous = strides == tuple(int(np.prod(shape[index + 1 :])) for index in range(len(shape)))
        assert info.strides == (None if contiguous else strides)
    assert infos["model.tied"].offset == infos["model.a"].offset


class _Command:
    """An object whose unpickling would run a command: what a malicious checkpoint holds."""

    def __init__(self, function: object, argument: object) -> None:
        self.function, self.argument = function, argument

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.function, (self.argument,))


def torch_zip(path: Path, payload: bytes, members: dict[str, bytes] | None = None, *, compress: bool = False) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        for name, content in (members or {}).items():
            archive.writestr(name, content, compress_type=zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
    return path


@pytest.mark.parametrize("protocol", [2, 4])
@pytest.mark.parametrize(
    ("make", "named"),
    [
        (lambda marker: _Command(os.system, f"touch {marker}"), {"posix.system", "nt.system"}),
        (lambda marker: _Command(eval, f"open({str(marker)!r}, 'w').close()"), {"builtins.eval"}),
        (lambda marker: _Command(subprocess.Popen, ["touch", str(marker)]), {"subprocess.Popen"}),
    ],
)
def test_malicious_pickles_are_refused_and_nothing_runs(
    tmp_path: Path, protocol: int, make: object, named: set[str]
) -> None:
    marker = tmp_path / "ran"
    payload = pickle.dumps({"weight": make(marker)}, protocol=protocol)  # type: ignore[operator]
    for path in (torch_zip(tmp_path / "evil.pt", payload), tmp_path / "evil.bin"):
        if path.suffix == ".bin":
            path.write_bytes(payload)  # the legacy (bare pickle) layout
        with pytest.raises(UnsafePickle) as raised:
            read_tensors(path)
        assert raised.value.global_name in named  # as unpickling would resolve it, whatever the protocol
        assert raised.value.path == str(path)
        assert "lintml does not load such files" in raised.value.reason
        assert not marker.exists()


def test_a_hand_written_os_system_pickle(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    payload = f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()  # GLOBAL os system, MARK, STRING, TUPLE, REDUCE
    with pytest.raises(UnsafePickle) as raised:
        read_tensors(torch_zip(tmp_path / "evil.pt", payload))
    assert raised.value.global_name == "os.system"
    assert "'os.system'" in str(raised.value)
    assert not marker.exists()


def test_a_pickle_naming_a_module_never_imports_it(tmp_path: Path) -> None:
    canary = tmp_path / "imported"
    (tmp_path / "lintml_canary_module.py").write_text(
        f"open({str(canary)!r}, 'w').close()\ndef rebuild(*a):\n    return 0\n"
    )
    payload = b"\x80\x02clintml_canary_module\nrebuild\nq\x00)R."
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(UnsafePickle, match=r"lintml_canary_module\.rebuild"):
            read_tensors(torch_zip(tmp_path / "canary.pt", payload))
    finally:
        sys.path.remove(str(tmp_path))
    assert not canary.exists()
    assert "lintml_canary_module" not in sys.modules


def test_torchscript_and_foreign_archives_are_refused(tmp_path: Path) -> None:
    scripted = tmp_path / "scripted.pt"
    with zipfile.ZipFile(scripted, "w") as archive:
        archive.writestr("model/data.pkl", pickle.dumps({}, protocol=2))
        archive.writestr("model/code/__torch__.py", "def forward(self): ...\n")
        archive.writestr("model/constants.pkl", pickle.dumps((), protocol=2))
    with pytest.raises(WeightsError, match="TorchScript archive"):
        read_tensors(scripted)
    other = tmp_path / "other.pt"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(WeightsError, match=r"not a torch\.save checkpoint"):
        read_tensors(other)
    plain = tmp_path / "plain.bin"
    plain.write_bytes(pickle.dumps({"a": [1, 2, 3]}, protocol=2))
    with pytest.raises(WeightsError, match=r"not one written by torch\.save"):
        read_tensors(plain)


def _pnet_zip() -> tuple[bytes, dict[str, bytes]]:
    with zipfile.ZipFile(DATA / "facenet-pnet-zip.pt") as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    return members.pop("facenet-pnet-zip/data.pkl"), members


def test_a_compressed_or_missing_storage_is_reported(tmp_path: Path) -> None:
    payload, members = _pnet_zip()
    renamed = {name.replace("facenet-pnet-zip/", "archive/"): content for name, content in members.items()}
    with pytest.raises(WeightsError, match="is compressed"):
        read_tensors(torch_zip(tmp_path / "deflated.pt", payload, renamed, compress=True))
    del renamed["archive/data/3"]
    with pytest.raises(WeightsError, match="no archive/data/3"):
        read_tensors(torch_zip(tmp_path / "missing.pt", payload, renamed))
    renamed["archive/data/3"] = b"\0" * 100  # conv2.weight needs 5760 bytes
    with pytest.raises(WeightsError, match="storage '3' needs 5760 bytes but the file holds 100"):
        read_tensors(torch_zip(tmp_path / "short.pt", payload, renamed))


def test_truncated_and_mangled_pickles_only_ever_raise_weights_error(tmp_path: Path) -> None:
    payload, members = _pnet_zip()
    renamed = {name.replace("facenet-pnet-zip/", "archive/"): content for name, content in members.items()}
    rng = np.random.default_rng(4)
    variants = [payload[:cut] for cut in range(0, len(payload), 7)]
    for _ in range(150):
        mangled = bytearray(payload)
        for position in rng.integers(0, len(payload), size=3):
            mangled[position] = int(rng.integers(0, 256))
        variants.append(bytes(mangled))
    path = tmp_path / "mangled.pt"
    for variant in variants:
        torch_zip(path, variant, renamed)
        with contextlib.suppress(WeightsError):
            read_tensors(path)
    legacy = (DATA / "facenet-pnet.pt").read_bytes()
    for cut in range(0, 2000, 11):
        path.write_bytes(legacy[:cut])
        with pytest.raises(WeightsError):
            read_tensors(path)


def test_a_damaged_compressed_pickle_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "damaged.pt"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"a": list(range(1000))}, protocol=2))
    content = bytearray(path.read_bytes())
    content[60:80] = b"\xff" * 20  # inside the deflated stream
    path.write_bytes(bytes(content))
    with pytest.raises(WeightsError, match="not a readable zip archive"):
        read_tensors(path)


def test_a_pickle_that_builds_without_end_is_capped(tmp_path: Path) -> None:
    payload = b"\x80\x02" + b"]0" * 3_000_000 + b"N."  # three million empty lists, each dropped
    # The cap is what bounds the work: reading stops at the 2,000,001st container, with this error.
    with pytest.raises(WeightsError, match="more than 2000000 containers"):
        read_tensors(torch_zip(tmp_path / "lists.pt", payload))


def test_other_file_kinds_are_named(tmp_path: Path) -> None:
    tar = tmp_path / "old.pt"
    tar.write_bytes(b"\0" * 257 + b"ustar" + b"\0" * 300)
    with pytest.raises(WeightsError, match="tar archive"):
        read_tensors(tar)
    text = tmp_path / "weights.bin"
    text.write_bytes(b"hello world, not weights")
    with pytest.raises(WeightsError, match="not a weights format lintml reads"):
        read_tensors(text)
    with pytest.raises(WeightsError, match="no such file"):
        read_tensors(tmp_path / "absent.safetensors")


# ---------------------------------------------------------------------------------------------
# GGUF


def test_gguf_float_tensors_are_read_and_quantized_ones_listed(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    rng = np.random.default_rng(5)
    f32 = rng.standard_normal((6, 32)).astype(np.float32)
    f16 = rng.standard_normal((4, 64)).astype(np.float16)
    bf16 = rng.standard_normal((2, 32)).astype(np.float32)
    quantized = rng.standard_normal((4, 64)).astype(np.float32)
    path = tmp_path / "model.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tensor("blk.0.attn_q.weight", f32)
    writer.add_tensor("blk.0.ffn_up.weight", f16)
    writer.add_tensor("blk.0.ffn_down.weight", bf16_bits(bf16), raw_dtype=gguf.GGMLQuantizationType.BF16)
    writer.add_tensor(
        "token_embd.weight",
        gguf.quants.quantize(quantized, gguf.GGMLQuantizationType.Q8_0),
        raw_dtype=gguf.GGMLQuantizationType.Q8_0,
    )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    infos = {info.name: info for info in read_tensors(path)}
    assert {name: (info.dtype, info.shape) for name, info in infos.items()} == {
        "blk.0.attn_q.weight": ("F32", (6, 32)),
        "blk.0.ffn_up.weight": ("F16", (4, 64)),
        "blk.0.ffn_down.weight": ("BF16", (2, 32)),
        "token_embd.weight": ("Q8_0", (4, 64)),
    }
    np.testing.assert_array_equal(all_values(infos["blk.0.attn_q.weight"]), f32.reshape(-1))
    np.testing.assert_array_equal(all_values(infos["blk.0.ffn_up.weight"]), f16.reshape(-1).astype(np.float32))
    np.testing.assert_array_equal(
        all_values(infos["blk.0.ffn_down.weight"]),
        (bf16_bits(bf16).astype(np.uint32) << 16).view(np.float32).reshape(-1),
    )
    assert not infos["token_embd.weight"].readable
    with pytest.raises(WeightsError, match="quantized"):
        all_values(infos["token_embd.weight"])
    content = path.read_bytes()
    path.write_bytes(content[: len(content) - 100])
    with pytest.raises(WeightsError):
        read_tensors(path)
    path.write_bytes(content[:60])
    with pytest.raises(WeightsError, match="GGUF"):
        read_tensors(path)


def test_positions_outside_the_tensor_are_a_caller_error(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    save_file({"a": np.ones(4, np.float32)}, str(path))
    (info,) = read_tensors(path)
    with pytest.raises(ValueError, match="positions outside"):
        tensor_values(info, np.array([4]))
    assert tensor_values(info, np.array([], dtype=np.int64)).size == 0


def test_pickle_machine_handles_text_protocol_opcodes(tmp_path: Path) -> None:
    """Protocol 0 pickles (text opcodes, PUT/GET, DICT/LIST) of plain data parse; the magic check then refuses them."""
    stream = io.BytesIO(pickle.dumps({"a": [1, 2.5, "x", None, True], "b": (1,)}, protocol=0))
    path = tmp_path / "p0.bin"
    path.write_bytes(b"\x80\x02" + stream.getvalue())
    with pytest.raises(WeightsError, match=r"not one written by torch\.save"):
        read_tensors(path)
