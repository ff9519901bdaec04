"""The two sides of an audit, read: the fork and each upstream, as folders, archives or git URLs.

A side is read where it is (a git URL is cloned into the lintml cache, an archive unpacked into a
scratch folder), never written to and nothing in it run. Its files are read through a
:class:`~lintml.containment.Tree`, bounded as lintml reads any file. Shared history is asked of
:mod:`lintml.git`, which reads it in a scratch repository of its own.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lintml import git, repository
from lintml.audit import AuditError
from lintml.audit.document import ForkCommit
from lintml.containment import Tree
from lintml.facts.cache import default_cache_dir
from lintml.facts.extract import decode, is_notice_file
from lintml.provenance.upstream import UnpackLimits, UpstreamError, is_git_url, materialized, split_git_ref


@dataclass(frozen=True)
class Side:
    """One side of the audit as read: where it came from, where it is on disk, and which commit."""

    name: str
    source: str
    root: Path
    ref: str | None
    commit: str | None
    files: tuple[repository.RepoFile, ...]

    @property
    def code_files(self) -> list[repository.RepoFile]:
        return [item for item in self.files if item.kind in repository.CODE_KINDS]


def upstream_name(source: str) -> str:
    """A name for an upstream given as a folder or URL: its last path part, without .git or @REF."""
    if "=" in source and not Path(source).exists():
        return source.split("=", 1)[0]
    base = split_git_ref(source)[0] if is_git_url(source) else source
    name = base.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return name or "upstream"


def parse_upstream(given: str) -> tuple[str, str]:
    """``NAME=SOURCE`` or ``SOURCE`` -> (name, source)."""
    if "=" in given and not Path(given).exists():
        name, source = given.split("=", 1)
        return name.strip(), source.strip()
    return upstream_name(given), given


@contextmanager
def read_side(name: str, source: str, limits: UnpackLimits) -> Iterator[Side]:
    """The side ``source`` names, on disk for the block (a clone or unpacked archive is removed after)."""
    ref = split_git_ref(source)[1] if is_git_url(source) else None
    try:
        with materialized(source, limits) as (root, origin):
            commit = origin.get("commit") or git.head_commit(root)
            files = tuple(repository.DiskSource(root, use_git=(root / ".git").exists()).files())
            yield Side(name, source, root.resolve(), ref, commit, files)
    except UpstreamError as error:
        raise AuditError(str(error)) from None


def merge_base(fork: Side, upstream: Side) -> str | None:
    """The merge base of fork and upstream when they share history (read without writing to either)."""
    if fork.commit is None or upstream.commit is None:
        return None
    scratch = default_cache_dir() / "audit-history"
    return git.merge_base_across(fork.root, fork.commit, upstream.root, upstream.commit, scratch)


def commits_since(fork: Side, base: str) -> dict[str, tuple[ForkCommit, ...]]:
    """path -> the fork's commits after ``base`` that changed it, newest first (renames followed to the new path)."""
    if fork.commit is None:
        return {}
    return {
        path: tuple(ForkCommit(commit.short, commit.date, commit.author, commit.subject) for commit in commits)
        for path, commits in git.commits_by_path(fork.root, base, fork.commit).items()
    }


def read_file(root: Path, path: str) -> bytes:
    """A file of one side, read through its tree (a link out is refused, a FIFO swapped in is not waited on)
    and no larger than lintml reads any file (an OSError beyond: a 1 TB sparse file ran out of memory)."""
    return _tree(root).read(path, repository.DEFAULT_MAX_FILE_SIZE)


@lru_cache(maxsize=8)
def _tree(root: Path) -> Tree:
    return Tree(root)


def read_text(root: Path, path: str) -> str | None:
    """A file of one side as text, or None when it cannot be read or decoded."""
    try:
        return decode(read_file(root, path))[0]
    except (OSError, ValueError):
        return None


def digests(side: Side) -> dict[str, list[str]]:
    """sha256 -> paths of the side's files (small enough to read)."""
    found: dict[str, list[str]] = defaultdict(list)
    for item in side.files:
        if item.size > repository.DEFAULT_MAX_FILE_SIZE:
            continue
        try:
            found[hashlib.sha256(read_file(side.root, item.path)).hexdigest()].append(item.path)
        except OSError:
            continue
    return found


def changed_code(fork: Side, known: set[str]) -> tuple[list[tuple[str, bytes]], list[tuple[str, str, int]]]:
    """The fork's code files read once, split in two: (path, bytes) of those whose bytes are no upstream
    file's (``known`` holds the upstreams' sha256 digests), and (path, sha256, lines) of those that are one's."""
    changed, identical = [], []
    for item in fork.code_files:
        if item.size > repository.DEFAULT_MAX_FILE_SIZE:
            continue
        try:
            data = read_file(fork.root, item.path)
        except OSError:
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in known:
            identical.append((item.path, digest, max(1, data.count(b"\n") + (not data.endswith(b"\n")))))
        else:
            changed.append((item.path, data))
    return changed, identical


def notices_files(side: Side) -> list[str]:
    """The texts of a side's NOTICE and third-party notices files."""
    texts = []
    for item in side.files:
        if item.kind == repository.LICENSE and is_notice_file(item.path):
            text = read_text(side.root, item.path)
            if text:
                texts.append(text)
    return texts
