"""Project-level license checks: a license exists, agrees with itself, and fits each file's notice."""

from __future__ import annotations

import re
from collections.abc import Iterator

from lintml import repository
from lintml.checks import Report, check
from lintml.derivation import HEADER, NO_LICENSE, holder_key
from lintml.facts.extract import ROOT_LICENSE_REFERENCE, STATING_KINDS, Notice
from lintml.findings import EvidenceGrade
from lintml.licenses import compatible, expression_ids
from lintml.project import DeclaredLicense, Project


def _line(item: repository.RepoFile, line: int) -> int | None:
    return line if line > 0 and item.kind != repository.NOTEBOOK else None


@check("license_missing")
def license_missing(project: Project) -> Iterator[Report]:
    if not project.code_files or project.root_license_files:
        return
    yield Report(
        path=project.anchor_path(),
        params={"count": len(project.code_files), "example": project.code_files[0].path},
        license=project.project_license,
    )


@check("license_mismatch")
def license_mismatch(project: Project) -> Iterator[Report]:
    known = [item for item in project.declared_licenses if item.expression]
    if len(known) < 2:
        return
    reference = known[0]
    for declared in known[1:]:
        # A bare GNU license text fits both "-only" and "-or-later": it does not choose, a notice does.
        open_versions = reference.open_versions | declared.open_versions
        if project.knowledge.same_licenses(declared.expression or "", reference.expression or "", open_versions):
            continue
        yield Report(
            path=declared.path,
            line=declared.line,
            params={
                "declared": declared.expression,
                "raw": declared.raw,
                "reference": _as_declared(reference),
                "reference_note": (
                    f" (a bare {', '.join(sorted(reference.open_versions))} text, which fits either)"
                    if reference.open_versions
                    else ""
                ),
                "reference_path": reference.path,
            },
            license=declared.expression,
        )


def _as_declared(declared: DeclaredLicense) -> str:
    """The declaration's expression, a bare GNU text's license written as both ids it fits."""
    expression = declared.expression or ""
    several = len(expression_ids(expression)) > 1
    for base in sorted(declared.open_versions):
        either = f"{base}-only or {base}-or-later"
        expression = re.sub(
            rf"(?<![\w.+-]){re.escape(base)}-only(?![\w.+-])", f"({either})" if several else either, expression
        )
    return expression


@check("license_reference_missing")
def license_reference_missing(project: Project) -> Iterator[Report]:
    """Files whose notice points at "the LICENSE file in the root directory" of a tree that has none."""
    if project.root_license_files:
        return
    for item in project.checked_files(*repository.CODE_KINDS):
        notice = next(
            (notice for notice in project.facts_of(item.path).notices if notice.expression == ROOT_LICENSE_REFERENCE),
            None,
        )
        if notice is not None:
            yield Report(
                path=item.path,
                line=_line(item, notice.start_line),
                end_line=_line(item, notice.end_line),
            )


def _stated_notices(project: Project, item: repository.RepoFile) -> Iterator[Notice]:
    seen: set[str] = set()
    for notice in project.facts_of(item.path).notices:
        if notice.kind not in STATING_KINDS:
            continue
        expression = project.knowledge.normalize_expression(notice.expression) or notice.expression
        if expression in seen:
            continue
        seen.add(expression)
        yield Notice(expression, notice.start_line, notice.end_line, notice.kind, notice.source)


@check("license_conflict", uses_provenance=True)
def license_conflict(project: Project) -> Iterator[Report]:
    outbound = project.project_license
    for item in project.checked_files(*repository.CODE_KINDS):
        stated = set()
        for notice in _stated_notices(project, item):
            stated.add(notice.expression)
            if outbound is not None and compatible(project.knowledge, outbound, notice.expression) is False:
                holder = next((line.statement for line in project.facts_of(item.path).copyrights), "")
                yield Report(
                    path=item.path,
                    line=_line(item, notice.start_line),
                    end_line=_line(item, notice.end_line),
                    params=_conflict(project, outbound, notice.expression),
                    license=notice.expression,
                    cause=(notice.expression, holder_key(holder) if holder else ""),
                    grade=_stale_reference(project, item.path, notice, outbound),
                )
        # Code traced to an upstream is under the upstream's license, whatever its header says now.
        for derivation in project.derived.get(item.path, ()):
            if (
                derivation.how == HEADER
                or derivation.by_owner
                or not derivation.license
                or derivation.license in stated
            ):
                continue
            if derivation.license == NO_LICENSE:
                params = {
                    "file_license": "no license",
                    "source": f" (its code came from {derivation.where}, which grants none)",
                    "family": "",
                    "reason": "gives no one the right to copy it, into this project or any other",
                    "remedy": f"remove the code from {derivation.label}, or get its authors' permission to use it",
                }
            elif outbound is None or compatible(project.knowledge, outbound, derivation.license) is not False:
                continue
            elif derivation.match is not None and any(
                compatible(project.knowledge, outbound, later) is not False for _, later in derivation.match.relicensed
            ):
                continue  # the upstream has since offered the same code under a license that fits
            else:
                params = _conflict(project, outbound, derivation.license)
                params["source"] = f" (its code came from {derivation.where})"
            first, last = derivation.span
            yield Report(
                path=item.path,
                line=_line(item, first),
                end_line=_line(item, last),
                params=params,
                license=derivation.license,
                upstream=derivation.as_upstream(),
                grade=derivation.grade,
                cause=(derivation.license, derivation.label, derivation.grade.level),
                evidence=(
                    ("renamed_identifiers", ", ".join(f"{old} -> {new}" for old, new, _ in derivation.match.renames))
                    if derivation.match
                    else ("declared_vendored", derivation.upstream),
                ),
            )


def _stale_reference(project: Project, path: str, notice: Notice, outbound: str) -> EvidenceGrade | None:
    """A notice that points at "the X license found in the LICENSE file" of the project the code came from,
    when that project's LICENSE file now grants a license that fits (facebookresearch/convit's headers still
    say CC-by-NC; its LICENSE became Apache-2.0): the name in the notice is stale, the file it points at
    decides. The conflict is then a warning (moderate), saying so; None when nothing shows it."""
    if notice.kind != "reference" or not _points_at_license_file(project, path, notice):
        return None
    knowledge = project.knowledge
    for match in project.provenance.get(path, ()):
        if (
            notice.expression in {knowledge.normalize_expression(item) or item for item in match.upstream_notices}
            and match.license
            and match.license != notice.expression
            and compatible(project.knowledge, outbound, match.license) is not False
        ):
            return EvidenceGrade(
                "moderate",
                f"the notice names {notice.expression} but points at the LICENSE file of the project this code"
                f" came from, and that file in {match.label} ({match.upstream_path} carries the same notice)"
                f" grants {match.license}",
            )
    return None


_LICENSE_FILE = re.compile(r"(?i)licen[cs]e\s+file|root\s+directory")


def _points_at_license_file(project: Project, path: str, notice: Notice) -> bool:
    """Whether the notice's lines (and the line after, where such notices go on) point at a license file."""
    lines = (project.text_of(path) or "").splitlines()[max(notice.start_line - 1, 0) : notice.end_line + 1]
    return bool(_LICENSE_FILE.search(" ".join(lines)))


def _conflict(project: Project, outbound: str, inbound: str) -> dict[str, str]:
    family = project.knowledge.family(expression_ids(inbound)[0]) or "unknown"
    return {
        "file_license": inbound,
        "source": "",
        "family": f" ({family})",
        "reason": (
            f"cannot be combined into a project distributed under {outbound}"
            f" (declared in {project.project_license_origin})"
        ),
        "remedy": (
            f"remove or replace the {inbound} code, obtain it under a compatible license, or relicense the"
            f" project under terms that can include {inbound}"
        ),
    }


@check("license_text", uses_provenance=True)
def license_text(project: Project) -> Iterator[Report]:
    shipped = project.shipped_texts
    for item in project.checked_files(*repository.CODE_KINDS):
        facts = project.facts_of(item.path)
        in_file = {
            spdx
            for notice in facts.notices
            if notice.kind == "text"
            for spdx in expression_ids(project.knowledge.normalize_expression(notice.expression) or notice.expression)
        }
        holder = next((line.statement for line in facts.copyrights), None)
        reported: set[str] = set()
        for notice in _stated_notices(project, item):
            for spdx in expression_ids(notice.expression):
                requirement = project.knowledge.copy_of_license.get(spdx)
                if requirement is None or spdx in shipped or spdx in in_file or spdx in reported:
                    continue  # no copy required (CC0, Unlicense, ...), or it is there
                reported.add(spdx)
                yield Report(
                    path=item.path,
                    line=_line(item, notice.start_line),
                    end_line=_line(item, notice.end_line),
                    params={
                        "spdx": spdx,
                        "name": project.knowledge.name(spdx),
                        "copyright": f" ({holder})" if holder else "",
                        "requirement": requirement,
                    },
                    license=spdx,
                    cause=(spdx, "strong"),  # the file states it: as strong as evidence gets
                )
        # Code that came from an upstream carries the upstream's license, header or not (derived code).
        for derivation in project.derived.get(item.path, ()):
            if derivation.how == HEADER or derivation.by_owner or derivation.license in (None, NO_LICENSE):
                continue  # an owner may relicense its own code
            for spdx in expression_ids(derivation.license or ""):
                requirement = project.knowledge.copy_of_license.get(spdx)
                if requirement is None or spdx in shipped or spdx in in_file or spdx in reported:
                    continue
                reported.add(spdx)
                first, last = derivation.span
                yield Report(
                    path=item.path,
                    line=_line(item, first),
                    end_line=_line(item, last),
                    params={
                        "spdx": spdx,
                        "name": project.knowledge.name(spdx),
                        "copyright": f" (its code came from {derivation.where})",
                        "requirement": requirement,
                    },
                    license=spdx,
                    upstream=derivation.as_upstream(),
                    grade=derivation.grade,
                    cause=(spdx, derivation.grade.level),
                )
