"""The one record every check produces and every formatter consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")
SEVERITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}

CATEGORIES: tuple[str, ...] = (
    "license-missing",
    "license-mismatch",
    "license-conflict",
    "license-text",
    "copyright-notice",
    "change-notice",
    "notice-file",
    "attribution",
    "model-card",
    "base-model",
    "model-license",
    "provenance",
    # Not a license obligation: lintml could not read a file as its kind
    # (unparsable notebook, broken front matter, undecodable text) and says so.
    "input",
)


@dataclass(frozen=True)
class Upstream:
    """Where a finding's material came from, and how much of it was taken."""

    name: str
    version: str | None
    url: str | None
    path: str | None
    license: str | None
    similarity: float | None = None  # share of the local file that is upstream material
    verbatim: bool | None = None
    renames: tuple[tuple[str, str], ...] = ()  # (upstream name, local name), most frequent first
    taken: float | None = None  # share of the upstream file that was taken
    lines: tuple[tuple[int, int], ...] = ()  # local line ranges that were copied
    upstream_lines: tuple[tuple[int, int], ...] = ()  # the same ranges in the upstream file
    released: str | None = None  # when that upstream version was published (ISO 8601), if known
    carriers: tuple[str, ...] = ()  # other upstreams that hold the same code and took it from this one


Grade = Literal["strong", "moderate", "weak"]
# The most severe a finding may be on evidence of each grade (see docs/provenance.md): strong evidence of
# copying carries the upstream's obligations as errors, moderate as warnings, weak as provenance only.
GRADE_CEILING: dict[str, Severity] = {"strong": "error", "moderate": "warning", "weak": "info"}


@dataclass(frozen=True)
class EvidenceGrade:
    """How strongly lintml knows that a file's code came from where a finding says, and why."""

    level: Grade
    why: str

    @property
    def ceiling(self) -> Severity:
        return GRADE_CEILING[self.level]

    def __str__(self) -> str:
        return f"{self.level} ({self.why})"


@dataclass(frozen=True)
class Finding:
    """One problem at one place. ``path`` is POSIX, relative to the scanned root."""

    rule: str
    category: str
    severity: Severity
    path: str
    message: str
    line: int | None = None
    end_line: int | None = None
    column: int | None = None
    fix: str | None = None
    license: str | None = None
    upstream: Upstream | None = None
    evidence: tuple[tuple[str, str], ...] = field(default=())
    grade: EvidenceGrade | None = None  # for a finding that rests on a file's origin: how strong that evidence is
    # Other files that owe the same thing for the same reason, reported once here (one cause, one finding).
    related: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.rule, self.message)
