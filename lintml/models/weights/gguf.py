"""GGUF: the tensor table, read by lintml's own bounded header reader (:mod:`lintml.models.weights.gguf_header`)."""

from __future__ import annotations

from pathlib import Path

from lintml.containment import Tree
from lintml.models.weights.base import DTYPES, OpenedFile, TensorInfo


def read_gguf(path: Path, tree: Tree) -> list[TensorInfo]:
    from lintml.models.weights.gguf_header import read_header

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
