"""What an upstream's license asks of the files derived from it: change notices, kept notices, credit.

Each check reads :attr:`Project.derived` (see :mod:`lintml.derivation`) and the duties of
``rules/licenses/obligations.yaml``. Code copied by its own copyright holder is skipped
(``by_owner``): these duties protect a third party.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lintml import repository
from lintml.checks import Report, check
from lintml.derivation import (
    HEADER,
    PROVENANCE,
    Derivation,
    has_date,
    holds_all,
    is_copyright,
    mentions,
    names_file,
    origin_names,
    plain,
    repository_address,
    strongest,
)
from lintml.facts.extract import STATING_KINDS, is_notice_file
from lintml.findings import EvidenceGrade
from lintml.licenses import expression_ids
from lintml.project import Project

NOTES_IN_MESSAGE = 2


def _file_line(project: Project, path: str) -> int | None:
    """Line 1, where notices belong; no line for a notebook (its lines are not the JSON's)."""
    return None if repository.classify(path) == repository.NOTEBOOK else 1


def notices_files(project: Project) -> list[tuple[str, str]]:
    """``(path, text)`` of every NOTICE or third-party notices file in the tree."""
    found = []
    for item in project.license_files:
        if is_notice_file(item.path):
            text = project.text_of(item.path)
            if text:
                found.append((item.path, text))
    return found


def entries_naming(text: str, path: str, folder: str | None = None) -> list[tuple[int, str]]:
    """``(line, entry)`` for each line of a notices file that names ``path``, the entry being that line and
    the two after it (where a date, a license or what changed usually follows)."""
    lines = text.splitlines()
    return [(number, " ".join(lines[number - 1 : number + 2])) for number in names_file(text, path, folder)]


def _vendored_root(project: Project, path: str) -> str | None:
    folder = project.vendored_folder(path)
    return folder.folder if folder else None


@check("change_notice", uses_provenance=True)
def change_notice(project: Project) -> Iterator[Report]:
    listed = notices_files(project)
    for path, derivations in sorted(project.derived.items()):
        for derivation in derivations:
            if derivation.by_owner or not derivation.license:
                continue
            duty = project.knowledge.duty_of(project.knowledge.change_notice, derivation.license)
            if duty is None:
                continue
            change = project.modification(derivation)
            if not change.modified:
                continue
            notes = [(f"{path}:{line}" if line else path, words) for line, words in project.facts_of(path).change_notes]
            for notice_path, text in listed:
                for number, entry in entries_naming(text, path, _vendored_root(project, path)):
                    notes.append((f"{notice_path}:{number}", entry))
            if notes and (not duty.needs_date or any(has_date(words) for _, words in notes)):
                break
            if notes:
                state = (
                    f"says it was changed ({', '.join(where for where, _ in notes[:NOTES_IN_MESSAGE])}) "
                    "but gives no date of the change"
                )
            else:
                state = "carries no notice that it was changed"
            yield Report(
                path=path,
                line=_file_line(project, path),
                params={
                    "upstream": derivation.where,
                    "license": derivation.license,
                    "how": change.explanation,
                    "state": state,
                    "duty": duty.duty,
                    "date": " and the date" if duty.needs_date else "",
                },
                license=derivation.license,
                upstream=derivation.as_upstream(),
                grade=derivation.grade,
                evidence=(
                    ("modified_because", change.explanation),
                    ("commits", ", ".join(commit.sha for commit in change.commits)),
                    ("found_by", derivation.how),
                ),
            )
            break


@dataclass
class _Holders:
    """Where copyright lines are kept: the file's own header, license files by folder, notices files."""

    by_folder: dict[str, list[str]] = field(default_factory=dict)  # folder ("" = top) -> copyright lines
    notices: list[tuple[str, str]] = field(default_factory=list)  # (path, text) of notices files


def _holders(project: Project) -> _Holders:
    held = _Holders(notices=notices_files(project))
    for item in project.license_files:
        folder = str(PurePosixPath(item.path).parent)
        lines = [line.statement for line in project.facts_of(item.path).copyrights]
        held.by_folder.setdefault("" if folder == "." else folder, []).extend(lines)
    return held


def _folders_above(path: str) -> list[str]:
    parents = [str(parent) for parent in PurePosixPath(path).parents]
    return ["" if parent == "." else parent for parent in parents]


def _kept(statement: str, local: str, derivation: Derivation, project: Project, held: _Holders) -> bool:
    """Whether a notice of the upstream file is kept; ``local`` is the copy's text, spacing and case folded."""
    path = derivation.path
    if holds_all(statement, [line.statement for line in project.facts_of(path).copyrights]):
        return True
    if plain(statement) in local:
        return True  # kept word for word (trademark and patent notices are only ever found this way)
    for folder in _folders_above(path):
        if holds_all(statement, held.by_folder.get(folder, ())):
            return True
    for _, text in held.notices:
        names_it = names_file(text, path, _vendored_root(project, path)) or mentions(text, [derivation.upstream])
        if names_it and (plain(statement) in plain(text) or _holder_in(statement, text)):
            return True
    return False


def _holder_in(statement: str, text: str) -> bool:
    return holds_all(statement, [line for line in text.splitlines() if is_copyright(line)])


def required_copyrights(project: Project, derivation: Derivation) -> tuple[str, ...]:
    """The copyright lines a copy must keep: the upstream file's own; for licenses whose notice lives in the
    license file (MIT, BSD, ISC ...) and a file without its own, those of the license file that covers it
    upstream (never lines of other files of the upstream)."""
    match = derivation.match
    if match is None:
        return ()
    # This project's own notices need no keeping by it: only lines naming someone else.
    if match.upstream_copyrights:
        return tuple(line for line in match.upstream_copyrights if project.owners.foreign_holders(line))
    ids = expression_ids(derivation.license or "")
    if ids and all(project.knowledge.family(spdx) == "permissive" and spdx != "Apache-2.0" for spdx in ids):
        return tuple(line for line in match.covering_copyrights if project.owners.foreign_holders(line))
    return ()


@dataclass(frozen=True)
class LostNotices:
    """What of an upstream file's notices a copy does not keep."""

    copyrights: tuple[str, ...]  # copyright lines, as the upstream wrote them
    license_notice: bool  # the upstream file stated its license and the copy states none

    def __bool__(self) -> bool:
        return bool(self.copyrights) or self.license_notice


def lost_notices(project: Project, derivation: Derivation, held: _Holders | None = None) -> LostNotices:
    held = held or _holders(project)
    required = required_copyrights(project, derivation)
    local = plain(project.text_of(derivation.path) or "") if required else ""
    missing = tuple(line for line in required if not _kept(line, local, derivation, project, held))
    # An equally likely source file's notices, or the license file's lines as a later version of the upstream
    # words them (its holder renamed), kept, keep the notice.
    alternatives = (*derivation.match.sibling_copyrights, *derivation.match.later_covering) if derivation.match else ()
    if missing and any(
        all(_kept(line, local, derivation, project, held) for line in lines if is_copyright(line))
        for lines in alternatives
        if any(is_copyright(line) for line in lines)
    ):
        missing = ()
    facts = project.facts_of(derivation.path)
    states_license = any(notice.kind in STATING_KINDS for notice in facts.notices)
    stated_upstream = derivation.match.upstream_notices if derivation.match else ()
    lost_license = (
        bool(stated_upstream)
        and not states_license
        and not _text_beside(project, derivation)
        and not _license_noted(project, derivation, held)
    )
    return LostNotices(missing, lost_license)


def _license_noted(project: Project, derivation: Derivation, held: _Holders) -> bool:
    """Whether a note beside the copied code, or an entry of a notices file naming the file, names the
    upstream and its license (how a part of a file copied into it keeps the license notice)."""
    ids = expression_ids(derivation.license or "")
    if not ids:
        return False
    notes = [words for _, words in project.facts_of(derivation.path).change_notes]
    notes += [entry for _, text in held.notices for _, entry in entries_naming(text, derivation.path)]
    return any(mentions(words, [derivation.upstream]) and all(spdx in words for spdx in ids) for words in notes)


def _text_beside(project: Project, derivation: Derivation) -> bool:
    """Whether a license file in a folder above the copy (below the top, which speaks for this project's own
    code) carries the text of the upstream's license: a vendored folder with its license file beside it."""
    above = set(_folders_above(derivation.path)) - {""}
    ids = expression_ids(derivation.license or "")
    shipped = project.shipped_texts
    return bool(ids) and all(
        any(str(PurePosixPath(path).parent) in above for path in shipped.get(spdx, ())) for spdx in ids
    )


@check("copyright_notice", uses_provenance=True)
def copyright_notice(project: Project) -> Iterator[Report]:
    held = _holders(project)
    for path, derivations in sorted(project.derived.items()):
        for derivation in derivations:
            if derivation.how != PROVENANCE or derivation.by_owner or not derivation.license:
                continue
            duty = project.knowledge.duty_of(project.knowledge.retain_notices, derivation.license)
            if duty is None:
                continue
            lost = lost_notices(project, derivation, held)
            if not lost:
                continue
            named = [f'"{line}"' for line in lost.copyrights]
            if lost.license_notice:
                named.append(f"the {derivation.license} license notice")
            yield Report(
                path=path,
                line=_file_line(project, path),
                params={
                    "upstream": derivation.where,
                    "license": derivation.license,
                    "lost": _listing(named),
                    "name": derivation.label,
                    "duty": duty,
                },
                license=derivation.license,
                upstream=derivation.as_upstream(),
                grade=derivation.grade,
                # Lines of the upstream's license file, not of this file's own header, are lost the same way by
                # every headerless file of a vendored copy, and one license file beside them resolves them all.
                cause=(derivation.label, *named, derivation.grade.level)
                if derivation.match is not None and not derivation.match.upstream_copyrights
                else None,
                evidence=(
                    ("missing_copyrights", " | ".join(lost.copyrights)),
                    ("license_notice_missing", "yes" if lost.license_notice else "no"),
                ),
            )
            break


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# Documents where a reader looks for credits.
_CREDIT_STEMS = ("readme", "credits", "acknowledg", "authors", "notice", "third_party", "thirdparty", "attribution")
_DOC_FOLDERS = frozenset({"docs", "doc", "documentation"})
MAX_CREDIT_FILES = 2000


def credit_files(project: Project) -> list[str]:
    """Paths of the READMEs, docs, model cards, NOTICE and credits files of the tree."""
    found = []
    for item in project.files:
        if item.kind not in (repository.DOCUMENT, repository.MODEL_CARD, repository.LICENSE):
            continue
        parts = PurePosixPath(item.path).parts
        if item.name.lower().startswith(_CREDIT_STEMS) or parts[0].lower() in _DOC_FOLDERS:
            found.append(item.path)
    return found[:MAX_CREDIT_FILES]


@dataclass
class _Credited:
    derivation: Derivation
    paths: list[str] = field(default_factory=list)
    grades: list[EvidenceGrade] = field(default_factory=list)


@check("attribution", uses_provenance=True)
def attribution(project: Project) -> Iterator[Report]:
    owed: dict[str, _Credited] = {}
    for path, derivations in sorted(project.derived.items()):
        for derivation in derivations:
            if derivation.how == HEADER or derivation.by_owner:
                continue
            credited = owed.setdefault(derivation.upstream, _Credited(derivation))
            credited.paths.append(path)
            credited.grades.append(derivation.grade)
    if not owed:
        return
    texts: list[str] | None = None
    for name in sorted(owed):
        derivation, paths = owed[name].derivation, owed[name].paths
        repository, _ = origin_names(derivation.upstream, derivation.url)
        names = [*repository, *([repository_address(derivation.url)] if derivation.url else [])]
        notes = [words for path in paths for _, words in project.facts_of(path).change_notes]
        if any(mentions(words, names) for words in notes) or _vendored_under_its_name(project, paths, names):
            continue
        if texts is None:
            texts = [text for path in credit_files(project) if (text := project.text_of(path))]
        if any(mentions(text, names) for text in texts):
            continue
        yield Report(
            path=_readme(project),
            params={
                "upstream": derivation.label,
                "license": derivation.license or "an unknown license",
                "files": "1 file" if len(paths) == 1 else f"{len(paths)} files",
                "first": paths[0],
                "url": f" ({derivation.url})" if derivation.url else "",
            },
            license=derivation.license,
            upstream=derivation.as_upstream(),
            grade=strongest(owed[name].grades),
            evidence=(("derived_files", ", ".join(paths)),),
        )


def _vendored_under_its_name(project: Project, paths: list[str], names: list[str]) -> bool:
    """Whether every file sits in a folder named after the upstream that holds its license file
    (``third_party/tinyvec/LICENSE``): the vendored copy credits its origin where a reader looks."""
    licensed = {str(PurePosixPath(item.path).parent) for item in project.license_files}

    def credited(path: str) -> bool:
        return any(
            str(folder) in licensed and mentions(folder.name, names)
            for folder in PurePosixPath(path).parents
            if str(folder) != "."
        )

    return bool(paths) and all(credited(path) for path in paths)


def _readme(project: Project) -> str:
    """Where a missing credit is reported: the top-level README, else a top-level NOTICE or credits file, else
    the file repository-level findings point at (the manifest ...): always a file the repository has."""
    top = [item for item in project.files if "/" not in item.path]
    for item in top:
        if item.name.lower().startswith("readme"):
            return item.path
    for item in top:
        if item.name.lower().startswith(_CREDIT_STEMS):
            return item.path
    return project.anchor_path()
