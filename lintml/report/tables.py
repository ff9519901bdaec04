"""Plain-text tables and summaries the CLI prints besides a check's report: what `lintml fix` did and left,
the upstreams and models of an index, and one upstream's record.

Each function returns lines (no line breaks in them): names, notices and messages come from scanned
repositories and indexes, so every line is escaped here with :func:`~lintml.report.one_line` (tabs kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lintml.report import one_line

if TYPE_CHECKING:
    from lintml.engine import FixResult
    from lintml.models.known import KnownModel
    from lintml.provenance.index import UpstreamProject


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def safe_line(text: str) -> str:
    """A line that quotes an upstream, an index or a model: its control characters escaped, tabs kept."""
    return "\t".join(one_line(part) for part in text.split("\t"))


def fix_summary(result: FixResult) -> list[str]:
    """What `lintml fix` says on stderr after its diffs: repaired and changed, what could not be written or
    repaired, and the findings left for a person (with their fixes)."""
    verb = "would change" if result.dry_run else "changed"
    lines = [f"lintml: {_plural(len(result.fixed), 'finding')} repaired; {verb} {_plural(len(result.changes), 'file')}"]
    for failure in result.unwritten:
        lost = len(failure.findings)
        lines.append(
            one_line(
                f"lintml: could not write {failure.path}: {failure.reason}; left as it was"
                + (f" ({_plural(lost, 'repair')} not made)" if lost else "")
            )
        )
    for finding, reason in result.failed_repairs:
        lines.append(one_line(f"lintml: could not repair {finding.rule} in {finding.path}: {reason}"))
    left = result.after.findings if result.after is not None else tuple(finding for finding, _ in result.unfixed)
    left = tuple(finding for finding in left if finding.severity != "info")
    if left:
        lines.append(f"lintml: {_plural(len(left), 'finding')} left for a person:")
        for finding in left:
            where = f"{finding.path}:{finding.line}" if finding.line else finding.path
            lines.append(one_line(f"  {where}: {finding.rule} [{finding.severity}] {finding.message}"))
            if finding.fix:
                lines.append(one_line(f"      fix: {finding.fix}"))
    return lines


def index_listing(path: Path, projects: Sequence[UpstreamProject], models: Sequence[KnownModel]) -> list[str]:
    """`lintml index list`: the index's upstreams (name, version, license, release date, files, source) and
    known models, in columns."""
    if not projects and not models:
        return [safe_line(f"{path}: no upstreams (add one with `lintml index add NAME SOURCE`)")]
    lines = [safe_line(f"{path}:")]
    if projects:
        width = max(len(project.name) for project in projects)
        for project in projects:
            lines.append(
                safe_line(
                    f"  {project.name:<{width}}  {project.version or '-':<14}  {project.license or 'unknown':<20}"
                    f"  {(project.released or '-')[:10]:<10}  {project.files:>6} files  {project.source or '-'}"
                )
            )
    if models:
        lines.append("models:")
        width = max(len(model.name) for model in models)
        for model in models:
            lines.append(safe_line(f"  {model.name:<{width}}  {model.license or 'unknown':<28}  {model.what()}"))
    return lines


def upstream_record(project: UpstreamProject, paths: Sequence[str], *, show_files: bool = False) -> list[str]:
    """`lintml index info`: one upstream's version, URL, license, source, copyright lines, the repositories its
    README credits and who develops it, NOTICE and files."""
    rows = [
        ("name", project.name),
        ("version", project.version or "-"),
        ("released", project.released or "-"),
        ("license", project.license or "unknown"),
        ("url", project.url or "-"),
        ("source", project.source or "-"),
        ("sha256", project.source_sha256 or "-"),
        ("added", project.added),
        ("files", f"{project.files} ({project.tokens} tokens)"),
    ]
    lines = [f"{key + ':':<10} {value}" for key, value in rows]
    lines.append("copyright:" if project.copyrights else "copyright: none recorded")
    lines += [f"  {line}" for line in project.copyrights[:20]]
    if project.acknowledged:
        lines.append("credits:   (repositories its README credits)")
        lines += [f"  {address}" for address in project.acknowledged]
    if project.people:
        lines.append("people:    (who its manifests and README say develop it)")
        lines += [f"  {names}" for names in project.people]
    if project.notice:
        lines.append("NOTICE:")
        lines += [f"  {line}".rstrip() for line in project.notice.splitlines()]
    else:
        lines.append("NOTICE:    none")
    if show_files:
        lines.append("indexed files:")
        lines += [f"  {path}" for path in paths]
    return [safe_line(line) for line in lines]
