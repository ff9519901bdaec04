"""PyTorch files written by ``torch.save``: the zip format of torch >= 1.6 and the older legacy format.

Their pickles are walked by :mod:`lintml.models.weights.pickle_machine`, never unpickled; the zip directory
is measured before :mod:`zipfile` reads it, and every storage is checked against the bytes the file holds.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from pathlib import Path

from lintml.containment import Tree
from lintml.models.weights.base import (
    DTYPES,
    OpenedFile,
    PositionalFile,
    TensorInfo,
    WeightsError,
    shown,
)
from lintml.models.weights.pickle_machine import PickledTensor, Storage, flatten_state, walk_pickle

MAX_PICKLE = 64 * 1024 * 1024  # bytes of a PyTorch pickle (a real data.pkl is a few KB per hundred tensors)
# A zip archive's central directory: torch.save writes about 100 bytes per storage, so 16 MB is
# over 150,000 storages; zipfile builds an object per entry, so the directory is measured first.
MAX_ZIP_DIRECTORY = 16 * 1024 * 1024
TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # first pickle of a legacy torch.save file
TORCH_PROTOCOL = 1001


def tensor_info(
    path: Path, name: str, tensor: PickledTensor, base: int, available: int, container: str, tree: Tree
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


def read_torch_zip(path: Path, tree: Tree) -> list[TensorInfo]:
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
    storages: dict[str, Storage] = {}
    tensors = flatten_state(path, walk_pickle(path, data, storages))
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
            infos.append(tensor_info(path, name, tensor, start, available, "pytorch", tree))
    return infos


def read_torch_legacy(path: Path, tree: Tree) -> list[TensorInfo]:
    """A pre-1.6 ``torch.save`` file: five pickles (magic, protocol, sys info, data, storage keys), then storages."""
    with OpenedFile(path, tree) as opened:
        stream = io.BytesIO(opened.read(0, min(opened.size, MAX_PICKLE), exact=False))
        storages: dict[str, Storage] = {}
        magic = walk_pickle(path, stream, storages)
        if magic != TORCH_MAGIC:
            raise WeightsError(
                path, "a pickle, but not one written by torch.save (no magic number); lintml does not load it"
            )
        if walk_pickle(path, stream, storages) != TORCH_PROTOCOL:
            raise WeightsError(path, "a torch.save file of a protocol version lintml does not know")
        system = walk_pickle(path, stream, storages)
        if not isinstance(system, dict) or system.get("little_endian") is not True:
            raise WeightsError(path, "a torch.save file written on a big-endian machine; lintml does not read it")
        tensors = flatten_state(path, walk_pickle(path, stream, storages))
        keys = walk_pickle(path, stream, storages)
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
        infos.append(tensor_info(path, name, tensor, start, available, "pytorch-legacy", tree))
    return infos
