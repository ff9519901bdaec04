"""Facts cached by content hash in one SQLite file in the user cache folder.

Facts are pure functions of a file's bytes (plus how they were extracted), so the key is
a hash of both, and a warm run costs a read, a hash and a lookup per file. The cache is
an optimisation only: any error reading or writing it degrades to no cache, never to a
failed scan.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

SCHEMA = "CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def default_cache_dir() -> Path:
    configured = os.environ.get("LINTML_CACHE_DIR")
    if configured:
        return Path(configured)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("lintml"))


class FactCache:
    """Get and put JSON-able facts by key; writes are batched and committed on close."""

    def __init__(self, directory: Path | None) -> None:
        self._connection: sqlite3.Connection | None = None
        self._pending: dict[str, str] = {}
        if directory is None:
            return
        try:
            directory.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(directory / "facts-v1.sqlite3", timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(SCHEMA)
            self._connection = connection
        except (OSError, sqlite3.Error):
            self._connection = None

    @property
    def enabled(self) -> bool:
        return self._connection is not None

    def get(self, key: str) -> Any | None:
        if key in self._pending:
            return json.loads(self._pending[key])
        if self._connection is None:
            return None
        try:
            row = self._connection.execute("SELECT value FROM facts WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return json.loads(row[0]) if row else None

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
            connection.close()
