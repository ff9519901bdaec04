"""Provenance for the files of one run: cached by content and index, computed in parallel when it pays.

A file's matches depend only on its bytes, its name's language and the indexes consulted,
so they are cached under a key of all three: a warm re-check reads them back and
fingerprints nothing. Files not in the cache are normalised and matched in worker
processes, each of which opens the indexes once. A check hands the files over as it reads
them (:class:`Matching`), so the workers match while it extracts the facts of the rest.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lintml import __version__
from lintml.facts.cache import FactCache
from lintml.facts.declared import canonical_package_name
from lintml.facts.extract import decode
from lintml.progress import progress_bar
from lintml.provenance.catalog import open_indexes
from lintml.provenance.index import IndexFileError, UpstreamIndex, UpstreamProject
from lintml.provenance.match import MATCH_VERSION, Match, Matcher
from lintml.provenance.normalize import NORMALIZER_VERSION, normalize
from lintml.repository import file_suffix

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

PARALLEL_FROM = 48  # files to match before worker processes pay for their start-up
CHUNK = 8  # files handed to a worker at a time


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
    with Matching(index_paths, cache, exclude=exclude, same_project=same_project, requires=requires, jobs=jobs) as run:
        for path, data in files:
            run.add(path, data)
        return run.result()


class Matching:
    """:func:`provenance` for files handed over one at a time, while the caller goes on with other work.

    Each file is looked up in the cache as it comes. Once :data:`PARALLEL_FROM` files have missed it (and
    ``jobs`` allows more than one process), worker processes start and are fed the misses, a chunk at a time,
    as they come; :meth:`result` waits for what they have left, or matches the few misses in this process.
    A run that finds every file in the cache starts no process. Use it as a context manager: leaving it
    stops the workers and closes the indexes.
    """

    def __init__(
        self,
        index_paths: Sequence[Path],
        cache: FactCache,
        *,
        exclude: Collection[str] = (),
        same_project: Callable[[UpstreamProject], bool] | None = None,
        requires: Collection[str] = (),
        jobs: int | None = None,
    ) -> None:
        self._index_paths = list(index_paths)
        self._cache = cache
        self._exclude = exclude
        self._same_project = same_project
        self._requires = frozenset(requires)
        self._workers = min(jobs or os.cpu_count() or 1, 8)
        self._indexes: list[UpstreamIndex] = []
        self._matcher: Matcher | None = None
        self._catalogued: tuple[tuple[str, str | None], ...] = ()
        self._found: dict[str, list[Match]] = {}  # from the cache, or [] when no index is consulted
        # Each release the indexes hold, by name, version and address (None: more than one index holds it).
        self._projects: dict[tuple[str, str | None, str | None], UpstreamProject | None] = {}
        self._missing: list[tuple[str, bytes, str]] = []  # (path, data, cache key)
        self._pool: ProcessPoolExecutor | None = None
        self._chunks: list[Future[list[list[Match]]]] = []
        self._submitted = 0  # misses handed to the workers so far

    def __enter__(self) -> Matching:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def prefetch(self, files: Iterable[tuple[str, str]]) -> None:
        """Have the cache read ahead the matches of these files (path and the sha256 of its bytes), which
        :meth:`add` is about to take. Opens the indexes, as the first :meth:`add` would."""
        files = list(files)
        if self._index_paths and files:
            identity = (self._matcher or self._open()).identity
            self._cache.prefetch(_key(path, digest, identity) for path, digest in files)

    def take_cached(self, path: str, digest: str) -> bool:
        """Take one file by the sha256 of its bytes alone, if its matches are cached (True), without reading it."""
        if not self._index_paths:
            self._found[path] = []
            return True
        matcher = self._matcher or self._open()
        cached = self._cache.get(_key(path, digest, matcher.identity), self._cached_matches)
        if cached is None:
            return False
        self._found[path] = cached
        return True

    def add(self, path: str, data: bytes, digest: str | None = None) -> None:
        """Take one file (``digest``: the sha256 of its bytes, when the caller has it): its matches from the
        cache, or queued to be matched (raises :class:`~lintml.provenance.index.IndexFileError` when the
        indexes, opened with the first file, cannot be used)."""
        if not self._index_paths:
            self._found[path] = []
            return
        matcher = self._matcher or self._open()
        key = _key(path, digest or hashlib.sha256(data).hexdigest(), matcher.identity)
        cached = self._cache.get(key, self._cached_matches)
        if cached is not None:
            self._found[path] = cached
            return
        self._missing.append((path, data, key))
        if self._pool is None and self._workers > 1 and len(self._missing) >= PARALLEL_FROM:
            from concurrent.futures import ProcessPoolExecutor  # with multiprocessing, ~15 ms a warm run need not pay

            arguments = (self._index_paths, matcher.exclude, self._requires)
            self._pool = ProcessPoolExecutor(max_workers=self._workers, initializer=_start_worker, initargs=arguments)
        if self._pool is not None:
            self._submit(whole_chunks=True)

    def result(self) -> ProvenanceResult:
        """The matches of every file taken, once the misses are matched (and put in the cache)."""
        missing, matcher = self._missing, self._matcher
        if matcher is None:  # no file taken, or no index to consult
            return ProvenanceResult(dict(self._found), 0)
        computed: list[list[Match]] = []
        with progress_bar(f"fingerprinting {len(missing)} code files", len(missing)) as bar:
            if self._pool is not None:
                from concurrent.futures.process import BrokenProcessPool

                self._submit(whole_chunks=False)
                try:
                    for chunk in self._chunks:
                        done = chunk.result()
                        computed.extend(done)
                        bar.advance(len(done))
                except BrokenProcessPool as error:  # a worker that could not open the indexes, or was killed
                    raise IndexFileError(f"matching code against the indexes stopped: {error}") from None
                self._pool.shutdown()
                self._pool = None
            else:
                for path, data, _ in missing:
                    computed.append(_match_one(matcher, path, data))
                    bar.advance()
        results = dict(self._found)
        for (path, _, key), matches in zip(missing, computed, strict=True):
            results[path] = matches
            self._cache.put(key, [_without_project_facts(match) for match in matches])
        return ProvenanceResult(results, len(missing), self._catalogued)

    def _cached_matches(self, value: Any) -> list[Match]:
        """The matches a cache entry holds, with their projects' facts from the open indexes; TypeError or
        KeyError when it holds anything else, or names a release no index holds once (a miss either way)."""
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise TypeError("not a list of matches")
        matches = []
        for item in value:
            project = self._projects[(item["project"], item["version"], item["url"])]
            if project is None:
                raise KeyError("a release two indexes hold")
            matches.append(Match.from_dict({**item, **_project_facts(project)}))
        return matches

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        for index in self._indexes:
            index.close()
        self._indexes = []

    def _open(self) -> Matcher:
        """Open the indexes and make the matcher (on the first file: a run with no code opens none)."""
        self._indexes = open_indexes(self._index_paths)
        projects = [project for index in self._indexes for project in index.projects()]
        exclude = self._exclude
        if self._same_project is not None:
            # A catalogued project named like this one is left out only when it is this project; names no index
            # holds stay (they tell an upstream that depends on this project).
            named = {canonical_package_name(name) for name in exclude}
            others = {
                canonical_package_name(project.name)
                for project in projects
                if canonical_package_name(project.name) in named and not self._same_project(project)
            }
            exclude = {name for name in exclude if canonical_package_name(name) not in others}
        self._matcher = Matcher(self._indexes, exclude=exclude, requires=self._requires)
        self._catalogued = tuple(sorted({(project.name, project.url) for project in projects}))
        for project in projects:
            label = (project.name, project.version, project.url)
            # Two indexes holding one release under the same name may say different things of it: such a
            # cached match is read as a miss, and matched again.
            self._projects[label] = None if label in self._projects else project
        return self._matcher

    def _submit(self, *, whole_chunks: bool) -> None:
        """Hand the misses not yet handed over to the workers, in chunks of :data:`CHUNK` (the last one
        shorter unless ``whole_chunks``)."""
        assert self._pool is not None
        while len(self._missing) - self._submitted >= (CHUNK if whole_chunks else 1):
            chunk = [(path, data) for path, data, _ in self._missing[self._submitted : self._submitted + CHUNK]]
            self._chunks.append(self._pool.submit(_worker_match, chunk))
            self._submitted += len(chunk)


# What a match says of the upstream project as a whole, the same for every match with it: kept in the index,
# not in each cached match (they were half of what a warm run read from the cache).
_PROJECT_FACTS = ("notice", "project_copyrights", "root_copyrights", "upstream_acknowledged", "upstream_people")


def _without_project_facts(match: Match) -> dict[str, Any]:
    record = match.as_dict()
    for name in _PROJECT_FACTS:
        del record[name]
    return record


def _project_facts(project: UpstreamProject) -> dict[str, Any]:
    """The facts :func:`lintml.provenance.match._make_match` takes from the project (see ``_PROJECT_FACTS``)."""
    return {
        "notice": project.notice,
        "project_copyrights": project.copyrights,
        "root_copyrights": dict(project.license_copyrights).get("", ()),
        "upstream_acknowledged": project.acknowledged,
        "upstream_people": project.people,
    }


_CACHE_LAYOUT = "2"  # 2: matches without their projects' facts


def _key(path: str, digest: str, identity: str) -> str:
    """The cache key of a file's matches: what the matching depends on, and the sha256 of its bytes."""
    suffix = file_suffix(path).lower()
    return f"provenance:{_CACHE_LAYOUT}:{NORMALIZER_VERSION}:{MATCH_VERSION}:{__version__}:{identity}:{suffix}:{digest}"


def _match_one(matcher: Matcher, path: str, data: bytes) -> list[Match]:
    text, _ = decode(data)
    if text is None:
        return []
    return matcher.match(path, normalize(path, text))


_worker_matcher: Matcher | None = None


def _start_worker(index_paths: Sequence[Path], exclude: frozenset[str], requires: frozenset[str]) -> None:
    global _worker_matcher
    _worker_matcher = Matcher(open_indexes(index_paths), exclude=exclude, requires=requires)


def _worker_match(chunk: Sequence[tuple[str, bytes]]) -> list[list[Match]]:
    assert _worker_matcher is not None
    return [_match_one(_worker_matcher, path, data) for path, data in chunk]
