"""Unpack an upstream's archive (an sdist, a wheel, a zip or a tar), which is untrusted input.

An archive can be a bomb (a few megabytes that unpack to terabytes, or to millions of files),
and its members can be links, devices, or names that climb out of the folder (``../``, ``/``).
So members are unpacked one by one by this code, never by ``extractall``: each name is checked,
only plain files and folders are made (nothing else is even tried), and the bytes and files
written are counted as they are written, whatever sizes the archive declares. A tar is read
as a stream through a counter, so that its headers count too (tarfile reads an extended
header whole into memory, so those are also capped). Going over a limit, like any other
failure, empties the target folder: nothing half-unpacked is left behind.

Imported only when an archive is unpacked: ``lintml check`` never pays for tarfile and zipfile.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lintml.provenance.upstream import UnpackLimits

_CHUNK = 1 << 20
# Long names and pax records are a few hundred bytes; tarfile reads one whole before looking at it.
_MAX_EXTENDED_HEADER = 1 << 20
# A tar stream holds, besides its files' bytes, a 512-byte header and up to 511 bytes of padding per member,
# extended headers and two closing blocks.
_TAR_OVERHEAD_PER_MEMBER = 1024 + 512


class ArchiveError(Exception):
    """An archive that cannot, or may not, be unpacked; the message names it and says why."""


def size_text(count: int) -> str:
    """A byte count as people write it: 1GB, 512MB, 2000 bytes (powers of 1024, as --max-file-size reads them)."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size}{unit}"
    return f"{count} bytes"


class _Tally:
    """What an archive has unpacked so far, against its limits."""

    def __init__(self, archive: Path, limits: UnpackLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.bytes = 0
        self.files = 0

    def add_member(self) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise ArchiveError(
                f"{self.archive}: unpacks to more than {self.limits.max_files} files and folders, the limit"
                " (--max-unpacked-files); nothing of it was kept"
            )

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_bytes:
            self.too_large()

    def too_large(self) -> None:
        raise ArchiveError(
            f"{self.archive}: unpacks to more than {size_text(self.limits.max_bytes)}, the limit"
            " (--max-unpacked-size); nothing of it was kept"
        )


def unpack(archive: Path, target: Path, limits: UnpackLimits) -> None:
    """Unpack ``archive`` into the empty folder ``target``; ArchiveError, with ``target`` left empty, if it
    is damaged, unsafe or over a limit."""
    tally = _Tally(archive, limits)
    try:
        if archive.name.lower().endswith((".zip", ".whl")):
            _unzip(archive, target, tally)
        else:
            _untar(archive, target, tally)
    except ArchiveError:
        _empty(target)
        raise
    except (
        tarfile.TarError,
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,  # a zip compression method Python does not read
        RuntimeError,  # an encrypted zip member
    ) as error:
        _empty(target)
        raise ArchiveError(f"{archive}: cannot unpack ({error})") from None


def _empty(target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(exist_ok=True)


def _destination(target: Path, name: str, archive: Path) -> Path | None:
    """Where a member goes: inside ``target`` (None for the top folder itself), or ArchiveError."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    if "\0" in name or posix.is_absolute() or windows.drive or windows.root or ".." in posix.parts + windows.parts:
        raise ArchiveError(f"{archive}: member {name!r} would unpack outside its folder; nothing of it was kept")
    if not posix.parts:
        return None
    return target.joinpath(*posix.parts)


def _refuse(archive: Path, name: str, what: str) -> ArchiveError:
    return ArchiveError(f"{archive}: member {name!r} is {what}, which an upstream's archive has no need of")


def _write(source: IO[bytes], destination: Path, tally: _Tally) -> None:
    """Copy a member's bytes to a new plain file, counting them before each write."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    # O_NOFOLLOW: never write through a link (none is ever made here, but a name must not find one either).
    handle = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(handle, "wb") as sink:
        while chunk := source.read(_CHUNK):
            tally.add_bytes(len(chunk))
            sink.write(chunk)


def _unzip(archive: Path, target: Path, tally: _Tally) -> None:
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            tally.add_member()
            destination = _destination(target, member.filename, archive)
            kind = stat.S_IFMT(member.external_attr >> 16)  # the Unix file type, when a Unix tool made the zip
            if kind == stat.S_IFLNK:
                raise _refuse(archive, member.filename, "a symbolic link")
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise _refuse(archive, member.filename, "a device, pipe or socket")
            if destination is None:
                continue
            if member.is_dir() or kind == stat.S_IFDIR:
                destination.mkdir(parents=True, exist_ok=True)
                continue
            with bundle.open(member) as source:
                _write(source, destination, tally)


class _CountedStream:
    """A decompressed tar stream that ends the unpacking once it has given more bytes than the limits allow."""

    def __init__(self, stream: IO[bytes], tally: _Tally) -> None:
        self.stream = stream
        self.tally = tally
        self.given = 0
        self.cap = tally.limits.max_bytes + _TAR_OVERHEAD_PER_MEMBER * (tally.limits.max_files + 2)

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(_CHUNK if size is None or size < 0 else min(size, _CHUNK))
        self.given += len(data)
        if self.given > self.cap:
            self.tally.too_large()
        return data


class _BoundedTarInfo(tarfile.TarInfo):
    """A tar header that may not announce an extended header (a long name, pax records) of more than 1 MB."""

    def _proc_member(self, archive: Any) -> Any:
        extended = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE)
        if self.type in (*extended, tarfile.SOLARIS_XHDTYPE) and self.size > _MAX_EXTENDED_HEADER:
            raise tarfile.HeaderError(f"an extended header of {self.size} bytes")
        return super()._proc_member(archive)


def _decompressed(raw: IO[bytes]) -> IO[bytes]:
    """The tar inside a .tar.gz, .tar.bz2 or .tar.xz (told by its first bytes, not its name), or a plain tar."""
    head = raw.read(6)
    raw.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if head.startswith(b"BZh"):
        return bz2.BZ2File(raw)
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(raw)
    return raw


def _untar(archive: Path, target: Path, tally: _Tally) -> None:
    with archive.open("rb") as raw, _decompressed(raw) as stream:
        counted = _CountedStream(stream, tally)
        # "r|": read once, front to back, never seeking: what is counted is what is read.
        with tarfile.open(fileobj=counted, mode="r|", tarinfo=_BoundedTarInfo) as bundle:
            for member in bundle:
                tally.add_member()
                destination = _destination(target, member.name, archive)
                if member.issym() or member.islnk():
                    raise _refuse(archive, member.name, "a link")
                if not (member.isfile() or member.isdir()):
                    raise _refuse(archive, member.name, "a device, pipe or socket")
                if destination is None:
                    continue
                if member.isdir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                source = bundle.extractfile(member)
                if source is None:
                    raise _refuse(archive, member.name, "not a plain file")
                _write(source, destination, tally)
