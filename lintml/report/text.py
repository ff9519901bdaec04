r"""Plain text for people at a terminal: one line per finding, its fix beneath, a summary last.

    LICENSE:3:1: notice-file [error] the NOTICE file of transformers is missing
        fix: copy transformers' NOTICE into NOTICE

The location comes first in the ``path:line:col:`` form editors and terminals turn into links.
Names, messages and fixes are printed through :func:`lintml.report.one_line`: they quote the
scanned repository, so a newline in a file name or an escape sequence in a copyright line is
shown as ``\n`` or ``\x1b``, never acted on, and one finding is always one line.
"""

from __future__ import annotations

from collections.abc import Sequence

from lintml.findings import Finding
from lintml.report import ReportContext, one_line, ordered, register, summarize
from lintml.rules import Rule

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"
_INDENT = "    "


def _location(finding: Finding) -> str:
    path = one_line(finding.path)
    if finding.line is None:
        return path
    if finding.column is None:
        return f"{path}:{finding.line}"
    return f"{path}:{finding.line}:{finding.column}"


def _severity(severity: str, color: bool) -> str:
    word = f"[{severity}]"
    return f"{_COLORS[severity]}{word}{_RESET}" if color and severity in _COLORS else word


def _plural(count: int, noun: str) -> str:
    if noun == "info":
        return f"{count} info"
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(findings: Sequence[Finding], files_checked: int) -> str:
    """``3 findings (2 errors, 1 warning) in 12 files``, or ``no findings in 12 files``."""
    files = _plural(files_checked, "file")
    if not findings:
        return f"no findings in {files}"
    counts = summarize(findings)["by_severity"]
    parts = [_plural(counts[severity], severity) for severity in ("error", "warning", "info") if counts[severity]]
    return f"{_plural(len(findings), 'finding')} ({', '.join(parts)}) in {files}"


@register("text")
def format_text(findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
    """Render findings for a terminal; colour only the severity word, and only when asked."""
    lines = []
    for finding in ordered(findings):
        severity = _severity(finding.severity, context.color)
        lines.append(f"{_location(finding)}: {one_line(finding.rule)} {severity} {one_line(finding.message)}")
        if finding.grade is not None:
            lines.append(f"{_INDENT}evidence: {one_line(str(finding.grade))}")
        if finding.related:
            lines.append(f"{_INDENT}also: {one_line(', '.join(finding.related))}")
        if finding.fix:
            lines.append(f"{_INDENT}fix: {one_line(finding.fix)}")
    if lines:
        lines.append("")
    lines.append(summary_line(findings, context.files_checked))
    return "\n".join(lines) + "\n"
