"""Safetensors: an 8-byte length, a JSON header read under caps on size, items and nesting, then the data."""

from __future__ import annotations

import itertools
import math
import struct
from pathlib import Path
from typing import Any

from lintml.containment import Tree
from lintml.models.weights.base import (
    DTYPES,
    MAX_DIMENSION,
    OpenedFile,
    TensorInfo,
    WeightsError,
    is_int,
    json_object,
    shown,
)

MAX_HEADER = 100_000_000  # bytes of a safetensors JSON header; safetensors itself refuses more


def read_safetensors(path: Path, tree: Tree) -> list[TensorInfo]:
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
    header = json_object(path, raw, "safetensors header", MAX_HEADER)
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
            or not all(is_int(value) and 0 <= value < MAX_DIMENSION for value in offsets)
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
    if not isinstance(value, list) or not all(is_int(item) and 0 <= item < MAX_DIMENSION for item in value):
        raise WeightsError(path, f"tensor {shown(name)} has a shape that is not a list of non-negative integers")
    if len(value) > 64:
        raise WeightsError(path, f"tensor {shown(name)} has {len(value)} dimensions")
    shape = tuple(value)
    if math.prod(shape) >= MAX_DIMENSION:
        raise WeightsError(path, f"tensor {shown(name)} has more elements than any file can hold")
    return shape
