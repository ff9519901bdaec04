"""Provenance: say which upstream each copied file came from, with the evidence (an ``info`` finding).

Not a violation by itself: the obligation rules build on it. Reporting it lets a
maintainer see, file by file, what lintml believes was copied, from which release,
how much, and under which new names.
"""

from __future__ import annotations

from collections.abc import Iterator

from lintml import repository
from lintml.checks import Report, check
from lintml.derivation import exemption, graded
from lintml.findings import Upstream
from lintml.project import Project
from lintml.provenance.match import Match

RENAMES_IN_MESSAGE = 4


@check("provenance", uses_provenance=True)
def provenance(project: Project) -> Iterator[Report]:
    for item in project.checked_files(*repository.CODE_KINDS):
        matches = project.provenance.get(item.path, ())
        for match in matches:
            exempted = exemption(project, item.path, match)
            if exempted is not None and exempted.from_here:
                continue  # the upstream took this code from here: it is not where the file came from
            exempt = exempted.reason if exempted is not None else None
            notebook = item.kind == repository.NOTEBOOK  # lines of the joined code cells, not of the JSON
            yield Report(
                path=item.path,
                line=None if notebook or not match.lines else match.span[0],
                end_line=None if notebook or not match.lines else match.span[1],
                params={
                    "upstream": match.label,
                    "where": match.upstream_path,
                    "license": match.license or "an unknown license",
                    "detail": (
                        f"{_percent(match.local_share)} of this file is upstream code and"
                        f" {_percent(match.upstream_share)} of the upstream file was taken; {_how(match)}"
                        + (f"; also in {', '.join(match.carriers)}, which carry it" if match.carriers else "")
                        + "".join(f"; {label} holds it too, under {license}" for label, license in match.relicensed)
                        + (f"; no obligations follow: {exempt}" if exempt else "")
                    ),
                },
                license=match.license,
                upstream=match.as_upstream(),
                grade=graded(project, item.path, match),
                evidence=_evidence(match) + ((("not_derived", exempt),) if exempt else ()),
                has_fix=exempt is None,
            )
        folder = project.vendored_folder(item.path)
        if folder is not None and not matches:
            yield Report(
                path=item.path,
                params={
                    "upstream": f"{folder.upstream} {folder.version}" if folder.version else folder.upstream,
                    "where": f"the vendored folder {folder.folder}/",
                    "license": folder.license or "a license the configuration does not give",
                    "detail": "declared in the lintml configuration (no fingerprint match was needed)",
                },
                license=folder.license,
                upstream=Upstream(folder.upstream, folder.version, folder.url, None, folder.license),
                evidence=(("declared_vendored", folder.folder),),
            )


def _percent(share: float) -> str:
    value = share * 100
    return f"{value:.0f}%" if value >= 1 or value == 0 else "<1%"


def _how(match: Match) -> str:
    if match.verbatim:
        return "copied verbatim (layout aside)"
    if not match.renames:
        return "modified"
    shown = ", ".join(f"{old} -> {new}" for old, new, _ in match.renames[:RENAMES_IN_MESSAGE])
    more = len(match.renames) - RENAMES_IN_MESSAGE
    suffix = f" and {more} more" if more > 0 else ""
    return f"modified, with identifiers renamed ({shown}{suffix})"


def _evidence(match: Match) -> tuple[tuple[str, str], ...]:
    return (
        ("evidence_tokens", str(match.evidence_tokens)),
        ("shared_spans", str(match.spans)),
        ("longest_span", str(match.longest_span)),
        ("shared_fingerprints", str(match.shared_fingerprints)),
        ("copied_lines", ", ".join(f"{first}-{last}" for first, last in match.lines)),
        ("upstream_lines", ", ".join(f"{first}-{last}" for first, last in match.upstream_lines)),
        ("renamed_identifiers", str(len(match.renames))),
    )
