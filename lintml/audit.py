"""`lintml audit FORK --upstream UPSTREAM`: is this repository someone's work, renamed?

For maintainers who suspect a fork. Each upstream is indexed into a scratch index (the same
fingerprints `lintml check` uses), every file of the fork is matched against it, and each
file is paired with its best upstream file and classified: identical, reformatted, renamed,
modified, partial, or new. Moved, split and merged files show in the pairs. When fork and
upstream share git history, the merge base and the fork's commits per file are named. Model
folders are compared as `lintml compare-models` does, and the findings of `lintml check` that
follow from the upstreams are listed as the fork's obligations, with what the pairs show owed
that the check left out (stripped notices, missing change notices): the two always agree.

Folders are read where they are; git URLs (``URL@REF``) are cloned into the lintml cache.
Nothing from either side is run, and neither side is written to: shared history is read
through a scratch repository in the cache that borrows both object stores.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from lintml import __version__, git, repository
from lintml.containment import Tree
from lintml.derivation import SUBSTANTIAL_EVIDENCE, names_file, plain
from lintml.facts.cache import FactCache, default_cache_dir
from lintml.facts.extract import ROOT_LICENSE_REFERENCE, FactExtractor, FileFacts, decode, is_notice_file
from lintml.findings import Finding, Upstream
from lintml.licenses import Knowledge, shipped_knowledge
from lintml.provenance.match import Match, covering_copyrights
from lintml.provenance.upstream import DEFAULT_UNPACK_LIMITS, UnpackLimits

FORMAT_NAME = "lintml-audit"
FORMAT_VERSION = 1
KINDS = ("identical", "reformatted", "renamed", "modified", "partial", "new")
# A pair is whole when this much of both files is shared code. A file is a part of its upstream file when
# it is (nearly) all upstream code but took less than TOOK_PART of it, and holds a part of one when less
# than HOLDS_PART of it is upstream code. Anything else shared is modified.
WHOLE = 0.97
MOSTLY = 0.9
TOOK_PART = 0.75
HOLDS_PART = 0.5
MERGED_SHARE = 0.1  # another upstream file counts as merged in when it gave this much of the file
SOURCE_CAP = 256 * 1024  # bytes of a file's text kept for the HTML side-by-side view
SOURCES_TOTAL_CAP = 32 * 1024 * 1024


class AuditError(Exception):
    """A fork or upstream that cannot be audited; the message names it and says why."""


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


@dataclass
class AuditResult:
    report: dict[str, Any]  # the JSON object of docs/audit-json.md
    sources: dict[str, dict[str, str]] = field(default_factory=dict)  # side name -> {path: text} of paired files


def upstream_name(source: str) -> str:
    """A name for an upstream given as a folder or URL: its last path part, without .git or @REF."""
    from lintml.provenance.upstream import is_git_url, split_git_ref

    if "=" in source and not Path(source).exists():
        return source.split("=", 1)[0]
    base = split_git_ref(source)[0] if is_git_url(source) else source
    name = base.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return name or "upstream"


def _parse_upstream(given: str) -> tuple[str, str]:
    """``NAME=SOURCE`` or ``SOURCE`` -> (name, source)."""
    if "=" in given and not Path(given).exists():
        name, source = given.split("=", 1)
        return name.strip(), source.strip()
    return upstream_name(given), given


@contextmanager
def _side(name: str, source: str, limits: UnpackLimits) -> Iterator[Side]:
    from lintml.provenance.upstream import UpstreamError, is_git_url, materialized, split_git_ref

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


def commits_since(fork: Side, base: str) -> dict[str, list[dict[str, str]]]:
    """path -> the fork's commits after ``base`` that changed it, newest first (renames followed to the new path)."""
    if fork.commit is None:
        return {}
    return {
        path: [
            {"sha": commit.short, "date": commit.date, "author": commit.author, "summary": commit.subject}
            for commit in commits
        ]
        for path, commits in git.commits_by_path(fork.root, base, fork.commit).items()
    }


# Pairs that score within this of the best are ties; the one whose file name is most like the fork's wins.
TIE = 0.1


def _best(path: str, matches: Sequence[Match]) -> Match:
    """The upstream file a fork file pairs with: the largest shares both ways; among near-ties (an upstream
    that copies code between its own files, as transformers does), the one at the same path, else the one
    whose file name is most like the fork file's."""
    from difflib import SequenceMatcher

    def shares(match: Match) -> float:
        return match.local_share + match.upstream_share

    top = max(shares(match) for match in matches)
    close = [match for match in matches if shares(match) >= top - TIE]
    name = PurePosixPath(path).stem

    def likeness(match: Match) -> tuple[bool, float, float, int]:
        theirs = PurePosixPath(match.upstream_path).stem
        return (
            match.upstream_path == path,
            SequenceMatcher(None, name, theirs).ratio(),
            shares(match),
            match.evidence_tokens,
        )

    return max(close, key=likeness)


def classify(match: Match) -> str:
    """The kind of a code pair from how much of each side is shared and whether names were changed."""
    return _kind(match.local_share, match.upstream_share, renamed=bool(match.renames))


def _kind(local: float, upstream: float, *, renamed: bool = False) -> str:
    if local >= WHOLE and upstream >= WHOLE:
        return "renamed" if renamed else "reformatted"
    if local < HOLDS_PART or (local >= MOSTLY and upstream < TOOK_PART):
        return "partial"
    return "modified"


# A file too plain to fingerprint (settings, a config class of assignments and docstrings) is compared
# line by line with its namesake upstream file; this share of either side makes it a pair.
TEXT_PAIR = 0.3


def _namesakes(path: str, upstream: Side) -> list[str]:
    """Upstream files that could be this file under its own or a near name: the same path, the same file
    name elsewhere, or a name this one extends (``utils_a.py`` from ``utils.py``)."""
    paths = {item.path for item in upstream.files}
    if path in paths:
        return [path]
    name = PurePosixPath(path)
    same_name = sorted(candidate for candidate in paths if PurePosixPath(candidate).name == name.name)
    if same_name:
        return same_name[:3]
    return sorted(
        candidate
        for candidate in paths
        if PurePosixPath(candidate).suffix == name.suffix
        and len(PurePosixPath(candidate).stem) >= 4
        and name.stem.startswith(PurePosixPath(candidate).stem)
    )[:3]


def _content_lines(text: str) -> list[tuple[int, str]]:
    """(line number, stripped line) of the lines that carry content: not blank, not comments (license
    headers are the same boilerplate in unrelated files), not a bare bracket or keyword."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if len(stripped) < 6 or stripped.startswith(("#", "//", "/*", "*", "<!--")):
            continue
        found.append((number, stripped))
    return found


# difflib's matching is cubic in the worst case (a few distinct lines repeated: 4,000 lines took a minute)
# and quadratic in others (lines interleaved with others). So lines repeated more than MAX_REPEATS times on
# either side are left out of the comparison, texts of more than MAX_TEXT_PAIR_LINES content lines are not
# compared, and a whole audit compares at most TEXT_PAIR_BUDGET pairs of lines (their counts multiplied).
MAX_REPEATS = 4
MAX_TEXT_PAIR_LINES = 5000
TEXT_PAIR_BUDGET = 200_000_000


def _text_pair(
    text: str, upstream_text: str, budget: list[int]
) -> tuple[float, float, list[list[int]], list[list[int]]] | None:
    """Shares and line ranges two texts have in common, line by line over their content lines (repeated ones
    aside); None when they are too long to compare, or the audit's ``budget`` of line pairs is spent."""
    from collections import Counter
    from difflib import SequenceMatcher

    mine, theirs = _content_lines(text), _content_lines(upstream_text)
    if len(mine) > MAX_TEXT_PAIR_LINES or len(theirs) > MAX_TEXT_PAIR_LINES or len(mine) * len(theirs) > budget[0]:
        return None
    budget[0] -= len(mine) * len(theirs)
    counts = Counter(line for _, line in mine) + Counter(line for _, line in theirs)
    mine = [entry for entry in mine if counts[entry[1]] <= MAX_REPEATS]
    theirs = [entry for entry in theirs if counts[entry[1]] <= MAX_REPEATS]
    matcher = SequenceMatcher(None, [line for _, line in mine], [line for _, line in theirs], autojunk=False)
    blocks = [block for block in matcher.get_matching_blocks() if block.size >= 2]
    shared = sum(block.size for block in blocks)
    lines = [[mine[block.a][0], mine[block.a + block.size - 1][0]] for block in blocks]
    upstream_lines = [[theirs[block.b][0], theirs[block.b + block.size - 1][0]] for block in blocks]
    return shared / max(len(mine), 1), shared / max(len(theirs), 1), lines, upstream_lines


LICENSE_NOTICE = "license notice: "  # how a stripped license statement is named among the stripped notices


def _stripped(match: Match, text: str, facts: FileFacts) -> list[str]:
    """The upstream file's notices the fork's file no longer carries: its copyright and other lines as written,
    and each license it stated that the fork's file states nowhere. A match too small to tell a copy from code
    written alike (as `lintml check` judges it) is no copy, so nothing was stripped from it."""
    if not match.verbatim and match.evidence_tokens < SUBSTANTIAL_EVIDENCE:
        return []
    kept = plain(text)
    missing = [line for line in match.upstream_copyrights if plain(line) and plain(line) not in kept]
    stated = {notice.expression for notice in facts.notices}
    if ROOT_LICENSE_REFERENCE in stated and match.license:
        stated.add(match.license)  # the same "see the LICENSE file in the root directory", read upstream as its license
    missing += [f"{LICENSE_NOTICE}{expression}" for expression in match.upstream_notices if expression not in stated]
    return missing


def _owes_change_notice(kind: str, file_kind: str, modified: bool, license: str | None, knowledge: Knowledge) -> bool:
    """Whether a fork file must say that it was changed: a code file that differs from its upstream file in code
    (layout and comments aside, as `lintml check` decides it), taken from code under a license that asks
    modified copies to say so (Apache-2.0 §4(b), the GPL family: the `change_notice` table of the rules).
    Identical files, license files, documents and metadata, and code under other licenses owe none."""
    if kind in ("identical", "new") or not modified or file_kind not in repository.CODE_KINDS or not license:
        return False
    return knowledge.duty_of(knowledge.change_notice, license) is not None


def _pair_record(
    path: str,
    kind: str,
    upstream: str | None,
    upstream_path: str | None,
    *,
    match: Match | None = None,
    text: str = "",
    facts: FileFacts | None = None,
) -> dict[str, Any]:
    facts = facts or FileFacts()
    record: dict[str, Any] = {
        "path": path,
        "kind": kind,
        "upstream": upstream,
        "upstream_path": upstream_path,
        "moved": upstream_path is not None and upstream_path != path,
        "fork_share": None,
        "upstream_share": None,
        "lines": [],
        "upstream_lines": [],
        "renames": [],
        "stripped_notices": [],
        "change_notice": bool(facts.change_notes),
        "change_notice_owed": False,
        "upstream_license": None,
        "owed": [],
        "commits": [],
        "also_from": [],
        "split_with": [],
    }
    if kind == "identical":
        record["fork_share"] = record["upstream_share"] = 1.0
    if match is not None:
        record.update(
            fork_share=round(match.local_share, 4),
            upstream_share=round(match.upstream_share, 4),
            lines=[list(span) for span in match.lines],
            upstream_lines=[list(span) for span in match.upstream_lines],
            renames=[{"from": old, "to": new, "count": count} for old, new, count in match.renames],
            stripped_notices=_stripped(match, text, facts),
        )
    return record


def _digests(side: Side) -> dict[str, list[str]]:
    """sha256 -> paths of the side's files (small enough to read)."""
    found: dict[str, list[str]] = defaultdict(list)
    for item in side.files:
        if item.size > repository.DEFAULT_MAX_FILE_SIZE:
            continue
        try:
            found[hashlib.sha256(_read(side.root, item.path)).hexdigest()].append(item.path)
        except OSError:
            continue
    return found


def audit(
    fork_source: str,
    upstream_sources: Sequence[str],
    *,
    jobs: int | None = None,
    obligations: bool = True,
    progress: Callable[[str], None] | None = None,
    unpack_limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
) -> AuditResult:
    """Audit the fork against each upstream; the report of docs/audit-json.md and the paired files' texts.
    A side given as an archive may unpack to no more than ``unpack_limits``."""
    if not upstream_sources:
        raise AuditError("name at least one --upstream")
    started = time.monotonic()
    say = progress or (lambda step: None)
    named = [_parse_upstream(given) for given in upstream_sources]
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise AuditError(f"two upstreams are named alike ({', '.join(names)}); name them with NAME=SOURCE")
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="lintml-audit-") as scratch:
        cache = stack.enter_context(closing(FactCache(default_cache_dir())))
        say(f"reading the fork {fork_source}")
        fork = stack.enter_context(_side("fork", fork_source, unpack_limits))
        upstreams = []
        for name, source in named:
            say(f"reading the upstream {name} ({source})")
            upstreams.append(stack.enter_context(_side(name, source, unpack_limits)))
        index_path = Path(scratch) / "upstreams.sqlite3"
        projects = _index(upstreams, index_path, jobs, say)
        by_digest = {upstream.name: _digests(upstream) for upstream in upstreams}
        known = set().union(*(digests.keys() for digests in by_digest.values()))
        # Files with an upstream file's very bytes are paired by their hash; only the rest are fingerprinted.
        changed, identical = _changed_code(fork, known)
        say(f"matching {len(changed)} changed code files of the fork ({len(fork.code_files) - len(changed)} identical)")
        matches = _match(fork, changed, index_path, cache, jobs)
        matches.update(_identical_matches(identical, index_path, by_digest))
        licenses = {name: project.license for name, project in projects.items()}
        pairs, sources = _pairs(fork, upstreams, matches, cache, by_digest, licenses)
        history = {}
        for upstream in upstreams:
            base = merge_base(fork, upstream)
            history[upstream.name] = base
            if base:
                changed = commits_since(fork, base)
                for record in pairs:
                    if record["upstream"] == upstream.name or record["kind"] == "new":
                        record["commits"] = changed.get(record["path"], [])
        say("comparing model folders")
        models = _models(fork, upstreams)
        found_obligations = []
        if obligations:
            say("checking the fork's obligations to the upstreams")
            found_obligations = _obligations(fork, index_path, set(names), matches, cache)
        found_obligations = _with_owed_by_pairs(found_obligations, pairs, projects)
        report = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "lintml": __version__,
            "fork": {
                "source": fork.source,
                "root": str(fork.root),
                "ref": fork.ref,
                "commit": fork.commit,
                "files": len(fork.files),
                "code_files": len(fork.code_files),
            },
            "upstreams": [
                {
                    "name": upstream.name,
                    "source": upstream.source,
                    "root": str(upstream.root),
                    "ref": upstream.ref,
                    "commit": upstream.commit,
                    "version": projects[upstream.name].version,
                    "license": projects[upstream.name].license,
                    "files": len(upstream.files),
                    "code_files": len(upstream.code_files),
                    "merge_base": history.get(upstream.name),
                }
                for upstream in upstreams
            ],
            "files": pairs,
            "models": models,
            "obligations": found_obligations,
        }
        report["summary"] = _summary(report, fork, upstreams, time.monotonic() - started, checked=obligations)
        return AuditResult(report, sources)


def _index(upstreams: Sequence[Side], path: Path, jobs: int | None, say: Callable[[str], None]) -> dict[str, Any]:
    from lintml.errors import UsageError
    from lintml.provenance.admin import index_add
    from lintml.provenance.upstream import UpstreamSpec

    specs = [UpstreamSpec(side.name, str(side.root), recorded_source=side.source) for side in upstreams]
    try:
        added = index_add(specs, index_path=path, jobs=jobs, progress=say, compact=False)
    except UsageError as error:
        raise AuditError(str(error)) from None
    return {project.name: project for project in added}


def _changed_code(fork: Side, known: set[str]) -> tuple[list[tuple[str, bytes]], list[tuple[str, str, int]]]:
    """The fork's code files read once, split in two: (path, bytes) of those whose bytes are no upstream
    file's, and (path, sha256, lines) of those that are one's."""
    changed, identical = [], []
    for item in fork.code_files:
        if item.size > repository.DEFAULT_MAX_FILE_SIZE:
            continue
        try:
            data = _read(fork.root, item.path)
        except OSError:
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in known:
            identical.append((item.path, digest, max(1, data.count(b"\n") + (not data.endswith(b"\n")))))
        else:
            changed.append((item.path, data))
    return changed, identical


def _match(
    fork: Side, code: list[tuple[str, bytes]], index_path: Path, cache: FactCache, jobs: int | None
) -> dict[str, list[Match]]:
    from lintml.provenance.scan import provenance

    return provenance(code, [index_path], cache, jobs=jobs).matches


def _read(root: Path, path: str) -> bytes:
    """A file of one side, read through its tree (a link out is refused, a FIFO swapped in is not waited on)
    and no larger than lintml reads any file (an OSError beyond: a 1 TB sparse file ran out of memory)."""
    return _tree(root).read(path, repository.DEFAULT_MAX_FILE_SIZE)


@lru_cache(maxsize=8)
def _tree(root: Path) -> Tree:
    return Tree(root)


def _read_text(root: Path, path: str) -> str | None:
    try:
        return decode(_read(root, path))[0]
    except (OSError, ValueError):
        return None


def _notices_files(side: Side) -> list[str]:
    """The texts of a side's NOTICE and third-party notices files."""
    texts = []
    for item in side.files:
        if item.kind == repository.LICENSE and is_notice_file(item.path):
            text = _read_text(side.root, item.path)
            if text:
                texts.append(text)
    return texts


def _pairs(
    fork: Side,
    upstreams: Sequence[Side],
    matches: Mapping[str, list[Match]],
    cache: FactCache,
    by_digest: Mapping[str, Mapping[str, list[str]]],
    licenses: Mapping[str, str | None],
) -> tuple[list[dict[str, Any]], dict[str, dict[str, str]]]:
    """One record per fork file (docs/audit-json.md), and the texts of the paired files. ``licenses`` maps each
    upstream to its project license, for pairs whose match does not name the upstream file's own."""
    extractor = FactExtractor(cache)
    knowledge = shipped_knowledge()
    notices = _notices_files(fork)
    sources: dict[str, dict[str, str]] = {"fork": {}, **{upstream.name: {} for upstream in upstreams}}
    roots = {upstream.name: upstream.root for upstream in upstreams}
    budget = [SOURCES_TOTAL_CAP]
    comparisons = [TEXT_PAIR_BUDGET]

    def keep(side: str, root: Path, path: str) -> None:
        if path in sources[side] or budget[0] <= 0:
            return
        text = _read_text(root, path)
        if text is not None:
            text = text[:SOURCE_CAP]
            sources[side][path] = text
            budget[0] -= len(text)

    records = []
    for item in fork.files:
        data = None
        try:
            data = _read(fork.root, item.path) if item.size <= repository.DEFAULT_MAX_FILE_SIZE else None
        except OSError:
            data = None
        digest = hashlib.sha256(data).hexdigest() if data is not None else None
        same = [
            (name, paths)
            for name, digests in by_digest.items()
            if digest is not None and (paths := digests.get(digest))
        ]
        found = [match for match in matches.get(item.path, []) if match.project in roots]
        license: str | None = None
        modified = False  # the code differs from the upstream file's, layout and comments aside
        if same:
            name, paths = same[0]
            upstream_path = item.path if item.path in paths else sorted(paths)[0]
            record = _pair_record(item.path, "identical", name, upstream_path)
        elif found:
            best = _best(item.path, found)
            text = decode(data)[0] if data is not None else ""
            facts = extractor.facts(item, data) if data is not None else FileFacts()
            record = _pair_record(
                item.path, classify(best), best.project, best.upstream_path, match=best, text=text or "", facts=facts
            )
            record["also_from"] = [
                {
                    "upstream": match.project,
                    "upstream_path": match.upstream_path,
                    "fork_share": round(match.local_share, 4),
                }
                for match in sorted(found, key=lambda match: -match.local_share)
                if match is not best and match.local_share >= MERGED_SHARE
            ]
            license = best.license or licenses.get(best.project)
            modified = not best.verbatim and best.evidence_tokens >= SUBSTANTIAL_EVIDENCE  # less is no copy
        else:
            record = _pair_record(item.path, "new", None, None)
            text = decode(data)[0] if data is not None and item.kind != repository.OTHER else None
            for upstream in upstreams if text else ():
                paired = False
                for candidate in _namesakes(item.path, upstream):
                    theirs = _read_text(upstream.root, candidate)
                    if theirs is None:
                        continue
                    compared = _text_pair(text or "", theirs, comparisons)
                    if compared is None:
                        continue
                    local, taken, lines, upstream_lines = compared
                    if max(local, taken) < TEXT_PAIR:
                        continue
                    facts = extractor.facts(item, data) if data is not None else FileFacts()
                    record = _pair_record(item.path, _kind(local, taken), upstream.name, candidate, facts=facts)
                    record.update(
                        fork_share=round(local, 4),
                        upstream_share=round(taken, 4),
                        lines=lines,
                        upstream_lines=upstream_lines,
                    )
                    license = licenses.get(upstream.name)
                    modified = min(local, taken) < 1.0
                    paired = True
                    break
                if paired:
                    break
        if record["upstream"] is not None:
            record["upstream_license"] = license or licenses.get(record["upstream"])
            # A NOTICE file that names the file stands for its change notice, as `lintml check` takes it.
            record["change_notice"] = record["change_notice"] or any(names_file(text, item.path) for text in notices)
            record["change_notice_owed"] = _owes_change_notice(
                record["kind"], item.kind, modified, record["upstream_license"], knowledge
            )
        if record["upstream"] is not None and item.kind in repository.CODE_KINDS | {repository.DOCUMENT}:
            keep("fork", fork.root, item.path)
            keep(record["upstream"], roots[record["upstream"]], record["upstream_path"])
        records.append(record)
    by_upstream_file: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record["upstream"] is not None and record["kind"] != "identical":
            by_upstream_file[(record["upstream"], record["upstream_path"])].append(record["path"])
    for record in records:
        shared = by_upstream_file.get((record["upstream"], record["upstream_path"]), [])
        record["split_with"] = sorted(path for path in shared if path != record["path"]) if len(shared) > 1 else []
    records.sort(key=lambda record: record["path"])
    return records, sources


def _models(fork: Side, upstreams: Sequence[Side]) -> list[dict[str, Any]]:
    """Each model folder of the fork with its best-matching model folder of an upstream."""
    from lintml.models.compare import ModelReadError, compare_models
    from lintml.models.folder import model_folders

    found = []
    theirs = [
        (upstream, folder)
        for upstream in upstreams
        for folder in model_folders(upstream.files)
        if folder.weights or folder.configs or folder.tokenizer
    ]
    for folder in model_folders(fork.files):
        if not (folder.weights or folder.configs or folder.tokenizer):
            continue
        best: tuple[int, dict[str, Any]] | None = None
        for upstream, candidate in theirs:
            try:
                comparison = compare_models(upstream.root / candidate.path, fork.root / folder.path)
            except ModelReadError:
                continue
            data = comparison.as_dict()
            score = int(comparison.related()) * 10 + sum(
                1 for part in ("config", "tokenizer", "weights") if data.get(part) is not None
            )
            record = {
                "fork_path": folder.path or ".",
                "upstream": upstream.name,
                "upstream_path": candidate.path or ".",
                "config": data["config"],
                "tokenizer": data["tokenizer"],
                "weights": data["weights"],
                "related": comparison.related(),
            }
            if best is None or score > best[0]:
                best = (score, record)
        if best is not None:
            found.append(best[1])
    return found


def _identical_matches(
    identical: Sequence[tuple[str, str, int]], index_path: Path, by_digest: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, list[Match]]:
    """Matches for the fork's code files that are an upstream file byte for byte, read from the index
    (what the upstream file and project say of themselves) instead of fingerprinting them again."""
    from lintml.provenance.index import UpstreamIndex

    with closing(UpstreamIndex(index_path)) as index:
        records = {(record.project.name, record.sha256): record for record in index.file_records()}
    found: dict[str, list[Match]] = {}
    for path, digest, lines in identical:
        for name in by_digest:
            record = records.get((name, digest))
            if record is None:
                continue
            project = record.project
            found[path] = [
                Match(
                    project=name,
                    version=project.version,
                    url=project.url,
                    license=project.license,
                    upstream_path=record.path,
                    local_share=1.0,
                    upstream_share=1.0,
                    lines=((1, lines),),
                    upstream_lines=((1, lines),),
                    verbatim=True,
                    renames=(),
                    evidence_tokens=record.tokens,
                    spans=1,
                    longest_span=record.tokens,
                    shared_fingerprints=0,
                    upstream_notices=record.notices,
                    upstream_copyrights=record.copyrights,
                    notice=project.notice,
                    project_copyrights=project.copyrights,
                    covering_copyrights=covering_copyrights(project, record.path),
                    upstream_credits=record.credits,
                )
            ]
            break
    return found


def _obligations(
    fork: Side, index_path: Path, names: set[str], matches: Mapping[str, list[Match]], cache: FactCache
) -> list[dict[str, Any]]:
    """The fork's `lintml check` findings that come from an audited upstream (the audit's matches stand for
    the check's provenance, so nothing is fingerprinted twice)."""
    from lintml.config import ConfigError, resolve_config
    from lintml.engine import check_source
    from lintml.errors import UsageError
    from lintml.report.json import finding_record

    try:
        config = resolve_config(fork.root, None)
        result = check_source(
            repository.DiskSource(fork.root), config, cache=cache, index_paths=[index_path], matches=matches
        )
    except (UsageError, ConfigError) as error:
        return [{"rule": "audit", "path": ".", "severity": "info", "message": f"lintml check could not run: {error}"}]
    return [
        finding_record(finding)
        for finding in result.findings
        if finding.upstream is not None and finding.upstream.name in names and finding.rule != "provenance"
    ]


def _with_owed_by_pairs(
    reported: list[dict[str, Any]], pairs: list[dict[str, Any]], projects: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The fork's obligations: those `lintml check` reported, and what the pairs show owed that it did not.

    A pair's stripped notices are owed (restoring them), and so is the change notice of a file that owes one
    and carries none. `lintml check` may stay silent on them (it takes a fork that copied the upstream's
    manifest or license holder for the upstream's owner, and a file crediting a third party for that party's
    copy), but the audit is told which projects are the upstreams, so what it shows is what it lists as owed.
    Each record's ``owed`` names the rules owed at its path, so per-file and listed obligations agree.
    """
    from lintml.report.json import finding_record
    from lintml.rules import find_rule, shipped_rules

    knowledge = shipped_knowledge()
    rules = shipped_rules()
    reported_at = {(finding.get("rule"), finding.get("path")) for finding in reported}
    found = list(reported)

    def owed(
        rule_id: str, record: dict[str, Any], message: str, fix: str, evidence: tuple[tuple[str, str], ...]
    ) -> None:
        rule = find_rule(rules, rule_id)
        assert rule is not None, rule_id  # both rules ship with lintml
        project = projects.get(record["upstream"])
        line = None if repository.classify(record["path"]) == repository.NOTEBOOK else 1
        upstream = Upstream(
            name=record["upstream"],
            version=getattr(project, "version", None),
            url=getattr(project, "url", None),
            path=record["upstream_path"],
            license=record["upstream_license"],
            similarity=record["fork_share"],
            taken=record["upstream_share"],
            renames=tuple((item["from"], item["to"]) for item in record["renames"]),
            lines=tuple((first, last) for first, last in record["lines"]),
            upstream_lines=tuple((first, last) for first, last in record["upstream_lines"]),
        )
        finding = Finding(
            rule=rule.id,
            category=rule.category,
            severity=rule.severity,  # type: ignore[arg-type]  # the rule's own: the fork's config does not lower it
            path=record["path"],
            message=message,
            line=line,
            end_line=line,
            column=1 if line else None,
            fix=fix,
            license=record["upstream_license"],
            upstream=upstream,
            evidence=(("found_by", "audit"), *evidence),
        )
        found.append(finding_record(finding))

    for record in pairs:
        if record["upstream"] is None:
            continue
        project = projects.get(record["upstream"])
        version = getattr(project, "version", None)
        where = f"{record['upstream']}{f' {version}' if version else ''}, {record['upstream_path']}"
        license = record["upstream_license"]
        if record["stripped_notices"] and ("copyright-notice", record["path"]) not in reported_at:
            lost = _listing(
                [
                    f"the {notice.removeprefix(LICENSE_NOTICE)} license notice"
                    if notice.startswith(LICENSE_NOTICE)
                    else f'"{notice}"'
                    for notice in record["stripped_notices"]
                ]
            )
            duty = knowledge.duty_of(knowledge.retain_notices, license) if license else None
            owed(
                "copyright-notice",
                record,
                f"this file came from {where} ({license or 'license unknown'}), and it no longer carries the upstream"
                f" file's notices: {lost}; {duty or 'they say whose code this is and under which terms'}",
                f"restore {lost} at the top of this file",
                (("stripped_notices", " | ".join(record["stripped_notices"])),),
            )
        if (
            record["change_notice_owed"]
            and not record["change_notice"]
            and ("change-notice", record["path"]) not in reported_at
        ):
            duty = knowledge.duty_of(knowledge.change_notice, license or "")
            owed(
                "change-notice",
                record,
                f"this file came from {where} ({license}) and was modified ({_how_changed(record)}), but it carries no"
                f" notice that it was changed; {duty.duty if duty else 'its license asks for one'}",
                f"add a comment at the top of this file saying it was modified from {record['upstream']}"
                + (" and when" if duty and duty.needs_date else ""),
                (("modified_because", _how_changed(record)),),
            )
    found.sort(key=lambda finding: (str(finding.get("path")), finding.get("line") or 0, str(finding.get("rule"))))
    for record in pairs:  # what the file owes its own upstream (credit in a README is owed by the repository)
        record["owed"] = sorted(
            {
                str(finding.get("rule"))
                for finding in found
                if finding.get("path") == record["path"]
                and (finding.get("upstream") or {}).get("name") == record["upstream"]
            }
        )
    return found


def _how_changed(record: Mapping[str, Any]) -> str:
    """How a paired file differs from its upstream file, in words."""
    parts = []
    if record["renames"]:
        shown = ", ".join(f"{item['from']} -> {item['to']}" for item in record["renames"][:3])
        more = f" and {len(record['renames']) - 3} more" if len(record["renames"]) > 3 else ""
        parts.append(f"identifiers renamed ({shown}{more})")
    if record["fork_share"] is not None and record["fork_share"] < 0.98:
        parts.append(f"{100 - round(record['fork_share'] * 100)}% of it is not upstream code")
    if record["upstream_share"] is not None and record["upstream_share"] < 0.98:
        parts.append(f"it takes {round(record['upstream_share'] * 100)}% of the upstream file")
    return ", ".join(parts) or "its code differs from the upstream file"


def _listing(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_CODE_LINE = re.compile(r"\S")


def _summary(
    report: Mapping[str, Any], fork: Side, upstreams: Sequence[Side], seconds: float, *, checked: bool
) -> dict[str, Any]:
    files = report["files"]
    by_kind = {kind: 0 for kind in KINDS}
    for record in files:
        by_kind[record["kind"]] += 1
    code_paths = {item.path for item in fork.code_files}
    copied_lines = code_lines = 0
    for record in files:
        if record["path"] not in code_paths:
            continue
        text = _read_text(fork.root, record["path"]) or ""
        lines = sum(1 for line in text.splitlines() if _CODE_LINE.search(line))
        code_lines += lines
        if record["kind"] == "identical" or record["kind"] in ("reformatted", "renamed"):
            copied_lines += lines
        elif record["lines"]:
            copied_lines += min(lines, sum(last - first + 1 for first, last in record["lines"]))
    # Distinct upstream files the fork holds (the file a fork file pairs with, and those a merged file also took
    # code from), out of the distinct files of the upstreams: each counted once however many fork files hold it.
    used = {(record["upstream"], record["upstream_path"]) for record in files if record["upstream"] is not None}
    used |= {
        (item.get("upstream") or record["upstream"], item["upstream_path"])
        for record in files
        for item in record["also_from"]
    }
    listed = {(upstream.name, item.path) for upstream in upstreams for item in upstream.files}
    listed_code = {(upstream.name, item.path) for upstream in upstreams for item in upstream.code_files}
    # A file the index read that the listing left out still counts on both sides, so a count never tops its total.
    every_file = listed | used
    every_code_file = listed_code | {
        (name, path) for name, path in used - listed if repository.classify(path) in repository.CODE_KINDS
    }
    obligations = report["obligations"]
    return {
        "files": len(files),
        "by_kind": by_kind,
        "moved": sum(1 for record in files if record["moved"]),
        "split": sum(1 for record in files if record["split_with"]),
        "merged": sum(1 for record in files if record["also_from"]),
        "copied_lines": copied_lines,
        "code_lines": code_lines,
        "copied_share": round(copied_lines / code_lines, 4) if code_lines else 0.0,
        "upstream_files_used": len(used),
        "upstream_files": len(every_file),
        "upstream_code_files_used": len(used & every_code_file),
        "upstream_code_files": len(every_code_file),
        "stripped_notices": sum(len(record["stripped_notices"]) for record in files),
        "stripped_files": sum(1 for record in files if record["stripped_notices"]),
        "change_notices_owed": sum(1 for record in files if record["change_notice_owed"]),
        "change_notices_missing": sum(
            1 for record in files if record["change_notice_owed"] and not record["change_notice"]
        ),
        "obligations": len(obligations),
        "obligations_checked": checked,
        "obligations_by_severity": {
            severity: sum(1 for finding in obligations if finding.get("severity") == severity)
            for severity in ("error", "warning", "info")
        },
        "seconds": round(seconds, 2),
    }


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _file_line(record: Mapping[str, Any]) -> str:
    """One fork file: its kind, where it came from, and what it shows or owes."""
    if record["upstream"] is None:
        return f"  {record['path']}: new"
    where = record["upstream_path"] if record["moved"] else "same path"
    shares = ""
    if record["fork_share"] is not None and record["kind"] != "identical":
        shares = f" ({record['fork_share']:.0%} of this file, {record['upstream_share']:.0%} of the upstream's)"
    extra = []
    if record["renames"]:
        shown = ", ".join(f"{item['from']} -> {item['to']}" for item in record["renames"][:3])
        more = len(record["renames"]) - 3
        extra.append(f"renamed {shown}" + (f" and {more} more" if more > 0 else ""))
    if record["stripped_notices"]:
        extra.append(f"{_plural(len(record['stripped_notices']), 'notice')} stripped")
    if record["change_notice_owed"]:
        extra.append("change notice given" if record["change_notice"] else "no change notice")
    if record["split_with"]:
        extra.append(f"split with {', '.join(record['split_with'][:2])}")
    if record["also_from"]:
        extra.append(f"also from {', '.join(item['upstream_path'] for item in record['also_from'][:2])}")
    if record["commits"]:
        extra.append(f"{_plural(len(record['commits']), 'commit')} since the merge base")
    if record["owed"]:
        extra.append(f"owes {', '.join(record['owed'])}")
    detail = f"; {'; '.join(extra)}" if extra else ""
    return f"  {record['path']}: {record['kind']} from {record['upstream']}:{where}{shares}{detail}"


def render_text(report: Mapping[str, Any]) -> str:
    """The audit for a terminal: the summary, then every file that is not its upstream file unchanged at the
    same path, grouped by kind (new files included), then what the fork owes. Identical files at their
    upstream path are counted, not listed."""
    summary = report["summary"]
    lines = [f"fork: {report['fork']['source']} ({report['fork']['files']} files)"]
    for upstream in report["upstreams"]:
        version = f" {upstream['version']}" if upstream["version"] else ""
        base = f", merge base {upstream['merge_base'][:12]}" if upstream["merge_base"] else ""
        lines.append(
            f"upstream: {upstream['name']}{version} ({upstream['license'] or 'license unknown'}) from"
            f" {upstream['source']}{base}"
        )
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary["by_kind"].items() if count)
    lines.append(
        f"{summary['files']} files: {kinds}; {summary['moved']} moved, {summary['split']} split, {summary['merged']}"
        f" merged; {summary['copied_share']:.0%} of the fork's code lines come from the upstreams"
    )
    lines.append(
        f"upstream files the fork holds: {summary['upstream_files_used']} of {summary['upstream_files']}"
        f" ({summary['upstream_code_files_used']} of {summary['upstream_code_files']} code files)"
    )
    stripped = (
        f"{summary['stripped_notices']} in {_plural(summary['stripped_files'], 'file')} (owed: restoring them)"
        if summary["stripped_notices"]
        else "none"
    )
    lines.append(
        f"stripped notices: {stripped}; change notices: {summary['change_notices_missing']} missing of"
        f" {summary['change_notices_owed']} owed"
    )
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    unlisted = 0
    for record in report["files"]:
        if record["kind"] == "identical" and not record["moved"]:
            unlisted += 1
        else:
            groups["identical, moved" if record["kind"] == "identical" else record["kind"]].append(record)
    order = [kind for kind in KINDS if kind != "identical"] + ["identical, moved"]
    for group in [*order, *sorted(set(groups) - set(order))]:
        if groups.get(group):
            lines.append("")
            lines.append(f"{group} ({len(groups[group]):,}):")
            lines.extend(_file_line(record) for record in sorted(groups[group], key=lambda record: record["path"]))
    if unlisted:
        lines.append("")
        lines.append(
            f"{_plural(unlisted, 'file')} identical to the upstream file at the same path, not listed"
            " (--format json lists every file)"
        )
    if report["models"]:
        lines.append("")
    for model in report["models"]:
        weights = model["weights"]["verdict"] if model["weights"] else "not compared"
        lines.append(
            f"  model {model['fork_path']} vs {model['upstream']}:{model['upstream_path']}: weights {weights},"
            f" {'derived' if model['related'] else 'not derived'}"
        )
    lines.append("")
    checked = summary.get("obligations_checked", True)
    source = (
        "`lintml check` on the fork and the audit's pairs" if checked else "the audit's pairs; `lintml check` not run"
    )
    if report["obligations"]:
        lines.append(f"{_plural(len(report['obligations']), 'obligation')} to the upstreams unmet ({source}):")
        for finding in report["obligations"]:
            where = f"{finding['path']}:{finding['line']}" if finding.get("line") else finding["path"]
            lines.append(f"  {where}: {finding['rule']} [{finding['severity']}] {finding['message']}")
    else:
        lines.append(f"nothing owed to the upstreams was found ({source})")
    lines.append("")
    lines.append(f"audited in {summary['seconds']} s")
    from lintml.report import one_line  # names and notices come from the fork: one record, one line

    return "\n".join(one_line(line) for line in lines) + "\n"
