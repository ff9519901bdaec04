"""Reproducible source snapshots of a git commit: what the catalog indexes of a repository that is not on PyPI.

A snapshot keeps a commit's source, license, notice and packaging files and nothing else, and is
written so that the same commit always gives the same bytes; its sha256 is what ``scripts/catalog.toml``
pins. The rules are those of the snapshot set in ``../shared/upstreams`` (its README):

- regular files only; a code file by suffix (case-sensitive), at most 1,000,000 bytes (a notebook
  300,000); a notice file (LICENSE, LICENCE, COPYING, NOTICE, COPYRIGHT, AUTHORS, THIRD_PARTY,
  ThirdParty, ACKNOWLEDG*, any case, any depth), a README at the top, and setup.py, setup.cfg,
  pyproject.toml and requirements*.txt at any depth, each at most 1,000,000 bytes;
- a tar (GNU format) of the top folder ``OWNER+NAME@<first 12 hex of the commit>/``, every parent
  folder and the files, sorted by path components, every entry's time the commit's, owner 0 with
  empty names, mode 0755 for folders and executables and 0644 otherwise; gzip level 9 with header
  time 0 and no file name.

:func:`repack` applies them to the archive a forge serves for a commit (GitHub's ``/tar.gz/<commit>``),
so the catalog can be rebuilt from the network where no snapshot folder is at hand. A forge's archive
leaves out paths marked ``export-ignore`` in ``.gitattributes``; a snapshot made from such a commit
will not match its pin, and the build says so rather than index something else.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterable
from pathlib import PurePosixPath

CODE_SUFFIXES = frozenset(
    ".py .pyx .pyi .c .cc .cpp .cxx .h .hpp .cu .cuh .m .mm .metal .js .ts .go .rs .java .sh .ipynb".split()
)
NOTICE_PREFIXES = ("license", "licence", "copying", "notice", "copyright", "authors", "third_party", "thirdparty")
PACKAGING_NAMES = frozenset({"setup.py", "setup.cfg", "pyproject.toml"})
MAX_FILE_BYTES = 1_000_000
MAX_NOTEBOOK_BYTES = 300_000


def kept(path: str, size: int) -> bool:
    """Whether a snapshot keeps the file at ``path`` (relative to the repository's top) of ``size`` bytes."""
    name = PurePosixPath(path).name
    lowered = name.lower()
    suffix = PurePosixPath(name).suffix
    if suffix in CODE_SUFFIXES:
        return size <= (MAX_NOTEBOOK_BYTES if suffix == ".ipynb" else MAX_FILE_BYTES)
    if size > MAX_FILE_BYTES:
        return False
    if lowered.startswith(NOTICE_PREFIXES) or lowered.startswith("acknowledg"):
        return True
    if "/" not in path and lowered.startswith("readme"):
        return True
    return name in PACKAGING_NAMES or (lowered.startswith("requirements") and lowered.endswith(".txt"))


def top_folder(url: str, commit: str) -> str:
    """``https://github.com/openai/CLIP`` at ``a9b1bf59…`` -> ``openai+CLIP@a9b1bf592041``."""
    owner, name = url.rstrip("/").removesuffix(".git").split("/")[-2:]
    return f"{owner}+{name}@{commit[:12]}"


def write(files: Iterable[tuple[str, bytes, bool]], top: str, commit_time: int) -> bytes:
    """The snapshot of ``files`` (path under the top, content, executable) as reproducible .tar.gz bytes."""
    entries: dict[tuple[str, ...], tuple[bytes, bool] | None] = {(top,): None}
    for path, data, executable in files:
        parts = (top, *PurePosixPath(path).parts)
        for depth in range(2, len(parts)):
            entries.setdefault(parts[:depth], None)
        entries[parts] = (data, executable)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for parts in sorted(entries):
            item = entries[parts]
            info = tarfile.TarInfo("/".join(parts))
            info.mtime = commit_time
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if item is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                archive.addfile(info)
            else:
                data, executable = item
                info.size = len(data)
                info.mode = 0o755 if executable else 0o644
                archive.addfile(info, io.BytesIO(data))
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=compressed, mtime=0) as out:
        out.write(buffer.getvalue())
    return compressed.getvalue()


def repack(forge_archive: bytes, url: str, commit: str, commit_time: int) -> bytes:
    """The snapshot of a commit, from the .tar.gz a forge serves for it (one top folder, any name).

    Only regular files are read, each bounded by the size rules before it is read; links, devices and
    names that climb out are never followed or written anywhere: the result is built in memory.
    """
    files: list[tuple[str, bytes, bool]] = []
    with tarfile.open(fileobj=io.BytesIO(forge_archive), mode="r:gz") as archive:
        for member in archive:
            if not member.isreg():
                continue
            parts = PurePosixPath(member.name).parts[1:]  # below the forge's own top folder
            if not parts or any(part in ("", ".", "..") for part in parts):
                continue
            path = "/".join(parts)
            if not kept(path, member.size):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            files.append((path, handle.read(), bool(member.mode & 0o111)))
    return write(files, top_folder(url, commit), commit_time)
