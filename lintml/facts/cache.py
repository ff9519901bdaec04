"""Facts cached by content hash in one SQLite file in the user cache folder.

Facts are pure functions of a file's bytes (plus how they were extracted), so the key is
a hash of both, and a warm run costs a read, a hash and a lookup per file.

The cache is an optimisation only, and what it holds is not trusted: another lintml version,
a crash, a full disk or anyone sharing the folder may have left anything there. So a value
that does not decode, or decodes to the wrong shape, is a miss (computed again and rewritten);
a cache file that is not a database is set aside and started afresh; a cache folder that
cannot be used means a run without a cache. Each says so in one warning line; none fails a run.
(What the cache folder cannot protect against is someone who may write to it on purpose:
scancode keeps its license index there as a pickle, so share a cache folder only with people
you would let run code as you.)
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

SCHEMA = "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
FILE_NAME = "facts-v1.sqlite3"
_COLUMNS = [("key", "TEXT"), ("value", "TEXT")]

T = TypeVar("T")

# What a cached value that is not what its reader expects raises on being read: a miss, never a crash.
_UNREADABLE = (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError)

_KEYS_PER_QUERY = 500  # under SQLite's older limit of 999 parameters a statement

_warned: set[str] = set()  # what has been warned about in this process, so each warning is one line per run


def default_cache_dir() -> Path:
    configured = os.environ.get("LINTML_CACHE_DIR")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("lintml"))


def warn_once(subject: str, message: str) -> None:
    """One ``lintml: warning:`` line on stderr about ``subject``, the first time only."""
    if subject not in _warned:
        _warned.add(subject)
        sys.stderr.write(f"lintml: warning: {message}\n")


def usable(directory: Path) -> bool:
    """Whether the cache folder exists or can be made, and can be written; if not, say so once.

    A cache folder that cannot be used (``LINTML_CACHE_DIR`` naming a file, a read-only home in CI) does
    not stop the run: the cache only saves time, and failing a pre-commit hook or a CI job over it would
    block work for a reason no result depends on. Linters people rely on do the same: warn, go on uncached.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(f"{directory}: cannot be written")
    except OSError as error:
        reason = error.strerror or str(error)
        if directory.exists() and not directory.is_dir():
            reason = "a file, not a folder"
        warn_once(
            f"folder:{directory}",
            f"cannot use the cache folder {directory} ({reason}); running without a cache, so more slowly."
            " Set LINTML_CACHE_DIR to a folder you can write",
        )
        return False
    return True


def usable_cache_dir() -> Path | None:
    """The cache folder, made if needed; None (after one warning line) when it cannot be used."""
    directory = default_cache_dir()
    return directory if usable(directory) else None


def _damaged(error: sqlite3.Error) -> bool:
    """Whether SQLite found the file itself bad (not a database, a malformed page), rather than busy or locked:
    Python raises exactly DatabaseError for those two codes and a subclass for every other."""
    return type(error) is sqlite3.DatabaseError


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        connection.execute("PRAGMA trusted_schema=OFF")  # nothing in the file's schema may call out
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(SCHEMA)
        if [(row[1], row[2]) for row in connection.execute("PRAGMA table_info(facts)")] != _COLUMNS:
            raise sqlite3.DatabaseError("its facts table is not lintml's")
    except BaseException:
        connection.close()
        raise
    return connection


def _set_aside(path: Path) -> None:
    """Move a damaged cache file to ``<name>.damaged`` (one such copy is kept, to look at), with its WAL files."""
    os.replace(path, path.with_name(f"{path.name}.damaged"))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class FactCache:
    """Get and put JSON-able facts by key; writes are batched and committed on close."""

    def __init__(self, directory: Path | None) -> None:
        self._connection: sqlite3.Connection | None = None
        self._pending: dict[str, str] = {}
        self._fetched: dict[str, str | None] = {}  # read ahead by prefetch(): the stored text, None for none
        self._path: Path | None = None
        self.directory = directory  # the cache folder (other caches, such as the audit's indexes, sit beside)
        if directory is None or not usable(directory):
            return
        self._path = directory / FILE_NAME
        try:
            self._connection = _connect(self._path)
        except sqlite3.Error as error:
            if _damaged(error):
                self._connection = self._start_afresh(error)
            else:  # busy or locked by another run for longer than the timeout: this run goes without
                warn_once(f"cache:{self._path}", f"cannot use the facts cache {self._path} ({error}); running without")
        except OSError as error:
            warn_once(f"cache:{self._path}", f"cannot use the facts cache {self._path} ({error}); running without")

    def _start_afresh(self, error: sqlite3.Error) -> sqlite3.Connection | None:
        """Set a damaged cache file aside and start a new one."""
        assert self._path is not None
        try:
            _set_aside(self._path)
            connection = _connect(self._path)
        except (OSError, sqlite3.Error) as again:
            warn_once(
                f"cache:{self._path}",
                f"the facts cache {self._path} is damaged ({error}) and cannot be replaced ({again}); running without",
            )
            return None
        warn_once(
            f"cache:{self._path}",
            f"the facts cache {self._path} was damaged ({error}); moved it to {self._path.name}.damaged and started"
            " a new one",
        )
        return connection

    @property
    def enabled(self) -> bool:
        return self._connection is not None

    def get(self, key: str, read: Callable[[Any], T]) -> T | None:
        """The value cached under ``key`` as ``read`` makes it from the stored JSON; None on a miss, which is
        also what a value is that does not parse or that ``read`` cannot make sense of."""
        text = self._pending.get(key)
        if text is None and key in self._fetched:
            text = self._fetched[key]
        elif text is None and self._connection is not None:
            try:
                row = self._connection.execute("SELECT value FROM facts WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as error:
                self._lost(error)
                return None
            text = row[0] if row else None
        if not isinstance(text, str):
            return None
        try:
            return read(json.loads(text))
        except _UNREADABLE:
            return None

    def prefetch(self, keys: Iterable[str]) -> None:
        """Read the values under ``keys`` ahead, a few hundred a query, for the :meth:`get` calls to come.

        A warm run asks for a value per file and kind; one query each cost more than reading them.
        """
        if self._connection is None:
            return
        wanted = sorted({key for key in keys if key not in self._pending and key not in self._fetched})
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._connection.execute(f"SELECT key, value FROM facts WHERE key IN ({marks})", chunk)
                found = dict(rows.fetchall())
            except sqlite3.Error as error:
                self._lost(error)
                return
            self._fetched.update((key, found.get(key)) for key in chunk)

    def _lost(self, error: sqlite3.Error) -> None:
        """A read failed. A damaged file is set aside, so the next run starts a new one; this run goes without."""
        if not _damaged(error) or self._path is None:
            return
        warn_once(f"cache:{self._path}", f"the facts cache {self._path} is damaged ({error}); it will be replaced")
        self._pending.clear()
        self._fetched.clear()
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        with contextlib.suppress(OSError):  # another run may have moved it already
            _set_aside(self._path)

    def put(self, key: str, value: Any) -> None:
        if self._connection is not None:
            self._pending[key] = json.dumps(value, sort_keys=True)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if self._pending:
                connection.execute("BEGIN")
                connection.executemany("INSERT OR REPLACE INTO facts (key, value) VALUES (?, ?)", self._pending.items())
                connection.execute("COMMIT")
        except sqlite3.Error:
            pass
        finally:
            self._pending.clear()
            self._fetched.clear()
            connection.close()
