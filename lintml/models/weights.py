"""Read the tensors of a checkpoint without trusting it, and sample their values from disk.

Four containers are read: safetensors (one file, or shards named by a ``*.index.json``),
PyTorch files written by ``torch.save`` (the zip format of torch ≥ 1.6 and the older legacy
format), and GGUF (by lintml's own bounded header reader, :mod:`lintml.models.gguf_header`).
Every length and offset a file states is checked against the file before anything is read at
it; headers, zip directories and pickles are read under caps on size, count and depth (each a
constant below, with why); and any violation is a :class:`WeightsError` that names the file
and says what is wrong.

Every file is opened through a :class:`~lintml.containment.Tree`: the repository being
checked, or the folder a user named. A shard, an index or a sibling that is a link leading out
of it is refused (a :class:`WeightsError` naming the link), never read.

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
import math
import os
import pickletools
import re
import stat
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import numpy as np

from lintml.bounded_json import JSONInputError, load_json
from lintml.containment import OutsideTree, Tree

MAX_HEADER = 100_000_000  # bytes of a safetensors JSON header; safetensors itself refuses more
# Values and lists/objects of a safetensors header: a tensor takes about ten values and three
# containers, so these hold 400,000 tensors (the largest real checkpoints have some tens of thousands)
# and keep the parsed header under about 600 MB.
MAX_HEADER_ITEMS = 4_000_000
MAX_HEADER_CONTAINERS = 1_200_000
MAX_INDEX = 64 * 1024 * 1024  # bytes of a sharded checkpoint's index
MAX_PICKLE = 64 * 1024 * 1024  # bytes of a PyTorch pickle (a real data.pkl is a few KB per hundred tensors)
MAX_CONTAINERS = 2_000_000  # lists, dicts and tuples one pickle may build (a real one: about 6 per tensor)
# Opcodes one pickle may run: a checkpoint takes about 50 per tensor (facenet's P-Net: 533 for 10),
# so this is 100,000 tensors, optimizer state included; at about 0.6 µs each the walk stays under 4 s.
MAX_OPCODES = 5_000_000
# Memo entries (PUT/MEMOIZE): about 14 per tensor in real checkpoints; each costs about 100 bytes.
MAX_MEMO = 2_000_000
# Values waiting on the stack, and open MARKs: pickle batches appends and setitems by 1,000, so a
# real stack holds a few thousand at most; without a cap one-byte opcodes could pile up 64 million.
MAX_STACK = 1_000_000
MAX_MARKS = 10_000
# A zip archive's central directory: torch.save writes about 100 bytes per storage, so 16 MB is
# over 150,000 storages; zipfile builds an object per entry, so the directory is measured first.
MAX_ZIP_DIRECTORY = 16 * 1024 * 1024
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


class PositionalFile(Protocol):
    """What readers of headers need of an open file: its size and reads at an offset."""

    size: int

    def read(self, offset: int, length: int, *, exact: bool = True) -> bytes: ...


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
            f"its pickle refers to {shown(global_name)}, which is not part of a plain checkpoint of tensors;"
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
    # The tree the file was found in: its values are read through it too (None: the file's folder).
    tree: Tree | None = field(default=None, compare=False, repr=False)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def readable(self) -> bool:
        """Whether :func:`tensor_values` can decode this tensor's elements."""
        return not self.note and DTYPES.get(self.dtype, (0, None))[1] is not None


# ---------------------------------------------------------------------------------------------
# Entry point: a file, a folder, or a sharded index


def read_tensors(path: Path, tree: Tree | None = None) -> list[TensorInfo]:
    """Every tensor of the checkpoint at ``path`` (a weights file, a model folder or a ``*.index.json``), by name.

    Every file is located through ``tree`` (by default the folder ``path`` names, or the folder of the
    file it names): a shard, an index or the file itself that leads out of it is refused.
    """
    path = Path(path)
    if tree is None:
        tree = Tree(path if path.is_dir() else path.parent)
    real = _located(path, tree)
    if os.path.isdir(real):
        chosen = _pick_in_folder(path, tree)
        if isinstance(chosen, list):
            return _sorted(_read_shards(path, chosen, tree))
        path = chosen
    elif not os.path.isfile(real):
        raise WeightsError(path, "no such file or folder")
    if path.name.endswith(".index.json"):
        return _sorted(_read_index(path, tree))
    return _sorted(_read_file(path, tree))


def _located(path: Path, tree: Tree) -> str:
    """The real path of ``path`` inside ``tree``; a :class:`WeightsError` naming the link when it leads out."""
    try:
        return str(tree.inside(path))
    except OutsideTree as refused:
        raise WeightsError(path, refused.escape.describe()) from None
    except ValueError:
        raise WeightsError(path, f"not inside {tree.root}") from None


def _sorted(infos: list[TensorInfo]) -> list[TensorInfo]:
    return sorted(infos, key=lambda info: info.name)


def _pick_in_folder(folder: Path, tree: Tree) -> Path | list[Path]:
    """The weights of a model folder: a sharded index, else ``model.safetensors``, else the one weights file.

    Chosen by name: a link among the files is located (and refused if it leads out) when it is read.
    """
    try:
        with os.scandir(_located(folder, tree)) as listing:
            files = sorted(
                folder / entry.name for entry in listing if entry.is_symlink() or entry.is_file(follow_symlinks=False)
            )
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


def _read_file(path: Path, tree: Tree) -> list[TensorInfo]:
    with OpenedFile(path, tree) as opened:
        head = opened.read(0, 264, exact=False)
    if path.suffix == ".safetensors":
        return _read_safetensors(path, tree)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _read_torch_zip(path, tree)
    if head.startswith(b"GGUF"):
        return _read_gguf(path, tree)
    if head[:1] == b"\x80":
        return _read_torch_legacy(path, tree)
    if head[257:262] == b"ustar":
        raise WeightsError(path, "a tar archive (the torch.save format of torch < 0.4); lintml does not read it")
    if len(head) > 8 and head[8:9] == b"{":
        return _read_safetensors(path, tree)
    raise WeightsError(path, "not a weights format lintml reads (safetensors, PyTorch zip or legacy pickle, GGUF)")


# ---------------------------------------------------------------------------------------------
# Safetensors


def _read_safetensors(path: Path, tree: Tree) -> list[TensorInfo]:
    with OpenedFile(path, tree) as opened:
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
    header = _json_object(path, raw, "safetensors header", MAX_HEADER)
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
            raise WeightsError(path, f"tensor {shown(name)} in the header is not an object")
        dtype = entry.get("dtype")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise WeightsError(path, f"tensor {shown(name)} has an unknown dtype {shown(dtype)}")
        shape = _shape(path, name, entry.get("shape"))
        offsets = entry.get("data_offsets")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(_is_int(value) and 0 <= value < MAX_DIMENSION for value in offsets)
        ):
            raise WeightsError(path, f"tensor {shown(name)} has data_offsets that are not two non-negative integers")
        begin, end = offsets
        if end < begin:
            raise WeightsError(path, f"tensor {shown(name)} ends (byte {end}) before it begins (byte {begin})")
        if end > data_size:
            raise WeightsError(
                path,
                f"the header says tensor {shown(name)} ends at byte {end} of the data"
                f" but the file has only {data_size} bytes of data",
            )
        bits = DTYPES[dtype][0]
        numel = math.prod(shape)
        if numel * bits % 8:
            raise WeightsError(
                path, f"tensor {shown(name)}: {numel} elements of {dtype} are not a whole number of bytes"
            )
        expected = numel * bits // 8
        if end - begin != expected:
            raise WeightsError(
                path,
                f"tensor {shown(name)} is {dtype} of shape {list(shape)}, which is {expected} bytes,"
                f" but its data_offsets span {end - begin}",
            )
        infos.append(TensorInfo(name, dtype, shape, path, data_start + begin, expected, tree=tree))
        if end > begin:
            extents.append((begin, end, name))
    extents.sort()
    for (_, previous_end, previous), (begin, _, name) in itertools.pairwise(extents):
        if begin < previous_end:
            raise WeightsError(path, f"tensors {shown(previous)} and {shown(name)} overlap in the data")
    return infos


def _shape(path: Path, name: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(_is_int(item) and 0 <= item < MAX_DIMENSION for item in value):
        raise WeightsError(path, f"tensor {shown(name)} has a shape that is not a list of non-negative integers")
    if len(value) > 64:
        raise WeightsError(path, f"tensor {shown(name)} has {len(value)} dimensions")
    shape = tuple(value)
    if math.prod(shape) >= MAX_DIMENSION:
        raise WeightsError(path, f"tensor {shown(name)} has more elements than any file can hold")
    return shape


def _json_object(path: Path, raw: bytes, what: str, limit: int) -> dict[str, Any]:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise WeightsError(path, f"the {what} names {shown(key)} twice")
            result[key] = value
        return result

    try:
        loaded = load_json(
            raw,
            max_bytes=limit,
            max_depth=MAX_DEPTH,
            max_items=MAX_HEADER_ITEMS,
            max_containers=MAX_HEADER_CONTAINERS,
            object_pairs_hook=unique,
        )
    except JSONInputError as error:
        raise WeightsError(path, f"the {what} cannot be read: {error.reason}") from None
    if not isinstance(loaded, dict):
        raise WeightsError(path, f"the {what} is not a JSON object")
    return loaded


# ---------------------------------------------------------------------------------------------
# Shards


def _read_index(index: Path, tree: Tree) -> list[TensorInfo]:
    with OpenedFile(index, tree) as opened:
        if opened.size > MAX_INDEX:
            raise WeightsError(index, f"the index is {opened.size} bytes, over the {MAX_INDEX}-byte limit")
        raw = opened.read(0, opened.size)
    document = _json_object(index, raw, "index", MAX_INDEX)
    weight_map = document.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        raise WeightsError(index, "the index has no weight_map object")
    by_shard: dict[str, list[str]] = {}
    for name, shard in weight_map.items():
        if not isinstance(shard, str):
            raise WeightsError(index, f"weight_map gives tensor {shown(name)} a shard that is not a file name")
        by_shard.setdefault(shard, []).append(name)
    folder = index.parent
    infos: list[TensorInfo] = []
    for shard, names in sorted(by_shard.items()):
        relative = PurePosixPath(shard)
        file = folder / relative
        if relative.is_absolute() or ".." in relative.parts or "\\" in shard or "\0" in shard or not shard:
            raise WeightsError(index, f"weight_map names shard {shown(shard)}, which is not a file beside the index")
        try:
            real = tree.inside(file)
        except OutsideTree as refused:
            raise WeightsError(index, f"weight_map names shard {shown(shard)}: {refused.escape.describe()}") from None
        except (OSError, ValueError):
            real = None
        if real is None or not real.is_file():
            raise WeightsError(index, f"weight_map names shard {shown(shard)}, which does not exist")
        present = {info.name: info for info in _read_file(file, tree)}
        for name in names:
            if name not in present:
                raise WeightsError(
                    file, f"the index {index.name} puts tensor {shown(name)} in this shard, which lacks it"
                )
            infos.append(present[name])
    return infos


def _read_shards(folder: Path, shards: list[Path], tree: Tree) -> list[TensorInfo]:
    totals = {int(match["total"]) for match in (_SHARD.match(item.name) for item in shards) if match}
    if totals != {len(shards)}:
        raise WeightsError(folder, f"shards {shards[0].name}… do not form a complete set and no index names them")
    infos: dict[str, TensorInfo] = {}
    for shard in shards:
        for info in _read_safetensors(shard, tree):
            if info.name in infos:
                raise WeightsError(shard, f"tensor {shown(info.name)} is also in {infos[info.name].file.name}")
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
        # pickletools warns of bad escapes in text opcodes: a malformed file, not something to report twice
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self._run(stream)

    def _run(self, stream: io.BytesIO) -> Any:
        try:
            for count, (opcode, argument, _position) in enumerate(pickletools.genops(stream), 1):
                if count > MAX_OPCODES:
                    raise WeightsError(self.path, f"the pickle runs more than {MAX_OPCODES:,} opcodes")
                result = self.step(opcode.name, argument)
                if result is not _MARK:
                    return result
                if len(self.stack) > MAX_STACK:
                    raise WeightsError(self.path, f"the pickle stacks up more than {MAX_STACK:,} values")
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
            if len(self.marks) >= MAX_MARKS:
                raise WeightsError(self.path, f"the pickle opens more than {MAX_MARKS:,} MARKs at once")
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
        elif name in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE"):
            if len(self.memo) >= MAX_MEMO:
                raise WeightsError(self.path, f"the pickle memoizes more than {MAX_MEMO:,} values")
            self.memo[len(self.memo) if name == "MEMOIZE" else int(argument)] = self.top()
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
            raise WeightsError(self.path, f"a tensor on untyped storage {shown(storage.key)} has no dtype")
        if not (_is_int(offset) and 0 <= offset < MAX_DIMENSION):
            raise self.fail(f"a tensor on storage {shown(storage.key)} has a bad storage offset")
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
            raise self.fail(f"a tensor on storage {shown(storage.key)} has a bad size or stride")
        if math.prod(shape) >= MAX_DIMENSION:
            raise self.fail(f"a tensor on storage {shown(storage.key)} has too many elements")
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
                raise self.fail(f"storage {shown(key)} has a bad view")
            view_offset = view[1]
        known = self.storages.get(key)
        if known is not None and (known.dtype, known.size) != (dtype, size):
            raise self.fail(f"storage {shown(key)} is declared twice, differently")
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


def _tensor_info(
    path: Path, name: str, tensor: _Tensor, base: int, available: int, container: str, tree: Tree
) -> TensorInfo:
    """A rebuilt tensor placed in the file, its extent checked against the bytes its storage has."""
    bits, decode = DTYPES[tensor.dtype]
    itemsize = bits // 8
    storage = tensor.storage
    storage_bytes = storage.size * (itemsize if storage.dtype is not None else 1)
    if storage_bytes > available:
        raise WeightsError(
            path, f"storage {shown(storage.key)} needs {storage_bytes} bytes but the file holds {available} for it"
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
            path, f"tensor {shown(name)} reaches element {last} of storage {shown(storage.key)}, which is smaller"
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
        tree=tree,
    )


def _contiguous(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def zip_directory(path: Path | str, opened: PositionalFile) -> tuple[int, int]:
    """(offset, size) of a zip archive's central directory, found as :mod:`zipfile` finds it, within the caps.

    zipfile builds an object per directory entry before anything can be checked, so the
    directory's size is read from the end records first and refused when over
    :data:`MAX_ZIP_DIRECTORY` or outside the file.
    """
    size = opened.size
    if size < 22:
        raise WeightsError(path, "not a readable zip archive (shorter than its end record)")
    tail = opened.read(size - 22, 22)
    where = size - 22
    if tail[:4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":  # an archive comment: search the last 64 KiB
        start = max(0, size - 22 - 0xFFFF)
        window = opened.read(start, size - start)
        found = window.rfind(b"PK\x05\x06")
        if found < 0 or found + 22 > len(window):
            raise WeightsError(path, "not a readable zip archive (no end of central directory record)")
        tail = window[found : found + 22]
        where = start + found
    _, _, _, entries, directory_size, directory_offset, _ = struct.unpack("<HHHHIIH", tail[4:22])
    if 0xFFFF in (entries,) or 0xFFFFFFFF in (directory_size, directory_offset):  # zip64: sizes in its own record
        if where < 20:
            raise WeightsError(path, "not a readable zip archive (a zip64 archive without its locator)")
        locator = opened.read(where - 20, 20)
        if locator[:4] == b"PK\x06\x07":
            (record_offset,) = struct.unpack("<Q", locator[8:16])
            if record_offset + 56 > size:
                raise WeightsError(path, "not a readable zip archive (its zip64 record lies past the end)")
            record = opened.read(record_offset, 56)
            if record[:4] != b"PK\x06\x06":
                raise WeightsError(path, "not a readable zip archive (no zip64 end record where its locator says)")
            directory_size, directory_offset = struct.unpack("<QQ", record[40:56])
    if directory_size > MAX_ZIP_DIRECTORY:
        raise WeightsError(
            path, f"its zip directory is {directory_size:,} bytes, more than the {MAX_ZIP_DIRECTORY:,} lintml reads"
        )
    if directory_offset + directory_size > size:
        raise WeightsError(path, "not a readable zip archive (its directory lies past the end of the file)")
    return directory_offset, directory_size


def _read_torch_zip(path: Path, tree: Tree) -> list[TensorInfo]:
    with OpenedFile(path, tree) as opened:
        zip_directory(path, opened)
        handle = opened.stream()
    try:
        with handle, zipfile.ZipFile(handle) as archive:
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
    with OpenedFile(path, tree) as opened:
        places: dict[str, tuple[int, int]] = {}
        for key in sorted({tensor.storage.key for _, tensor in tensors}):
            member = members.get(f"{root}data/{key}")
            if member is None:
                raise WeightsError(
                    path, f"the pickle names storage {shown(key)} but the archive has no {root}data/{key}"
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
            infos.append(_tensor_info(path, name, tensor, start, available, "pytorch", tree))
    return infos


def _read_torch_legacy(path: Path, tree: Tree) -> list[TensorInfo]:
    """A pre-1.6 ``torch.save`` file: five pickles (magic, protocol, sys info, data, storage keys), then storages."""
    with OpenedFile(path, tree) as opened:
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
                raise WeightsError(path, f"storage {shown(key)} is listed but no tensor says what it holds")
            if position + 8 > opened.size:
                raise WeightsError(path, f"the file ends before storage {shown(key)}")
            (count,) = struct.unpack("<q", opened.read(position, 8))
            itemsize = DTYPES[storage.dtype][0] // 8
            if count != storage.size:
                raise WeightsError(path, f"storage {shown(key)} holds {count} elements, the pickle says {storage.size}")
            length = count * itemsize
            if position + 8 + length > opened.size:
                raise WeightsError(
                    path, f"storage {shown(key)} needs {length} bytes at {position + 8}, past the end of the file"
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
                path, f"tensor {shown(name)} is on storage {shown(tensor.storage.key)}, which the file lacks"
            )
        start, available = places[tensor.storage.key]
        infos.append(_tensor_info(path, name, tensor, start, available, "pytorch-legacy", tree))
    return infos


# ---------------------------------------------------------------------------------------------
# GGUF


def _read_gguf(path: Path, tree: Tree) -> list[TensorInfo]:
    from lintml.models.gguf_header import read_header

    with OpenedFile(path, tree) as opened:
        header = read_header(path, opened)
    infos = []
    for tensor in header.tensors:
        shape = tuple(reversed(tensor.dims))  # GGUF lists the fastest-moving dimension first
        if tensor.type_name in DTYPES and DTYPES[tensor.type_name][1] is not None:
            note = "big-endian GGUF values are not decoded" if header.big_endian else ""
        else:
            note = f"quantized ({tensor.type_name}): values are not read"
        infos.append(
            TensorInfo(
                tensor.name,
                tensor.type_name,
                shape,
                path,
                tensor.offset,
                tensor.nbytes,
                container="gguf",
                note=note,
                tree=tree,
            )
        )
    return infos


# ---------------------------------------------------------------------------------------------
# Values


def tensor_values(info: TensorInfo, positions: np.ndarray) -> np.ndarray:
    """The elements of ``info`` at flat (row-major) ``positions``, as float32, read from disk at those places only."""
    if not info.readable:
        raise WeightsError(
            info.file, f"tensor {shown(info.name)}: {info.note or f'{info.dtype} values are not decoded'}"
        )
    positions = np.asarray(positions, dtype=np.int64)
    numel = info.numel
    if positions.size and (positions.min() < 0 or positions.max() >= numel):
        raise ValueError(f"positions outside tensor {info.name!r} of {numel} elements")
    if positions.size == 0:
        return np.zeros(0, dtype=np.float32)
    bits, decode = DTYPES[info.dtype]
    if decode is None:  # not readable: refused above
        raise WeightsError(info.file, f"tensor {shown(info.name)}: {info.dtype} values are not decoded")
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
    with OpenedFile(info.file, info.tree or Tree(info.file.parent)) as opened:
        if high > info.nbytes:
            raise WeightsError(info.file, f"tensor {shown(info.name)} is read past its end")
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


# Open flags: no following a link swapped in after the path was located, no blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class OpenedFile:
    """A regular file inside ``tree``, opened for positioned reads, advised that they are random (no read-ahead).

    ``path`` names the file in errors; what is opened is its real path, located through ``tree``.
    """

    def __init__(self, path: Path, tree: Tree) -> None:
        self.path = path
        real = _located(path, tree)
        try:
            self.descriptor = os.open(real, _OPEN_FLAGS)
        except OSError as error:
            raise WeightsError(path, f"cannot open the file ({error.strerror or error})") from None
        status = os.fstat(self.descriptor)
        if not stat.S_ISREG(status.st_mode):
            os.close(self.descriptor)
            raise WeightsError(path, "not a regular file")
        self.size = status.st_size
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(self.descriptor, 0, 0, os.POSIX_FADV_RANDOM)

    def __enter__(self) -> OpenedFile:
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.descriptor)

    def stream(self) -> io.BufferedReader:
        """A file object on the same file (its own descriptor), for readers that want one."""
        return os.fdopen(os.dup(self.descriptor), "rb")

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


def shown(value: Any) -> str:
    """A name from a file, quoted and cut short so a hostile one cannot flood a message."""
    text = repr(value) if isinstance(value, str) else f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "...'"
