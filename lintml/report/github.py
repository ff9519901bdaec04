"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

    ::error file=NOTICE,line=3,title=APACHE-NOTICE-001::the NOTICE file is missing (fix: copy it)

GitHub reads ``file`` relative to the repository, so when the scanned path was a relative
folder other than ``.``, it is put in front of each finding's path.

Escaping follows the workflow-command rules (``%``, CR and LF everywhere, ``:`` and ``,`` in
properties too); any other control character, and an undecodable byte of a name, is written
as :func:`lintml.report.one_line` writes it, so nothing in a finding reaches the log raw.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from pathlib import PureWindowsPath

from lintml.findings import Finding
from lintml.report import ReportContext, one_line, ordered, register
from lintml.rules import Rule

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message so a ``%`` or a line break can't end or bend it, nor a control character act."""
    return one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    """Escape a property value, where ``:`` and ``,`` would also end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _file(path: str, root: str) -> str:
    if posixpath.isabs(root) or PureWindowsPath(root).drive:
        return path  # an absolute root can't be made relative to the checkout without asking the system
    root = root.replace("\\", "/")
    if root in ("", ".", "./"):
        return path
    return posixpath.normpath(posixpath.join(root, path))


def annotation(finding: Finding, root: str = ".") -> str:
    """The one workflow command for ``finding``."""
    properties = [("file", _file(finding.path, root))]
    if finding.line is not None:
        properties.append(("line", str(finding.line)))
        if finding.end_line is not None:
            properties.append(("endLine", str(finding.end_line)))
        if finding.column is not None:
            properties.append(("col", str(finding.column)))
    properties.append(("title", finding.rule))
    message = finding.message if not finding.fix else f"{finding.message} (fix: {finding.fix})"
    if finding.related:
        message += f" (also: {', '.join(finding.related)})"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMANDS[finding.severity]} {rendered}::{escape_data(message)}"


@register("github")
def format_github(findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
    """Render one annotation command per finding, nothing when there are none."""
    return "".join(annotation(finding, context.root) + "\n" for finding in ordered(findings))
