"""The audit's report: typed, frozen records of the document ``docs/audit-json.md`` describes.

The audit builds these; ``as_json()`` turns each into the plain JSON data of the contract (strings as
the sides have them: a renderer makes them safe for where it writes them). Renderers in
:mod:`lintml.report` read only that JSON, so a report saved with ``--format json`` renders as one
fresh from an audit; the contract's names (``KINDS``, ``FORMAT_NAME``) are theirs, in
:mod:`lintml.report.audit_json`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lintml.findings import Finding
from lintml.report.audit_json import FORMAT_NAME, FORMAT_VERSION, KINDS
from lintml.report.json import finding_record

if TYPE_CHECKING:
    from lintml.models.compare import ModelComparison


@dataclass(frozen=True)
class Rename:
    """An identifier of the upstream file written under another name in the fork's file."""

    old: str  # the upstream's name
    new: str  # the fork's
    count: int

    def as_json(self) -> dict[str, Any]:
        return {"from": self.old, "to": self.new, "count": self.count}


@dataclass(frozen=True)
class AlsoFrom:
    """Another upstream file a merged fork file took code from, and how much of the fork file it gave."""

    upstream: str
    upstream_path: str
    fork_share: float

    def as_json(self) -> dict[str, Any]:
        return {"upstream": self.upstream, "upstream_path": self.upstream_path, "fork_share": self.fork_share}


@dataclass(frozen=True)
class ForkCommit:
    """A commit of the fork after the merge base that changed a file."""

    sha: str  # git's abbreviation
    date: str  # author date, ISO 8601 date only
    author: str
    summary: str  # first line of the message

    def as_json(self) -> dict[str, str]:
        return {"sha": self.sha, "date": self.date, "author": self.author, "summary": self.summary}


@dataclass(frozen=True)
class FilePair:
    """One file of the fork: the upstream file it pairs with best (none for a new file), how, and what it owes."""

    path: str
    kind: str  # one of KINDS
    upstream: str | None = None
    upstream_path: str | None = None
    fork_share: float | None = None
    upstream_share: float | None = None
    lines: tuple[tuple[int, int], ...] = ()
    upstream_lines: tuple[tuple[int, int], ...] = ()
    renames: tuple[Rename, ...] = ()
    stripped_notices: tuple[str, ...] = ()
    change_notice: bool = False
    change_notice_owed: bool = False
    upstream_license: str | None = None
    owed: tuple[str, ...] = ()
    commits: tuple[ForkCommit, ...] = ()
    also_from: tuple[AlsoFrom, ...] = ()
    split_with: tuple[str, ...] = ()

    @property
    def moved(self) -> bool:
        return self.upstream_path is not None and self.upstream_path != self.path

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "upstream": self.upstream,
            "upstream_path": self.upstream_path,
            "moved": self.moved,
            "fork_share": self.fork_share,
            "upstream_share": self.upstream_share,
            "lines": [[first, last] for first, last in self.lines],
            "upstream_lines": [[first, last] for first, last in self.upstream_lines],
            "renames": [rename.as_json() for rename in self.renames],
            "stripped_notices": list(self.stripped_notices),
            "change_notice": self.change_notice,
            "change_notice_owed": self.change_notice_owed,
            "upstream_license": self.upstream_license,
            "owed": list(self.owed),
            "commits": [commit.as_json() for commit in self.commits],
            "also_from": [item.as_json() for item in self.also_from],
            "split_with": list(self.split_with),
        }


@dataclass(frozen=True)
class ModelPair:
    """A model folder of the fork and the model folder of an upstream it compares best with."""

    fork_path: str
    upstream: str
    upstream_path: str
    comparison: ModelComparison

    def as_json(self) -> dict[str, Any]:
        data = self.comparison.as_dict()
        return {
            "fork_path": self.fork_path,
            "upstream": self.upstream,
            "upstream_path": self.upstream_path,
            "config": data["config"],
            "tokenizer": data["tokenizer"],
            "weights": data["weights"],
            "related": self.comparison.related(),
        }


@dataclass(frozen=True)
class ForkRecord:
    """The fork as read: where it came from, where it was read, which commit, how many files."""

    source: str
    root: str
    ref: str | None
    commit: str | None
    files: int
    code_files: int

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "root": self.root,
            "ref": self.ref,
            "commit": self.commit,
            "files": self.files,
            "code_files": self.code_files,
        }


@dataclass(frozen=True)
class UpstreamRecord:
    """An upstream as read and indexed, and the merge base it shares with the fork (if any)."""

    name: str
    source: str
    root: str
    ref: str | None
    commit: str | None
    version: str | None
    license: str | None
    files: int
    code_files: int
    merge_base: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "source": self.source,
            "root": self.root,
            "ref": self.ref,
            "commit": self.commit,
            "version": self.version,
            "license": self.license,
            "files": self.files,
            "code_files": self.code_files,
            "merge_base": self.merge_base,
        }


@dataclass(frozen=True)
class Obligations:
    """What the fork owes its upstreams: findings of `lintml check` and of the pairs, in report order.

    ``check_error`` says why `lintml check` could not run on the fork; it is listed among the
    obligations as one info record, so a reader sees that the list is incomplete.
    """

    findings: tuple[Finding, ...] = ()
    check_error: str | None = None

    def records(self) -> list[dict[str, Any]]:
        """The obligations as the finding records of docs/json-output.md (the check error first in place)."""
        found = [finding_record(finding) for finding in self.findings]
        if self.check_error is not None:
            error = {"rule": "audit", "path": ".", "severity": "info", "message": self.check_error}
            found = sorted(
                [error, *found],
                key=lambda record: (str(record.get("path")), record.get("line") or 0, str(record.get("rule"))),
            )
        return found

    def __len__(self) -> int:
        return len(self.findings) + (self.check_error is not None)

    def by_severity(self) -> dict[str, int]:
        severities = [finding.severity for finding in self.findings]
        if self.check_error is not None:
            severities.append("info")
        return {severity: severities.count(severity) for severity in ("error", "warning", "info")}


@dataclass(frozen=True)
class Summary:
    """The counts of the audit: files by kind, what was copied, what is owed, and how long it took."""

    files: int
    by_kind: Mapping[str, int]  # every kind of KINDS, in that order
    moved: int
    split: int
    merged: int
    copied_lines: int
    code_lines: int
    upstream_files_used: int
    upstream_files: int
    upstream_code_files_used: int
    upstream_code_files: int
    stripped_notices: int
    stripped_files: int
    change_notices_owed: int
    change_notices_missing: int
    obligations: int
    obligations_checked: bool
    obligations_by_severity: Mapping[str, int]
    seconds: float

    @property
    def copied_share(self) -> float:
        return round(self.copied_lines / self.code_lines, 4) if self.code_lines else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "by_kind": {kind: self.by_kind.get(kind, 0) for kind in KINDS},
            "moved": self.moved,
            "split": self.split,
            "merged": self.merged,
            "copied_lines": self.copied_lines,
            "code_lines": self.code_lines,
            "copied_share": self.copied_share,
            "upstream_files_used": self.upstream_files_used,
            "upstream_files": self.upstream_files,
            "upstream_code_files_used": self.upstream_code_files_used,
            "upstream_code_files": self.upstream_code_files,
            "stripped_notices": self.stripped_notices,
            "stripped_files": self.stripped_files,
            "change_notices_owed": self.change_notices_owed,
            "change_notices_missing": self.change_notices_missing,
            "obligations": self.obligations,
            "obligations_checked": self.obligations_checked,
            "obligations_by_severity": dict(self.obligations_by_severity),
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class AuditReport:
    """The whole audit: both sides, every fork file's pair, the model folders, the obligations, the counts."""

    lintml: str
    fork: ForkRecord
    upstreams: tuple[UpstreamRecord, ...]
    files: tuple[FilePair, ...]
    models: tuple[ModelPair, ...]
    obligations: Obligations
    summary: Summary

    def as_json(self) -> dict[str, Any]:
        """The JSON object of docs/audit-json.md."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "lintml": self.lintml,
            "fork": self.fork.as_json(),
            "upstreams": [upstream.as_json() for upstream in self.upstreams],
            "files": [pair.as_json() for pair in self.files],
            "models": [model.as_json() for model in self.models],
            "obligations": self.obligations.records(),
            "summary": self.summary.as_json(),
        }


@dataclass(frozen=True)
class AuditWork:
    """What an audit computed rather than read back from the cache. Not part of the report, which a second
    audit of the same sides repeats word for word while doing less."""

    upstream_index_reused: bool = False  # the upstreams' scratch index was a copy of one kept in the cache
    upstream_files_normalised: int = 0  # upstream code files normalised and fingerprinted in this run
    fork_files_fingerprinted: int = 0  # fork files matched in this run (the rest came from the cache)


@dataclass(frozen=True)
class AuditResult:
    """An audit's report and the texts of its paired files (side name -> {path: text}) for the HTML view."""

    report: AuditReport
    sources: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    work: AuditWork = field(default_factory=AuditWork)

    def as_json(self) -> dict[str, Any]:
        return self.report.as_json()
