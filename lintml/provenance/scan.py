"""Provenance for the files of one run: cached by content and index, computed in parallel when it pays.

A file's matches depend only on its bytes, its name's language and the indexes consulted,
so they are cached under a key of all three: a warm re-check reads them back and
fingerprints nothing. Files not in the cache are normalised and matched in worker
processes, each of which opens the indexes once.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from lintml import __version__
from lintml.facts.cache import FactCache
from lintml.facts.declared import canonical_package_name
from lintml.facts.extract import decode
from lintml.progress import Progress, progress_bar
from lintml.provenance.catalog import open_indexes
from lintml.provenance.index import UpstreamProject
from lintml.provenance.match import MATCH_VERSION, Match, Matcher
from lintml.provenance.normalize import NORMALIZER_VERSION, normalize

PARALLEL_FROM = 48  # files to match before worker processes pay for their start-up


@dataclass(frozen=True)
class ProvenanceResult:
    matches: dict[str, list[Match]]  # path -> matches; [] for a file that matches nothing
    fingerprinted: int  # files normalised and matched in this run (the rest came from the cache)
    # (name, url) of every project the indexes hold: a credit naming one that does not hold a file's code
    # names no ancestor of it (see lintml.derivation).
    catalogued: tuple[tuple[str, str | None], ...] = ()


def provenance(
    files: Sequence[tuple[str, bytes]],
    index_paths: Sequence[Path],
    cache: FactCache,
    *,
    exclude: Collection[str] = (),
    same_project: Callable[[UpstreamProject], bool] | None = None,
    requires: Collection[str] = (),
    jobs: int | None = None,
) -> ProvenanceResult:
    """The matches of every file given, from the cache where it has them.

    ``exclude`` names upstream projects not to match: the checked project itself, so a project
    in the catalog is not reported as a copy of its own release; ``same_project`` says whether a catalogued
    project so named is this project (a fork that keeps the upstream's name is not, and is matched against
    it like any copy). ``requires`` are the projects
    the checked project depends on: an upstream that depends on the checked project, and not the
    other way round, most likely took the code it shares with it (see ``Match.requires_you``).
    """
    if not files or not index_paths:
        return ProvenanceResult({path: [] for path, _ in files}, 0)
    indexes = open_indexes(index_paths)
    projects = [project for index in indexes for project in index.projects()]
    if same_project is not None:
        # A catalogued project named like this one is left out only when it is this project; names no index
        # holds stay (they tell an upstream that depends on this project).
        named = {canonical_package_name(name) for name in exclude}
        others = {
            canonical_package_name(project.name)
            for project in projects
            if canonical_package_name(project.name) in named and not same_project(project)
        }
        exclude = {name for name in exclude if canonical_package_name(name) not in others}
    matcher = Matcher(indexes, exclude=exclude, requires=requires)
    catalogued = tuple(sorted({(project.name, project.url) for project in projects}))
    try:
        results: dict[str, list[Match]] = {}
        missing: list[tuple[str, bytes, str]] = []
        for path, data in files:
            key = _key(path, data, matcher.identity)
            cached = cache.get(key, _cached_matches)
            if cached is not None:
                results[path] = cached
            else:
                missing.append((path, data, key))
        workers = min(jobs or os.cpu_count() or 1, 8)
        with progress_bar(f"fingerprinting {len(missing)} code files", len(missing)) as bar:
            if workers > 1 and len(missing) >= PARALLEL_FROM:
                computed = _in_workers(missing, index_paths, matcher.exclude, frozenset(requires), workers, bar)
            else:
                computed = []
                for path, data, _ in missing:
                    computed.append(_match_one(matcher, path, data))
                    bar.advance()
        for (path, _, key), matches in zip(missing, computed, strict=False):
            results[path] = matches
            cache.put(key, [match.as_dict() for match in matches])
        return ProvenanceResult(results, len(missing), catalogued)
    finally:
        for index in indexes:
            index.close()


def _cached_matches(value: Any) -> list[Match]:
    """The matches a cache entry holds; TypeError when it holds anything else (a damaged entry is a miss)."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise TypeError("not a list of matches")
    return [Match.from_dict(item) for item in value]


def _key(path: str, data: bytes, identity: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    suffix = PurePosixPath(path).suffix.lower()
    return f"provenance:{NORMALIZER_VERSION}:{MATCH_VERSION}:{__version__}:{identity}:{suffix}:{digest}"


def _match_one(matcher: Matcher, path: str, data: bytes) -> list[Match]:
    text, _ = decode(data)
    if text is None:
        return []
    return matcher.match(path, normalize(path, text))


_worker_matcher: Matcher | None = None


def _start_worker(index_paths: Sequence[Path], exclude: frozenset[str], requires: frozenset[str]) -> None:
    global _worker_matcher
    _worker_matcher = Matcher(open_indexes(index_paths), exclude=exclude, requires=requires)


def _worker_match(job: tuple[str, bytes]) -> list[Match]:
    assert _worker_matcher is not None
    return _match_one(_worker_matcher, *job)


def _in_workers(
    missing: Sequence[tuple[str, bytes, str]],
    index_paths: Sequence[Path],
    exclude: frozenset[str],
    requires: frozenset[str],
    workers: int,
    progress: Progress,
) -> list[list[Match]]:
    from concurrent.futures import ProcessPoolExecutor  # with multiprocessing, ~15 ms a warm run need not pay

    jobs = [(path, data) for path, data, _ in missing]
    arguments = (list(index_paths), exclude, requires)
    computed = []
    with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=arguments) as pool:
        for matches in pool.map(_worker_match, jobs, chunksize=8):
            computed.append(matches)
            progress.advance()
    return computed
