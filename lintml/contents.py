"""The files a check reads: each one's bytes and sha256, a file read at most once and only when needed.

The facts cache keys what it keeps of a file (its facts, its matches) by the sha256 of its bytes, so a warm
run read and hashed every file only to learn that key. Here a file's digest is remembered, in the same cache,
beside the stamp its listing's ``stat`` gave: size, modification and change times, inode and device. A file
whose stamp is the one remembered is known by its digest without being read, and is read only when a cache
lookup misses. Nothing outside the file can set its change time back, and any write moves it on.

A digest is remembered only when the file was last modified or changed at least :data:`SETTLED_NS` before
the run began: a file changed again within the clock's resolution of the moment it was read would keep its
stamp with other bytes (git calls such index entries "racily clean", and does the same).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

from lintml.facts.cache import FactCache
from lintml.repository import RepoFile, Source

# Bump when a stamp's fields change: remembered digests are then not consulted.
DIGEST_VERSION = "1"
SETTLED_NS = 2_000_000_000  # a file modified less than two seconds before the run began is read every time
_SHA256 = re.compile(r"[0-9a-f]{64}")


class FileContents:
    """The bytes and digests of ``files`` of ``source``, with digests remembered in ``cache`` (if enabled)."""

    def __init__(self, source: Source, files: Sequence[RepoFile], cache: FactCache | None) -> None:
        self._source = source
        self._items = {item.path: item for item in files}
        self._data: dict[str, bytes] = {}
        self._digests: dict[str, str] = {}
        self._known: dict[str, str] = {}  # digests remembered for unchanged stamps, until the file is read
        self._began = time.time_ns()
        root = source.root
        self._cache = cache if cache is not None and cache.enabled and root is not None else None
        self._root = str(root)
        if self._cache is not None:
            self._recall([item for item in files if item.stamp is not None])

    def known(self, path: str) -> str | None:
        """The file's digest when it is known without reading the file (read or remembered), else None."""
        return self._digests.get(path) or self._known.get(path)

    def data(self, path: str) -> bytes:
        """The file's bytes, read on first use (an OSError when it cannot be read, or leads out of the tree)."""
        data = self._data.get(path)
        if data is None:
            data = self._data[path] = self._source.read(path)
            self._digests[path] = digest = hashlib.sha256(data).hexdigest()
            self._known.pop(path, None)
            self._remember(path, digest, len(data))
        return data

    def digest(self, path: str) -> str:
        """The sha256 of the file's bytes: the remembered one, else read (errors as :meth:`data`). After
        :meth:`data` it is always the digest of the bytes read."""
        known = self.known(path)
        if known is not None:
            return known
        self.data(path)
        return self._digests[path]

    def release(self) -> None:
        """Forget the bytes read (the checks read again what little they need)."""
        self._data.clear()

    def _key(self, path: str) -> str:
        return f"digest:{DIGEST_VERSION}:{name_digest(self._root, path)}"

    def _recall(self, items: Iterable[RepoFile]) -> None:
        assert self._cache is not None
        stamps = {item.path: item.stamp for item in items}
        self._cache.prefetch(self._key(path) for path in stamps)
        for path, stamp in stamps.items():
            digest = self._cache.get(self._key(path), _digest_for(stamp))
            if digest is not None:
                self._known[path] = digest

    def _remember(self, path: str, digest: str, length: int) -> None:
        """Remember a file's digest by its listing's stamp: when it had settled, and its bytes are as many as the
        stamp says (a file replaced between the listing and the read is not remembered under the old stamp)."""
        item = self._items.get(path)
        if self._cache is None or item is None or item.stamp is None:
            return
        size, modified, changed = item.stamp[:3]
        if max(modified, changed) <= self._began - SETTLED_NS and size == length:
            self._cache.put(self._key(path), [*item.stamp, digest])


def name_digest(*names: str) -> str:
    """A cache key's part for file names, which may hold any character (an undecodable byte as a surrogate)."""
    joined = "\0".join(names).encode("utf-8", "surrogatepass")
    return hashlib.sha256(joined).hexdigest()


def _digest_for(stamp: tuple[int, ...] | None) -> Any:
    """A reader of a remembered entry: its digest when its stamp is ``stamp``, else ValueError (a miss)."""

    def read(value: Any) -> str:
        if not isinstance(value, list) or not value or tuple(value[:-1]) != stamp:
            raise ValueError("another stamp")
        digest = value[-1]
        if not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
            raise ValueError("not a digest")
        return digest

    return read
