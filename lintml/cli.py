"""The ``lintml`` command: parse options, call :mod:`lintml.api`, print, choose the exit code.

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage or configuration
error (one line on stderr, a traceback only with ``--debug``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from lintml import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMAT_NAMES = ("text", "json", "sarif", "github")
SEVERITY_NAMES = ("error", "warning", "info")

F = TypeVar("F", bound=Callable[..., Any])


def _reports_errors(command: F) -> F:
    """Turn lintml's own user-facing errors into one line and exit code 2."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        from lintml.api import UsageError
        from lintml.config import ConfigError
        from lintml.rules import RuleError

        context = click.get_current_context()
        debug = bool(context.find_root().params.get("debug") or kwargs.pop("debug", False))
        try:
            return command(*args, **kwargs)
        except (UsageError, ConfigError, RuleError) as error:
            if debug:
                raise
            click.echo(f"lintml: error: {error}", err=True)
            sys.exit(EXIT_USAGE)
        except OSError as error:  # e.g. --output into a folder that cannot be written
            if debug:
                raise
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"lintml: error: {where}{error.strerror or error}", err=True)
            sys.exit(EXIT_USAGE)

    return run  # type: ignore[return-value]


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or configuration error.",
)
@click.version_option(__version__, "--version", "-V", prog_name="lintml")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors instead of one-line messages.")
def main(debug: bool) -> None:
    """lintml: a license compliance linter for machine-learning repositories.

    It finds what in a repository came from someone else, under which license, and which
    of that license's obligations are not met: license files, notices, model-card
    licenses. Run `lintml check` in a repository to start.
    """


@main.command(short_help="Check a repository, or some files in it, for unmet license obligations.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "output_format",
    type=click.Choice(FORMAT_NAMES),
    default="text",
    show_default=True,
    help="text for people, json for scripts (docs/json-output.md), sarif for code scanning, github for "
    "workflow annotations.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Configuration file (.lintml.yaml or pyproject.toml). Default: the nearest one upwards.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_NAMES),
    help="Exit with 1 when a finding is at least this severe. Default: from config, else error.",
)
@click.option("--select", multiple=True, metavar="ID", help="Run only these rules (id or prefix; repeatable).")
@click.option("--ignore", multiple=True, metavar="ID", help="Skip these rules (id or prefix; repeatable).")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root when checking single files. Default: the enclosing git work tree.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache.")
@click.option("--color/--no-color", default=None, help="Colour text output. Default: when writing to a terminal.")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors instead of one-line messages.")
@_reports_errors
def check(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    config_file: Path | None,
    fail_on: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    root: Path | None,
    no_cache: bool,
    color: bool | None,
) -> None:
    """Check a repository (default: the current folder) or only the FILES given.

    With files (as pre-commit passes them), only those are checked, together with the
    repository-level facts they need (license files, manifests, the model card).
    """
    from lintml import api
    from lintml.report import ReportContext, format_findings

    result = api.check(
        paths or (".",),
        root=root,
        config_file=config_file,
        select=select,
        ignore=ignore,
        fail_on=fail_on,
        use_cache=not no_cache,
    )
    to_terminal = output is None and sys.stdout.isatty()
    context = ReportContext(
        version=__version__,
        root=os.path.relpath(result.root) if result.root else ".",
        color=to_terminal if color is None else color,
        files_checked=result.files_checked,
        extras={"skipped": len(result.skipped)},
    )
    report = format_findings(output_format, result.findings, result.rules, context)
    if output is not None:
        _write_atomically(output, report)
    else:
        click.echo(report, nl=not report.endswith("\n"))
    sys.exit(EXIT_FINDINGS if result.failed() else EXIT_CLEAN)


def _write_atomically(path: Path, text: str) -> None:
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private; a report gets the usual permissions (or keeps the old file's).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text if text.endswith("\n") else text + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@main.command("rules", short_help="List every rule: id, severity, category and title.")
@_reports_errors
def list_rules() -> None:
    """List every rule: id, default severity, category and title."""
    from lintml.rules import shipped_rules

    rules = shipped_rules()
    width = max(len(rule.id) for rule in rules)
    for rule in rules:
        click.echo(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.category:<16}  {rule.title}")


@main.command("rule", short_help="Print one rule's docs: what, why, clauses, example, fix.")
@click.argument("rule_id")
@_reports_errors
def show_rule(rule_id: str) -> None:
    """Print one rule's documentation: what it does, why, an example and the fix."""
    from lintml.api import UsageError
    from lintml.rules import find_rule, render_rule_docs, shipped_rules

    rules = shipped_rules()
    rule = find_rule(rules, rule_id)
    if rule is None:
        known = ", ".join(item.id for item in rules)
        raise UsageError(f"no rule {rule_id!r} (known rules: {known})")
    click.echo(render_rule_docs(rule))


if __name__ == "__main__":  # pragma: no cover
    main()
