"""Match a local file against upstream indexes: candidates by fingerprint, verified by alignment.

The fingerprints of the local file are looked up in every index; upstream files that
share enough of them are aligned token by token; an alignment with enough evidence is a
:class:`Match`. Several upstream files may match one local file (a file assembled from
parts of several); a further match is reported only when it explains code the better
ones did not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from functools import cached_property, cmp_to_key
from itertools import compress
from operator import itemgetter, not_
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from lintml.facts.declared import canonical_package_name
from lintml.findings import Upstream
from lintml.provenance.align import (
    MIN_EVIDENCE,
    Alignment,
    align,
    is_verbatim,
    line_ranges,
    same_texts,
)
from lintml.provenance.index import UpstreamFile, UpstreamIndex, UpstreamProject, indexable
from lintml.provenance.normalize import TokenStream
from lintml.provenance.renames import differing_names, rename_map
from lintml.provenance.winnow import kgram_hashes, winnow

# Bump when matching changes what it reports, so cached matches from before are not reused.
MATCH_VERSION = "24"
MIN_SHARED_FINGERPRINTS = 3  # three spans of 20 tokens, the least evidence that can match, share at least three
TEXT_WEIGHT = 2  # in ranking verified matches, an agreeing name or literal counts as this many tokens
CANDIDATES = 8  # upstream files aligned per local file, most shared fingerprints first
MAX_MATCHES = 4
NEAR_WHOLE = 0.98  # an alignment covering this much of both files ends the search
SIBLING_SHARE = 0.95  # another file of the upstream aligning this well is as likely the source
# Another project's file that aligns this well with the same local code holds the same code: the two
# are an origin and a carrier (diffusers and transformers carry OpenAI's CLIP), told apart by date.
SAME_CODE = 0.9
# A later version of the upstream whose file still aligns this well with the copy (a few functions changed since)
# offers the copied code under that version's license.
RELICENSED_CODE = 0.8
# After a whole or verbatim match, only other projects' files sharing this share of its fingerprints
# are aligned: they may hold the same code, and the oldest of them is its origin.
CARRIER_FINGERPRINTS = 0.6
# A version of the matched upstream with no file sharing this share of the match's fingerprints did not
# hold the code: the evidence that the upstream took it up later (see Match.absent_in).
ABSENT_FINGERPRINTS = 0.2
# A catalogued release of the checked project itself whose file shares this share of a match's
# fingerprints held that code: the date it did so is set against the upstream's (see Match.held_here).
HELD_HERE_FINGERPRINTS = 0.8


@dataclass(frozen=True)
class Match:
    """One local file's code found in one upstream file."""

    project: str
    version: str | None
    url: str | None
    license: str | None
    upstream_path: str
    local_share: float  # how much of the local file is upstream code
    upstream_share: float  # how much of the upstream file was taken
    lines: tuple[tuple[int, int], ...]  # local line ranges that were copied
    upstream_lines: tuple[tuple[int, int], ...]
    verbatim: bool
    renames: tuple[tuple[str, str, int], ...]  # upstream name, local name, occurrences
    evidence_tokens: int
    spans: int
    longest_span: int
    shared_fingerprints: int
    same_texts: int = 0  # aligned names and literals spelled the same on both sides
    upstream_notices: tuple[str, ...] = ()  # license statements of the upstream file's header
    upstream_copyrights: tuple[str, ...] = ()  # copyright (then trademark, patent) lines of the upstream header
    notice: str | None = None  # the text of the upstream project's NOTICE file
    project_copyrights: tuple[str, ...] = ()  # the upstream project's copyright lines, most frequent first
    # The copyright lines of the license file nearest above the upstream file (its folder's, else a parent's):
    # what a copy keeps when the upstream file has no header of its own (see checks.obligations).
    covering_copyrights: tuple[str, ...] = ()
    root_copyrights: tuple[str, ...] = ()  # the copyright lines of the upstream's top license file: its own word
    upstream_credits: tuple[str, ...] = ()  # what the upstream file says about where its own code came from
    upstream_folder_credits: tuple[str, ...] = ()  # what the other files in its folder say of theirs
    upstream_imports: tuple[str, ...] = ()  # the top-level modules the upstream file imports
    # What the upstream's README and manifests say of it: the repositories it credits, who develops it.
    upstream_acknowledged: tuple[str, ...] = ()
    upstream_people: tuple[str, ...] = ()
    sibling_copyrights: tuple[tuple[str, ...], ...] = ()  # copyright lines of near-identical upstream files
    # Later versions of the same upstream holding the same code under another license (the upstream relicensed
    # it: DINOv2 went from CC-BY-NC-4.0 to Apache-2.0): (label, license), oldest first.
    relicensed: tuple[tuple[str, str], ...] = ()
    # The copyright lines of the license file covering the upstream file in each later version of the upstream
    # (ggml's "Georgi Gerganov" became "The ggml authors"): a headerless copy keeping those keeps its notice.
    later_covering: tuple[tuple[str, ...], ...] = ()
    requires_you: bool = False  # the upstream depends on the checked project, which does not depend on it
    released: str | None = None  # when the upstream version was published (ISO 8601), if known
    carriers: tuple[str, ...] = ()  # other upstreams holding the same code, oldest first ("diffusers 0.31.0")
    # The date of the newest catalogued version of the upstream, older than every version that holds the
    # code, that holds none of it: the upstream took the code up after that date. None without such a version.
    absent_in: str | None = None
    # When the checked project is itself catalogued: the date of its oldest release that already held the
    # code (a file sharing most of the match's fingerprints). Set beside absent_in, it tells the direction.
    held_here: str | None = None

    @property
    def label(self) -> str:
        """The upstream as people name it: ``transformers 4.46.3``."""
        return f"{self.project} {self.version}" if self.version else self.project

    @property
    def span(self) -> tuple[int, int]:
        """The first and last local line copied; (0, 0) when no lines are known."""
        return (self.lines[0][0], self.lines[-1][1]) if self.lines else (0, 0)

    def as_upstream(self) -> Upstream:
        """The upstream as a finding carries it: release, file, license, shares, lines and renames."""
        return Upstream(
            name=self.project,
            version=self.version,
            url=self.url,
            path=self.upstream_path,
            license=self.license,
            similarity=self.local_share,
            verbatim=self.verbatim,
            renames=tuple((old, new) for old, new, _ in self.renames),
            taken=self.upstream_share,
            lines=self.lines,
            upstream_lines=self.upstream_lines,
            released=self.released,
            carriers=self.carriers,
        )

    def as_dict(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Match:
        values = dict(data)
        for name in ("lines", "upstream_lines", "renames"):
            values[name] = tuple(tuple(item) for item in values[name])
        values["sibling_copyrights"] = tuple(tuple(item) for item in values.get("sibling_copyrights", ()))
        values["relicensed"] = tuple((str(label), str(license)) for label, license in values.get("relicensed", ()))
        values["later_covering"] = tuple(tuple(item) for item in values.get("later_covering", ()))
        for name in (
            "upstream_notices",
            "upstream_copyrights",
            "project_copyrights",
            "covering_copyrights",
            "root_copyrights",
            "upstream_credits",
            "upstream_folder_credits",
            "upstream_imports",
            "upstream_acknowledged",
            "upstream_people",
            "carriers",
        ):
            values[name] = tuple(values.get(name, ()))
        return cls(**values)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


class Matcher:
    """Matches token streams against a set of open indexes."""

    def __init__(
        self, indexes: Sequence[UpstreamIndex], *, exclude: Collection[str] = (), requires: Collection[str] = ()
    ) -> None:
        """``exclude``: upstream projects not to match (the checked project itself, when it is in an index);
        ``requires``: the projects the checked project depends on."""
        self.indexes = list(indexes)
        self.exclude = frozenset(canonical_package_name(name) for name in exclude)
        self.requires = frozenset(canonical_package_name(name) for name in requires)

    # Read on the first match, not here: a warm check takes every match from the cache and needs neither.
    @cached_property
    def common(self) -> frozenset[int]:
        return frozenset().union(*(index.common for index in self.indexes))

    @cached_property
    def _excluded_projects(self) -> list[frozenset[int]]:
        return [index.project_ids_of(self.exclude) for index in self.indexes]

    @cached_property
    def _excluded_runs(self) -> list[list[tuple[int, int]] | None]:
        """Per index, the runs of file ids of the checked project's own releases; None where an index does not
        keep a project's files in one run (they are then told apart by their owners, file by file)."""
        return [
            index.file_ranges(projects) if projects else []
            for index, projects in zip(self.indexes, self._excluded_projects, strict=True)
        ]

    def _own_values(self, values: set[int]) -> dict[tuple[int, int], set[int]]:
        """(index number, file id) -> which of ``values`` each file of the checked project's own releases holds."""
        postings_of: list[list[tuple[int, int, int]]] = []
        for number, index in enumerate(self.indexes):
            runs = self._excluded_runs[number]
            if runs:
                postings_of.append(index.lookup(sorted(values), within=runs))
            elif runs is None:
                postings_of.append(self._split_own(number, index.lookup(sorted(values)))[1])
            else:
                postings_of.append([])
        return _values_by_file(postings_of)

    def _split_own(
        self, number: int, postings: list[tuple[int, int, int]]
    ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """The postings of other projects' files, and those of the checked project's own releases (told apart
        by each file's owner, for an index that does not keep a project's files in one run)."""
        projects = self._excluded_projects[number]
        if not projects:
            return postings, []
        owners = self.indexes[number].owners(set(map(itemgetter(1), postings)))
        own = [owners.get(file_id) in projects for file_id in map(itemgetter(1), postings)]
        return list(compress(postings, map(not_, own))), list(compress(postings, own))

    @property
    def identity(self) -> str:
        excluded = ",".join(sorted(self.exclude))
        required = ",".join(sorted(self.requires))
        return (
            "+".join(index.identity for index in self.indexes)
            + (f"-{excluded}" if excluded else "")
            + (f"~{required}" if required else "")
        )

    def _absent_in(self, number: int, name: str, counts: Counter[tuple[int, int]], shared: int) -> str | None:
        """The newest dated version of upstream ``name`` older than every version that may hold the code
        (any of its files sharing a fifth of the match's fingerprints), when that version holds none of it."""
        index = self.indexes[number]
        versions = [project for project in index.versions_of(name) if project.released]
        if len(versions) < 2:
            return None
        sharing = [
            file_id
            for (other, file_id), count in counts.items()
            if other == number and count >= ABSENT_FINGERPRINTS * shared
        ]
        holding = [since or "" for project, since in index.holders(sharing).values() if project.name == name]
        if not holding:
            return None
        first = min(holding)
        earlier = [project.released for project in versions if project.released and project.released < first]
        return max(earlier) if earlier else None

    def _held_here(self, own: dict[tuple[int, int], set[int]], shared: set[int]) -> str | None:
        """The oldest date a catalogued release of the checked project held the code whose fingerprints
        are ``shared`` (one of its files has most of them); None when none did."""
        if not shared:
            return None
        holding: dict[int, list[int]] = {}  # index number -> its files that hold most of the code
        for (number, file_id), values in own.items():
            if len(values & shared) >= HELD_HERE_FINGERPRINTS * len(shared):
                holding.setdefault(number, []).append(file_id)
        dates = [
            since
            for number, file_ids in holding.items()
            for _, since in self.indexes[number].holders(file_ids).values()
            if since
        ]
        return min(dates) if dates else None

    def match(self, path: str, stream: TokenStream) -> list[Match]:
        if not self.indexes or not indexable(path, stream):
            return []
        hashes = kgram_hashes(stream.code_array)
        local_prints = [(value, position) for value, position in winnow(hashes) if value not in self.common]
        if not local_prints:
            return []
        wanted = [value for value, _ in local_prints]
        local_positions: dict[int, list[int]] = {}
        for value, position in local_prints:
            local_positions.setdefault(value, []).append(position)
        # A fingerprint found in few upstream files says more than one found in many: weigh by rarity.
        scores: dict[tuple[int, int], float] = {}
        counts: Counter[tuple[int, int]] = Counter()
        postings_of: list[list[tuple[int, int, int]]] = []
        for number, index in enumerate(self.indexes):
            runs = self._excluded_runs[number]
            if runs is not None:  # the checked project's own files are left out by SQLite (most postings, for it)
                postings = index.lookup(wanted, outside=runs)
            else:
                postings = self._split_own(number, index.lookup(wanted))[0]
            postings_of.append(postings)
            # Hundreds of thousands of postings for a file of a much copied upstream: counted at C speed.
            held = set(zip(map(itemgetter(1), postings), map(itemgetter(0), postings), strict=True))  # (file, value)
            files_holding = Counter(map(itemgetter(1), held))
            rarity_of = map(files_holding.__getitem__, map(itemgetter(1), held))
            by_rarity = Counter(zip(map(itemgetter(0), held), rarity_of, strict=True))  # (file, files) -> values
            for (file_id, files), shared in by_rarity.items():
                scores[(number, file_id)] = scores.get((number, file_id), 0.0) + shared / files
            for file_id, shared in Counter(map(itemgetter(0), held)).items():
                counts[(number, file_id)] = shared
        ranked = sorted(
            (key for key, count in counts.items() if count >= MIN_SHARED_FINGERPRINTS),
            key=lambda key: (-scores[key], key),
        )[:CANDIDATES]
        # Aligned tokens seed the alignment of the candidates only: (local position, upstream position).
        seeds: dict[tuple[int, int], list[tuple[int, int]]] = {key: [] for key in ranked}
        for number, postings in enumerate(postings_of):
            chosen = {file_id for other, file_id in ranked if other == number}
            for value, file_id, upstream_position in compress(
                postings, map(chosen.__contains__, map(itemgetter(1), postings))
            ):
                pairs = seeds[(number, file_id)]
                pairs.extend((position, upstream_position) for position in local_positions[value])
        verified: list[tuple[Match, Alignment]] = []
        made: dict[int, _Verified] = {}  # id() of a verified match -> where it came from and how it aligned
        differing: dict[int, tuple[tuple[str, str, int], ...]] = {}  # id() of a verified match -> names it changed
        aligned_content: dict[str, tuple[Alignment, bool]] = {}  # upstream file sha256 -> (alignment, verbatim)

        # Which match explains the file best is decided by every aligned name that differs, however it came
        # to differ; only the renames reported are the ones the copy is known to have made (rename_map).
        def names_changed(match: Match) -> tuple[tuple[str, str, int], ...]:
            if id(match) not in differing:
                found = made[id(match)]
                differing[id(match)] = differing_names(stream, found.upstream_stream, found.alignment.tiles)
            return differing[id(match)]

        settled: Match | None = None  # a whole or verbatim match: only other projects' copies of it are sought
        for number, file_id in ranked:
            if settled is not None and counts[(number, file_id)] < CARRIER_FINGERPRINTS * settled.shared_fingerprints:
                continue
            project, upstream = self.indexes[number].file(file_id)
            if settled is not None and project.name == settled.project:
                continue
            # A file vendored whole by several projects (or kept by several versions) aligns the same each time.
            if upstream.sha256 not in aligned_content:
                alignment = align(
                    stream, upstream.stream, common=self.common, local_kgrams=hashes, seeds=seeds[(number, file_id)]
                )
                aligned_content[upstream.sha256] = (alignment, is_verbatim(stream, upstream.stream, alignment))
            alignment, verbatim = aligned_content[upstream.sha256]
            # A whole file copied as it is (a table of numbers, say) is a copy even when its
            # repetitive shape weighs little as evidence.
            if not alignment.is_match and not verbatim:
                continue
            match = _match(stream, alignment, verbatim, counts[(number, file_id)], project, upstream)
            if self.exclude & set(project.requires) and canonical_package_name(project.name) not in self.requires:
                match = replace(match, requires_you=True)
            verified.append((match, alignment))
            made[id(match)] = _Verified(number, file_id, alignment, upstream.stream)
            whole = alignment.local_share >= NEAR_WHOLE and alignment.upstream_share >= NEAR_WHOLE
            if settled is None and (verbatim or (whole and not names_changed(match))):
                settled = match  # nothing explains this file better, but another project may hold it too

        def ranking(first: tuple[Match, Alignment], second: tuple[Match, Alignment]) -> int:
            """Near-identical upstream files (one upstream's code copied around inside it) align equally well;
            the names and literals the copy kept tell which of them it came from. Changed names are counted
            only to break a tie: most verified matches never need them."""
            one, other = first[0], second[0]
            keys: tuple[Callable[[Match], Any], ...] = (
                lambda match: -(match.evidence_tokens + TEXT_WEIGHT * match.same_texts),
                lambda match: not match.verbatim,
                lambda match: len(names_changed(match)),
                lambda match: (-match.upstream_share, match.project, match.upstream_path),
            )
            for key in keys:
                left, right = key(one), key(other)
                if left != right:
                    return -1 if left < right else 1
            return 0

        verified.sort(key=cmp_to_key(ranking))
        matches: list[Match] = []
        explained: set[int] = set()
        grouped: set[int] = set()
        coverage = [_covered(alignment) for _, alignment in verified]
        for number, (match, _) in enumerate(verified):
            if number in grouped:
                continue
            new = coverage[number] - explained
            if matches and len(new) < MIN_EVIDENCE:
                continue
            explained |= new
            holders, partial = _holders_of_same_code(verified, coverage, number, grouped)
            carriers: tuple[str, ...] = ()
            if holders:
                match, carriers = _origin_and_carriers([match, *holders])
            carriers += tuple(f"{other.label} (part of it)" for other in partial if other.project != match.project)
            # Only a reported match is dated against its upstream's other versions: it needs the counts of
            # every candidate, so it is not worth doing for the candidates that lose.
            number_of, file_of, alignment, upstream_stream = made[id(match)]
            absent_in = self._absent_in(number_of, match.project, counts, match.shared_fingerprints)
            held_here = None
            if absent_in is not None and any(self._excluded_projects):  # rare: this project is catalogued
                value_at = {position: value for value, position in local_prints}
                shared = {value_at[position] for position, _ in seeds[(number_of, file_of)]}
                held_here = self._held_here(self._own_values(shared), shared)
            beside = self.indexes[number_of].file(file_of)[1].credited_beside
            folder_credits = self.indexes[number_of].credits_of(beside) if beside else ()
            # Files of the same project that align almost as well are as likely the source: their
            # notices count as kept as much as the chosen file's.
            siblings = tuple(
                other.upstream_copyrights
                for other, _ in verified
                if (other.version, other.upstream_path) != (match.version, match.upstream_path)
                and other.project == match.project
                and other.evidence_tokens >= SIBLING_SHARE * match.evidence_tokens
            )
            # Line ranges only for a reported match: most verified ones lose, and reading lines costs.
            matches.append(
                replace(
                    match,
                    lines=line_ranges(stream, alignment.tiles),
                    upstream_lines=line_ranges(upstream_stream, alignment.tiles, upstream=True),
                    renames=rename_map(stream, upstream_stream, alignment.tiles),
                    upstream_folder_credits=folder_credits,
                    carriers=carriers,
                    absent_in=absent_in,
                    held_here=held_here,
                    sibling_copyrights=siblings,
                    relicensed=_relicensed(match, [other for other, _ in verified])
                    or self._relicensed_in_place(number_of, match, counts),
                    later_covering=_later_covering(self.indexes[number_of].versions_of(match.project), match),
                )
            )
            if len(matches) == MAX_MATCHES:
                break
        return matches

    def _relicensed_in_place(
        self, number: int, match: Match, counts: Counter[tuple[int, int]]
    ) -> tuple[tuple[str, str], ...]:
        """(label, license) of the later versions of ``match``'s upstream, under another license, whose file at
        the matched path still holds the code (a fifth of the match's fingerprints, as for
        :meth:`_absent_in`), reworked beyond what the candidates aligned (DINOv2's block.py)."""
        if not match.released:
            return ()
        index = self.indexes[number]
        sharing = [
            file_id
            for (other, file_id), count in counts.items()
            if other == number and count >= ABSENT_FINGERPRINTS * match.shared_fingerprints
        ]
        later_versions = {
            file_id: project
            for file_id, (project, _) in index.holders(sharing).items()
            if project.name == match.project
            and project.license
            and project.license != match.license
            and (project.released or "") > match.released
        }
        paths = index.paths_of(later_versions) if later_versions else {}
        later = {
            (project.released or "", project.label(), project.license)
            for file_id, project in later_versions.items()
            if paths.get(file_id) == match.upstream_path
        }
        return tuple((label, license) for _, label, license in sorted(later))


class _Verified(NamedTuple):
    """Where a verified match came from (index number, file id) and how it aligned."""

    number: int
    file_id: int
    alignment: Alignment
    upstream_stream: TokenStream


def _values_by_file(postings_of: list[list[tuple[int, int, int]]]) -> dict[tuple[int, int], set[int]]:
    """(index number, file id) -> the fingerprint values of the postings of that file."""
    values: dict[tuple[int, int], set[int]] = {}
    for number, postings in enumerate(postings_of):
        for value, file_id, _ in postings:
            values.setdefault((number, file_id), set()).add(value)
    return values


def _covered(alignment: Alignment) -> set[int]:
    return {position for tile in alignment.tiles for position in range(tile.local, tile.local + tile.length)}


def _holders_of_same_code(
    verified: list[tuple[Match, Alignment]], coverage: list[set[int]], leader: int, grouped: set[int]
) -> tuple[list[Match], list[Match]]:
    """The best match of each other project whose file aligns with the same local code about as well as
    the leader's, and the best of each project whose file holds only part of it (its aligned code lies
    within the leader's: diffusers carries OpenAI's attention pool, not the whole ResNet). The first join
    the leader's group (``grouped``) and are not reported on their own; only they can be the origin.
    ``coverage`` holds the local token positions each verified match aligns."""
    best = verified[leader][0]
    covered = coverage[leader]
    holders: dict[str, Match] = {}
    partial: dict[str, Match] = {}
    for number in range(leader + 1, len(verified)):
        other = verified[number][0]
        if number in grouped:
            continue
        inside = len(coverage[number] & covered)
        if other.evidence_tokens >= SAME_CODE * best.evidence_tokens and inside >= SAME_CODE * len(covered):
            grouped.add(number)
            if other.project != best.project:
                holders.setdefault(other.project, other)  # verified is best first: a project's best version
        elif inside >= SAME_CODE * len(coverage[number]) and other.project != best.project:
            partial.setdefault(other.project, other)  # not grouped: it may carry part of another leader's too
    return list(holders.values()), [match for name, match in partial.items() if name not in holders]


def _relicensed(match: Match, candidates: list[Match]) -> tuple[tuple[str, str], ...]:
    """(label, license) of the later versions of ``match``'s upstream that hold the same code under another
    license: a file aligning about as well, or the same file (reworked since), oldest first."""
    if not match.released:
        return ()
    later = {
        (other.released or "", other.label, other.license)
        for other in candidates
        if other.project == match.project
        and other.license
        and other.license != match.license
        and (other.released or "") > match.released
        and (
            other.evidence_tokens >= RELICENSED_CODE * match.evidence_tokens
            or other.upstream_path == match.upstream_path  # the same file, reworked since
        )
    }
    return tuple((label, license) for _, label, license in sorted(later))


def _origin_and_carriers(holders: list[Match]) -> tuple[Match, tuple[str, ...]]:
    """Of matches holding the same code, the origin, and the others' labels as its carriers.

    The origin is the oldest version that does not itself say its code came from elsewhere; a project
    whose file credits another is a carrier whatever its date. Undated upstreams (added by hand without
    a date) come after dated ones; ties keep the best alignment (``holders`` is best first).
    """

    def order(position: int) -> tuple[bool, str, int]:
        match = holders[position]
        return (bool(match.upstream_credits), match.released or "~", position)

    ranked = sorted(range(len(holders)), key=order)
    return holders[ranked[0]], tuple(holders[position].label for position in ranked[1:])


def _match(
    stream: TokenStream,
    alignment: Alignment,
    verbatim: bool,
    count: int,
    project: UpstreamProject,
    upstream: UpstreamFile,
) -> Match:
    return Match(
        project=project.name,
        version=project.version,
        url=project.url,
        license=project.license,
        upstream_path=upstream.path,
        local_share=round(alignment.local_share, 4),
        upstream_share=round(alignment.upstream_share, 4),
        lines=(),  # filled in for a reported match only (see Matcher.match)
        upstream_lines=(),
        verbatim=verbatim,
        renames=(),  # filled in for a reported match only, as the lines
        evidence_tokens=alignment.evidence,
        spans=alignment.spans,
        longest_span=alignment.longest,
        shared_fingerprints=count,
        same_texts=same_texts(stream, upstream.stream, alignment.tiles),
        upstream_notices=upstream.notices,
        upstream_copyrights=upstream.copyrights,
        notice=project.notice,
        project_copyrights=project.copyrights,
        covering_copyrights=covering_copyrights(project, upstream.path),
        root_copyrights=dict(project.license_copyrights).get("", ()),
        upstream_credits=upstream.credits,
        upstream_imports=upstream.imports,
        upstream_acknowledged=project.acknowledged,
        upstream_people=project.people,
        released=upstream.since or project.released,
    )


def _later_covering(versions: Sequence[UpstreamProject], match: Match) -> tuple[tuple[str, ...], ...]:
    """The covering copyright lines of ``match``'s upstream file in the later versions of its project, where
    they differ from the matched version's (only a headerless file's notice lives there)."""
    if match.upstream_copyrights or not match.released:
        return ()
    later = []
    for version in versions:
        if (version.released or "") > match.released:
            lines = covering_copyrights(version, match.upstream_path)
            if lines and lines != match.covering_copyrights and lines not in later:
                later.append(lines)
    return tuple(later)


def covering_copyrights(project: UpstreamProject, path: str) -> tuple[str, ...]:
    """The copyright lines of the license file nearest above ``path`` in ``project`` (() when none has any)."""
    by_folder = dict(project.license_copyrights)
    for parent in PurePosixPath(path).parents:
        folder = "" if str(parent) == "." else str(parent)
        if folder in by_folder:
            return by_folder[folder]
    return ()
