"""Formatters: pure functions from findings (and the rules that were run) to one output document.

Each output format is a module in this package that registers one function with
``@register("name")``; the package imports every module in it, so adding a format is adding a
file. Every formatter returns the whole document, ending in a newline unless it is empty, so
a front end writes it as it is. The same findings in any order give the same output.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lintml import __version__
from lintml.findings import SEVERITIES, Finding, Upstream
from lintml.rules import Rule


@dataclass(frozen=True)
class ReportContext:
    """What a formatter needs to know about the run beyond its findings."""

    version: str = __version__
    root: str = "."  # the scanned path as the user gave it
    color: bool = False
    files_checked: int = 0
    extras: Mapping[str, Any] = field(default_factory=dict)  # added to the summary of formats that have one


Formatter = Callable[[Sequence[Finding], Sequence[Rule], ReportContext], str]
FORMATTERS: dict[str, Formatter] = {}


def register(name: str) -> Callable[[Formatter], Formatter]:
    """Register a formatter under the name users pass to ``--format``."""

    def add(formatter: Formatter) -> Formatter:
        if name in FORMATTERS:
            raise ValueError(f"formatter {name!r} registered twice")
        FORMATTERS[name] = formatter
        return formatter

    return add


def format_findings(name: str, findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
    """Render ``findings`` in the format registered as ``name``."""
    try:
        formatter = FORMATTERS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r} (one of: {', '.join(sorted(FORMATTERS))})") from None
    return formatter(findings, rules, context)


def ordered(findings: Sequence[Finding]) -> list[Finding]:
    """Findings in report order: by place, then rule; full ties broken so input order never shows."""
    return sorted(findings, key=lambda finding: (finding.sort_key(), repr(finding)))


def ordered_rules(rules: Sequence[Rule]) -> list[Rule]:
    """Rules by id, each id once (the first one given wins)."""
    unique: dict[str, Rule] = {}
    for rule in rules:
        unique.setdefault(rule.id, rule)
    return [unique[rule_id] for rule_id in sorted(unique)]


def summarize(findings: Sequence[Finding]) -> dict[str, Any]:
    """Counts of findings: in total, by severity (every severity, zeros too) and by rule id."""
    by_severity = {severity: 0 for severity in SEVERITIES}
    by_rule: dict[str, int] = {}
    for finding in findings:
        by_severity[finding.severity] += 1
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    return {
        "total": len(findings),
        "by_severity": by_severity,
        "by_rule": {rule: by_rule[rule] for rule in sorted(by_rule)},
    }


def upstream_record(upstream: Upstream) -> dict[str, Any]:
    """An upstream as plain JSON data; JSON output and SARIF properties share this shape."""
    return {
        "name": upstream.name,
        "version": upstream.version,
        "url": upstream.url,
        "path": upstream.path,
        "license": upstream.license,
        "similarity": upstream.similarity,
        "verbatim": upstream.verbatim,
        "renames": [{"from": old, "to": new} for old, new in upstream.renames],
        "taken": upstream.taken,
        "lines": [[first, last] for first, last in upstream.lines],
        "upstream_lines": [[first, last] for first, last in upstream.upstream_lines],
    }


def _discover() -> dict[str, Formatter]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return FORMATTERS


_discover()
