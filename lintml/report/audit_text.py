"""The audit for a terminal: who the sides are, the counts, every file that is not its upstream file
unchanged at the same path (grouped by kind), the model folders, and what the fork owes.

It reads the JSON document of ``docs/audit-json.md``. Names and notices come from the fork and the
upstreams, so every line goes through :func:`lintml.report.one_line` (one record, one line; control
characters shown, never acted on), and the whole through :func:`lintml.report.for_terminal`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from lintml.report import AUDIT_FORMATTERS, for_terminal, one_line
from lintml.report.audit_json import KINDS


@AUDIT_FORMATTERS.register("text")
def format_audit_text(report: Mapping[str, Any], sources: Mapping[str, Mapping[str, str]]) -> str:
    """The audit for a terminal (the paired texts are not shown: ``--format html`` shows them side by side)."""
    return for_terminal(render_text(report))


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _file_line(record: Mapping[str, Any]) -> str:
    """One fork file: its kind, where it came from, and what it shows or owes."""
    if record["upstream"] is None:
        return f"  {record['path']}: new"
    where = record["upstream_path"] if record["moved"] else "same path"
    shares = ""
    if record["fork_share"] is not None and record["kind"] != "identical":
        shares = f" ({record['fork_share']:.0%} of this file, {record['upstream_share']:.0%} of the upstream's)"
    extra = []
    if record["renames"]:
        shown = ", ".join(f"{item['from']} -> {item['to']}" for item in record["renames"][:3])
        more = len(record["renames"]) - 3
        extra.append(f"renamed {shown}" + (f" and {more} more" if more > 0 else ""))
    if record["stripped_notices"]:
        extra.append(f"{_plural(len(record['stripped_notices']), 'notice')} stripped")
    if record["change_notice_owed"]:
        extra.append("change notice given" if record["change_notice"] else "no change notice")
    if record["split_with"]:
        extra.append(f"split with {', '.join(record['split_with'][:2])}")
    if record["also_from"]:
        extra.append(f"also from {', '.join(item['upstream_path'] for item in record['also_from'][:2])}")
    if record["commits"]:
        extra.append(f"{_plural(len(record['commits']), 'commit')} since the merge base")
    if record["owed"]:
        extra.append(f"owes {', '.join(record['owed'])}")
    detail = f"; {'; '.join(extra)}" if extra else ""
    return f"  {record['path']}: {record['kind']} from {record['upstream']}:{where}{shares}{detail}"


def render_text(report: Mapping[str, Any]) -> str:
    """The audit for a terminal: the summary, then every file that is not its upstream file unchanged at the
    same path, grouped by kind (new files included), then what the fork owes. Identical files at their
    upstream path are counted, not listed."""
    summary = report["summary"]
    lines = [f"fork: {report['fork']['source']} ({report['fork']['files']} files)"]
    for upstream in report["upstreams"]:
        version = f" {upstream['version']}" if upstream["version"] else ""
        base = f", merge base {upstream['merge_base'][:12]}" if upstream["merge_base"] else ""
        lines.append(
            f"upstream: {upstream['name']}{version} ({upstream['license'] or 'license unknown'}) from"
            f" {upstream['source']}{base}"
        )
    kinds = ", ".join(f"{count} {kind}" for kind, count in summary["by_kind"].items() if count)
    lines.append(
        f"{summary['files']} files: {kinds}; {summary['moved']} moved, {summary['split']} split, {summary['merged']}"
        f" merged; {summary['copied_share']:.0%} of the fork's code lines come from the upstreams"
    )
    lines.append(
        f"upstream files the fork holds: {summary['upstream_files_used']} of {summary['upstream_files']}"
        f" ({summary['upstream_code_files_used']} of {summary['upstream_code_files']} code files)"
    )
    stripped = (
        f"{summary['stripped_notices']} in {_plural(summary['stripped_files'], 'file')} (owed: restoring them)"
        if summary["stripped_notices"]
        else "none"
    )
    lines.append(
        f"stripped notices: {stripped}; change notices: {summary['change_notices_missing']} missing of"
        f" {summary['change_notices_owed']} owed"
    )
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    unlisted = 0
    for record in report["files"]:
        if record["kind"] == "identical" and not record["moved"]:
            unlisted += 1
        else:
            groups["identical, moved" if record["kind"] == "identical" else record["kind"]].append(record)
    order = [kind for kind in KINDS if kind != "identical"] + ["identical, moved"]
    for group in [*order, *sorted(set(groups) - set(order))]:
        if groups.get(group):
            lines.append("")
            lines.append(f"{group} ({len(groups[group]):,}):")
            lines.extend(_file_line(record) for record in sorted(groups[group], key=lambda record: record["path"]))
    if unlisted:
        lines.append("")
        lines.append(
            f"{_plural(unlisted, 'file')} identical to the upstream file at the same path, not listed"
            " (--format json lists every file)"
        )
    if report["models"]:
        lines.append("")
    for model in report["models"]:
        weights = model["weights"]["verdict"] if model["weights"] else "not compared"
        lines.append(
            f"  model {model['fork_path']} vs {model['upstream']}:{model['upstream_path']}: weights {weights},"
            f" {'derived' if model['related'] else 'not derived'}"
        )
    lines.append("")
    checked = summary.get("obligations_checked", True)
    source = (
        "`lintml check` on the fork and the audit's pairs" if checked else "the audit's pairs; `lintml check` not run"
    )
    if report["obligations"]:
        lines.append(f"{_plural(len(report['obligations']), 'obligation')} to the upstreams unmet ({source}):")
        for finding in report["obligations"]:
            where = f"{finding['path']}:{finding['line']}" if finding.get("line") else finding["path"]
            lines.append(f"  {where}: {finding['rule']} [{finding['severity']}] {finding['message']}")
    else:
        lines.append(f"nothing owed to the upstreams was found ({source})")
    lines.append("")
    lines.append(f"audited in {summary['seconds']} s")
    return "\n".join(one_line(line) for line in lines) + "\n"
