"""What every weights reader shares: the caps that bound no single format, dtypes, the tensor record,
errors that name the file, and positioned reads from a file located inside a :class:`~lintml.containment.Tree`."""

from __future__ import annotations

import contextlib
import io
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lintml.bounded_json import JSONInputError, load_json
from lintml.containment import OutsideTree, Tree

# Values and lists/objects of a JSON header (safetensors; an index too): a tensor takes about ten values and three
# containers, so these hold 400,000 tensors (the largest real checkpoints have some tens of thousands)
# and keep the parsed header under about 600 MB.
MAX_HEADER_ITEMS = 4_000_000
MAX_HEADER_CONTAINERS = 1_200_000
MAX_DEPTH = 64  # dicts within dicts in a checkpoint
MAX_DIMENSION = 1 << 62  # no dimension, offset or element count is larger

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


def located(path: Path, tree: Tree) -> str:
    """The real path of ``path`` inside ``tree``; a :class:`WeightsError` naming the link when it leads out."""
    try:
        return str(tree.inside(path))
    except OutsideTree as refused:
        raise WeightsError(path, refused.escape.describe()) from None
    except ValueError:
        raise WeightsError(path, f"not inside {tree.root}") from None


def json_object(path: Path, raw: bytes, what: str, limit: int) -> dict[str, Any]:
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


# Open flags: no following a link swapped in after the path was located, no blocking on a FIFO.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class OpenedFile:
    """A regular file inside ``tree``, opened for positioned reads, advised that they are random (no read-ahead).

    ``path`` names the file in errors; what is opened is its real path, located through ``tree``.
    """

    def __init__(self, path: Path, tree: Tree) -> None:
        self.path = path
        real = located(path, tree)
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


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value: Any) -> str:
    """A name from a file, quoted and cut short so a hostile one cannot flood a message."""
    text = repr(value) if isinstance(value, str) else f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "...'"
