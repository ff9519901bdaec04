"""The ``lintml`` command: parse options, call :mod:`lintml.api`, print what :mod:`lintml.report` renders,
choose the exit code. Output formats are the registered formatters' names (:data:`lintml.report.FORMATTERS`,
:data:`lintml.report.AUDIT_FORMATTERS`).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings; 2 usage, configuration or I/O
error (one line on stderr, a traceback only with ``--debug``), and for ``fix`` a file it could
not write (one line per file).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from lintml import __version__

if TYPE_CHECKING:
    from lintml.provenance.upstream import UnpackLimits

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
SEVERITY_NAMES = ("error", "warning", "info")

F = TypeVar("F", bound=Callable[..., Any])


def _reports_errors(command: F) -> F:
    """Every abnormal end as one line on stderr and exit code 2; the traceback only with ``--debug``.

    lintml's own errors (a missing path, a bad configuration, an index or upstream it cannot use)
    say what is wrong and where; an OSError names its file; anything else is a bug in lintml,
    said as such. Nothing a scanned repository holds can make lintml print a traceback.
    """

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        settings = click.get_current_context().find_object(Settings)
        debug = settings is not None and settings.debug
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own: usage errors already exit 2 with a message
        except KeyboardInterrupt:
            if debug:
                raise
            _fail("interrupted")
        except Exception as error:
            if debug:
                raise
            _fail(_describe_error(error))

    return run  # type: ignore[return-value]


def _describe_error(error: Exception) -> str:
    from lintml.config import ConfigError
    from lintml.errors import UsageError
    from lintml.ruledata import RuleError

    if isinstance(error, UsageError | ConfigError | RuleError):
        return str(error)
    if isinstance(error, OSError):  # e.g. --output into a folder that cannot be written
        where = f"{os.fsdecode(error.filename)}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    if isinstance(error, MemoryError):
        return "out of memory (a file too large to read? lower max-file-size or exclude it)"
    detail = str(error) or type(error).__name__
    return f"internal error: {type(error).__name__}: {detail} (run again with --debug for the traceback, and report it)"


class _Program(click.Group):
    """The ``lintml`` group as a program: once the command has ended and its output is flushed, the process
    ends without tearing down what it built.

    Freeing a large heap object by object is slow: scancode's license index alone (~400 MB of Python objects)
    takes about two seconds to free at interpreter exit, after the report is already out. So, when run as a
    program (the console script, ``python -m lintml.cli``), the exit code is taken from the command, exit
    handlers run (temporary folders, pools), standard output and error are flushed, and the process ends with
    ``os._exit``. The facts cache is committed and closed by the engine before a command returns, and
    ``--output`` files are written and closed by then. Called in-process (``main.main(...)``, click's
    ``CliRunner``, ``standalone_mode=False``) it behaves as any click group; :mod:`lintml.api` never exits.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().__call__(*args, **kwargs)
        # A run makes a great many objects that live until it ends (facts, matches, findings), and few cycles:
        # collecting every 700 allocations, Python's default, cost a warm check of a large tree a twentieth of
        # its time and freed nothing. As a program only; lintml.api leaves the host's settings alone.
        gc.set_threshold(_COLLECT_EVERY, 20, 100)
        try:
            super().__call__(*args, **kwargs)
            code: object = 0
        except SystemExit as exit_:
            code = exit_.code
        _end_process(code)


_COLLECT_EVERY = 50_000  # allocations between two collections of the youngest generation


def _end_process(code: object) -> None:
    """Exit with ``code`` as ``sys.exit(code)`` would, without freeing the heap first."""
    import atexit

    if code is None:
        status = EXIT_CLEAN
    elif isinstance(code, int):
        status = code
    else:  # as the interpreter does with sys.exit("message")
        sys.stderr.write(f"{code}\n")
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (lintml check | head): the interpreter ends with 120
            if status == EXIT_CLEAN:
                status = 120
    os._exit(status)


def _fail(message: str) -> None:
    """Say ``message`` on one line of stderr, whatever it holds, and exit with the usage code."""
    from lintml.report import one_line

    click.echo(f"lintml: error: {one_line(message)}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(
    cls=_Program,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage, configuration or I/O error "
    "(for fix, also a file it could not write).",
)
@click.version_option(__version__, "--version", "-V", prog_name="lintml")
@click.option(
    "--debug",
    is_flag=True,
    help="Show tracebacks for errors instead of one-line messages (before the command: lintml --debug check).",
)
@click.pass_context
def main(context: click.Context, debug: bool) -> None:
    """lintml: a license compliance linter for machine-learning repositories.

    It finds what in a repository came from someone else, under which license, and which
    of that license's obligations are not met: license files, notices, model-card
    licenses. Run `lintml check` in a repository to start.
    """
    context.obj = Settings(debug=debug)


@dataclass(frozen=True)
class Settings:
    """What the group's options set for every command (``ctx.obj``)."""

    debug: bool = False


class _Registered(click.Choice):
    """A choice among the names registered in a registry, read when first needed (importing the formatters
    is left to the commands that use them, so `lintml --version` and the hooks start quickly)."""

    def __init__(self, names: Callable[[], Sequence[str]]) -> None:
        super().__init__(())
        self._names = names

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        return tuple(self._names())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        pass  # click.Choice sets it in __init__; the registry is the only source


def _check_formats() -> Sequence[str]:
    """The formats `lintml check --format` accepts: every registered formatter, text first."""
    from lintml.report import FORMATTERS

    return sorted(FORMATTERS, key=lambda name: (name != "text", name))


def _audit_formats() -> Sequence[str]:
    """The formats `lintml audit --format` accepts: every registered audit formatter, text first."""
    from lintml.report import AUDIT_FORMATTERS

    return sorted(AUDIT_FORMATTERS, key=lambda name: (name != "text", name))


def use_color(asked: bool | None, to_terminal: bool) -> bool:
    """Colour when asked (``--color`` keeps the escapes in a pipe too), never with ``--no-color``; else when
    writing to a terminal and ``NO_COLOR`` is unset or empty (https://no-color.org)."""
    if asked is not None:
        return asked
    return to_terminal and not os.environ.get("NO_COLOR")


_CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="Configuration file (.lintml.yaml or pyproject.toml). Default: the nearest one upwards.",
)
_ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Repository root when given single files. Default: the enclosing git work tree.",
)
_INDEXES_OPTION = click.option(
    "--index",
    "indexes",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Also look for copied code in this upstream index (repeatable; see `lintml index`).",
)
_NO_CATALOG_OPTION = click.option(
    "--no-catalog", is_flag=True, help="Do not consult the catalog of upstream projects shipped with lintml."
)
_NO_CACHE_OPTION = click.option("--no-cache", is_flag=True, help="Neither read nor write the facts cache.")
_SHARED_OPTIONS = (
    _CONFIG_OPTION,
    click.option("--select", multiple=True, metavar="ID", help="Only these rules (id or prefix; repeatable)."),
    click.option("--ignore", multiple=True, metavar="ID", help="Not these rules (id or prefix; repeatable)."),
    _ROOT_OPTION,
    _INDEXES_OPTION,
    _NO_CATALOG_OPTION,
    _NO_CACHE_OPTION,
)


def _shared_options(command: F) -> F:
    """The options `check` and `fix` share: configuration, rule selection, root, indexes, cache."""
    for option in reversed(_SHARED_OPTIONS):
        command = option(command)
    return command


class _Size(click.ParamType):
    """A size on the command line: 2000000, 500MB, 2GB (K, M and G are powers of 1024, as in max-file-size)."""

    name = "size"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        from lintml.config import parse_size

        size = parse_size(str(value))
        if size is None or size <= 0:
            self.fail(f"{value!r} is not a size such as 2000000, 500MB or 2GB", param, ctx)
        return size


# Defaults (None) are those of lintml.provenance.upstream.UnpackLimits, not imported here to keep start-up light.
_UNPACK_OPTIONS = (
    click.option(
        "--max-unpacked-size",
        type=_Size(),
        metavar="SIZE",
        help="Refuse an archive (sdist, wheel, zip, tar) that unpacks to more than this. Default: 1GB.",
    ),
    click.option(
        "--max-unpacked-files",
        type=click.IntRange(min=1),
        metavar="N",
        help="Refuse an archive that unpacks to more files and folders than this. Default: 100000.",
    ),
)


def _unpack_options(command: F) -> F:
    for option in reversed(_UNPACK_OPTIONS):
        command = option(command)
    return command


def _unpack_limits(max_size: int | None, max_files: int | None) -> UnpackLimits:
    """The UnpackLimits the options ask for; what they leave out keeps its default."""
    from lintml.provenance.upstream import DEFAULT_UNPACK_LIMITS, UnpackLimits

    return UnpackLimits(
        max_bytes=max_size or DEFAULT_UNPACK_LIMITS.max_bytes, max_files=max_files or DEFAULT_UNPACK_LIMITS.max_files
    )


_DIFF_BASE_OPTION = click.option(
    "--diff-base",
    metavar="REF",
    help="Only the files changed since REF (a commit, branch or tag): committed since its merge base with "
    "HEAD, staged, unstaged or untracked; renamed files by their new path, deleted ones left out. With "
    "PATHS, only the changed files among them. Repository-level rules still run.",
)


@main.command(short_help="Check a repository, or some files in it, for unmet license obligations.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "output_format",
    type=_Registered(_check_formats),
    default="text",
    show_default=True,
    help="text for people, json for scripts (docs/json-output.md), sarif for code scanning, github for "
    "workflow annotations; any other registered formatter by its name.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of standard output.",
)
@_shared_options
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITY_NAMES),
    help="Exit with 1 when a finding is at least this severe. Default: from config, else error.",
)
@_DIFF_BASE_OPTION
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour text output, also into a pipe or file. Default: on a terminal, unless NO_COLOR is set.",
)
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
    indexes: tuple[Path, ...],
    no_catalog: bool,
    no_cache: bool,
    diff_base: str | None,
    color: bool | None,
) -> None:
    """Check a repository (default: the current folder) or only the FILES given.

    With files (as pre-commit passes them), only those are checked, together with the
    repository-level facts they need (license files, manifests, the model card).

    With --diff-base REF, only the files changed since REF (as a pull request against REF would
    bring them in), and of those only the ones under PATHS when PATHS are given; the rules about
    the whole repository still run. A REF git does not know is an error (exit code 2).
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
        indexes=indexes,
        use_catalog=False if no_catalog else None,
        diff_base=diff_base,
    )
    to_terminal = output is None and sys.stdout.isatty()
    context = ReportContext(
        version=__version__,
        root=os.path.relpath(result.root) if result.root else ".",
        color=use_color(color, to_terminal),
        files_checked=result.files_checked,
        extras={"skipped": len(result.skipped)},
    )
    report = format_findings(output_format, result.findings, result.rules, context)
    if output is not None:
        _write_atomically(output, report)
    else:
        # color=True: click would otherwise strip the colours asked for with --color from a pipe.
        click.echo(report, nl=not report.endswith("\n"), color=True if context.color else None)
    sys.exit(EXIT_FINDINGS if result.failed() else EXIT_CLEAN)


def _echo_line(text: str, err: bool = False) -> None:
    """Print one line that quotes an upstream, an index or a model: its control characters escaped, tabs kept."""
    from lintml.report.tables import safe_line

    click.echo(safe_line(text), err=err)


def _write_atomically(path: Path, text: str) -> None:
    from lintml.files import write_atomically

    write_atomically(path, text if text.endswith("\n") else text + "\n")


@main.command(short_help="Repair what can be repaired: change notices, copyright lines, NOTICE, license texts.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the diff of what would change; write nothing.")
@click.option(
    "--date",
    metavar="YYYY-MM-DD",
    help="The date written into change notices. Default: today (or SOURCE_DATE_EPOCH's day).",
)
@_shared_options
@_DIFF_BASE_OPTION
@_reports_errors
def fix(
    paths: tuple[Path, ...],
    dry_run: bool,
    date: str | None,
    config_file: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    root: Path | None,
    indexes: tuple[Path, ...],
    no_catalog: bool,
    no_cache: bool,
    diff_base: str | None,
) -> None:
    """Repair the findings of `lintml check` that need no judgement, and print a diff of every change.

    \b
    - change-notice: adds a comment saying the file was modified from its upstream (name,
      file, license, URL, date), after any shebang, encoding line and license header;
    - copyright-notice: puts the upstream file's copyright lines (and an SPDX tag for its
      license) back at the top of the copy;
    - notice-file: creates or extends NOTICE with the upstream's NOTICE text;
    - license-text: writes LICENSES/<SPDX-id>.txt from scancode's license data;
    - model-license-duty: writes the Notice sentence a model license fixes (Llama, Gemma,
      Qwen) into the model's NOTICE file; its other duties need a person.

    Conflicts, attribution and your project's own license need a person: they are listed,
    not changed. Files are written atomically, only when they change; a second run changes
    nothing. Every target is checked before the first write; a file that cannot be written
    (read-only, disk full, a file where its folder should be) is named with the reason and left
    as it was, and the other files are still written. The diff goes to standard output (control
    characters escaped when it is a terminal), the summary to standard error.

    \b
    Exit code 0 when no error-level finding remains, 1 otherwise (in a dry run, also when a
    change is pending), 2 when a file could not be written: a write failure is a fault of the
    system, not a finding, so it must not read as "findings left" (1) or, when the repair was
    for a warning, as clean (0).
    """
    import datetime

    from lintml import api
    from lintml.report import for_terminal
    from lintml.report.tables import fix_summary

    if date is not None:
        try:
            datetime.date.fromisoformat(date)
        except ValueError:
            raise click.UsageError(f"--date {date!r}: expected YYYY-MM-DD") from None
    result = api.fix(
        paths or (".",),
        dry_run=dry_run,
        date=date,
        root=root,
        config_file=config_file,
        select=select,
        ignore=ignore,
        indexes=indexes,
        use_catalog=False if no_catalog else None,
        use_cache=not no_cache,
        diff_base=diff_base,
    )
    # Piped, the diff is a patch and must carry the files' bytes (color=True: click would strip escape
    # sequences from it); on a terminal, nothing in them may act.
    to_terminal = sys.stdout.isatty()
    for change in result.changes:
        diff = change.diff()
        click.echo(for_terminal(diff) if to_terminal else diff, nl=False, color=True)
    for line in fix_summary(result):
        click.echo(line, err=True)
    if result.unwritten:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if result.failed() else EXIT_CLEAN)


def _sbom_formats() -> Sequence[str]:
    """The formats `lintml sbom --format` accepts: every registered SBOM formatter, cyclonedx first."""
    from lintml.report import SBOM_FORMATTERS

    return sorted(SBOM_FORMATTERS, key=lambda name: (name != "cyclonedx", name))


@main.command(short_help="Write a bill of materials (CycloneDX 1.6 or SPDX 2.3) of what lintml finds.")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "output_format",
    type=_Registered(_sbom_formats),
    default="cyclonedx",
    show_default=True,
    help="cyclonedx (CycloneDX 1.6 JSON with ML-BOM), spdx (SPDX 2.3 JSON) or spdx-tagvalue (SPDX 2.3 tag-value).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document to FILE instead of standard output.",
)
@_CONFIG_OPTION
@_ROOT_OPTION
@_INDEXES_OPTION
@_NO_CATALOG_OPTION
@_NO_CACHE_OPTION
@_reports_errors
def sbom(
    path: Path | None,
    output_format: str,
    output: Path | None,
    config_file: Path | None,
    root: Path | None,
    indexes: tuple[Path, ...],
    no_catalog: bool,
    no_cache: bool,
) -> None:
    """Write a bill of materials of the repository at PATH (default: the current folder).

    It lists the project (declared and detected license, copyright lines), every upstream its code
    was traced to (purl or VCS commit, license, copyright, and the files and lines here that carry
    it, with the evidence grade), its models (card, architecture, base models and the evidence for
    them, weights with SHA-256) and its declared requirements: see docs/sbom.md. The same tree gives
    the same document; SOURCE_DATE_EPOCH pins its creation time. Exit code 0, or 2 on an error.
    """
    from lintml import api

    document = api.sbom(
        path or Path("."),
        format=output_format,
        root=root,
        config_file=config_file,
        indexes=indexes,
        use_catalog=False if no_catalog else None,
        use_cache=not no_cache,
    )
    if output is not None:
        _write_atomically(output, document)
    else:
        click.echo(document, nl=not document.endswith("\n"))


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
    from lintml.errors import UsageError
    from lintml.rules import find_rule, render_rule_docs, shipped_rules

    rules = shipped_rules()
    rule = find_rule(rules, rule_id)
    if rule is None:
        known = ", ".join(item.id for item in rules)
        raise UsageError(f"no rule {rule_id!r} (known rules: {known})")
    click.echo(render_rule_docs(rule))


@main.group(short_help="Manage upstream indexes: the projects copied code is looked up in.")
def index() -> None:
    """Manage upstream indexes.

    An index records the fingerprints of upstream projects, so `lintml check` can tell which
    local files came from them, even renamed and reformatted. lintml ships a catalog of widely
    copied ML projects; add your own upstreams to your index (default: the user data folder,
    or $LINTML_INDEX), or to a shared file with --index and pass it to `lintml check --index`.
    """


_INDEX_OPTION = click.option(
    "--index",
    "index_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="The index file. Default: $LINTML_INDEX, else the user index in the lintml data folder.",
)


@index.command("add", short_help="Add an upstream project (folder, sdist/wheel, or git URL[@ref]).")
@click.argument("name")
@click.argument("source")
@click.option(
    "--license",
    "license_id",
    default="auto",
    show_default=True,
    metavar="SPDX|auto",
    help="The upstream's license (SPDX), NONE if it grants none; auto reads its license files and manifest "
    "(NONE when it has no license file, no license metadata and no license notice).",
)
@click.option("--url", help="Where the upstream lives (default: from its package metadata or git URL).")
@click.option("--version", "version", help="Its version (default: from package metadata, or the git commit).")
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Leave out matching files (gitignore style; repeatable)."
)
@_INDEX_OPTION
@_unpack_options
@_reports_errors
def index_add(
    name: str,
    source: str,
    license_id: str,
    url: str | None,
    version: str | None,
    exclude: tuple[str, ...],
    index_path: Path | None,
    max_unpacked_size: int | None,
    max_unpacked_files: int | None,
) -> None:
    """Add the upstream NAME from SOURCE to an index, replacing an upstream of the same name.

    SOURCE is a folder, a source distribution or wheel (.tar.gz, .zip, .whl), or a git URL with
    an optional @REF (a tag, branch or commit), cloned into the lintml cache. Nothing in it is run.
    """
    from lintml import api
    from lintml.provenance.upstream import UpstreamSpec

    spec = UpstreamSpec(name, source, license_id, url, version, tuple(exclude))
    _echo_line(f"lintml: indexing {source} ...", err=True)
    limits = _unpack_limits(max_unpacked_size, max_unpacked_files)
    (project,) = api.index_add([spec], index_path=index_path, unpack_limits=limits)
    where = index_path or api.user_index_path()
    _echo_line(
        f"added {project.label()} ({project.license or 'license unknown'}): {project.files} files,"
        f" {project.tokens} tokens, to {where}"
    )
    if project.license == "NONE":
        _echo_line(
            f"lintml: warning: {name} has no license file, no license metadata and no license notice, so it"
            " grants no license (NONE): code copied from it will be reported as a license-conflict. Pass"
            " --license SPDX if it is licensed somewhere lintml did not look.",
            err=True,
        )
    elif project.license is None:
        _echo_line(
            f"lintml: warning: no license found for {name}; copies of it will be reported as coming from an"
            " upstream with no known license. Pass --license SPDX if you know it.",
            err=True,
        )


@index.command("add-model", short_help="Record a model (config, tokenizer, weight sketch) to recognise derivatives.")
@click.argument("name")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--license",
    "license_id",
    metavar="ID",
    help="The model's license: a Hub id (llama3, gemma, cc-by-nc-4.0 ...) or SPDX id. Default: its card's.",
)
@click.option("--alias", "aliases", multiple=True, metavar="NAME", help="Another name of the same model (repeatable).")
@_INDEX_OPTION
@_reports_errors
def index_add_model(
    name: str, path: Path, license_id: str | None, aliases: tuple[str, ...], index_path: Path | None
) -> None:
    """Record the model NAME (its Hub id) from PATH, a model folder or weights file, in an index.

    lintml keeps its normalised config, a tokenizer fingerprint and a weight sketch (a few KB
    per tensor), so `lintml check` can tell models built on it, even renamed, re-prefixed or with
    noise added, and apply the duties of its license. Safetensors are memory-mapped; PyTorch
    files are read by walking their pickle opcodes, never unpickled.
    """
    from lintml import api

    _echo_line(f"lintml: reading {path} ...", err=True)
    model, problems = api.index_add_model(name, path, license_id=license_id, aliases=aliases, index_path=index_path)
    for problem in problems:
        _echo_line(f"lintml: warning: {problem} (recorded without it)", err=True)
    where = index_path or api.user_index_path()
    _echo_line(f"added model {model.name} ({model.license or 'license unknown'}): {model.what()}, to {where}")
    if model.license is None:
        _echo_line(
            f"lintml: warning: no license found for {name}; pass --license so its duties can be checked", err=True
        )


@index.command("list", short_help="List the upstream projects and known models in an index.")
@_INDEX_OPTION
@_reports_errors
def index_list(index_path: Path | None) -> None:
    """List the upstreams in an index: name, version, date, license, files and source.

    `--index catalog` lists the catalog shipped with lintml.
    """
    from lintml import api
    from lintml.provenance.catalog import CATALOG_PATH
    from lintml.report.tables import index_listing

    chosen = CATALOG_PATH if index_path is not None and str(index_path) == "catalog" else index_path
    path, projects = api.index_projects(index_path=chosen)
    models = api.index_models(index_path=path) if path.is_file() else []
    for line in index_listing(path, projects, models):
        click.echo(line)


@index.command("remove", short_help="Remove an upstream project from an index.")
@click.argument("name")
@_INDEX_OPTION
@_reports_errors
def index_remove(name: str, index_path: Path | None) -> None:
    """Remove the upstream NAME from an index."""
    from lintml import api

    api.index_remove(name, index_path=index_path)
    _echo_line(f"removed {name}")


@index.command("info", short_help="Show what an index records about one upstream.")
@click.argument("name")
@click.option("--files", "show_files", is_flag=True, help="Also list every indexed file.")
@_INDEX_OPTION
@_reports_errors
def index_info(name: str, show_files: bool, index_path: Path | None) -> None:
    """Show the upstream NAME: version, URL, license, source, NOTICE text, copyright lines, files."""
    from lintml import api
    from lintml.provenance.catalog import CATALOG_PATH
    from lintml.report.tables import upstream_record

    chosen = CATALOG_PATH if index_path is not None and str(index_path) == "catalog" else index_path
    project, paths = api.index_info(name, index_path=chosen)
    for line in upstream_record(project, paths, show_files=show_files):
        click.echo(line)


@main.command(short_help="Audit a fork against its upstreams: what was copied, renamed, stripped and owed.")
@click.argument("fork", metavar="FORK")
@click.option(
    "--upstream",
    "upstreams",
    multiple=True,
    required=True,
    metavar="[NAME=]SOURCE[@REF]",
    help="An upstream: a folder, an sdist or wheel, or a git URL with an optional @REF (repeatable).",
)
@click.option(
    "--format",
    "output_format",
    type=_Registered(_audit_formats),
    default="text",
    show_default=True,
    help="text for a terminal; json (docs/audit-json.md); html, one self-contained page.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to this file.")
@click.option("--no-obligations", is_flag=True, help="Skip running `lintml check` on the fork for its obligations.")
@click.option("--jobs", type=int, metavar="N", help="Processes fingerprinting code (default: all CPUs).")
@_unpack_options
@_reports_errors
def audit(
    fork: str,
    upstreams: tuple[str, ...],
    output_format: str,
    output: Path | None,
    no_obligations: bool,
    jobs: int | None,
    max_unpacked_size: int | None,
    max_unpacked_files: int | None,
) -> None:
    """Audit FORK (a folder or git URL[@REF]) against each --upstream, for maintainers who suspect their work
    was copied and renamed.

    Every file of the fork is paired with its best upstream file, even moved, renamed, reformatted,
    split or merged, and classified: identical, reformatted, renamed (identifiers), modified,
    partial or new; with the share of each side, the copied lines, the rename map, the upstream
    notices that were stripped and whether a change notice is there. When fork and upstream share
    git history, the merge base and the fork's commits per file are named. Model folders are
    compared (config, tokenizer, weights), and the findings of `lintml check` that the upstreams
    cause are listed as the fork's obligations, with the stripped notices and missing change notices
    the pairs show. Nothing is run or written in either repository.
    Exit code 0 when the audit ran (whatever it found), 2 on errors.
    """
    from lintml import api
    from lintml.progress import interactive
    from lintml.report import format_audit

    def say(step: str) -> None:
        click.echo(f"lintml: {step} ...", err=True)

    # On a terminal each step is named and the long ones (indexing, fingerprinting) draw a bar; piped, nothing.
    result = api.audit(
        fork,
        list(upstreams),
        jobs=jobs,
        obligations=not no_obligations,
        progress=say if interactive() else None,
        unpack_limits=_unpack_limits(max_unpacked_size, max_unpacked_files),
    )
    # The fork's names are untrusted: each format escapes them for where it is read.
    text = format_audit(output_format, result.report.as_json(), result.sources)
    if output is not None:
        _write_atomically(output, text)
        click.echo(f"lintml: wrote the audit to {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command("compare-models", short_help="Compare two model folders: config, tokenizer and weights.")
@click.argument("first", type=click.Path(path_type=Path), metavar="A")
@click.argument("second", type=click.Path(path_type=Path), metavar="B")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json")),
    default="text",
    show_default=True,
    help="Output format.",
)
@_reports_errors
def compare_models(first: Path, second: Path, output_format: str) -> None:
    """Compare the model in folder (or weights file) A with the one in B.

    Prints whether the configs are identical once names and bookkeeping are dropped (or share
    the architecture), whether the tokenizers have the same vocabulary, and whether B's weights
    derive from A's: tensors are paired by name, else by shape and statistics, and their sampled
    values correlated. Exit code 0 when B looks derived from A, 1 when not, 2 on errors.
    """
    import json as json_module

    from lintml import api
    from lintml.models.compare import describe

    comparison = api.compare_models(first, second)
    if output_format == "json":
        click.echo(json_module.dumps(comparison.as_dict(), indent=2, sort_keys=True))
    else:
        for line in describe(comparison):
            _echo_line(line)
    sys.exit(EXIT_CLEAN if comparison.related() else EXIT_FINDINGS)


if __name__ == "__main__":  # pragma: no cover
    main()
