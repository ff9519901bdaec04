"""Apache-2.0 obligations on code that came from an Apache-2.0 upstream (§4 of the license).

§4(d): when the upstream ships a NOTICE file, a derivative work carries the attribution
notices it holds, in a NOTICE file of its own (or a third-party notices file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lintml import repository
from lintml.checks import Report, check
from lintml.derivation import plain, strongest
from lintml.facts.extract import is_notice_file
from lintml.findings import EvidenceGrade
from lintml.licenses import expression_ids
from lintml.project import Project
from lintml.provenance.match import Match

NOTICE_NAME = "NOTICE"
_SEPARATOR = re.compile(r"^[\W_]+$")  # ====, ----, ***: layout, not attribution


@dataclass
class _Owed:
    """One upstream's NOTICE, and the local files that came from it."""

    match: Match
    paths: list[str] = field(default_factory=list)
    grades: list[EvidenceGrade] = field(default_factory=list)


def attribution_lines(notice: str) -> list[str]:
    """The lines of a NOTICE text that carry something: its separators and blank lines aside."""
    return [line.strip() for line in notice.splitlines() if line.strip() and not _SEPARATOR.match(line.strip())]


@check("notice_file", uses_provenance=True)
def notice_file(project: Project) -> Iterator[Report]:
    owed: dict[str, _Owed] = {}
    for item in project.checked_files(*repository.CODE_KINDS):
        for derivation in project.derived.get(item.path, ()):
            match = derivation.match
            if derivation.by_owner or match is None or not match.notice:
                continue
            if match.license and "Apache-2.0" in expression_ids(match.license):
                owing = owed.setdefault(match.project, _Owed(match))
                owing.paths.append(item.path)
                owing.grades.append(derivation.grade)
    if not owed:
        return
    notice_files = [item for item in project.license_files if is_notice_file(item.path)]
    carried = plain("\n".join(project.facts_of(item.path).text or "" for item in notice_files))
    top_level = [item.path for item in notice_files if "/" not in item.path]
    where = top_level[0] if top_level else NOTICE_NAME
    for name in sorted(owed):
        match, paths = owed[name].match, owed[name].paths
        missing = [line for line in attribution_lines(match.notice or "") if plain(line) not in carried]
        if not missing:
            continue
        upstream = match.label
        yield Report(
            path=where,
            params={
                "upstream": upstream,
                "files": _count(paths),
                "first": paths[0],
                "carried": "the NOTICE file here lacks" if notice_files else "this repository has no NOTICE file with",
                "missing": missing[0],
                "more": f" (and {len(missing) - 1} more lines)" if len(missing) > 1 else "",
            },
            license="Apache-2.0",
            upstream=match.as_upstream(),
            grade=strongest(owed[name].grades),
            evidence=(("derived_files", ", ".join(paths)), ("missing_lines", str(len(missing)))),
        )


def _count(paths: list[str]) -> str:
    return "1 file" if len(paths) == 1 else f"{len(paths)} files"
