"""Sample a tensor's values from disk: ``os.pread`` at the sampled elements only, decoded to float32."""

from __future__ import annotations

import numpy as np

from lintml.containment import Tree
from lintml.models.weights.base import DTYPES, OpenedFile, TensorInfo, WeightsError, shown

READ_GAP = 4096  # sampled elements closer than this (in bytes) are read in one go
SMALL_READ = 1 << 20  # a tensor spanning less than this is read whole


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
