"""FileContents: a file's digest remembered by its stat stamp, so a warm run need not read an unchanged file,
and never trusted for a file that changed (real files, a real facts cache, real checks through lintml.api)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

import lintml.contents
from lintml import api
from lintml.contents import FileContents
from lintml.facts.cache import FILE_NAME, FactCache
from lintml.repository import DiskSource
from tests.helpers import MIT_TEXT

ORIGINAL = b"# SPDX-License-Identifier: MIT\n\nVALUE = 1\n"
EDITED = b"# SPDX-License-Identifier: ISC\n\nVALUE = 1\n"  # the same size: only the bytes tell them apart


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled at once (else only those changed two seconds ago do)."""
    monkeypatch.setattr(lintml.contents, "SETTLED_NS", 0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def contents_of(root: Path, cache_dir: Path) -> tuple[FileContents, FactCache]:
    source = DiskSource(root, use_git=False)
    cache = FactCache(cache_dir)
    return FileContents(source, source.files(), cache), cache


def read_once(tmp_path: Path) -> Path:
    """A project holding tool.py, read (and so hashed) once by a run with a cache; its root."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "tool.py").write_bytes(ORIGINAL)
    first, cache = contents_of(root, tmp_path / "cache")
    first.data("tool.py")
    cache.close()
    return root


def test_an_unchanged_file_is_known_by_its_digest_without_reading_it(tmp_path: Path, settled: None) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "tool.py").write_bytes(ORIGINAL)
    first, cache = contents_of(root, tmp_path / "cache")
    assert first.known("tool.py") is None  # never hashed: read to learn it
    assert first.digest("tool.py") == sha256(ORIGINAL)
    cache.close()

    again, cache = contents_of(root, tmp_path / "cache")
    assert again.known("tool.py") == sha256(ORIGINAL)  # known() never reads: the remembered digest
    assert again.data("tool.py") == ORIGINAL
    cache.close()


def test_a_file_changed_to_the_same_size_and_modification_time_is_read_again(tmp_path: Path, settled: None) -> None:
    root = read_once(tmp_path)
    path = root / "tool.py"
    before = path.stat()
    path.write_bytes(EDITED)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # the modification time put back; not the change time

    again, cache = contents_of(root, tmp_path / "cache")
    assert again.known("tool.py") is None
    assert again.digest("tool.py") == sha256(EDITED)
    cache.close()


def test_a_file_changed_moments_before_the_run_is_not_remembered(tmp_path: Path) -> None:
    root = read_once(tmp_path)
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as connection:
        assert connection.execute("SELECT count(*) FROM facts WHERE key LIKE 'digest:%'").fetchone() == (0,)

    again, cache = contents_of(root, tmp_path / "cache")
    assert again.known("tool.py") is None
    cache.close()


@pytest.mark.parametrize("damage", ["[]", '"x"', "[1, 2]", '[0, 0, 0, 0, 0, "not a digest"]', "null"])
def test_a_damaged_remembered_digest_is_not_used(tmp_path: Path, settled: None, damage: str) -> None:
    root = read_once(tmp_path)
    with sqlite3.connect(tmp_path / "cache" / FILE_NAME) as connection:
        assert connection.execute("UPDATE facts SET value = ? WHERE key LIKE 'digest:%'", (damage,)).rowcount == 1

    again, cache = contents_of(root, tmp_path / "cache")
    assert again.known("tool.py") is None
    assert again.digest("tool.py") == sha256(ORIGINAL)
    cache.close()


def test_a_warm_check_sees_an_edit_that_kept_the_size_and_modification_time(
    tmp_path: Path, settled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINTML_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "project"
    root.mkdir()
    (root / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    path = root / "tool.py"
    path.write_bytes(ORIGINAL)
    assert api.check([root], use_catalog=False).findings == ()
    assert api.check([root], use_catalog=False).findings == ()  # warm: from the remembered digests
    before = path.stat()
    path.write_bytes(EDITED)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))

    found = api.check([root], use_catalog=False).findings
    assert [(finding.rule, finding.path) for finding in found] == [("license-text", "tool.py")]
    assert "ISC" in found[0].message
