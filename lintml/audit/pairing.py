"""Pairing: each file of the fork with the upstream file it came from, and what kind of copy it is.

A file with an upstream file's very bytes is paired by its hash. Code is paired by the fingerprint
matches of :mod:`lintml.provenance` (the best match both ways; near-ties go to the same path, else
the likest file name); a file too plain to fingerprint is compared line by line with its namesakes
upstream. The shares of each side and whether identifiers were renamed give the kind (``KINDS``);
an upstream file paired with several fork files was split, a fork file that took code from several
upstream files was merged. Model folders are paired as `lintml compare-models` compares them.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from difflib import SequenceMatcher
from pathlib import Path, PurePosixPath

from lintml import repository
from lintml.audit.document import AlsoFrom, FilePair, ModelPair, Rename
from lintml.audit.sides import Side, notices_files, read_file, read_text
from lintml.derivation import SUBSTANTIAL_EVIDENCE, names_file, plain
from lintml.facts.cache import FactCache
from lintml.facts.extract import ROOT_LICENSE_REFERENCE, FactExtractor, FileFacts, decode
from lintml.licenses import Knowledge, shipped_knowledge
from lintml.provenance.index import UpstreamIndex
from lintml.provenance.match import Match, covering_copyrights

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
# Pairs that score within this of the best are ties; the one whose file name is most like the fork's wins.
TIE = 0.1
# A file too plain to fingerprint (settings, a config class of assignments and docstrings) is compared
# line by line with its namesake upstream file; this share of either side makes it a pair.
TEXT_PAIR = 0.3
# difflib's matching is cubic in the worst case (a few distinct lines repeated: 4,000 lines took a minute)
# and quadratic in others (lines interleaved with others). So lines repeated more than MAX_REPEATS times on
# either side are left out of the comparison, texts of more than MAX_TEXT_PAIR_LINES content lines are not
# compared, and a whole audit compares at most TEXT_PAIR_BUDGET pairs of lines (their counts multiplied).
MAX_REPEATS = 4
MAX_TEXT_PAIR_LINES = 5000
TEXT_PAIR_BUDGET = 200_000_000
LICENSE_NOTICE = "license notice: "  # how a stripped license statement is named among the stripped notices


def best_match(path: str, matches: Sequence[Match]) -> Match:
    """The upstream file a fork file pairs with: the largest shares both ways; among near-ties (an upstream
    that copies code between its own files, as transformers does), the one at the same path, else the one
    whose file name is most like the fork file's."""

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
    return kind_of(match.local_share, match.upstream_share, renamed=bool(match.renames))


def kind_of(local: float, upstream: float, *, renamed: bool = False) -> str:
    """The kind of a pair whose fork file is ``local`` upstream code and that took ``upstream`` of its upstream file."""
    if local >= WHOLE and upstream >= WHOLE:
        return "renamed" if renamed else "reformatted"
    if local < HOLDS_PART or (local >= MOSTLY and upstream < TOOK_PART):
        return "partial"
    return "modified"


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


def text_pair(
    text: str, upstream_text: str, budget: list[int]
) -> tuple[float, float, list[tuple[int, int]], list[tuple[int, int]]] | None:
    """Shares and line ranges two texts have in common, line by line over their content lines (repeated ones
    aside); None when they are too long to compare, or the audit's ``budget`` of line pairs is spent."""
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
    lines = [(mine[block.a][0], mine[block.a + block.size - 1][0]) for block in blocks]
    upstream_lines = [(theirs[block.b][0], theirs[block.b + block.size - 1][0]) for block in blocks]
    return shared / max(len(mine), 1), shared / max(len(theirs), 1), lines, upstream_lines


def stripped_notices(match: Match, text: str, facts: FileFacts) -> list[str]:
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


def owes_change_notice(kind: str, file_kind: str, modified: bool, license: str | None, knowledge: Knowledge) -> bool:
    """Whether a fork file must say that it was changed: a code file that differs from its upstream file in code
    (layout and comments aside, as `lintml check` decides it), taken from code under a license that asks
    modified copies to say so (Apache-2.0 §4(b), the GPL family: the `change_notice` table of the rules).
    Identical files, license files, documents and metadata, and code under other licenses owe none."""
    if kind in ("identical", "new") or not modified or file_kind not in repository.CODE_KINDS or not license:
        return False
    return knowledge.duty_of(knowledge.change_notice, license) is not None


def _matched_pair(path: str, match: Match, text: str, facts: FileFacts) -> FilePair:
    return FilePair(
        path=path,
        kind=classify(match),
        upstream=match.project,
        upstream_path=match.upstream_path,
        fork_share=round(match.local_share, 4),
        upstream_share=round(match.upstream_share, 4),
        lines=tuple((first, last) for first, last in match.lines),
        upstream_lines=tuple((first, last) for first, last in match.upstream_lines),
        renames=tuple(Rename(old, new, count) for old, new, count in match.renames),
        stripped_notices=tuple(stripped_notices(match, text, facts)),
        change_notice=bool(facts.change_notes),
    )


class _Sources:
    """The texts of paired files kept for the HTML side-by-side view, within a total budget."""

    def __init__(self, names: Sequence[str]) -> None:
        self.texts: dict[str, dict[str, str]] = {"fork": {}, **{name: {} for name in names}}
        self.budget = SOURCES_TOTAL_CAP

    def keep(self, side: str, root: Path, path: str) -> None:
        if path in self.texts[side] or self.budget <= 0:
            return
        text = read_text(root, path)
        if text is not None:
            text = text[:SOURCE_CAP]
            self.texts[side][path] = text
            self.budget -= len(text)


def pair_files(
    fork: Side,
    upstreams: Sequence[Side],
    matches: Mapping[str, list[Match]],
    cache: FactCache,
    by_digest: Mapping[str, Mapping[str, list[str]]],
    licenses: Mapping[str, str | None],
) -> tuple[list[FilePair], dict[str, dict[str, str]]]:
    """One pair per fork file, sorted by path, and the texts of the paired files. ``by_digest`` maps each
    upstream to its files by sha256; ``licenses`` maps each upstream to its project license, for pairs whose
    match does not name the upstream file's own."""
    extractor = FactExtractor(cache)
    knowledge = shipped_knowledge()
    notices = notices_files(fork)
    roots = {upstream.name: upstream.root for upstream in upstreams}
    sources = _Sources([upstream.name for upstream in upstreams])
    comparisons = [TEXT_PAIR_BUDGET]

    pairs = []
    for item in fork.files:
        data = None
        try:
            data = read_file(fork.root, item.path) if item.size <= repository.DEFAULT_MAX_FILE_SIZE else None
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
            pair = FilePair(item.path, "identical", name, upstream_path, fork_share=1.0, upstream_share=1.0)
        elif found:
            best = best_match(item.path, found)
            text = decode(data)[0] if data is not None else ""
            facts = extractor.facts(item, data) if data is not None else FileFacts()
            pair = replace(
                _matched_pair(item.path, best, text or "", facts),
                also_from=tuple(
                    AlsoFrom(match.project, match.upstream_path, round(match.local_share, 4))
                    for match in sorted(found, key=lambda match: -match.local_share)
                    if match is not best and match.local_share >= MERGED_SHARE
                ),
            )
            license = best.license or licenses.get(best.project)
            modified = not best.verbatim and best.evidence_tokens >= SUBSTANTIAL_EVIDENCE  # less is no copy
        else:
            pair = FilePair(item.path, "new")
            text = decode(data)[0] if data is not None and item.kind != repository.OTHER else None
            for upstream in upstreams if text else ():
                compared = _text_pair_with(item, text or "", data, upstream, comparisons, extractor)
                if compared is not None:
                    pair, modified = compared
                    license = licenses.get(upstream.name)
                    break
        if pair.upstream is not None:
            upstream_license = license or licenses.get(pair.upstream)
            pair = replace(
                pair,
                upstream_license=upstream_license,
                # A NOTICE file that names the file stands for its change notice, as `lintml check` takes it.
                change_notice=pair.change_notice or any(names_file(text, item.path) for text in notices),
                change_notice_owed=owes_change_notice(pair.kind, item.kind, modified, upstream_license, knowledge),
            )
            if item.kind in repository.CODE_KINDS | {repository.DOCUMENT}:
                sources.keep("fork", fork.root, item.path)
                assert pair.upstream_path is not None
                sources.keep(pair.upstream, roots[pair.upstream], pair.upstream_path)
        pairs.append(pair)
    by_upstream_file: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for pair in pairs:
        if pair.upstream is not None and pair.kind != "identical":
            by_upstream_file[(pair.upstream, pair.upstream_path)].append(pair.path)
    pairs = [
        replace(pair, split_with=tuple(sorted(path for path in shared if path != pair.path)))
        if len(shared := by_upstream_file.get((pair.upstream, pair.upstream_path), [])) > 1
        else pair
        for pair in pairs
    ]
    pairs.sort(key=lambda pair: pair.path)
    return pairs, sources.texts


def _text_pair_with(
    item: repository.RepoFile,
    text: str,
    data: bytes | None,
    upstream: Side,
    comparisons: list[int],
    extractor: FactExtractor,
) -> tuple[FilePair, bool] | None:
    """The pair of a file too plain to fingerprint with a namesake of it in ``upstream``, line by line, and
    whether the two differ; None when no namesake shares enough lines."""
    for candidate in _namesakes(item.path, upstream):
        theirs = read_text(upstream.root, candidate)
        if theirs is None:
            continue
        compared = text_pair(text, theirs, comparisons)
        if compared is None:
            continue
        local, taken, lines, upstream_lines = compared
        if max(local, taken) < TEXT_PAIR:
            continue
        facts = extractor.facts(item, data) if data is not None else FileFacts()
        pair = FilePair(
            item.path,
            kind_of(local, taken),
            upstream.name,
            candidate,
            fork_share=round(local, 4),
            upstream_share=round(taken, 4),
            lines=tuple(lines),
            upstream_lines=tuple(upstream_lines),
            change_notice=bool(facts.change_notes),
        )
        return pair, min(local, taken) < 1.0
    return None


def identical_matches(
    identical: Sequence[tuple[str, str, int]], index: UpstreamIndex, by_digest: Mapping[str, Mapping[str, list[str]]]
) -> dict[str, list[Match]]:
    """Matches for the fork's code files that are an upstream file byte for byte, read from the index
    (what the upstream file and project say of themselves) instead of fingerprinting them again."""
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


def pair_models(fork: Side, upstreams: Sequence[Side]) -> list[ModelPair]:
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
        best: tuple[int, ModelPair] | None = None
        for upstream, candidate in theirs:
            try:
                comparison = compare_models(upstream.root / candidate.path, fork.root / folder.path)
            except ModelReadError:
                continue
            score = int(comparison.related()) * 10 + sum(
                1 for part in (comparison.config, comparison.tokenizer, comparison.weights) if part is not None
            )
            pair = ModelPair(folder.path or ".", upstream.name, candidate.path or ".", comparison)
            if best is None or score > best[0]:
                best = (score, pair)
        if best is not None:
            found.append(best[1])
    return found
