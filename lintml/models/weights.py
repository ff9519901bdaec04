"""Read the tensors of a checkpoint without trusting it, and sample their values from disk.

Four containers are read: safetensors (one file, or shards named by a ``*.index.json``),
PyTorch files written by ``torch.save`` (the zip format of torch ≥ 1.6 and the older legacy
format), and GGUF (through the ``gguf`` package, when it is installed). Every length and
offset a file states is checked against the file before anything is read at it, headers and
pickles are read with size caps, and any violation is a :class:`WeightsError` that names the
file and says what is wrong.

PyTorch files are pickles, and unpickling runs whatever the file names. lintml never
unpickles: it walks the opcodes with :mod:`pickletools` and interprets a small stack machine
of its own, in which a global is only a name. Names outside a short allow-list (the tensor
rebuild functions, storage classes, dtypes, ``OrderedDict``) make the file an
:class:`UnsafePickle`, reported and not read. TorchScript archives carry code and are refused.

Values are read with ``os.pread`` at the sampled elements only (neighbouring elements in one
read), so a file is never mapped or loaded whole: page-cache pages do not count against the
process, and resident memory stays flat however large the checkpoint is.
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import io
import itertools
import json
import math
import os
import pickletools
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

MAX_HEADER = 100_000_000  # bytes of a safetensors JSON header; safetensors itself refuses more
MAX_INDEX = 64 * 1024 * 1024  # bytes of a sharded checkpoint's index
MAX_PICKLE = 64 * 1024 * 1024  # bytes of a PyTorch pickle (a real data.pkl is a few KB per hundred tensors)
MAX_CONTAINERS = 2_000_000  # lists, dicts and tuples one pickle may build (a real one: about 6 per tensor)
MAX_DEPTH = 64  # dicts within dicts in a checkpoint
MAX_DIMENSION = 1 << 62  # no dimension, offset or element count is larger
READ_GAP = 4096  # sampled elements closer than this (in bytes) are read in one go
SMALL_READ = 1 << 20  # a tensor spanning less than this is read whole

TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # first pickle of a legacy torch.save file
TORCH_PROTOCOL = 1001

# dtype -> (bits per element, how its bytes decode; None where lintml does not decode them)
DTYPES: dict[str, tuple[int, str | None]] = {
    "BOOL": (8, "|u1"),
    "U8": (8, "|u1"),
    "I8": (8, "|i1"),
    "U16": (16, "<u2"),
    "I16": (16, "<i2"),
    "U32": (32, "<u4"),
    "I32": (32, "<i4"),
    "U64": (64, "<u8"),
    "I64": (64, "<i8"),
    "F16": (16, "<f2"),
    "BF16": (16, "bf16"),
    "F32": (32, "<f4"),
    "F64": (64, "<f8"),
    "F8_E5M2": (8, "f8_e5m2"),
    "F8_E4M3": (8, "f8_e4m3"),
    "F8_E8M0": (8, None),
    "F6_E2M3": (6, None),
    "F6_E3M2": (6, None),
    "F4": (4, None),
    "C64": (64, None),
    "C128": (128, None),
}
FLOAT_DTYPES = frozenset({"F16", "BF16", "F32", "F64", "F8_E5M2", "F8_E4M3"})

# torch storage classes and dtypes, by the name they are pickled under
_STORAGES = {
    "DoubleStorage": "F64",
    "FloatStorage": "F32",
    "HalfStorage": "F16",
    "BFloat16Storage": "BF16",
    "LongStorage": "I64",
    "IntStorage": "I32",
    "ShortStorage": "I16",
    "CharStorage": "I8",
    "ByteStorage": "U8",
    "BoolStorage": "BOOL",
    "ComplexFloatStorage": "C64",
    "ComplexDoubleStorage": "C128",
}
_TORCH_DTYPES = {
    "float64": "F64",
    "double": "F64",
    "float32": "F32",
    "float": "F32",
    "float16": "F16",
    "half": "F16",
    "bfloat16": "BF16",
    "int64": "I64",
    "long": "I64",
    "int32": "I32",
    "int": "I32",
    "int16": "I16",
    "short": "I16",
    "int8": "I8",
    "uint8": "U8",
    "uint16": "U16",
    "uint32": "U32",
    "uint64": "U64",
    "bool": "BOOL",
    "complex64": "C64",
    "complex128": "C128",
    "float8_e4m3fn": "F8_E4M3",
    "float8_e5m2": "F8_E5M2",
}
_REBUILD_TENSOR = frozenset(
    {"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3"}
)
_REBUILD_PARAMETER = frozenset({"torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"})
# Every global a plain checkpoint of tensors needs; a name outside this set makes the file unsafe.
ALLOWED_GLOBALS = frozenset(
    {
        "collections.OrderedDict",
        *_REBUILD_TENSOR,
        *_REBUILD_PARAMETER,
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.Tensor",
        "torch.Size",
        "torch.device",
        "torch.storage.UntypedStorage",
        "_codecs.encode",  # how protocol 2 pickles bytes
        *(f"torch.{name}" for name in _STORAGES),
        *(f"torch.cuda.{name}" for name in _STORAGES),
        *(f"torch.{name}" for name in _TORCH_DTYPES),
    }
)
# Subtrees of a checkpoint that hold training state, not the model's weights.
_TRAINING_STATE = re.compile(r"optim|scheduler|scaler", re.IGNORECASE)
_SHARD = re.compile(r"^(?P<stem>.+)-(?P<part>\d{5})-of-(?P<total>\d{5})\.safetensors$")


class WeightsError(Exception):
    """A weights file lintml cannot read: malformed, truncated, lying about its layout, or unsafe."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:  # so the error crosses process boundaries intact
        return (type(self), (self.path, self.reason))


class UnsafePickle(WeightsError):
    """A PyTorch pickle that names a global outside :data:`ALLOWED_GLOBALS`; it is reported, never loaded."""

    def __init__(self, path: Path | str, global_name: str) -> None:
        super().__init__(
            path,
            f"its pickle refers to {_shown(global_name)}, which is not part of a plain checkpoint of tensors;"
            " lintml does not load such files (loading one with torch.load could run code)",
        )
        self.global_name = global_name

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (type(self), (self.path, self.global_name))


@dataclass(frozen=True)
class TensorInfo:
    """Where one tensor's elements are: ``offset`` is the absolute byte offset of its first element in ``file``.

    ``strides`` (in elements) is set only for a PyTorch tensor that is not stored row-major
    contiguous; ``nbytes`` is then the span from the first to the last element. ``note`` says
    why values cannot be read (a quantized GGUF tensor, a dtype lintml does not decode).
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    file: Path
    offset: int
    nbytes: int
    strides: tuple[int, ...] | None = None
    container: str = "safetensors"  # safetensors, pytorch, pytorch-legacy, gguf
    note: str = ""

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def readable(self) -> bool:
        """Whether :func:`tensor_values` can decode this tensor's elements."""
        return not self.note and DTYPES.get(self.dtype, (0, None))[1] is not None


# ---------------------------------------------------------------------------------------------
# Entry point: a file, a folder, or a sharded index


def read_tensors(path: Path) -> list[TensorInfo]:
    """Every tensor of the checkpoint at ``path`` (a weights file, a model folder or a ``*.index.json``), by name."""
    path = Path(path)
    if path.is_dir():
        chosen = _pick_in_folder(path)
        if isinstance(chosen, list):
            return _sorted(_read_shards(path, chosen))
        path = chosen
    elif not path.is_file():
        raise WeightsError(path, "no such file or folder")
    if path.name.endswith(".index.json"):
        return _sorted(_read_index(path))
    return _sorted(_read_file(path))


def _sorted(infos: list[TensorInfo]) -> list[TensorInfo]:
    return sorted(infos, key=lambda info: info.name)


def _pick_in_folder(folder: Path) -> Path | list[Path]:
    """The weights of a model folder: a sharded index, else ``model.safetensors``, else the one weights file."""
    try:
        files = sorted(item for item in folder.iterdir() if item.is_file())
    except OSError as error:
        raise WeightsError(folder, f"cannot list the folder ({error.strerror or error})") from None
    names = {item.name: item for item in files}
    for preferred in ("model.safetensors.index.json", "model.safetensors", "diffusion_pytorch_model.safetensors"):
        if preferred in names:
            return names[preferred]
    indexes = [item for item in files if item.name.endswith(".safetensors.index.json")]
    if len(indexes) == 1:
        return indexes[0]
    safetensors = [item for item in files if item.suffix == ".safetensors"]
    shards = [_SHARD.match(item.name) for item in safetensors]
    if len(safetensors) > 1 and len({shard["stem"] if shard else None for shard in shards}) == 1 and shards[0]:
        return safetensors  # model-00001-of-00003.safetensors … without an index
    if len(safetensors) == 1:
        return safetensors[0]
    if not safetensors:
        for preferred in ("pytorch_model.bin.index.json", "pytorch_model.bin", "model.pt", "model.pth"):
            if preferred in names:
                return names[preferred]
        others = [item for item in files if item.suffix in (".bin", ".pt", ".pth", ".ckpt", ".gguf")]
        if len(others) == 1:
            return others[0]
        safetensors = others
    if not safetensors:
        raise WeightsError(folder, "no weights file lintml reads (safetensors, PyTorch .bin/.pt/.pth, GGUF)")
    listed = ", ".join(item.name for item in safetensors[:5])
    raise WeightsError(folder, f"several weights files and no index to join them ({listed}); name one")


def _read_file(path: Path) -> list[TensorInfo]:
    try:
        with path.open("rb") as handle:
            head = handle.read(264)
    except OSError as error:
        raise WeightsError(path, f"cannot read the file ({error.strerror or error})") from None
    if path.suffix == ".safetensors":
        return _read_safetensors(path)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _read_torch_zip(path)
    if head.startswith(b"GGUF"):
        return _read_gguf(path)
    if head[:1] == b"\x80":
        return _read_torch_legacy(path)
    if head[257:262] == b"ustar":
        raise WeightsError(path, "a tar archive (the torch.save format of torch < 0.4); lintml does not read it")
    if len(head) > 8 and head[8:9] == b"{":
        return _read_safetensors(path)
    raise WeightsError(path, "not a weights format lintml reads (safetensors, PyTorch zip or legacy pickle, GGUF)")


# ---------------------------------------------------------------------------------------------
# Safetensors


def _read_safetensors(path: Path) -> list[TensorInfo]:
    with _Opened(path) as opened:
        size = opened.size
        if size < 8:
            raise WeightsError(
                path, f"the file has {size} bytes; a safetensors file starts with an 8-byte header length"
            )
        (length,) = struct.unpack("<Q", opened.read(0, 8))
        if length > MAX_HEADER:
            raise WeightsError(path, f"the header length {length} is over the {MAX_HEADER}-byte limit")
        if 8 + length > size:
            raise WeightsError(
                path, f"the header says it is {length} bytes long but the file has only {size - 8} bytes after it"
            )
        raw = opened.read(8, length)
    header = _json_object(path, raw, "safetensors header")
    data_start = 8 + length
    data_size = size - data_start
    infos: list[TensorInfo] = []
    extents: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict):
                raise WeightsError(path, "__metadata__ in the header is not an object")
            continue
        if not isinstance(entry, dict):
            raise WeightsError(path, f"tensor {_shown(name)} in the header is not an object")
        dtype = entry.get("dtype")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise WeightsError(path, f"tensor {_shown(name)} has an unknown dtype {_shown(dtype)}")
        shape = _shape(path, name, entry.get("shape"))
        offsets = entry.get("data_offsets")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(value) and 0 <= value < MAX_DIMENSION for value in offsets)
        ):
            raise WeightsError(path, f"tensor {_shown(name)} has data_offsets that are not two non-negative integers")
        begin, end = offsets
        if end < begin:
            raise WeightsError(path, f"tensor {_shown(name)} ends (byte {end}) before it begins (byte {begin})")
        if end > data_size:
            raise WeightsError(
                path,
                f"the header says tensor {_shown(name)} ends at byte {end} of the data"
                f" but the file has only {data_size} bytes of data",
            )
        bits = DTYPES[dtype][0]
        numel = math.prod(shape)
        if numel * bits % 8:
            raise WeightsError(
                path, f"tensor {_shown(name)}: {numel} elements of {dtype} are not a whole number of bytes"
            )
        expected = numel * bits // 8
        if end - begin != expected:
            raise WeightsError(
                path,
                f"tensor {_shown(name)} is {dtype} of shape {list(shape)}, which is {expected} bytes,"
                f" but its data_offsets span {end - begin}",
            )
        infos.append(TensorInfo(name, dtype, shape, path, data_start + begin, expected))
        if end > begin:
            extents.append((begin, end, name))
    extents.sort()
    for (_, previous_end, previous), (begin, _, name) in itertools.pairwise(extents):
        if begin < previous_end:
            raise WeightsError(path, f"tensors {_shown(previous)} and {_shown(name)} overlap in the data")
    return infos


def _shape(path: Path, name: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(_is_int(item) and 0 <= item < MAX_DIMENSION for item in value):
        raise WeightsError(path, f"tensor {_shown(name)} has a shape that is not a list of non-negative integers")
    if len(value) > 64:
        raise WeightsError(path, f"tensor {_shown(name)} has {len(value)} dimensions")
    shape = tuple(value)
    if math.prod(shape) >= MAX_DIMENSION:
        raise WeightsError(path, f"tensor {_shown(name)} has more elements than any file can hold")
    return shape


def _json_object(path: Path, raw: bytes, what: str) -> dict[str, Any]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise WeightsError(path, f"the {what} names {_shown(key)} twice")
            result[key] = value
        return result

    try:
        loaded = json.loads(raw.decode("utf-8"), object_pairs_hook=unique)
    except UnicodeDecodeError:
        raise WeightsError(path, f"the {what} is not UTF-8 text") from None
    except RecursionError:
        raise WeightsError(path, f"the {what} nests too deeply") from None
    except ValueError as error:
        raise WeightsError(path, f"the {what} is not valid JSON ({error})") from None
    if not isinstance(loaded, dict):
        raise WeightsError(path, f"the {what} is not a JSON object")
    return loaded


# ---------------------------------------------------------------------------------------------
# Shards


def _read_index(index: Path) -> list[TensorInfo]:
    try:
        size = index.stat().st_size
        if size > MAX_INDEX:
            raise WeightsError(index, f"the index is {size} bytes, over the {MAX_INDEX}-byte limit")
        raw = index.read_bytes()
    except OSError as error:
        raise WeightsError(index, f"cannot read the index ({error.strerror or error})") from None
    document = _json_object(index, raw, "index")
    weight_map = document.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise WeightsError(index, "the index has no weight_map object")
    by_shard: dict[str, list[str]] = {}
    for name, shard in weight_map.items():
        if not isinstance(shard, str):
            raise WeightsError(index, f"weight_map gives tensor {_shown(name)} a shard that is not a file name")
        by_shard.setdefault(shard, []).append(name)
    folder = index.parent
    inside = folder.resolve()
    infos: list[TensorInfo] = []
    for shard, names in sorted(by_shard.items()):
        relative = PurePosixPath(shard)
        file = folder / relative
        if relative.is_absolute() or ".." in relative.parts or "\\" in shard or not shard:
            raise WeightsError(index, f"weight_map names shard {_shown(shard)}, which is not a file beside the index")
        try:
            if not file.resolve().is_relative_to(inside):
                raise WeightsError(index, f"shard {_shown(shard)} leads out of the model folder")
        except OSError:
            pass
        if not file.is_file():
            raise WeightsError(index, f"weight_map names shard {_shown(shard)}, which does not exist")
        present = {info.name: info for info in _read_file(file)}
        for name in names:
            if name not in present:
                raise WeightsError(
                    file, f"the index {index.name} puts tensor {_shown(name)} in this shard, which lacks it"
                )
            infos.append(present[name])
    return infos


def _read_shards(folder: Path, shards: list[Path]) -> list[TensorInfo]:
    totals = {int(match["total"]) for match in (_SHARD.match(item.name) for item in shards) if match}
    if totals != {len(shards)}:
        raise WeightsError(folder, f"shards {shards[0].name}… do not form a complete set and no index names them")
    infos: dict[str, TensorInfo] = {}
    for shard in shards:
        for info in _read_safetensors(shard):
            if info.name in infos:
                raise WeightsError(shard, f"tensor {_shown(info.name)} is also in {infos[info.name].file.name}")
            infos[info.name] = info
    return list(infos.values())


# ---------------------------------------------------------------------------------------------
# PyTorch: a stack machine over pickle opcodes that only ever builds data


@dataclass(frozen=True)
class _Global:
    name: str  # "module.qualname"


@dataclass(frozen=True)
class _Storage:
    key: str
    dtype: str | None  # None: an untyped storage (bytes), typed by the tensor rebuilt on it
    size: int  # elements (typed) or bytes (untyped)
    view_offset: int = 0  # legacy files: a view into a larger storage, in elements


@dataclass(frozen=True)
class _Tensor:
    storage: _Storage
    offset: int  # in elements of ``dtype``
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    dtype: str


class _Opaque:
    """A value built from an allowed global that is not a tensor or a container (a device, a dtype, bytes)."""

    def __init__(self, label: str) -> None:
        self.label = label


class _Key:
    """A dict key that is not a plain value: kept distinct, never hashed through."""


_PLAIN_KEYS = (str, int, float, bool, bytes, type(None))
_MARK = object()


class _Machine:
    """Interpret one pickle's opcodes without importing or calling anything."""

    def __init__(self, path: Path, storages: dict[str, _Storage]) -> None:
        self.path = path
        self.storages = storages
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.containers = 0

    def fail(self, reason: str) -> WeightsError:
        return WeightsError(self.path, f"malformed pickle: {reason}")

    def run(self, stream: io.BytesIO) -> Any:
        try:
            for opcode, argument, _position in pickletools.genops(stream):
                result = self.step(opcode.name, argument)
                if result is not _MARK:
                    return result
        except WeightsError:
            raise
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, RecursionError, struct.error) as error:
            raise self.fail(str(error)[:200] or type(error).__name__) from None
        raise self.fail("it ends before its STOP opcode")

    def new(self, value: Any) -> Any:
        self.containers += 1
        if self.containers > MAX_CONTAINERS:
            raise WeightsError(self.path, f"the pickle builds more than {MAX_CONTAINERS} containers")
        return value

    def pop(self) -> Any:
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            raise self.fail("pop from an empty stack")
        return self.stack.pop()

    def pop_mark(self) -> list[Any]:
        if not self.marks:
            raise self.fail("no MARK to pop to")
        start = self.marks.pop()
        items = self.stack[start:]
        del self.stack[start:]
        return items

    def top(self) -> Any:
        if not self.stack:
            raise self.fail("empty stack")
        return self.stack[-1]

    def step(self, name: str, argument: Any) -> Any:
        push = self.stack.append
        if name in ("PROTO", "FRAME"):
            pass
        elif name == "STOP":
            return self.pop()
        elif name == "MARK":
            self.marks.append(len(self.stack))
        elif name == "POP":
            if self.marks and len(self.stack) == self.marks[-1]:
                self.pop_mark()
            else:
                self.pop()
        elif name == "POP_MARK":
            self.pop_mark()
        elif name == "DUP":
            push(self.top())
        elif name == "NONE":
            push(None)
        elif name in ("NEWTRUE", "NEWFALSE"):
            push(name == "NEWTRUE")
        elif name in (
            "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
            "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
            "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8",
        ):  # fmt: skip
            push(argument)
        elif name in ("EMPTY_DICT", "EMPTY_LIST", "EMPTY_SET"):
            push(self.new({} if name == "EMPTY_DICT" else []))
        elif name == "EMPTY_TUPLE":
            push(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            count = int(name[-1])
            items = [self.pop() for _ in range(count)][::-1]
            push(self.new(tuple(items)))
        elif name in ("TUPLE", "LIST", "FROZENSET"):
            items = self.pop_mark()
            push(self.new(tuple(items) if name == "TUPLE" else items))
        elif name == "DICT":
            items = self.pop_mark()
            push(self.new(self.pairs(items)))
        elif name == "APPEND":
            value = self.pop()
            self.append(self.top(), [value])
        elif name in ("APPENDS", "ADDITEMS"):
            items = self.pop_mark()
            self.append(self.top(), items)
        elif name == "SETITEM":
            value = self.pop()
            key = self.pop()
            self.setitems(self.top(), [key, value])
        elif name == "SETITEMS":
            items = self.pop_mark()
            self.setitems(self.top(), items)
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            self.memo[int(argument)] = self.top()
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = self.top()
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            if int(argument) not in self.memo:
                raise self.fail(f"memo entry {argument} read before it was written")
            push(self.memo[int(argument)])
        elif name == "GLOBAL":
            module, _, qualname = str(argument).partition(" ")
            push(self.allowed(module, qualname))
        elif name == "STACK_GLOBAL":
            qualname, module = self.pop(), self.pop()
            if not isinstance(module, str) or not isinstance(qualname, str):
                raise self.fail("STACK_GLOBAL of something that is not a name")
            push(self.allowed(module, qualname))
        elif name in ("INST", "OBJ"):
            raise UnsafePickle(self.path, str(argument).replace(" ", ".") if argument else "an object built by OBJ")
        elif name == "REDUCE":
            arguments = self.pop()
            function = self.pop()
            push(self.reduce(function, arguments))
        elif name == "NEWOBJ":
            self.pop()  # the arguments to __new__
            cls = self.pop()
            push(self.construct(cls))
        elif name == "NEWOBJ_EX":
            self.pop()  # keyword arguments
            self.pop()
            cls = self.pop()
            push(self.construct(cls))
        elif name == "BUILD":
            self.pop()  # the state set on an object (an OrderedDict's _metadata): not weights
            self.top()
        elif name == "BINPERSID":
            push(self.persistent(self.pop()))
        elif name == "PERSID":
            push(self.persistent(argument))
        else:  # EXT1/2/4 (the copyreg registry), NEXT_BUFFER, READONLY_BUFFER
            raise WeightsError(
                self.path, f"its pickle uses the {name} opcode, which a torch.save checkpoint never does"
            )
        return _MARK

    def allowed(self, module: str, qualname: str) -> _Global:
        # Protocol 2 spells some Python 3 names the Python 2 way; name them as unpickling would resolve them.
        if (module, qualname) in _compat_pickle.NAME_MAPPING:
            module, qualname = _compat_pickle.NAME_MAPPING[(module, qualname)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        name = f"{module}.{qualname}"
        if name not in ALLOWED_GLOBALS:
            raise UnsafePickle(self.path, name)
        return _Global(name)

    def pairs(self, items: list[Any]) -> dict[Any, Any]:
        if len(items) % 2:
            raise self.fail("a dict with an odd number of items")
        return {_key(items[index]): items[index + 1] for index in range(0, len(items), 2)}

    def append(self, target: Any, items: list[Any]) -> None:
        if not isinstance(target, list):
            raise self.fail("APPEND to something that is not a list")
        target.extend(items)

    def setitems(self, target: Any, items: list[Any]) -> None:
        if not isinstance(target, dict):
            raise self.fail("SETITEM on something that is not a dict")
        target.update(self.pairs(items))

    def construct(self, cls: Any) -> Any:
        if not isinstance(cls, _Global):
            raise self.fail("NEWOBJ of something that is not a class")
        return self.new({}) if cls.name == "collections.OrderedDict" else _Opaque(cls.name)

    def reduce(self, function: Any, arguments: Any) -> Any:
        if not isinstance(function, _Global):
            raise self.fail("REDUCE of something that is not a global")
        if not isinstance(arguments, tuple):
            raise self.fail(f"REDUCE of {function.name} with arguments that are not a tuple")
        name = function.name
        if name == "collections.OrderedDict":
            result = self.new({})
            if arguments and isinstance(arguments[0], list):
                for pair in arguments[0]:
                    if isinstance(pair, tuple) and len(pair) == 2:
                        result[_key(pair[0])] = pair[1]
            return result
        if name in _REBUILD_TENSOR:
            return self.tensor(name, arguments)
        if name in _REBUILD_PARAMETER:
            return arguments[0] if arguments and isinstance(arguments[0], _Tensor) else _Opaque(name)
        if name == "torch._tensor._rebuild_from_type_v2" and len(arguments) >= 3:
            inner, inner_arguments = arguments[0], arguments[2]
            if isinstance(inner, _Global) and inner.name != name and isinstance(inner_arguments, tuple):
                return self.reduce(inner, inner_arguments)
        return _Opaque(name)

    def tensor(self, name: str, arguments: tuple[Any, ...]) -> _Tensor:
        if len(arguments) < 4:
            raise self.fail(f"{name} with {len(arguments)} arguments")
        storage, offset, shape, strides = arguments[:4]
        if not isinstance(storage, _Storage):
            raise self.fail(f"{name} of something that is not a storage")
        dtype = storage.dtype
        if name.endswith("_v3") and len(arguments) >= 7:
            given = arguments[6]
            if isinstance(given, _Global) and given.name.startswith("torch."):
                dtype = _TORCH_DTYPES.get(given.name.removeprefix("torch."), dtype)
        if dtype is None:
            raise WeightsError(self.path, f"a tensor on untyped storage {_shown(storage.key)} has no dtype")
        if not (_is_int(offset) and 0 <= offset < MAX_DIMENSION):
            raise self.fail(f"a tensor on storage {_shown(storage.key)} has a bad storage offset")
        if isinstance(shape, _Opaque) or isinstance(strides, _Opaque):
            raise self.fail("a tensor whose size or stride is not a tuple of integers")
        shape = tuple(shape) if isinstance(shape, tuple | list) else None
        strides = tuple(strides) if isinstance(strides, tuple | list) else None
        if (
            shape is None
            or strides is None
            or len(shape) != len(strides)
            or len(shape) > 64
            or not all(_is_int(value) and 0 <= value < MAX_DIMENSION for value in (*shape, *strides))
        ):
            raise self.fail(f"a tensor on storage {_shown(storage.key)} has a bad size or stride")
        if math.prod(shape) >= MAX_DIMENSION:
            raise self.fail(f"a tensor on storage {_shown(storage.key)} has too many elements")
        return _Tensor(storage, offset + storage.view_offset, shape, strides, dtype)

    def persistent(self, pid: Any) -> _Storage:
        if not isinstance(pid, tuple) or len(pid) < 5 or pid[0] != "storage":
            raise self.fail("a persistent id that is not a storage")
        storage_type, key, _location, size = pid[1:5]
        if not isinstance(storage_type, _Global):
            raise self.fail("a storage whose type is not a storage class")
        short = storage_type.name.rsplit(".", 1)[-1]
        if storage_type.name == "torch.storage.UntypedStorage":
            dtype = None
        elif short in _STORAGES:
            dtype = _STORAGES[short]
        else:
            raise self.fail(f"{storage_type.name} is not a storage class")
        if not isinstance(key, str) or not (_is_int(size) and 0 <= size < MAX_DIMENSION):
            raise self.fail("a storage with a bad key or size")
        view_offset = 0
        if len(pid) >= 6 and pid[5] is not None:  # legacy: (view key, offset, view size)
            view = pid[5]
            if not (isinstance(view, tuple) and len(view) == 3 and _is_int(view[1]) and 0 <= view[1] < size):
                raise self.fail(f"storage {_shown(key)} has a bad view")
            view_offset = view[1]
        known = self.storages.get(key)
        if known is not None and (known.dtype, known.size) != (dtype, size):
            raise self.fail(f"storage {_shown(key)} is declared twice, differently")
        self.storages[key] = _Storage(key, dtype, size)
        return _Storage(key, dtype, size, view_offset)


def _key(value: Any) -> Any:
    if isinstance(value, _PLAIN_KEYS):
        return value
    if isinstance(value, tuple) and all(isinstance(item, _PLAIN_KEYS) for item in value):
        return value
    return _Key()


def _walk_pickle(path: Path, data: bytes | io.BytesIO, storages: dict[str, _Storage]) -> Any:
    stream = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
    return _Machine(path, storages).run(stream)


def _flatten(path: Path, root: Any) -> list[tuple[str, _Tensor]]:
    """The tensors of a (possibly nested) state dict, named with dots; training state is left out."""
    found: list[tuple[str, _Tensor]] = []
    seen: set[int] = set()

    def visit(prefix: str, value: Any, depth: int) -> None:
        if isinstance(value, _Tensor):
            found.append((prefix or "tensor", value))
            return
        if not isinstance(value, dict | list | tuple) or id(value) in seen:
            return
        if depth > MAX_DEPTH:
            raise WeightsError(path, f"the checkpoint nests dicts more than {MAX_DEPTH} deep")
        seen.add(id(value))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if not isinstance(key, str | int) or isinstance(key, bool):
                continue
            if isinstance(key, str) and _TRAINING_STATE.search(key):
                continue
            visit(f"{prefix}.{key}" if prefix else str(key), item, depth + 1)

    visit("", root, 0)
    return found


def _tensor_info(path: Path, name: str, tensor: _Tensor, base: int, available: int, container: str) -> TensorInfo:
    """A rebuilt tensor placed in the file, its extent checked against the bytes its storage has."""
    bits, decode = DTYPES[tensor.dtype]
    itemsize = bits // 8
    storage = tensor.storage
    storage_bytes = storage.size * (itemsize if storage.dtype is not None else 1)
    if storage_bytes > available:
        raise WeightsError(
            path, f"storage {_shown(storage.key)} needs {storage_bytes} bytes but the file holds {available} for it"
        )
    numel = math.prod(tensor.shape)
    contiguous = _contiguous(tensor.shape)
    last = (
        tensor.offset + sum((size - 1) * stride for size, stride in zip(tensor.shape, tensor.strides, strict=True))
        if numel
        else 0
    )
    if numel and (last + 1) * itemsize > storage_bytes:
        raise WeightsError(
            path, f"tensor {_shown(name)} reaches element {last} of storage {_shown(storage.key)}, which is smaller"
        )
    nbytes = numel * itemsize if tensor.strides == contiguous else (last - tensor.offset + 1) * itemsize if numel else 0
    return TensorInfo(
        name=name,
        dtype=tensor.dtype,
        shape=tensor.shape,
        file=path,
        offset=base + tensor.offset * itemsize,
        nbytes=nbytes,
        strides=None if tensor.strides == contiguous or numel == 0 else tensor.strides,
        container=container,
        note="" if decode is not None else f"{tensor.dtype} values are not decoded",
    )


def _contiguous(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _read_torch_zip(path: Path) -> list[TensorInfo]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            pickles = [name for name in members if name.endswith("/data.pkl") and name.count("/") == 1]
            if len(pickles) != 1:
                raise WeightsError(path, "a zip archive, but not a torch.save checkpoint (no single <name>/data.pkl)")
            root = pickles[0][: -len("data.pkl")]
            if f"{root}constants.pkl" in members or any(name.startswith(f"{root}code/") for name in members):
                raise WeightsError(
                    path,
                    "a TorchScript archive: it carries code, and lintml reads only plain checkpoints of tensors"
                    " (save a state_dict with torch.save, or safetensors)",
                )
            byteorder = members.get(f"{root}byteorder")
            if byteorder is not None:
                order = archive.read(byteorder)[:16]
                if order.strip() != b"little":
                    raise WeightsError(path, f"its tensors are stored {order.decode('ascii', 'replace')!r}-endian")
            pickle_info = members[pickles[0]]
            if pickle_info.file_size > MAX_PICKLE:
                raise WeightsError(path, f"its data.pkl is {pickle_info.file_size} bytes, over the {MAX_PICKLE} limit")
            with archive.open(pickle_info) as handle:
                data = handle.read(MAX_PICKLE + 1)
            if len(data) > MAX_PICKLE:
                raise WeightsError(path, f"its data.pkl is over the {MAX_PICKLE}-byte limit")
    except WeightsError:
        raise
    except Exception as error:  # zipfile raises a dozen kinds (zlib.error, struct.error, ...) on damaged archives
        raise WeightsError(path, f"not a readable zip archive ({type(error).__name__}: {str(error)[:200]})") from None
    storages: dict[str, _Storage] = {}
    tensors = _flatten(path, _walk_pickle(path, data, storages))
    infos: list[TensorInfo] = []
    with _Opened(path) as opened:
        places: dict[str, tuple[int, int]] = {}
        for key in sorted({tensor.storage.key for _, tensor in tensors}):
            member = members.get(f"{root}data/{key}")
            if member is None:
                raise WeightsError(
                    path, f"the pickle names storage {_shown(key)} but the archive has no {root}data/{key}"
                )
            if member.compress_type != zipfile.ZIP_STORED:
                raise WeightsError(
                    path,
                    f"{member.filename} is compressed (torch.save stores tensors as they are); lintml won't inflate it",
                )
            header = opened.read(member.header_offset, 30)
            if header[:4] != b"PK\x03\x04":
                raise WeightsError(path, f"the zip entry of {member.filename} does not point at a local header")
            name_length, extra_length = struct.unpack("<HH", header[26:30])
            start = member.header_offset + 30 + name_length + extra_length
            if start + member.file_size > opened.size:
                raise WeightsError(path, f"{member.filename} runs past the end of the file")
            places[key] = (start, member.file_size)
        names: set[str] = set()
        for name, tensor in tensors:
            if name in names:
                continue
            names.add(name)
            start, available = places[tensor.storage.key]
            infos.append(_tensor_info(path, name, tensor, start, available, "pytorch"))
    return infos


def _read_torch_legacy(path: Path) -> list[TensorInfo]:
    """A pre-1.6 ``torch.save`` file: five pickles (magic, protocol, sys info, data, storage keys), then storages."""
    with _Opened(path) as opened:
        stream = io.BytesIO(opened.read(0, min(opened.size, MAX_PICKLE), exact=False))
        storages: dict[str, _Storage] = {}
        magic = _walk_pickle(path, stream, storages)
        if magic != TORCH_MAGIC:
            raise WeightsError(
                path, "a pickle, but not one written by torch.save (no magic number); lintml does not load it"
            )
        if _walk_pickle(path, stream, storages) != TORCH_PROTOCOL:
            raise WeightsError(path, "a torch.save file of a protocol version lintml does not know")
        system = _walk_pickle(path, stream, storages)
        if not isinstance(system, dict) or system.get("little_endian") is not True:
            raise WeightsError(path, "a torch.save file written on a big-endian machine; lintml does not read it")
        tensors = _flatten(path, _walk_pickle(path, stream, storages))
        keys = _walk_pickle(path, stream, storages)
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise WeightsError(path, "malformed torch.save file: the storage keys are not a list of names")
        position = stream.tell()
        places: dict[str, tuple[int, int]] = {}
        for key in keys:
            storage = storages.get(key)
            if storage is None or storage.dtype is None:
                raise WeightsError(path, f"storage {_shown(key)} is listed but no tensor says what it holds")
            if position + 8 > opened.size:
                raise WeightsError(path, f"the file ends before storage {_shown(key)}")
            (count,) = struct.unpack("<q", opened.read(position, 8))
            itemsize = DTYPES[storage.dtype][0] // 8
            if count != storage.size:
                raise WeightsError(
                    path, f"storage {_shown(key)} holds {count} elements, the pickle says {storage.size}"
                )
            length = count * itemsize
            if position + 8 + length > opened.size:
                raise WeightsError(
                    path, f"storage {_shown(key)} needs {length} bytes at {position + 8}, past the end of the file"
                )
            places[key] = (position + 8, length)
            position += 8 + length
    infos: list[TensorInfo] = []
    names: set[str] = set()
    for name, tensor in tensors:
        if name in names:
            continue
        names.add(name)
        if tensor.storage.key not in places:
            raise WeightsError(
                path, f"tensor {_shown(name)} is on storage {_shown(tensor.storage.key)}, which the file lacks"
            )
        start, available = places[tensor.storage.key]
        infos.append(_tensor_info(path, name, tensor, start, available, "pytorch-legacy"))
    return infos


# ---------------------------------------------------------------------------------------------
# GGUF


def _read_gguf(path: Path) -> list[TensorInfo]:
    try:
        import gguf
    except ImportError:
        raise WeightsError(path, "reading GGUF needs the gguf package (pip install 'lintml[gguf]')") from None
    try:
        reader = gguf.GGUFReader(path, "r")
        found = [
            (
                tensor.name,
                tensor.tensor_type.name,
                [int(value) for value in tensor.shape],
                int(tensor.data_offset),
                int(tensor.n_bytes),
            )
            for tensor in reader.tensors
        ]
        swapped = reader.byte_order == "S"
        del reader
    except Exception as error:  # a third-party parser of hostile input: any failure is a bad file
        raise WeightsError(path, f"not a readable GGUF file ({type(error).__name__}: {str(error)[:200]})") from None
    size = path.stat().st_size
    infos = []
    for name, kind, dims, offset, nbytes in found:
        if offset + nbytes > size:
            raise WeightsError(
                path, f"tensor {_shown(name)} ends at byte {offset + nbytes}, past the end of the file ({size})"
            )
        shape = tuple(reversed(dims))  # GGUF lists the fastest-moving dimension first
        if kind in DTYPES and DTYPES[kind][1] is not None:
            note = "big-endian GGUF values are not decoded" if swapped else ""
            infos.append(TensorInfo(name, kind, shape, path, offset, nbytes, container="gguf", note=note))
        else:
            infos.append(
                TensorInfo(
                    name,
                    kind,
                    shape,
                    path,
                    offset,
                    nbytes,
                    container="gguf",
                    note=f"quantized ({kind}): values are not read",
                )
            )
    return infos


# ---------------------------------------------------------------------------------------------
# Values


def tensor_values(info: TensorInfo, positions: np.ndarray) -> np.ndarray:
    """The elements of ``info`` at flat (row-major) ``positions``, as float32, read from disk at those places only."""
    if not info.readable:
        raise WeightsError(
            info.file, f"tensor {_shown(info.name)}: {info.note or f'{info.dtype} values are not decoded'}"
        )
    positions = np.asarray(positions, dtype=np.int64)
    numel = info.numel
    if positions.size and (positions.min() < 0 or positions.max() >= numel):
        raise ValueError(f"positions outside tensor {info.name!r} of {numel} elements")
    if positions.size == 0:
        return np.zeros(0, dtype=np.float32)
    bits, decode = DTYPES[info.dtype]
    if decode is None:  # not readable: refused above
        raise WeightsError(info.file, f"tensor {_shown(info.name)}: {info.dtype} values are not decoded")
    itemsize = bits // 8
    if info.strides is None:
        elements = positions
    else:
        index = np.unravel_index(positions, info.shape)
        elements = np.zeros(positions.shape, dtype=np.int64)
        for axis, stride in zip(index, info.strides, strict=True):
            elements += axis.astype(np.int64) * stride
    offsets = elements * itemsize
    raw = _gather(info, offsets, itemsize)
    with np.errstate(all="ignore"):  # NaNs and values beyond float32 are data here, not errors
        return _decode(raw, decode)


def _gather(info: TensorInfo, offsets: np.ndarray, itemsize: int) -> np.ndarray:
    """The ``itemsize`` bytes at each of ``offsets`` (relative to the tensor), one row per offset."""
    order = np.argsort(offsets, kind="stable")
    ordered = offsets[order]
    low, high = int(ordered[0]), int(ordered[-1]) + itemsize
    with _Opened(info.file) as opened:
        if high > info.nbytes:
            raise WeightsError(info.file, f"tensor {_shown(info.name)} is read past its end")
        if high - low <= SMALL_READ:
            spans = [(low, high)]
            starts = np.array([0])
            first = np.zeros(len(ordered), dtype=np.int64)
        else:
            breaks = np.flatnonzero(np.diff(ordered) > READ_GAP) + 1
            first_index = np.concatenate(([0], breaks))
            last_index = np.concatenate((breaks, [len(ordered)])) - 1
            spans = [
                (int(ordered[a]), int(ordered[b]) + itemsize) for a, b in zip(first_index, last_index, strict=True)
            ]
            lengths = np.array([end - begin for begin, end in spans])
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            first = np.repeat(np.arange(len(spans)), np.diff(np.concatenate((first_index, [len(ordered)]))))
        buffer = bytearray()
        for begin, end in spans:
            buffer += opened.read(info.offset + begin, end - begin)
    span_begin = np.array([begin for begin, _ in spans], dtype=np.int64)
    where = starts[first] + (ordered - span_begin[first])
    data = np.frombuffer(bytes(buffer), dtype=np.uint8)
    rows = data[where[:, None] + np.arange(itemsize)]
    result = np.empty_like(rows)
    result[order] = rows
    return result


def _decode(rows: np.ndarray, decode: str) -> np.ndarray:
    flat = np.ascontiguousarray(rows).reshape(-1)
    if decode == "bf16":
        bits = flat.view("<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    if decode == "f8_e5m2":
        return (flat.astype(np.uint16) << 8).view(np.float16).astype(np.float32)
    if decode == "f8_e4m3":
        return _E4M3[flat]
    return flat.view(decode).astype(np.float32)


def _e4m3_table() -> np.ndarray:
    values = np.empty(256, dtype=np.float32)
    for byte in range(256):
        sign = -1.0 if byte & 0x80 else 1.0
        exponent, mantissa = (byte >> 3) & 0xF, byte & 0x7
        if exponent == 0xF and mantissa == 0x7:
            values[byte] = np.nan
        elif exponent == 0:
            values[byte] = sign * mantissa / 8 * 2.0**-6
        else:
            values[byte] = sign * (1 + mantissa / 8) * 2.0 ** (exponent - 7)
    return values


_E4M3 = _e4m3_table()


# ---------------------------------------------------------------------------------------------
# Plumbing


class _Opened:
    """A file opened for positioned reads, advised that they are random (no read-ahead)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as error:
            raise WeightsError(path, f"cannot open the file ({error.strerror or error})") from None
        self.size = os.fstat(self.descriptor).st_size
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(self.descriptor, 0, 0, os.POSIX_FADV_RANDOM)

    def __enter__(self) -> _Opened:
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.descriptor)

    def read(self, offset: int, length: int, *, exact: bool = True) -> bytes:
        try:
            if hasattr(os, "pread"):
                data = os.pread(self.descriptor, length, offset)
            else:  # pragma: no cover - Windows
                os.lseek(self.descriptor, offset, os.SEEK_SET)
                data = os.read(self.descriptor, length)
        except OSError as error:
            raise WeightsError(
                self.path, f"cannot read {length} bytes at {offset} ({error.strerror or error})"
            ) from None
        if exact and len(data) != length:
            raise WeightsError(self.path, f"the file ends at byte {self.size}, before byte {offset + length}")
        return data


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """A name from a file, quoted and cut short so a hostile one cannot flood a message."""
    text = repr(value) if isinstance(value, str) else f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "...'"
