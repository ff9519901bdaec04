"""Which indexes a run consults: the catalog shipped with lintml, the user's own index, and any named.

The shipped catalog (``lintml/data/catalog.sqlite3``, built by ``scripts/build_catalog.py``
from pinned PyPI releases, described by ``catalog-manifest.json`` beside it) is used by
default. ``lintml index add`` writes to the user's index unless ``--index`` names another
file; ``lintml check --index PATH`` and ``upstreams:`` in the configuration add more.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lintml.provenance.index import IndexFileError, UpstreamIndex

DATA = Path(__file__).resolve().parent.parent / "data"
CATALOG_PATH = DATA / "catalog.sqlite3"
MANIFEST_PATH = DATA / "catalog-manifest.json"


def user_index_path() -> Path:
    """The index ``lintml index add`` writes to by default: ``$LINTML_INDEX``, else the user data folder."""
    configured = os.environ.get("LINTML_INDEX")
    if configured:
        return Path(configured)
    from platformdirs import user_data_dir

    return Path(user_data_dir("lintml")) / "upstreams.sqlite3"


def catalog_manifest() -> dict[str, Any]:
    try:
        return json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"projects": []}


def index_paths(extra: Sequence[Path] = (), *, use_catalog: bool = True) -> list[Path]:
    """The indexes to consult, in order, each once: the catalog, the user's index if it exists, then ``extra``."""
    chosen: list[Path] = []
    if use_catalog and catalog_usable():
        chosen.append(CATALOG_PATH)
    user = user_index_path()
    if user.is_file():
        chosen.append(user)
    chosen.extend(extra)
    unique: dict[Path, Path] = {}
    for path in chosen:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def catalog_usable() -> bool:
    """Whether the shipped catalog opens; when it does not (a damaged install), say so once and go on without it."""
    if not CATALOG_PATH.is_file():
        return False
    try:
        UpstreamIndex(CATALOG_PATH).close()
    except IndexFileError as error:
        sys.stderr.write(f"lintml: warning: the catalog shipped with lintml cannot be used ({error}); reinstall it\n")
        return False
    return True


def open_indexes(paths: Sequence[Path]) -> list[UpstreamIndex]:
    """Open every index, or raise :class:`IndexFileError` naming the first that cannot be used."""
    opened = []
    try:
        for path in paths:
            opened.append(UpstreamIndex(path))
    except IndexFileError:
        for index in opened:
            index.close()
        raise
    return opened
