"""A second audit against the same upstreams reuses what the first worked out, and reports the same.

The upstreams' scratch index is kept in the cache folder by what the upstreams hold, and each upstream code
file's stream and fingerprints are cached by its bytes (lintml.audit.indexes, lintml.provenance.upstream).
What a run worked out rather than read back is told by ``AuditResult.work``; the reports are compared whole
(all but the seconds they took). Real git repositories in a temporary folder, a real cache folder.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import git

from lintml import api
from lintml.audit import AuditResult
from lintml.audit.indexes import FOLDER
from lintml.facts.cache import FILE_NAME
from tests.copying import stdlib_source
from tests.forks import CORE_MODULES, Fork, build_fork

CORE_CODE_FILES = len(CORE_MODULES) + 2  # and two empty __init__.py files
HELPERS_CODE_FILES = 1


def _audit(fork: Fork, *, jobs: int | None = None) -> AuditResult:
    return api.audit(fork.root, [str(fork.core), str(fork.helpers)], jobs=jobs)


def _report(result: AuditResult) -> dict[str, Any]:
    report = result.as_json()
    del report["summary"]["seconds"]
    return report


def _kept_indexes(cache: Path) -> list[Path]:
    return sorted((cache / FOLDER).glob("*.sqlite3"))


def test_a_second_audit_reuses_the_upstreams_index_and_reports_the_same(tmp_path: Path, isolated_cache: Path) -> None:
    fork = build_fork(tmp_path)
    cold = _audit(fork)
    assert not cold.work.upstream_index_reused
    assert cold.work.upstream_files_normalised == CORE_CODE_FILES + HELPERS_CODE_FILES
    assert cold.work.fork_files_fingerprinted > 0
    assert len(_kept_indexes(isolated_cache)) == 1

    warm = _audit(fork)
    assert warm.work.upstream_index_reused
    assert warm.work.upstream_files_normalised == 0
    assert warm.work.fork_files_fingerprinted == 0
    assert _report(warm) == _report(cold)
    assert _report(cold)["summary"]["by_kind"]["identical"] > 0


def test_a_damaged_kept_index_is_a_miss_and_the_streams_are_still_reused(tmp_path: Path, isolated_cache: Path) -> None:
    fork = build_fork(tmp_path)
    cold = _report(_audit(fork))
    (kept,) = _kept_indexes(isolated_cache)
    data = bytearray(kept.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte flipped: still a database, no longer the index recorded
    kept.write_bytes(bytes(data))

    again = _audit(fork)
    assert not again.work.upstream_index_reused
    assert again.work.upstream_files_normalised == 0  # each file's stream and fingerprints came from the cache
    assert _report(again) == cold
    assert _audit(fork).work.upstream_index_reused  # kept afresh


def test_damaged_cached_streams_are_misses(tmp_path: Path, isolated_cache: Path) -> None:
    fork = build_fork(tmp_path)
    cold = _report(_audit(fork))
    for kept in _kept_indexes(isolated_cache):
        kept.unlink()
    with sqlite3.connect(isolated_cache / FILE_NAME) as connection:
        keys = [key for (key,) in connection.execute("SELECT key FROM facts WHERE key LIKE 'upstream-stream:%'")]
        assert len(keys) == CORE_CODE_FILES + HELPERS_CODE_FILES - 1  # the two empty __init__.py are one entry
        damaged = [
            '{"stream": "not base64!", "hashes": "", "positions": ""}',
            '{"stream": "eJwDAAAAAAE=", "hashes": "", "positions": ""}',  # a valid zlib stream of nothing
            '{"stream": "", "hashes": "AAAA", "positions": ""}',
            "[1, 2, 3]",
        ]
        for number, key in enumerate(keys):
            connection.execute("UPDATE facts SET value = ? WHERE key = ?", (damaged[number % len(damaged)], key))
    connection.close()

    again = _audit(fork)
    assert again.work.upstream_files_normalised == CORE_CODE_FILES + HELPERS_CODE_FILES
    assert _report(again) == cold


def test_an_upstream_changed_since_is_indexed_again_from_the_files_that_changed(
    tmp_path: Path, isolated_cache: Path
) -> None:
    fork = build_fork(tmp_path)
    _audit(fork)
    changed = fork.core / "core/sched.py"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\ndef later(when):\n    return when + 1\n")
    repo = git.Repo(fork.core)
    repo.git.add("-A")
    repo.index.commit("a new function")

    again = _audit(fork)
    assert not again.work.upstream_index_reused
    assert again.work.upstream_files_normalised == 1
    records = {record["path"]: record for record in again.as_json()["files"]}
    assert records["core/sched.py"]["kind"] != "identical"  # the fork has the older file


def test_upstream_files_prepared_in_worker_processes_index_as_one_process_does(
    tmp_path: Path, isolated_cache: Path, monkeypatch: Any
) -> None:
    # Enough code files (64 and more) for worker processes; the same report from one process, uncached.
    fork = build_fork(tmp_path)
    for number in range(70):
        name = CORE_MODULES[number % len(CORE_MODULES)]
        (fork.core / f"core/more/part_{number:02d}.py").parent.mkdir(parents=True, exist_ok=True)
        (fork.core / f"core/more/part_{number:02d}.py").write_text(
            stdlib_source(name) + f"\n\ndef part_{number}(value):\n    return value * {number}\n", encoding="utf-8"
        )
    in_workers = _audit(fork, jobs=2)
    assert in_workers.work.upstream_files_normalised == CORE_CODE_FILES + 70 + HELPERS_CODE_FILES
    monkeypatch.setenv("LINTML_CACHE_DIR", str(tmp_path / "another-cache"))
    alone = _audit(fork, jobs=1)
    assert alone.work.upstream_files_normalised == in_workers.work.upstream_files_normalised
    assert _report(alone) == _report(in_workers)


def test_a_kept_index_swapped_for_a_fifo_or_a_link_is_a_miss_and_not_waited_on(
    tmp_path: Path, isolated_cache: Path
) -> None:
    fork = build_fork(tmp_path)
    cold = _report(_audit(fork))
    (kept,) = _kept_indexes(isolated_cache)
    elsewhere = tmp_path / "elsewhere.sqlite3"
    kept.replace(elsewhere)  # the very index, but reached through a link: not followed
    kept.symlink_to(elsewhere)
    linked = _audit(fork)
    assert not linked.work.upstream_index_reused and _report(linked) == cold

    (kept,) = _kept_indexes(isolated_cache)
    kept.unlink()
    os.mkfifo(kept)  # nothing will ever write to it: read, it would block the audit
    piped = _audit(fork)
    assert not piped.work.upstream_index_reused and _report(piped) == cold
