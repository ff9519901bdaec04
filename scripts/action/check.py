"""The check of the GitHub Action (action.yml, through scripts/action/run.sh): one run, four outputs.

It runs ``lintml.api.check`` once and writes what a workflow needs from it: the SARIF log that
code scanning imports, one annotation per finding (workflow commands, on standard output), the
``sarif-file`` and ``findings`` step outputs, and a summary on the job's page. GitHub reads paths
from the repository's top, so findings are given from the workspace, whichever folder lintml took
as the project root. The exit code is ``lintml check``'s: 0 nothing at or above fail-on (or
fail-on none), 1 findings, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from lintml.findings import Finding

SUMMARY_ROWS = 50  # findings listed in the job summary; the SARIF log and code scanning hold them all
_SEVERITY_WORDS = {"error": ("error", "errors"), "warning": ("warning", "warnings"), "info": ("info", "info")}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # A mistyped input (fail-on: errors) is shown on the run's page, not only in the log.
        print(f"::error title=lintml::{message}")
        super().error(message)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["."], help="what to check (default: the workspace)")
    parser.add_argument("--config", help="a configuration file")
    parser.add_argument("--fail-on", choices=("error", "warning", "info", "none"), help="default: the config's")
    parser.add_argument("--diff-base", help="only the files changed since this commit, branch or tag")
    parser.add_argument("--index", dest="indexes", action="append", default=[], help="an upstream index")
    parser.add_argument("--sarif", type=Path, required=True, help="where to write the SARIF log")
    options = parser.parse_args(argv)
    try:
        return _check(options)
    except Exception as error:  # any other abnormal end: one line and exit code 2, as `lintml check` does
        from lintml.cli import _describe_error
        from lintml.report.github import escape_data

        said = _describe_error(error)
        print(f"::error title=lintml::{escape_data(said)}")
        _write_summary(f"## lintml\n\nThe check could not run: {_cell(said)}\n")
        return 2


def _check(options: argparse.Namespace) -> int:
    """Run the check and write what the workflow needs; the exit code."""
    from lintml import __version__, api
    from lintml.config import ConfigError
    from lintml.report import ReportContext, format_findings, summarize
    from lintml.report.github import escape_data
    from lintml.rules import RuleError

    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or ".").resolve()
    fail_on = None if options.fail_on in (None, "none") else options.fail_on
    try:
        result = api.check(
            options.paths,
            config_file=options.config or None,
            fail_on=fail_on,
            indexes=options.indexes,
            diff_base=options.diff_base or None,
        )
    except (api.UsageError, ConfigError, RuleError, OSError) as error:
        print(f"::error title=lintml::{escape_data(str(error))}")
        _write_summary(f"## lintml\n\nThe check could not run: {_cell(str(error))}\n")
        return 2

    prefix = _prefix(result.root, workspace)
    findings = tuple(replace(finding, path=_join(prefix, finding.path)) for finding in result.findings)
    context = ReportContext(
        version=__version__, root=".", files_checked=result.files_checked, extras={"skipped": len(result.skipped)}
    )
    options.sarif.parent.mkdir(parents=True, exist_ok=True)
    options.sarif.write_text(format_findings("sarif", findings, result.rules, context), encoding="utf-8")
    sys.stdout.write(format_findings("github", findings, result.rules, context))
    _write_outputs({"sarif-file": str(options.sarif.resolve()), "findings": str(len(findings))})
    failed = options.fail_on != "none" and result.failed()
    _write_summary(_summary(findings, summarize(findings), result.files_checked, options.diff_base, failed))
    return 1 if failed else 0


def _prefix(root: Path | None, workspace: Path) -> str:
    """The project root lintml chose, from the workspace: "" when they are the same folder."""
    if root is None:
        return ""
    resolved = root.resolve()
    if not resolved.is_relative_to(workspace):
        return ""  # outside the checkout: GitHub cannot place these findings anyway
    relative = resolved.relative_to(workspace).as_posix()
    return "" if relative == "." else relative


def _join(prefix: str, path: str) -> str:
    if not prefix:
        return path
    return f"{prefix}/{path}" if path else prefix


def _write_outputs(values: dict[str, str]) -> None:
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as stream:
        for key, value in values.items():
            stream.write(f"{key}={value}\n")


def _write_summary(markdown: str) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as stream:
        stream.write(markdown)


def _cell(text: str) -> str:
    """Text that stays inside one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def _summary(
    findings: Sequence[Finding], counts: Mapping[str, Any], files_checked: int, diff_base: str | None, failed: bool
) -> str:
    severities = ", ".join(
        f"{count} {one if count == 1 else many}"
        for severity, (one, many) in _SEVERITY_WORDS.items()
        if (count := counts["by_severity"].get(severity, 0))
    )
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    scope = f"{files} changed since `{diff_base}`" if diff_base else files
    lines = [
        f"## lintml: {len(findings)} finding{'s' if len(findings) != 1 else ''}"
        + (f" ({severities})" if findings else ""),
        "",
        f"Checked {scope}, with the rules about the whole repository."
        + (" The check **fails**." if failed else " The check passes."),
        "",
    ]
    if findings:
        lines += ["| severity | rule | where | message |", "|---|---|---|---|"]
        for finding in findings[:SUMMARY_ROWS]:
            where = f"{finding.path}:{finding.line}" if finding.line else finding.path
            lines.append(f"| {finding.severity} | {finding.rule} | `{_cell(where)}` | {_cell(finding.message)} |")
        if len(findings) > SUMMARY_ROWS:
            lines += ["", f"And {len(findings) - SUMMARY_ROWS} more, in the SARIF log and in code scanning."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
