"""The audit's scratch index of its upstreams, kept in the cache folder by what the upstreams hold.

Indexing an upstream (reading its facts, normalising and fingerprinting its code) is most of a cold
audit. The index it makes depends only on the upstreams' files as the index reads them, on how each was
named and given, and on the lintml that read them; so a copy is kept in the cache folder under a digest
of all of that, and a second audit against the same upstreams copies it back instead of building it.

What the cache folder holds is not trusted (see :mod:`lintml.facts.cache`): a kept index is used only when
its bytes have the sha256 recorded beside its key in the facts cache and it opens as an index of the
upstreams asked for; anything else is a miss, and the index is built again and kept afresh.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from lintml import __version__, repository
from lintml.facts.cache import FactCache, usable
from lintml.facts.extract import FACTS_VERSION, table_version
from lintml.provenance.index import SCHEMA_VERSION, IndexFileError, UpstreamIndex, UpstreamProject
from lintml.provenance.normalize import NORMALIZER_VERSION
from lintml.provenance.upstream import UpstreamSpec, metadata_heads, sha256_of

VERSION = "1"  # of how a kept index is keyed and recorded
FOLDER = "audit-indexes"
KEEP = 4  # kept indexes; the least recently used beyond are removed
MAX_BYTES = 4 << 30  # a kept index larger than this is not one lintml wrote (transformers' is 16 MB)


def upstreams_digest(specs: Sequence[UpstreamSpec]) -> str:
    """A digest of everything the scratch index of ``specs`` is made from: each upstream as given (name,
    source, license, ...), each file the index reads (path, kind and sha256), its metadata files, and the
    versions of what reads them. Each spec's source is a folder (the audit has materialised every side)."""
    digest = hashlib.sha256()
    versions = [VERSION, __version__, SCHEMA_VERSION, NORMALIZER_VERSION, FACTS_VERSION, table_version()]
    digest.update(json.dumps(versions).encode())
    for spec in specs:
        # As the index records it: an archive is unpacked into a new temporary folder each time, which says
        # nothing of what it holds (its files are hashed below).
        recorded = replace(spec, source=spec.recorded_source or spec.source, recorded_source=None)
        digest.update(json.dumps([repr(recorded)]).encode())
        root = Path(spec.source)
        source = repository.DiskSource(root, use_git=False)
        for item in source.files():
            if item.size > repository.DEFAULT_MAX_FILE_SIZE:
                continue
            try:
                data = source.read(item.path)
            except OSError:
                continue
            digest.update(json.dumps([item.path, item.kind, hashlib.sha256(data).hexdigest()]).encode())
        for name, data in metadata_heads(source.tree):
            digest.update(json.dumps(["metadata", name, hashlib.sha256(data).hexdigest()]).encode())
    return digest.hexdigest()


def kept_index(cache: FactCache, key: str, target: Path, names: Sequence[str]) -> dict[str, UpstreamProject] | None:
    """Copy the index kept under ``key`` to ``target``; its projects by name, or None when none is kept or
    the one kept is not whole (another sha256 than recorded) or not an index of the upstreams ``names``."""
    record = cache.get(_record_key(key), _record)
    if record is None:
        return None
    kept = cache_folder(cache) / record["file"] if cache_folder(cache) else None
    if kept is None:
        return None
    try:
        if _copied(kept, target) != record["sha256"]:
            raise ValueError("not the index recorded")
        index = UpstreamIndex(target)
        try:
            projects = {project.name: project for project in index.projects()}
        finally:
            index.close()
        if sorted(projects) != sorted(names):
            raise ValueError("not an index of these upstreams")
        with contextlib.suppress(OSError):
            os.utime(kept)  # recently used: kept longer
        return projects
    except (OSError, ValueError, IndexFileError, sqlite3.Error):
        target.unlink(missing_ok=True)
        return None


def keep_index(cache: FactCache, key: str, built: Path) -> None:
    """Keep a copy of the index ``built`` under ``key`` (written whole, then renamed into place)."""
    folder = cache_folder(cache)
    if folder is None:
        return
    name = f"{key[:40]}.sqlite3"
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        os.close(handle)
        try:
            shutil.copyfile(built, temporary)
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        return
    cache.put(_record_key(key), {"file": name, "sha256": sha256_of(folder / name)})
    _prune(folder)


def cache_folder(cache: FactCache) -> Path | None:
    """The folder kept indexes go in (made if needed), beside the facts cache; None when there is none."""
    if cache.directory is None or not cache.enabled:
        return None
    folder = cache.directory / FOLDER
    return folder if usable(folder) else None


def _record_key(key: str) -> str:
    return f"audit-index:{VERSION}:{key}"


def _record(value: Any) -> dict[str, str]:
    """A kept index's record; TypeError when the cached value is not one (a damaged entry is a miss)."""
    if not isinstance(value, dict) or set(value) != {"file", "sha256"}:
        raise TypeError("not a kept index's record")
    name, digest = value["file"], value["sha256"]
    if not isinstance(name, str) or not isinstance(digest, str) or Path(name).name != name or not name:
        raise TypeError("not a kept index's record")
    if not name.endswith(".sqlite3") or name.startswith("."):
        raise TypeError("not a kept index's record")
    return {"file": name, "sha256": digest}


def _copied(source: Path, target: Path) -> str:
    """Copy a kept index to ``target``; the sha256 of what was copied. Only a regular file no larger than
    :data:`MAX_BYTES` is copied: a link is not followed, a FIFO put in its place is not waited on."""
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as stream, target.open("wb") as copy:
        found = os.fstat(stream.fileno())
        if not stat.S_ISREG(found.st_mode) or found.st_size > MAX_BYTES:
            raise ValueError("not a kept index")
        digest = hashlib.sha256()
        copied = 0
        while chunk := stream.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_BYTES:
                raise ValueError("not a kept index")
            digest.update(chunk)
            copy.write(chunk)
    return digest.hexdigest()


def _prune(folder: Path) -> None:
    """Remove all but the :data:`KEEP` most recently used indexes."""
    try:
        kept = sorted(
            (entry for entry in folder.iterdir() if entry.name.endswith(".sqlite3") and entry.is_file()),
            key=lambda entry: entry.stat().st_mtime,
            reverse=True,
        )
        for entry in kept[KEEP:]:
            entry.unlink(missing_ok=True)
    except OSError:
        return
