r"""JSON for programs: the stable contract documented in ``docs/json-output.md``.

Every finding carries every field, ``null`` where a value is unknown, so a consumer never
has to tell a missing key from an empty one. Keys are sorted and the text is ASCII, so the
same findings always give the same bytes. The document is valid Unicode: an undecodable byte
in a name is written as ``\xNN`` (:func:`lintml.report.valid_text`), and ``path_bytes`` holds
the name's exact bytes whenever ``path`` had to escape any.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lintml.findings import Finding
from lintml.report import (
    ReportContext,
    name_bytes,
    ordered,
    register,
    summarize,
    upstream_record,
    valid_for_json,
)
from lintml.rules import Rule


def finding_record(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON object the contract describes (strings as found; see :func:`format_json`)."""
    return {
        "rule": finding.rule,
        "category": finding.category,
        "severity": finding.severity,
        "path": finding.path,
        "path_bytes": name_bytes(finding.path),
        "line": finding.line,
        "end_line": finding.end_line,
        "column": finding.column,
        "message": finding.message,
        "fix": finding.fix,
        "license": finding.license,
        "upstream": upstream_record(finding.upstream) if finding.upstream else None,
        "evidence": dict(finding.evidence),  # a repeated key keeps its last value
        "grade": {"level": finding.grade.level, "why": finding.grade.why} if finding.grade else None,
        "related": list(finding.related),
    }


def summary_record(findings: Sequence[Finding], context: ReportContext) -> dict[str, Any]:
    """The counts, the number of files checked, and whatever extras the run adds."""
    summary = summarize(findings)
    summary["files_checked"] = context.files_checked
    clashing = sorted(set(summary) & set(context.extras))
    if clashing:
        raise ValueError(f"summary extras may not replace {', '.join(clashing)}")
    summary.update(context.extras)
    return summary


@register("json")
def format_json(findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
    """Render findings as one JSON document: version, findings in report order, summary."""
    document = {
        "version": context.version,
        "findings": [finding_record(finding) for finding in ordered(findings)],
        "summary": summary_record(findings, context),
    }
    # Built here from records: no cycles to look for.
    return json.dumps(valid_for_json(document), indent=2, sort_keys=True, allow_nan=False, check_circular=False) + "\n"
