"""GGUF headers (llama.cpp's format), read by lintml itself with a cap on everything a file states.

A GGUF file opens with a header: the magic ``GGUF``, a version, how many tensors and metadata
entries follow, the metadata (typed values: numbers, strings, arrays of them, arrays of
arrays), and one entry per tensor (name, dimensions, type, offset into the data section). Every
count and length in it is the file's word, and a reader that believes it can be made to
allocate terabytes from 49 bytes. This one checks each length against the bytes the file has
before reading it, caps counts, string lengths, nesting and the bytes read, and never keeps a
metadata value except ``general.alignment``: strings and arrays are stepped over, not built.

Versions 2 and 3 are read (version 1, of 2023, used 32-bit counts and is no longer written), in
either byte order. Any violation is a :class:`~lintml.models.weights.WeightsError` naming the
file and what is wrong.
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

from lintml.models.weights.base import MAX_DIMENSION, PositionalFile, WeightsError, shown

# Tensors one file may list: a dense model has a few hundred to two thousand, a mixture of experts
# stored per expert some tens of thousands. Each costs a few hundred bytes once listed.
MAX_TENSORS = 262_144
# Metadata entries: real files have 20 to 60 (architecture, tokenizer, quantization).
MAX_KEYS = 65_536
# Elements of one array: the largest tokenizer vocabularies and merge lists hold about 300k.
MAX_ARRAY = 4_000_000
# Values stepped over in all, nested arrays included: bounds the time spent in a header whatever it
# claims (a string array is walked element by element, about a microsecond each).
MAX_VALUES = 16_000_000
# Arrays within arrays: llama.cpp writes none deeper than one; the format allows nesting.
MAX_NESTING = 8
# A key or tensor name: llama.cpp caps tensor names at 64 bytes (GGML_MAX_NAME), and keys are
# shorter; names are kept, so this also bounds what MAX_TENSORS of them cost (under 70 MB).
MAX_NAME = 256
# A metadata string (a chat template is the longest real one, tens of KB); never read, only stepped over.
MAX_STRING = 16 * 1024 * 1024
# Bytes of header (metadata and tensor entries): a 260k-token vocabulary with its merges takes about 10 MB.
MAX_HEADER = 256 * 1024 * 1024
# Dimensions of a tensor: GGML_MAX_DIMS.
MAX_DIMS = 4
# general.alignment: a power of two; llama.cpp's default is 32.
DEFAULT_ALIGNMENT = 32
MAX_ALIGNMENT = 1 << 20

_CHUNK = 1 << 20  # bytes read from the file at a time

# Metadata value types: (struct code, width) of the fixed-width ones.
_STRING, _ARRAY = 8, 9
_FIXED = {
    0: ("B", 1),  # uint8
    1: ("b", 1),  # int8
    2: ("H", 2),  # uint16
    3: ("h", 2),  # int16
    4: ("I", 4),  # uint32
    5: ("i", 4),  # int32
    6: ("f", 4),  # float32
    7: ("?", 1),  # bool
    10: ("Q", 8),  # uint64
    11: ("q", 8),  # int64
    12: ("d", 8),  # float64
}
_UNSIGNED = frozenset({0, 2, 4, 10})

# ggml tensor types: id -> (name, elements per block, bytes per block), as ggml defines them.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}


@dataclass(frozen=True)
class GGUFTensor:
    """One tensor entry: ``dims`` as GGUF lists them (fastest-moving first); ``offset`` is absolute in the file."""

    name: str
    type_name: str
    dims: tuple[int, ...]
    offset: int
    nbytes: int


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    big_endian: bool
    alignment: int
    data_start: int
    metadata_count: int
    tensors: tuple[GGUFTensor, ...]


class _Cursor:
    """Reads a header front to back through a window of the file, never past the file's end or the header cap."""

    def __init__(self, path: Path, opened: PositionalFile, order: str) -> None:
        self.path = path
        self.opened = opened
        self.order = order
        self.position = 0
        self.window = b""
        self.window_start = 0
        self.values = 0

    def fail(self, reason: str) -> WeightsError:
        return WeightsError(self.path, f"not a readable GGUF file: {reason}")

    def need(self, length: int, what: str) -> None:
        """Check that ``length`` bytes from here are in the file and within the header cap."""
        end = self.position + length
        if end > self.opened.size:
            raise self.fail(f"{what} at byte {self.position} runs past the end of the file ({self.opened.size} bytes)")
        if end > MAX_HEADER:
            raise self.fail(f"the header runs past {MAX_HEADER:,} bytes, more than lintml reads")

    def take(self, length: int, what: str) -> bytes:
        self.need(length, what)
        offset = self.position - self.window_start
        if offset < 0 or offset + length > len(self.window):
            self.window_start = self.position
            self.window = self.opened.read(self.position, max(length, min(_CHUNK, self.opened.size - self.position)))
            offset = 0
        self.position += length
        return self.window[offset : offset + length]

    def skip(self, length: int, what: str) -> None:
        self.need(length, what)
        self.position += length

    def number(self, code: str, what: str) -> int | float | bool:
        width = struct.calcsize(code)
        value: int | float | bool = struct.unpack(self.order + code, self.take(width, what))[0]
        return value

    def count(self, what: str) -> int:
        return int(self.number("Q", what))

    def name(self, what: str) -> str:
        length = self.count(f"the length of {what}")
        if length > MAX_NAME:
            raise self.fail(f"{what} is {length:,} bytes long, more than the {MAX_NAME:,} lintml reads")
        raw = self.take(length, what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail(f"{what} at byte {self.position - length} is not UTF-8") from None

    def tick(self, count: int) -> None:
        self.values += count
        if self.values > MAX_VALUES:
            raise self.fail(f"the metadata holds more than {MAX_VALUES:,} values")

    def step_over(self, value_type: int, key: str, depth: int) -> None:
        """Move past one metadata value of ``value_type`` without building it."""
        self.tick(1)
        if value_type in _FIXED:
            self.skip(_FIXED[value_type][1], f"the value of {shown(key)}")
        elif value_type == _STRING:
            self.step_over_string(key)
        elif value_type == _ARRAY:
            if depth >= MAX_NESTING:
                raise self.fail(f"{shown(key)} nests arrays more than {MAX_NESTING} deep")
            element_type = int(self.number("I", f"the element type of {shown(key)}"))
            length = self.count(f"the length of {shown(key)}")
            if length > MAX_ARRAY:
                raise self.fail(f"{shown(key)} is an array of {length:,} elements, more than the {MAX_ARRAY:,} read")
            if element_type in _FIXED:
                self.tick(length)
                self.skip(length * _FIXED[element_type][1], f"the array {shown(key)}")
            elif element_type == _STRING:
                self.tick(length)
                for _ in range(length):
                    self.step_over_string(key)
            elif element_type == _ARRAY:
                for _ in range(length):
                    self.step_over(_ARRAY, key, depth + 1)
            else:
                raise self.fail(f"{shown(key)} is an array of unknown type {element_type}")
        else:
            raise self.fail(f"{shown(key)} has unknown value type {value_type}")

    def step_over_string(self, key: str) -> None:
        length = self.count(f"the length of a string in {shown(key)}")
        if length > MAX_STRING:
            raise self.fail(f"a string in {shown(key)} is {length:,} bytes long, more than the {MAX_STRING:,} read")
        self.skip(length, f"a string in {shown(key)}")


def read_header(path: Path, opened: PositionalFile) -> GGUFHeader:
    """The header of the GGUF file ``opened`` (named ``path`` in errors), every tensor placed inside the file."""
    if opened.size < 24:
        raise WeightsError(path, f"not a readable GGUF file: {opened.size} bytes, fewer than a header needs")
    head = opened.read(0, 8)
    if head[:4] != b"GGUF":
        raise WeightsError(path, "not a GGUF file (no GGUF magic)")
    (version,) = struct.unpack("<I", head[4:8])
    order = "<"
    if version & 0xFFFF == 0:  # written on a big-endian machine: the version reads byte-swapped
        (version,) = struct.unpack(">I", head[4:8])
        order = ">"
    if version not in (2, 3):
        obsolete = " (1 is obsolete)" if version == 1 else ""
        raise WeightsError(path, f"GGUF version {version}: lintml reads versions 2 and 3{obsolete}")
    cursor = _Cursor(path, opened, order)
    cursor.skip(8, "the version")
    tensor_count = cursor.count("the tensor count")
    key_count = cursor.count("the metadata count")
    if tensor_count > MAX_TENSORS:
        raise cursor.fail(f"it lists {tensor_count:,} tensors, more than the {MAX_TENSORS:,} lintml reads")
    if key_count > MAX_KEYS:
        raise cursor.fail(f"it has {key_count:,} metadata entries, more than the {MAX_KEYS:,} lintml reads")
    alignment = DEFAULT_ALIGNMENT
    keys: set[str] = set()
    for _ in range(key_count):
        key = cursor.name("a metadata key")
        if key in keys:
            raise cursor.fail(f"the metadata names {shown(key)} twice")
        keys.add(key)
        value_type = int(cursor.number("I", f"the type of {shown(key)}"))
        if key == "general.alignment":
            if value_type not in _UNSIGNED:
                raise cursor.fail("general.alignment is not an unsigned integer")
            alignment = int(cursor.number(_FIXED[value_type][0], "general.alignment"))
            if not 0 < alignment <= MAX_ALIGNMENT or alignment & (alignment - 1):
                raise cursor.fail(f"general.alignment {alignment} is not a power of two up to {MAX_ALIGNMENT}")
        else:
            cursor.step_over(value_type, key, 0)
    entries: list[tuple[str, str, tuple[int, ...], int, int]] = []
    names: set[str] = set()
    for _ in range(tensor_count):
        name = cursor.name("a tensor name")
        if name in names:
            raise cursor.fail(f"tensor {shown(name)} is listed twice")
        names.add(name)
        dimensions = int(cursor.number("I", f"the dimension count of {shown(name)}"))
        if dimensions > MAX_DIMS:
            raise cursor.fail(f"tensor {shown(name)} has {dimensions} dimensions; GGUF allows {MAX_DIMS}")
        dims = tuple(cursor.count(f"a dimension of {shown(name)}") for _ in range(dimensions))
        type_id = int(cursor.number("I", f"the type of {shown(name)}"))
        offset = cursor.count(f"the offset of {shown(name)}")
        if type_id not in GGML_TYPES:
            raise cursor.fail(f"tensor {shown(name)} has unknown type {type_id}")
        type_name, block, block_bytes = GGML_TYPES[type_id]
        numel = 1
        for size in dims:
            if size >= MAX_DIMENSION:
                raise cursor.fail(f"tensor {shown(name)} has a dimension of {size}")
            numel *= size
        if numel >= MAX_DIMENSION:
            raise cursor.fail(f"tensor {shown(name)} has more elements than any file can hold")
        if dims and dims[0] % block:
            raise cursor.fail(f"tensor {shown(name)} ({type_name}) has rows of {dims[0]}, not whole blocks of {block}")
        entries.append((name, type_name, dims, offset, numel // block * block_bytes))
    data_start = -(-cursor.position // alignment) * alignment
    data_size = opened.size - data_start
    tensors = []
    extents = []
    for name, type_name, dims, offset, nbytes in entries:
        if offset % alignment:
            raise WeightsError(path, f"tensor {shown(name)} starts at {offset}, off its {alignment}-byte alignment")
        if offset + nbytes > data_size:
            raise WeightsError(
                path,
                f"tensor {shown(name)} ends at byte {data_start + offset + nbytes}, past the end of the file"
                f" ({opened.size})",
            )
        tensors.append(GGUFTensor(name, type_name, dims, data_start + offset, nbytes))
        if nbytes:
            extents.append((offset, offset + nbytes, name))
    extents.sort()
    for (_, previous_end, previous), (begin, _, name) in itertools.pairwise(extents):
        if begin < previous_end:
            raise WeightsError(path, f"tensors {shown(previous)} and {shown(name)} overlap in the data")
    return GGUFHeader(version, order == ">", alignment, data_start, key_count, tuple(tensors))
