"""The audit, step by step: read the sides, index the upstreams, pair the fork's files, ask git for the
shared history, compare model folders, gather the obligations, count.

Each upstream is indexed into a scratch index (the same fingerprints `lintml check` uses) in a
temporary folder, removed after; a copy is kept in the cache folder by what the upstreams hold
(:mod:`lintml.audit.indexes`), so a second audit against them does not index them again. Files with an
upstream file's very bytes are paired by their hash; only the rest of the fork's code is fingerprinted.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import replace
from pathlib import Path

from lintml import __version__, repository
from lintml.audit import AuditError
from lintml.audit import obligations as owed
from lintml.audit.document import (
    KINDS,
    AuditReport,
    AuditResult,
    AuditWork,
    FilePair,
    ForkRecord,
    Obligations,
    Summary,
    UpstreamRecord,
)
from lintml.audit.indexes import keep_index, kept_index, upstreams_digest
from lintml.audit.pairing import identical_matches, pair_files, pair_models
from lintml.audit.sides import (
    Side,
    changed_code,
    commits_since,
    digests,
    merge_base,
    parse_upstream,
    read_side,
    read_text,
)
from lintml.errors import UsageError
from lintml.facts.cache import FactCache, default_cache_dir
from lintml.provenance.admin import index_add
from lintml.provenance.index import UpstreamIndex, UpstreamProject
from lintml.provenance.scan import provenance
from lintml.provenance.upstream import DEFAULT_UNPACK_LIMITS, UnpackLimits, UpstreamSpec


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
    named = [parse_upstream(given) for given in upstream_sources]
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise AuditError(f"two upstreams are named alike ({', '.join(names)}); name them with NAME=SOURCE")
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="lintml-audit-") as scratch:
        cache = stack.enter_context(closing(FactCache(default_cache_dir())))
        say(f"reading the fork {fork_source}")
        fork = stack.enter_context(read_side("fork", fork_source, unpack_limits))
        upstreams = []
        for name, source in named:
            say(f"reading the upstream {name} ({source})")
            upstreams.append(stack.enter_context(read_side(name, source, unpack_limits)))
        index_path = Path(scratch) / "upstreams.sqlite3"
        projects, normalised = _index(upstreams, index_path, jobs, say, cache)
        by_digest = {upstream.name: digests(upstream) for upstream in upstreams}
        known = set().union(*(found.keys() for found in by_digest.values()))
        # Files with an upstream file's very bytes are paired by their hash; only the rest are fingerprinted.
        changed, identical = changed_code(fork, known)
        say(f"matching {len(changed)} changed code files of the fork ({len(fork.code_files) - len(changed)} identical)")
        matched = provenance(changed, [index_path], cache, jobs=jobs)
        matches = matched.matches
        with closing(UpstreamIndex(index_path)) as index:
            matches.update(identical_matches(identical, index, by_digest))
        licenses = {name: project.license for name, project in projects.items()}
        pairs, sources = pair_files(fork, upstreams, matches, cache, by_digest, licenses)
        history = {}
        for upstream in upstreams:
            base = merge_base(fork, upstream)
            history[upstream.name] = base
            if base:
                since = commits_since(fork, base)
                pairs = [
                    replace(pair, commits=since.get(pair.path, ()))
                    if pair.upstream == upstream.name or pair.kind == "new"
                    else pair
                    for pair in pairs
                ]
        say("comparing model folders")
        models = pair_models(fork, upstreams)
        found = Obligations()
        if obligations:
            say("checking the fork's obligations to the upstreams")
            found = owed.checked(fork, index_path, set(names), matches, cache)
        found, pairs = owed.with_owed_by_pairs(found, pairs, projects)
        upstream_records = tuple(
            UpstreamRecord(
                name=upstream.name,
                source=upstream.source,
                root=str(upstream.root),
                ref=upstream.ref,
                commit=upstream.commit,
                version=projects[upstream.name].version,
                license=projects[upstream.name].license,
                files=len(upstream.files),
                code_files=len(upstream.code_files),
                merge_base=history.get(upstream.name),
            )
            for upstream in upstreams
        )
        fork_record = ForkRecord(
            fork.source, str(fork.root), fork.ref, fork.commit, len(fork.files), len(fork.code_files)
        )
        summary = _summary(pairs, found, fork, upstreams, time.monotonic() - started, checked=obligations)
        report = AuditReport(__version__, fork_record, upstream_records, tuple(pairs), tuple(models), found, summary)
        work = AuditWork(normalised is None, normalised or 0, matched.fingerprinted)
        return AuditResult(report, sources, work)


def _index(
    upstreams: Sequence[Side], path: Path, jobs: int | None, say: Callable[[str], None], cache: FactCache
) -> tuple[dict[str, UpstreamProject], int | None]:
    """Index the upstreams into a scratch index at ``path``, or copy the one kept for them; each upstream's
    project as recorded, by name, and how many code files were normalised (None: the kept index was used)."""
    specs = [UpstreamSpec(side.name, str(side.root), recorded_source=side.source) for side in upstreams]
    key = upstreams_digest(specs) if cache.enabled else None
    if key is not None:
        kept = kept_index(cache, key, path, [spec.name for spec in specs])
        if kept is not None:
            say("the upstreams' index is kept in the cache: reusing it")
            return kept, None
    tally: Counter[str] = Counter()
    try:
        added = index_add(specs, index_path=path, jobs=jobs, progress=say, compact=False, tally=tally)
    except UsageError as error:
        raise AuditError(str(error)) from None
    if key is not None:
        keep_index(cache, key, path)
    return {project.name: project for project in added}, tally["normalised"]


_CODE_LINE = re.compile(r"\S")


def _summary(
    pairs: Sequence[FilePair],
    found: Obligations,
    fork: Side,
    upstreams: Sequence[Side],
    seconds: float,
    *,
    checked: bool,
) -> Summary:
    by_kind = {kind: 0 for kind in KINDS}
    for pair in pairs:
        by_kind[pair.kind] += 1
    code_paths = {item.path for item in fork.code_files}
    copied_lines = code_lines = 0
    for pair in pairs:
        if pair.path not in code_paths:
            continue
        text = read_text(fork.root, pair.path) or ""
        lines = sum(1 for line in text.splitlines() if _CODE_LINE.search(line))
        code_lines += lines
        if pair.kind in ("identical", "reformatted", "renamed"):
            copied_lines += lines
        elif pair.lines:
            copied_lines += min(lines, sum(last - first + 1 for first, last in pair.lines))
    # Distinct upstream files the fork holds (the file a fork file pairs with, and those a merged file also took
    # code from), out of the distinct files of the upstreams: each counted once however many fork files hold it.
    used = {(pair.upstream, pair.upstream_path) for pair in pairs if pair.upstream is not None}
    used |= {(item.upstream or pair.upstream, item.upstream_path) for pair in pairs for item in pair.also_from}
    listed = {(upstream.name, item.path) for upstream in upstreams for item in upstream.files}
    listed_code = {(upstream.name, item.path) for upstream in upstreams for item in upstream.code_files}
    # A file the index read that the listing left out still counts on both sides, so a count never tops its total.
    every_file = listed | used
    every_code_file = listed_code | {
        (name, path)
        for name, path in used - listed
        if path is not None and repository.classify(path) in repository.CODE_KINDS
    }
    return Summary(
        files=len(pairs),
        by_kind=by_kind,
        moved=sum(1 for pair in pairs if pair.moved),
        split=sum(1 for pair in pairs if pair.split_with),
        merged=sum(1 for pair in pairs if pair.also_from),
        copied_lines=copied_lines,
        code_lines=code_lines,
        upstream_files_used=len(used),
        upstream_files=len(every_file),
        upstream_code_files_used=len(used & every_code_file),
        upstream_code_files=len(every_code_file),
        stripped_notices=sum(len(pair.stripped_notices) for pair in pairs),
        stripped_files=sum(1 for pair in pairs if pair.stripped_notices),
        change_notices_owed=sum(1 for pair in pairs if pair.change_notice_owed),
        change_notices_missing=sum(1 for pair in pairs if pair.change_notice_owed and not pair.change_notice),
        obligations=len(found),
        obligations_checked=checked,
        obligations_by_severity=found.by_severity(),
        seconds=seconds,
    )
