"""Pickle-based files: which files of a repository are loaded through pickle, told from their first bytes.

Loading a pickle runs whatever functions it names, so ``pickle.load``, ``joblib.load``,
``torch.load`` (before ``weights_only``) and ``numpy.load(allow_pickle=True)`` on a stranger's
file can run code. picklescan and modelscan report such files; so does lintml, from as little
of each file as tells its format, and without unpickling anything:

- ``.pkl`` / ``.pickle`` / ``.joblib``: the first bytes are a pickle (a protocol 2+ header, or
  protocol 0/1 opcodes that parse) or a compressed stream (joblib compresses its pickles);
- ``.pt`` / ``.pth`` / ``.bin`` / ``.ckpt``: a ``torch.save`` zip archive (its central directory
  names a ``data.pkl``), a pickle stream (the legacy format starts with one), or for ``.pt`` /
  ``.pth`` the tar format of torch < 0.4;
- ``.npy``: the array header (magic and a header of at most :data:`MAX_NPY_HEADER` bytes, never
  the data) declares an object dtype, which numpy stores as a pickle;
- a Git LFS pointer where the file's name says pickle (``.pkl``, ``.pt``, ``pytorch_model.bin`` ...):
  the repository publishes a pickle even when its bytes were not fetched.
"""

from __future__ import annotations

import ast
import io
import pickletools
import re
import struct
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the weights module (and numpy with it) is imported only when a candidate file is read
    from lintml.models.weights import PositionalFile

PICKLE_SUFFIXES = frozenset({".pkl", ".pickle"})
JOBLIB_SUFFIX = ".joblib"
TORCH_SUFFIXES = frozenset({".pt", ".pth", ".bin", ".ckpt"})
NUMPY_SUFFIX = ".npy"
SUFFIXES = PICKLE_SUFFIXES | TORCH_SUFFIXES | {JOBLIB_SUFFIX, NUMPY_SUFFIX}

# Bytes read to tell a pickle, a zip or tar header, or a compressed stream: a protocol 0 pickle's
# first two opcodes fit well within it, and the tar magic sits at byte 257.
HEAD_BYTES = 512
# A .npy header: numpy writes about 120 bytes and refuses to read more than 10,000 by default.
MAX_NPY_HEADER = 65_536
# Protocol 0 and 1 pickles have no header: two opcodes that parse make one (text rarely does).
_OPCODES_TO_TELL = 2

_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_COMPRESSED = (
    b"\x1f\x8b",  # gzip
    b"BZh",  # bz2
    b"\xfd7zXZ\x00",  # xz
    b"\x5d\x00\x00",  # lzma
    b"\x04\x22\x4d\x18",  # lz4
    b"ZF",  # joblib's own zlib container (joblib < 0.10)
    b"\x78\x01",  # zlib, every compression level
    b"\x78\x5e",
    b"\x78\x9c",
    b"\x78\xda",
)
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
# .bin files named as transformers, diffusers and PEFT name the files torch.save writes.
_TORCH_BIN_NAMES = re.compile(r"^(?:pytorch_model|diffusion_pytorch_model|adapter_model|training_args)\b.*\.bin$")
_NPY_MAGIC = b"\x93NUMPY"


@dataclass(frozen=True)
class PickleFile:
    """A file that loads through pickle: ``what`` it is, as a phrase ("a pickle", "a PyTorch checkpoint ...")."""

    path: str
    what: str
    walked: bool  # whether lintml reads such files by walking their pickle's opcodes (PyTorch checkpoints)


class BytesFile:
    """Bytes already in memory, read the way a file is (a repository given as a mapping)."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self.size = len(data)

    def read(self, offset: int, length: int, *, exact: bool = True) -> bytes:
        from lintml.models.weights import WeightsError

        chunk = self.data[offset : offset + length]
        if exact and len(chunk) != length:
            raise WeightsError(self.path, f"the file ends at byte {self.size}, before byte {offset + length}")
        return chunk


def pickle_format(path: str, opened: PositionalFile) -> PickleFile | None:
    """What pickle-based format the file at ``path`` (a repository path, which decides by suffix) is in, or None."""
    name = path.rstrip("/").rpartition("/")[2].lower()
    suffix = name[name.rfind(".") :] if "." in name else ""
    if suffix not in SUFFIXES:
        return None
    head = opened.read(0, min(HEAD_BYTES, opened.size), exact=False)
    if head.startswith(_LFS_POINTER):
        if suffix in PICKLE_SUFFIXES | {JOBLIB_SUFFIX, ".pt", ".pth"} or _TORCH_BIN_NAMES.match(name):
            return PickleFile(path, f"a Git LFS pointer to a {suffix} file, a pickle-based format", False)
        return None
    if suffix in PICKLE_SUFFIXES or suffix == JOBLIB_SUFFIX:
        if _is_pickle(head, protocol_0=True):
            return PickleFile(path, "a joblib file (a pickle)" if suffix == JOBLIB_SUFFIX else "a pickle", False)
        if head.startswith(_COMPRESSED):
            return PickleFile(path, "a compressed pickle (as joblib writes them)", False)
        return None
    if suffix == NUMPY_SUFFIX:
        return (
            PickleFile(path, "a NumPy array of Python objects (an object dtype is stored as a pickle)", False)
            if (_npy_holds_objects(opened, head))
            else None
        )
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if _torch_archive(path, opened):
            return PickleFile(path, "a PyTorch checkpoint (a torch.save zip archive around a pickle)", True)
        return None
    if head.startswith(_TORCH_LEGACY_MAGIC):
        return PickleFile(path, "a PyTorch checkpoint in torch.save's legacy format (a series of pickles)", True)
    if _is_pickle(head, protocol_0=False):
        return PickleFile(path, "a pickle", False)
    if suffix in (".pt", ".pth") and head[257:262] == b"ustar":
        return PickleFile(path, "a PyTorch checkpoint in the tar format of torch < 0.4 (pickles)", False)
    return None


def _is_pickle(head: bytes, *, protocol_0: bool) -> bool:
    """Whether ``head`` starts a pickle: a PROTO opcode of protocol 2 to 5, or (when asked) text opcodes that parse."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    if not protocol_0 or not head:
        return False
    parsed = 0
    try:
        with warnings.catch_warnings():  # bad escapes in text opcodes: text, most likely
            warnings.simplefilter("ignore")
            for opcode, _argument, _position in pickletools.genops(io.BytesIO(head)):
                parsed += 1
                if parsed >= _OPCODES_TO_TELL or opcode.name == "STOP":
                    return True
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, struct.error):
        # text that is not a pickle; or one whose second opcode runs past the bytes read
        return parsed >= 1 and len(head) == HEAD_BYTES
    return False


def _torch_archive(path: str, opened: PositionalFile) -> bool:
    """Whether a zip archive's central directory names a ``data.pkl`` (torch.save and TorchScript archives)."""
    from lintml.models.weights import WeightsError, zip_directory

    try:
        offset, size = zip_directory(path, opened)
        directory = opened.read(offset, size)
    except WeightsError:
        return False
    position = 0
    while position + 46 <= len(directory) and directory[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack("<HHH", directory[position + 28 : position + 34])
        name = directory[position + 46 : position + 46 + name_length]
        if name == b"data.pkl" or name.endswith(b"/data.pkl"):
            return True
        position += 46 + name_length + extra_length + comment_length
    return False


def _npy_holds_objects(opened: PositionalFile, head: bytes) -> bool:
    """Whether a .npy header declares an object dtype (plain or inside a structured dtype)."""
    if not head.startswith(_NPY_MAGIC) or len(head) < 10:
        return False
    major = head[6]
    if major == 1:
        (length,) = struct.unpack("<H", head[8:10])
        start = 10
    elif major in (2, 3) and len(head) >= 12:
        (length,) = struct.unpack("<I", head[8:12])
        start = 12
    else:
        return False
    if length > MAX_NPY_HEADER or start + length > opened.size:
        return False
    raw = opened.read(start, length)
    try:
        header = ast.literal_eval(raw.decode("utf-8" if major == 3 else "latin-1"))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and _has_objects(header.get("descr"), 0)


def _has_objects(descr: object, depth: int) -> bool:
    """Whether a numpy ``descr`` (a type string, or a list of (name, type[, shape]) fields) holds objects."""
    if depth > 32:
        return False
    if isinstance(descr, str):
        return descr.lstrip("|<>=").startswith("O")
    if isinstance(descr, list):
        return any(
            isinstance(field, tuple) and len(field) >= 2 and _has_objects(field[1], depth + 1) for field in descr
        )
    return False
