"""Containment: lintml reads nothing outside the tree it was asked to check.

A scanned repository is untrusted, and a symbolic link is the easy way out of it: a tracked
folder replaced by a link to ``/home/you``, a weights shard linked to ``/etc/passwd``, a
tokenizer sibling linked to a secret. Every path lintml opens under a scanned tree goes
through :class:`Tree`, which resolves it (links in parent folders included) and refuses
one whose real location is not under the tree's real root. A refusal names the link that
leads out, so it can be reported as a finding rather than silently skipped.

Links that stay inside the tree are followed as usual. The check is made when a path is
located; a repository that swaps its links while lintml reads it could race it, which is
why callers open the real path :meth:`Tree.locate` returns rather than the lexical one.
:meth:`Tree.read` and :meth:`Tree.head` do that, and more: they open without following a link
swapped in since, without waiting on a FIFO swapped in since, read regular files only, and read
no more than they were asked to.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# No following a link that replaced the located file, no blocking on a FIFO that replaced it.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Escape:
    """A path under the tree whose real location is outside it, and the link that leads out."""

    path: str  # as asked, POSIX, relative to the root
    link: str  # the symbolic link (relative to the root) through which it leaves the tree
    target: str  # what that link says, as stored in it

    def describe(self) -> str:
        where = f"{self.link} is a symbolic link to {self.target}, outside the repository"
        if self.link == self.path:
            return f"{where}: not read"
        return f"{where}: {self.path} was not read"


class OutsideTree(OSError):
    """Opening this path would read outside the tree; ``escape`` says through which link."""

    def __init__(self, escape: Escape) -> None:
        super().__init__(errno.EACCES, escape.describe(), escape.path)
        self.escape = escape

    def __str__(self) -> str:
        return self.escape.describe()

    def __reduce__(self) -> tuple[type[OutsideTree], tuple[Escape]]:  # crosses process boundaries intact
        return (OutsideTree, (self.escape,))


class Tree:
    """A root folder and the containment of paths under it.

    The real path of each folder is worked out once and remembered, so locating every file of
    a large tree costs about one ``lstat`` a file.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = os.path.realpath(root)
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self._real_folders: dict[str, str] = {"": self.root}

    def contains(self, real: str) -> bool:
        """Whether the real (resolved) path ``real`` is the root or lies under it."""
        return real == self.root or real.startswith(self._prefix)

    def locate(self, path: str | PurePosixPath) -> str:
        """The real path of ``path`` (relative to the root, POSIX) when it lies inside the tree.

        Raises :class:`OutsideTree` when it, or a folder on the way to it, is a link that leads out,
        and :class:`ValueError` for a path that is absolute or climbs out with ``..``.
        """
        return self._locate(path)[0]

    def status(self, path: str | PurePosixPath) -> os.stat_result:
        """``os.stat`` of the file ``path`` leads to, refused like :meth:`locate` refuses it: a plain file costs
        one ``lstat`` (the walk describes every file of the tree on every run)."""
        real, status = self._locate(path)
        return status if status is not None else os.stat(real)

    def _locate(self, path: str | PurePosixPath) -> tuple[str, os.stat_result | None]:
        """The real path, and the entry's ``lstat`` when it was taken and is not a link."""
        relative = _relative(path)
        folder, _, name = relative.rpartition("/")
        real_folder = self._real_folder(folder, relative)
        if not name:
            return real_folder, None
        entry = f"{real_folder}{os.sep}{name}"
        try:
            status = os.lstat(entry)
        except OSError:
            return entry, None  # missing or unreadable: the caller's open or stat says so
        if stat.S_ISLNK(status.st_mode):
            real = os.path.realpath(entry)
            if not self.contains(real):
                raise OutsideTree(Escape(relative, relative, _link_text(entry)))
            return real, None
        return entry, status

    def read(self, path: str | PurePosixPath, limit: int | None = None) -> bytes:
        """The bytes of the regular file at ``path`` (relative to the root, POSIX), read through its real path.

        Raises :class:`OutsideTree` for a path that leads out, and an :class:`OSError` naming ``path`` for
        what is not a regular file now (a FIFO, a device, a folder) and, when ``limit`` is given, for a
        file holding more than ``limit`` bytes (errno EFBIG): a file that grew since it was listed is
        refused, not read whole.
        """
        with _Opened(self.locate(path), str(path)) as opened:
            wanted = None if limit is None else limit + 1
            if limit is not None and opened.size > limit:
                raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
            data = opened.read(wanted)
        if limit is not None and len(data) > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        return data

    def head(self, path: str | PurePosixPath, size: int) -> bytes:
        """The first ``size`` bytes of the regular file at ``path`` (fewer if shorter); errors as :meth:`read`."""
        with _Opened(self.locate(path), str(path)) as opened:
            return opened.read(size)

    def escape_of(self, path: str | PurePosixPath) -> Escape | None:
        """The escape of ``path`` if it leads out of the tree, else None (also for a path that does not exist)."""
        try:
            self.locate(path)
        except OutsideTree as refused:
            return refused.escape
        except ValueError:
            return None
        return None

    def inside(self, path: Path | str) -> Path:
        """The real path of ``path`` (absolute, or relative to the root), refused when it leaves the tree."""
        candidate = Path(path)
        if candidate.is_absolute():
            lexical = os.path.abspath(candidate)
            if not (lexical == self.root or lexical.startswith(self._prefix)):
                # Given outside the real root: it may still be under the root as first given (a
                # root reached through a link); resolve and judge by where it really is.
                real = os.path.realpath(lexical)
                if not self.contains(real):
                    raise OutsideTree(Escape(str(path), str(path), real))
                return Path(real)
            relative = os.path.relpath(lexical, self.root)
            candidate = Path("." if relative == os.curdir else relative)
        return Path(self.locate(candidate.as_posix()))

    def _real_folder(self, folder: str, asked: str) -> str:
        known = self._real_folders.get(folder)
        if known is not None:
            return known
        parent, _, name = folder.rpartition("/")
        real_parent = self._real_folder(parent, asked)
        entry = os.path.join(real_parent, name)
        if os.path.islink(entry):
            real = os.path.realpath(entry)
            if not self.contains(real):
                raise OutsideTree(Escape(asked, folder, _link_text(entry)))
        else:
            real = entry
        self._real_folders[folder] = real
        return real


class _Opened:
    """A located file opened for reading, refused unless it is a regular file (``name`` is said in errors)."""

    def __init__(self, real: str, name: str) -> None:
        self.name = name
        try:
            self.descriptor = os.open(real, _OPEN_FLAGS)
        except OSError as error:
            raise OSError(error.errno, error.strerror, name) from None
        status = os.fstat(self.descriptor)
        if not stat.S_ISREG(status.st_mode):
            os.close(self.descriptor)
            raise OSError(errno.EINVAL, "not a regular file", name)
        self.size = status.st_size

    def __enter__(self) -> _Opened:
        return self

    def __exit__(self, *_: object) -> None:
        os.close(self.descriptor)

    def read(self, most: int | None) -> bytes:
        """Up to ``most`` bytes from the start (all of it when None)."""
        chunks = []
        left = most
        try:
            while left is None or left > 0:
                chunk = os.read(self.descriptor, _CHUNK if left is None else min(left, _CHUNK))
                if not chunk:
                    break
                chunks.append(chunk)
                if left is not None:
                    left -= len(chunk)
        except OSError as error:
            raise OSError(error.errno, error.strerror, self.name) from None
        return b"".join(chunks)


def inside(root: Path | str, path: Path | str) -> Path:
    """The real path of ``path`` when it lies inside ``root`` (see :meth:`Tree.inside`); one-off checks."""
    return Tree(root).inside(path)


def _relative(path: str | PurePosixPath) -> str:
    """``path`` as plain POSIX parts ("a/b"), or ValueError when it is absolute or climbs with ``..``.

    Most paths come from the walk already plain, and are checked with string tests alone."""
    text = str(path).replace(os.sep, "/") if os.sep != "/" else str(path)
    parts = text.split("/")
    if text.startswith("/") or ".." in parts:
        raise ValueError(f"{text}: not a path inside the tree")
    if "" in parts or "." in parts:
        return "/".join(part for part in parts if part not in ("", "."))
    return text


def _link_text(entry: str) -> str:
    try:
        return os.readlink(entry)
    except OSError:
        return "?"
