"""The public API every front end calls: the CLI, the pre-commit hooks, the Action and the tests.

``check()`` runs the whole flow on a folder (or some files in it); ``check_source()``
runs it on any :class:`~lintml.repository.Source`, such as an in-memory repository;
``fix()`` repairs what it can; ``sbom()`` writes a bill of materials of what a check finds;
``audit()`` compares a fork with its upstreams; ``index_*``
administer upstream indexes. Each is a thin function over the module that does the work:
:mod:`lintml.targets` (what a run looks at), :mod:`lintml.engine` (a check, a fix),
:mod:`lintml.provenance.admin` (indexes), :mod:`lintml.audit`, :mod:`lintml.models.compare`.
A git that does not answer in time is a :class:`UsageError` here, as any other mistake of the user's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from lintml.config import Config, ConfigError
from lintml.engine import READ_KINDS, CheckResult, FixResult, check_prepared, check_source, fix_prepared
from lintml.errors import UsageError
from lintml.git import GitTimeoutError
from lintml.provenance import admin
from lintml.provenance.admin import index_info, index_models, index_projects, index_remove, model_license_id
from lintml.provenance.catalog import user_index_path
from lintml.provenance.index import IndexFileError, UpstreamProject
from lintml.provenance.upstream import DEFAULT_UNPACK_LIMITS, UnpackLimits, UpstreamSpec
from lintml.rules import Rule
from lintml.targets import prepare, project_root

if TYPE_CHECKING:
    from lintml.audit import AuditResult
    from lintml.models.compare import ModelComparison
    from lintml.models.known import KnownModel

# What front ends use, including names whose home is elsewhere (re-exported here for them).
__all__ = [
    "READ_KINDS",
    "CheckResult",
    "ConfigError",
    "FixResult",
    "UpstreamSpec",
    "UsageError",
    "audit",
    "check",
    "check_source",
    "compare_models",
    "fix",
    "index_add",
    "index_add_model",
    "index_info",
    "index_models",
    "index_projects",
    "index_remove",
    "model_license_id",
    "project_root",
    "sbom",
    "sbom_formats",
    "user_index_path",
]

_Arguments = ParamSpec("_Arguments")
_Returned = TypeVar("_Returned")


def _git_answers_in_time(function: Callable[_Arguments, _Returned]) -> Callable[_Arguments, _Returned]:
    """A git that did not answer (a FIFO in the repository's config) is a usage error: one line, exit 2."""

    @wraps(function)
    def run(*args: _Arguments.args, **kwargs: _Arguments.kwargs) -> _Returned:
        try:
            return function(*args, **kwargs)
        except GitTimeoutError as error:
            raise UsageError(str(error)) from None

    return run


@_git_answers_in_time
def check(
    paths: Sequence[str | Path] = (".",),
    *,
    root: str | Path | None = None,
    config: Config | None = None,
    config_file: str | Path | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    fail_on: str | None = None,
    use_cache: bool = True,
    rules: tuple[Rule, ...] | None = None,
    indexes: Sequence[str | Path] = (),
    use_catalog: bool | None = None,
    diff_base: str | None = None,
) -> CheckResult:
    """Check a repository folder, or only the given files or folders in it.

    ``indexes`` are upstream indexes to consult besides the configuration's ``upstreams``, the
    user's index and (unless ``use_catalog`` is false) the catalog shipped with lintml.

    The project root is ``root`` when given, else the nearest folder at or above the first path
    that looks like a project's top (a git work tree, a license file, a manifest, a lintml
    configuration). Files and subfolders are checked with the repository-level facts they need.

    ``diff_base`` (a commit, branch or tag) narrows the check to the files changed since it (see
    :func:`lintml.git.changed_since`) among those ``paths`` hold; repository-level rules still run.
    """
    prepared = prepare(
        paths, root, config, config_file, select, ignore, fail_on, indexes, use_catalog, diff_base=diff_base
    )
    return check_prepared(prepared, use_cache=use_cache, rules=rules)


@_git_answers_in_time
def fix(
    paths: Sequence[str | Path] = (".",),
    *,
    dry_run: bool = False,
    date: str | None = None,
    root: str | Path | None = None,
    config_file: str | Path | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    indexes: Sequence[str | Path] = (),
    use_catalog: bool | None = None,
    use_cache: bool = True,
    diff_base: str | None = None,
) -> FixResult:
    """Repair what can be repaired among the findings of a check, then check again.

    Every repair edits an in-memory copy first; only when all have run are the changed files
    written, each atomically. ``date`` (ISO) goes into change notices: default today, or the
    day of ``SOURCE_DATE_EPOCH`` when set.
    """
    prepared = prepare(paths, root, None, config_file, select, ignore, None, indexes, use_catalog, diff_base=diff_base)
    return fix_prepared(prepared, dry_run=dry_run, date=date, use_cache=use_cache)


def sbom_formats() -> list[str]:
    """The bill-of-materials formats :func:`sbom` writes (``cyclonedx``, ``spdx``, ``spdx-tagvalue``, ...)."""
    from lintml.report import SBOM_FORMATTERS

    return sorted(SBOM_FORMATTERS)


@_git_answers_in_time
def sbom(
    path: str | Path = ".",
    *,
    format: str = "cyclonedx",
    root: str | Path | None = None,
    config_file: str | Path | None = None,
    indexes: Sequence[str | Path] = (),
    use_catalog: bool | None = None,
    use_cache: bool = True,
) -> str:
    """A bill of materials of the repository at ``path``: CycloneDX 1.6 JSON (``cyclonedx``), SPDX 2.3 JSON
    (``spdx``) or tag-value (``spdx-tagvalue``). It lists the project, every upstream its code was traced to
    (with the files and lines that carry it), its models with their base models and weights, and its declared
    requirements: see docs/sbom.md. Same tree, same document, but for the creation time (``SOURCE_DATE_EPOCH``
    pins it)."""
    from lintml.report import SBOM_FORMATTERS
    from lintml.sbom import bill_of

    try:
        formatter = SBOM_FORMATTERS.named(format)
    except ValueError as error:
        raise UsageError(str(error)) from None
    prepared = prepare([path], root, None, config_file, (), (), None, indexes, use_catalog)
    return formatter(bill_of(prepared, use_cache=use_cache))


@_git_answers_in_time
def index_add(
    specs: Sequence[UpstreamSpec],
    *,
    index_path: str | Path | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
    compact: bool = True,
    unpack_limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
) -> list[UpstreamProject]:
    """Add (or replace) upstream projects in an index: see :func:`lintml.provenance.admin.index_add`."""
    return admin.index_add(
        specs, index_path=index_path, jobs=jobs, progress=progress, compact=compact, unpack_limits=unpack_limits
    )


def index_add_model(
    name: str,
    path: str | Path,
    *,
    license_id: str | None = None,
    aliases: Sequence[str] = (),
    index_path: str | Path | None = None,
) -> tuple[KnownModel, list[str]]:
    """Record a model under its Hub name in an index: see :func:`lintml.provenance.admin.index_add_model`."""
    return admin.index_add_model(name, path, license_id=license_id, aliases=aliases, index_path=index_path)


@_git_answers_in_time
def audit(
    fork: str | Path,
    upstreams: Sequence[str | Path],
    *,
    jobs: int | None = None,
    obligations: bool = True,
    progress: Callable[[str], None] | None = None,
    unpack_limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
) -> AuditResult:
    """Audit a fork (folder or git URL[@REF]) against upstreams: see :mod:`lintml.audit`. A side given as an
    archive may unpack to no more than ``unpack_limits``."""
    from lintml.audit import AuditError
    from lintml.audit.run import audit as run_audit

    for given in [fork, *upstreams]:
        text = str(given)
        if "://" not in text and "@" not in text and "=" not in text and not Path(text).exists():
            raise UsageError(f"{text}: no such folder, archive or git URL")
    try:
        return run_audit(
            str(fork),
            [str(item) for item in upstreams],
            jobs=jobs,
            obligations=obligations,
            progress=progress,
            unpack_limits=unpack_limits,
        )
    except (AuditError, IndexFileError) as error:
        raise UsageError(str(error)) from None


def compare_models(a: str | Path, b: str | Path) -> ModelComparison:
    """Compare two model folders (or weights files): config, tokenizer and weights."""
    from lintml.models.compare import ModelReadError
    from lintml.models.compare import compare_models as compare

    try:
        return compare(Path(a), Path(b))
    except ModelReadError as error:
        raise UsageError(str(error)) from None
