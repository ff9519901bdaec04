"""The repairs `lintml fix` makes, one per rule, in the order they run.

Restored copyright lines go first, so a change notice added afterwards lands below them in
the header; license texts come last, once for each license however many files need it.
Conflicts, attribution and the project's own license are left to a person.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from lintml.checks.apache import attribution_lines
from lintml.checks.obligations import lost_notices, required_copyrights
from lintml.derivation import Derivation, plain
from lintml.facts.headers import lintml_change_notice
from lintml.facts.license_texts import license_text
from lintml.findings import Finding
from lintml.fixes import CannotRepair, NeedsPerson, RepairContext, repair
from lintml.fixes.comments import insert_header_lines, insert_lines_before, python_statement_start
from lintml.models.duties import states
from lintml.project import Project
from lintml.repository import PYTHON_SUFFIXES


def _derivation(project: Project, finding: Finding) -> Derivation:
    name = finding.upstream.name if finding.upstream else None
    for derivation in project.derived.get(finding.path, ()):
        if name is None or derivation.upstream == name:
            return derivation
    raise CannotRepair(f"{finding.path}: lintml no longer knows where this file came from")


def _insert(context: RepairContext, path: str, lines: list[str]) -> None:
    text = context.workspace.read(path)
    if text is None:
        raise CannotRepair(f"{path}: the file is gone")
    try:
        context.workspace.write(path, insert_header_lines(text, path, lines))
    except ValueError as error:
        raise CannotRepair(f"{path}: {error}") from None


# A copy making up less of its file than this is a part of it: its notice goes beside the copied code (or into
# the third-party notices file), never at the top, where it would relabel the whole file.
WHOLE_SHARE = 0.8
THIRD_PARTY_NOTICES = "THIRD_PARTY_NOTICES.md"


def _partial(derivation: Derivation) -> bool:
    match = derivation.match
    return match is not None and bool(match.lines) and match.local_share < WHOLE_SHARE


def _note_part(context: RepairContext, derivation: Derivation) -> str:
    """Say where a partial copy came from beside the copied code (Python: above the top-level statement that
    holds it), else in the third-party notices file: its origin, the upstream's copyright lines it must keep,
    its license, that it was changed, and the date. One note serves the copyright and the change notice."""
    key = f"part:{derivation.path}:{derivation.upstream}"
    if key in context.done:
        return context.done[key]
    match = derivation.match
    assert match is not None
    path = derivation.path
    text = context.workspace.read(path)
    if text is None:
        raise CannotRepair(f"{path}: the file is gone")
    first, last = match.span
    kept = list(required_copyrights(context.project, derivation))
    license_line = f"Licensed under {derivation.license or 'an unknown license'}"
    license_line += f"; upstream: {derivation.url}." if derivation.url else "."
    origin = f"{derivation.label} ({derivation.upstream_path})" if derivation.upstream_path else derivation.label
    python = PurePosixPath(path).suffix.lower() in PYTHON_SUFFIXES
    start = python_statement_start(text, first) if python else None  # None too where the text does not parse
    if start is not None:
        shift = len(kept) + 3  # the note's own lines, inserted above the copied ones
        lines = [
            f"Adapted from {origin}, with changes: lines {first + shift}-{last + shift} of this file.",
            *kept,
            license_line,
            f"Notice added on {context.date}.",
        ]
        try:
            context.workspace.write(path, insert_lines_before(text, path, start, lines))
        except ValueError as error:
            raise CannotRepair(f"{path}: {error}") from None
        did = f"noted lines {first + shift}-{last + shift} as adapted from {derivation.label}, beside them"
    else:
        entry = [f"{path}: lines {first}-{last} adapted from {origin}, with changes; notice added on {context.date}."]
        entry += [*kept, license_line]
        unsafe = next((found for line in entry if (found := _NOT_PLAIN_TEXT.search(line))), None)
        if unsafe:
            raise CannotRepair(f"the upstream's notices hold U+{ord(unsafe.group()):04X}, a control character")
        current = context.workspace.read(THIRD_PARTY_NOTICES) or ""
        block = "\n".join(entry) + "\n"
        header = "# Third-party notices\n\nCode in this repository that came from other projects.\n"
        context.workspace.write(THIRD_PARTY_NOTICES, (current.rstrip("\n") or header.rstrip("\n")) + "\n\n" + block)
        did = f"noted lines {first}-{last} as adapted from {derivation.label} in {THIRD_PARTY_NOTICES}"
    context.done[key] = did
    return did


@repair("copyright-notice")
def restore_notices(finding: Finding, context: RepairContext) -> str | None:
    derivation = _derivation(context.project, finding)
    if _partial(derivation):
        return _note_part(context, derivation)
    lost = lost_notices(context.project, derivation)
    lines = list(lost.copyrights)
    if lost.license_notice and derivation.license:
        lines.append(f"SPDX-License-Identifier: {derivation.license}")
    if not lines:
        return None
    _insert(context, finding.path, lines)
    return f"restored {len(lines)} notice line{'s' if len(lines) > 1 else ''} from {derivation.where}"


def change_notice_lines(derivation: Derivation, date: str) -> list[str]:
    """The comment a modified copy gets: the upstream, its file, license and address, and the date."""
    origin = f"{derivation.label} ({derivation.upstream_path})" if derivation.upstream_path else derivation.label
    lines = [lintml_change_notice(origin, derivation.license or "an unknown license")]
    if derivation.url:
        lines.append(f"Upstream: {derivation.url}")
    lines.append(f"Changed in this repository; notice added on {date}.")
    return lines


@repair("change-notice")
def add_change_notice(finding: Finding, context: RepairContext) -> str:
    derivation = _derivation(context.project, finding)
    if _partial(derivation):
        return _note_part(context, derivation)
    _insert(context, finding.path, change_notice_lines(derivation, context.date))
    return f"added a notice that it was modified from {derivation.label}"


# What plain text may hold besides printable characters: tab, line feed, CR before LF, form feed.
_NOT_PLAIN_TEXT = re.compile(
    r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)"
)


@repair("notice-file")
def carry_notice(finding: Finding, context: RepairContext) -> str | None:
    name = finding.upstream.name if finding.upstream else None
    derivation = next(
        (
            item
            for derivations in context.project.derived.values()
            for item in derivations
            if item.upstream == name and item.notice
        ),
        None,
    )
    if derivation is None or not derivation.notice:
        raise CannotRepair("lintml no longer has the upstream's NOTICE text")
    current = context.workspace.read(finding.path) or ""
    if all(plain(line) in plain(current) for line in attribution_lines(derivation.notice)):
        return None
    address = f" ({derivation.url})" if derivation.url else ""
    block = (
        f"This product includes code from {derivation.label}{address}, licensed under {derivation.license}.\n"
        f"Its NOTICE file reads:\n\n{derivation.notice.strip()}\n"
    )
    unsafe = _NOT_PLAIN_TEXT.search(block)
    if unsafe:
        # The upstream's text is untrusted: escape sequences in NOTICE would act on the terminal of whoever reads it.
        raise CannotRepair(
            f"the upstream's NOTICE or name holds U+{ord(unsafe.group()):04X}, a control character; "
            f"copy what {finding.path} should say by hand"
        )
    context.workspace.write(finding.path, current.rstrip("\n") + "\n\n" + block if current.strip() else block)
    return f"carried the NOTICE of {derivation.label}"


_SPDX_ID = re.compile(r"^[A-Za-z0-9.+\-]+$")


@repair("license-text")
def write_license_text(finding: Finding, context: RepairContext) -> str | None:
    spdx = finding.license
    if not spdx or not _SPDX_ID.match(spdx):
        raise CannotRepair(f"no single license to write a text for ({spdx or 'unknown'})")
    target = f"LICENSES/{spdx}.txt"
    if context.workspace.read(target) is not None:
        return f"wrote {target}" if context.workspace.changed(target) else None
    text = license_text(spdx)
    if text is None:
        raise CannotRepair(f"scancode has no text for {spdx}; add it as {target} by hand")
    context.workspace.write(target, text)
    return f"wrote {target}"


@repair("model-license-duty")
def add_model_notice(finding: Finding, context: RepairContext) -> str | None:
    """The model-license duties that need no judgement (``repair: notice-sentence`` in models.yaml): the Notice
    file with the sentence the license fixes."""
    facts = dict(finding.evidence)
    kind = context.project.knowledge.model_terms.duty_kinds.get(facts.get("duty", ""))
    if kind is None or kind.repair != "notice-sentence" or not facts.get("text"):
        raise NeedsPerson()
    folder = facts.get("folder", "")
    existing = facts.get("notice_file")
    target = existing or (f"{folder}/NOTICE" if folder else "NOTICE")
    current = context.workspace.read(target) or ""
    sentence = facts["text"]
    if states(current, sentence):
        return None
    context.workspace.write(
        target, current.rstrip("\n") + "\n\n" + sentence + "\n" if current.strip() else sentence + "\n"
    )
    return f"added the Notice sentence of {facts.get('license', 'the base model license')} to {target}"
