"""Writing files safely: the whole new content lands at once or not at all, and nothing is left behind.

A write goes through a temporary file beside the target, ``.NAME.lintml-XXXXXXXX.tmp`` (eight
lowercase hex digits), that is filled, flushed to disk and renamed over the target. Only lintml
makes names of that exact shape, so when a run is killed between creating and renaming one, the
next ``lintml fix`` can recognise the leftover and remove it (:func:`sweep_temporaries`) without
touching anything a person made.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path

_TEMPORARY_INFIX = ".lintml-"
_TEMPORARY_SUFFIX = ".tmp"
TEMPORARY_NAME = re.compile(r"\.(?s:.+)\.lintml-[0-9a-f]{8}\.tmp")
_FULL = frozenset(code for code in (errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", None)) if code)
_NAME_MAX = 255  # bytes in one file name on every file system lintml runs on


def temporary_name(name: str) -> str:
    """A fresh temporary name for writing ``name``: its own name shortened so the whole fits a file name."""
    import secrets  # here: every check imports this module for TEMPORARY_NAME, and secrets costs ~8 ms

    tail = f"{_TEMPORARY_INFIX}{secrets.token_hex(4)}{_TEMPORARY_SUFFIX}"
    room = _NAME_MAX - 1 - len(tail)
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}{tail}"


def stage(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path`` and flush it to disk; its path.

    The temporary file gets ``path``'s permissions when ``path`` exists, else the usual ones (0666
    less the umask). An error names ``path``, not the temporary file, and leaves no temporary behind.
    """
    try:
        existing = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _about(error, path) from None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for name in ("O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"):  # O_BINARY: no newline translation on Windows
        flags |= getattr(os, name, 0)
    for _ in range(100):
        temporary = path.with_name(temporary_name(path.name))
        try:
            handle = os.open(temporary, flags, 0o666)
        except FileExistsError:
            continue  # another name of the same shape was taken: draw again
        except OSError as error:
            raise _about(error, path) from None
        break
    else:
        raise OSError(errno.EEXIST, "no free temporary name beside it", str(path))
    try:
        try:
            if existing is not None and stat.S_ISREG(existing.st_mode):
                if hasattr(os, "fchmod"):
                    os.fchmod(handle, stat.S_IMODE(existing.st_mode))
                else:  # Windows before Python 3.13
                    os.chmod(temporary, stat.S_IMODE(existing.st_mode))
            view = memoryview(data)
            while view:
                view = view[os.write(handle, view) :]
            os.fsync(handle)
        finally:
            os.close(handle)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _about(error, path) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def put_in_place(temporary: Path, path: Path) -> None:
    """Rename a staged temporary file over ``path`` (atomically); on failure the temporary is removed."""
    try:
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise _about(error, path) from None
    _sync_folder(path.parent)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` exactly (UTF-8, no newline translation) through a temporary file and a rename.

    Missing folders are made. An existing file keeps its permissions; a new one gets the usual ones.
    Readers see the old content or the new, never a half-written file. An :class:`OSError` names ``path``.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _about(error, path) from None
    put_in_place(stage(path, text.encode("utf-8")), path)


def sweep_temporaries(root: Path) -> list[Path]:
    """Remove the temporary files a killed lintml left under ``root``; the ones removed.

    Only regular files whose name has the exact shape lintml gives its temporaries are removed.
    Symbolic links are neither followed nor removed, ``.git`` folders are not entered, and a
    folder that cannot be read is passed over: sweeping is housekeeping, never a reason to fail.
    """
    removed: list[Path] = []
    folders = [root]
    while folders:  # iterative: a hostile tree may be nested deeper than the recursion limit
        folder = folders.pop()
        try:
            with os.scandir(folder) as entries:
                listed = list(entries)
        except OSError:
            continue
        for entry in listed:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != ".git":
                        folders.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False) and TEMPORARY_NAME.fullmatch(entry.name):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
            except OSError:
                continue
    return removed


def describe(error: OSError) -> str:
    """What went wrong, in words, with a hint where the cause is not the file itself."""
    words = error.strerror or str(error)
    if error.errno in _FULL:
        return f"{words} (the disk is full, or a quota or file size limit was reached)"
    if error.errno == errno.EROFS:
        return f"{words} (the file system is mounted read-only)"
    return words


def _about(error: OSError, path: Path) -> OSError:
    # Name the file the user asked for, never lintml's temporary file.
    return OSError(error.errno, error.strerror or str(error), str(path))


def _sync_folder(folder: Path) -> None:
    # The rename is only durable once the folder's entry is on disk; not every system can open a folder.
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
