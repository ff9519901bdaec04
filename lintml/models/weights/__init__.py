"""Read the tensors of a checkpoint without trusting it, and sample their values from disk.

Four containers are read: safetensors (one file, or shards named by a ``*.index.json``),
PyTorch files written by ``torch.save`` (the zip format of torch ≥ 1.6 and the older legacy
format), and GGUF (by lintml's own bounded header reader, :mod:`lintml.models.weights.gguf_header`).
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

The package, by container format: :mod:`~lintml.models.weights.checkpoint` (files, folders, shards),
:mod:`~lintml.models.weights.safetensors`, :mod:`~lintml.models.weights.pytorch` (torch.save zip and
legacy files), :mod:`~lintml.models.weights.pickle_machine` (the opcode walker),
:mod:`~lintml.models.weights.gguf`, :mod:`~lintml.models.weights.values` (sampling), and
:mod:`~lintml.models.weights.base` (what they share).
"""

from __future__ import annotations

from lintml.models.weights.base import (
    DTYPES,
    FLOAT_DTYPES,
    MAX_DIMENSION,
    OpenedFile,
    PositionalFile,
    TensorInfo,
    UnsafePickle,
    WeightsError,
    shown,
)
from lintml.models.weights.checkpoint import read_tensors
from lintml.models.weights.pytorch import zip_directory
from lintml.models.weights.values import tensor_values

__all__ = [
    "DTYPES",
    "FLOAT_DTYPES",
    "MAX_DIMENSION",
    "OpenedFile",
    "PositionalFile",
    "TensorInfo",
    "UnsafePickle",
    "WeightsError",
    "read_tensors",
    "shown",
    "tensor_values",
    "zip_directory",
]
