"""The public API every front end calls: the CLI, the pre-commit hooks, the Action and the tests.

``check()`` runs the whole flow on a folder (or some files in it); ``check_source()``
runs it on any :class:`~lintml.repository.Source`, such as an in-memory repository.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import wraps
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from lintml import repository
from lintml.checks import CHECKS, USES_MODELS, USES_PROVENANCE, Report
from lintml.config import Config, ConfigError, resolve_config
from lintml.derivation import NO_LICENSE, repository_address, same_holder
from lintml.errors import UsageError
from lintml.facts.cache import FactCache, default_cache_dir
from lintml.facts.declared import authors, package_name, repository_names, requirements
from lintml.facts.extract import FactExtractor, FileFacts, Problem, decode
from lintml.facts.headers import ALL_RULES, Suppressions
from lintml.findings import SEVERITY_RANK, Finding
from lintml.git import FileHistory, GitTimeoutError, changed_after_added
from lintml.licenses import Knowledge, expression_ids, shipped_knowledge
from lintml.models.known import KnownModel

if TYPE_CHECKING:
    from lintml.audit import AuditResult
    from lintml.fixes import FileChange, WriteFailure
    from lintml.models.compare import ModelComparison
    from lintml.provenance.match import Match
from lintml.progress import track
from lintml.project import Project
from lintml.provenance.catalog import index_paths, user_index_path
from lintml.provenance.index import (
    IndexContent,
    IndexFileError,
    UpstreamIndex,
    UpstreamProject,
    recorded_projects,
    write_index,
)
from lintml.provenance.scan import ProvenanceResult, provenance
from lintml.provenance.upstream import DEFAULT_UNPACK_LIMITS, UnpackLimits, UpstreamSpec
from lintml.repository import DiskSource, RepoFile, Source
from lintml.rules import Rule, matches_selector, select_rules, shipped_rules

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


@dataclass(frozen=True)
class CheckResult:
    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    files_checked: int
    skipped: tuple[tuple[str, str], ...]
    config: Config
    root: Path | None = None
    fingerprinted: int = 0  # code files fingerprinted and matched in this run, not read from the cache

    def failed(self, fail_on: str | None = None) -> bool:
        threshold = SEVERITY_RANK[fail_on or self.config.fail_on]
        return any(SEVERITY_RANK[finding.severity] >= threshold for finding in self.findings)


# Kinds whose content lintml reads; the rest are listed and classified only.
_READ_KINDS = frozenset(
    {
        repository.PYTHON,
        repository.NOTEBOOK,
        repository.CODE,
        repository.LICENSE,
        repository.MODEL_CARD,
        repository.MANIFEST,
    }
)


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
    prepared = _prepare(
        paths, root, config, config_file, select, ignore, fail_on, indexes, use_catalog, diff_base=diff_base
    )
    cache = FactCache(default_cache_dir() if use_cache else None)
    try:
        return check_source(
            DiskSource(prepared.top),
            prepared.config,
            targets=prepared.targets,
            cache=cache,
            rules=rules,
            index_paths=prepared.index_paths,
        )
    finally:
        cache.close()


@dataclass(frozen=True)
class _Prepared:
    top: Path
    targets: frozenset[str] | None
    config: Config
    index_paths: list[Path]


def _prepare(
    paths: Sequence[str | Path],
    root: str | Path | None,
    config: Config | None,
    config_file: str | Path | None,
    select: Sequence[str],
    ignore: Sequence[str],
    fail_on: str | None,
    indexes: Sequence[str | Path],
    use_catalog: bool | None,
    diff_base: str | None = None,
) -> _Prepared:
    """The project root, the files asked for, the settings and the indexes of one run, all checked."""
    given = [Path(item) for item in (paths or (".",))]
    for item in given:
        if not item.exists() and not item.is_symlink():
            raise UsageError(f"{item}: no such file or directory")
    # The root and the targets are found from the paths as written, not from where links lead: a
    # file given as vendor/ops.py, where vendor is a link out of the repository, is a file of this
    # repository that is refused (and reported), not a reason to check the folder the link names.
    if root is not None:
        if not Path(root).is_dir():
            raise UsageError(f"{root}: --root must be an existing folder")
        lexical_top = Path(os.path.abspath(root))
    else:
        anchor = Path(os.path.abspath(given[0]))
        named_folder = anchor.is_dir()
        lexical_top = project_root(anchor if named_folder else anchor.parent, given=named_folder)
    top = lexical_top.resolve()
    targets: frozenset[str] | None = None
    if not (len(given) == 1 and Path(os.path.abspath(given[0])) == lexical_top):
        targets = frozenset(_relative_targets(given, lexical_top))
    settings = config or resolve_config(top, Path(config_file) if config_file else None)
    # Command-line choices go on top of the file's: --select replaces, --ignore adds.
    settings = replace(
        settings,
        select=tuple(select) or settings.select,
        ignore=settings.ignore + tuple(ignore),
        fail_on=fail_on or settings.fail_on,
        catalog=settings.catalog if use_catalog is None else use_catalog,
    )
    for index in indexes:
        if not Path(index).is_file():
            raise UsageError(f"{index}: no such index file (create one with `lintml index add`)")
    found = index_paths([*settings.upstreams, *map(Path, indexes)], use_catalog=settings.catalog)
    if diff_base is not None:
        targets = _changed_targets(top, diff_base, targets, settings)
    return _Prepared(top, targets, settings, found)


def _changed_targets(top: Path, ref: str, targets: frozenset[str] | None, settings: Config) -> frozenset[str]:
    """The files changed since ``ref`` that the paths asked for hold (all of them without paths)."""
    from lintml.git import RevisionError, changed_since

    try:
        changed = changed_since(top, ref)
    except RevisionError as error:
        raise UsageError(str(error)) from None
    folders = tuple(target for target in targets or () if target == "" or target.endswith("/"))
    return frozenset(
        path
        for path in changed
        if not settings.excluded(path) and (targets is None or path in targets or path.startswith(folders))
    )


_PROJECT_MARKERS = (".git", "LICENSES", "pyproject.toml", "setup.py", "setup.cfg", ".lintml.yaml", ".lintml.yml")


def project_root(start: Path, *, given: bool = True) -> Path:
    """The nearest folder at or above ``start`` that holds a project's top-level files; else ``start``.

    ``start`` itself is the folder the user named when ``given``; a folder above it that is a
    symbolic link, or lies under a linked folder below the current folder, is passed over: a
    repository can make ``vendor`` a link to anywhere, and a file given as ``vendor/ops.py`` must
    not make that anywhere the project.
    """
    start = Path(os.path.abspath(start))
    here = Path(os.path.abspath(os.curdir))
    candidates = [start, *start.parents]
    passed_over: set[Path] = set()
    for folder in candidates:
        if (folder == start and given) or folder == here:
            continue
        if folder.is_symlink():
            passed_over.add(folder)
            if folder.is_relative_to(here):
                passed_over.update(candidate for candidate in candidates if candidate.is_relative_to(folder))
    for folder in candidates:
        if folder in passed_over:
            continue
        if any((folder / marker).exists() for marker in _PROJECT_MARKERS):
            return folder
        try:
            if any(repository.is_license_file_name(entry.name) and entry.is_file() for entry in folder.iterdir()):
                return folder
        except OSError:
            continue
    return start


def _relative_targets(given: Iterable[Path], top: Path) -> Iterable[str]:
    """The paths asked for, relative to the root as written (folders end with "/", the root is "")."""
    for item in given:
        relative = os.path.relpath(os.path.abspath(item), top)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise UsageError(f"{item}: outside the repository being checked ({top})")
        relative = Path(relative).as_posix()
        if relative == ".":
            yield ""
        elif item.is_dir():
            # A folder named through a link inside the tree is that folder; one whose link leads
            # out is named as it is, and refused when its files are read.
            real = item.resolve()
            inside = real.is_relative_to(top.resolve())
            yield f"{real.relative_to(top.resolve()).as_posix()}/" if inside and real != top.resolve() else relative
        else:
            yield relative


def check_source(
    source: Source,
    config: Config,
    *,
    targets: frozenset[str] | None = None,
    cache: FactCache | None = None,
    rules: tuple[Rule, ...] | None = None,
    knowledge: Knowledge | None = None,
    index_paths: Sequence[Path] = (),
    matches: Mapping[str, list[Match]] | None = None,
) -> CheckResult:
    """The whole flow on any source: walk, facts, provenance, checks, findings.

    ``matches`` (path -> matches), when given, stand for the provenance of the code files: a caller
    that has matched them already (the audit) is not made to match them again.
    """
    return _analyse(source, config, targets, cache, rules, knowledge, index_paths, matches=matches)[0]


def _analyse(
    source: Source,
    config: Config,
    targets: frozenset[str] | None,
    cache: FactCache | None,
    rules: tuple[Rule, ...] | None,
    knowledge: Knowledge | None,
    index_paths: Sequence[Path],
    *,
    matches: Mapping[str, list[Match]] | None = None,
    group: bool = True,
) -> tuple[CheckResult, Project]:
    """:func:`check_source`, also giving the project as the checks saw it (repairs read it, file by file:
    ``group=False`` keeps one finding per file where a check gives a cause several files share)."""
    chosen = select_rules(rules or shipped_rules(), list(config.select) or None, list(config.ignore))
    _check_selectors(config, rules or shipped_rules())
    all_files = [item for item in source.files() if not config.excluded(item.path)]
    asked = targets
    if targets is not None:
        # A file named explicitly is checked even when git does not track it (yet).
        listed = {item.path for item in all_files}
        for target in sorted(targets):
            if target and not target.endswith("/") and target not in listed:
                described = source.describe(target)
                if described is not None:
                    all_files.append(described)
        all_files.sort(key=lambda item: item.path)
        folders = tuple(target for target in targets if target == "" or target.endswith("/"))
        targets = (
            frozenset(item.path for item in all_files if item.path in targets or item.path.startswith(folders))
            if folders
            else frozenset(targets)
        )
    extractor = FactExtractor(cache or FactCache(None))
    facts: dict[str, FileFacts] = {}
    code: list[tuple[str, bytes]] = []
    skipped: list[tuple[str, str]] = []
    for item in track(all_files, "reading files"):
        if item.kind not in _READ_KINDS or not _needed(item, targets):
            continue
        if item.size > config.max_file_size:
            skipped.append((item.path, f"larger than max-file-size ({item.size} > {config.max_file_size} bytes)"))
            continue
        try:
            data = source.read(item.path)
        except OSError as error:
            facts[item.path] = FileFacts(problems=(Problem("unreadable_input", f"cannot read: {error.strerror}"),))
            continue
        facts[item.path] = extractor.facts(item, data)
        if item.kind in repository.CODE_KINDS and (targets is None or item.path in targets):
            code.append((item.path, data))
    for path, detail in source.problems().items():
        if path not in facts:  # reported for the files checked, like any other unreadable input
            facts[path] = FileFacts(problems=(Problem("unreadable_input", detail),))
    found = ProvenanceResult({}, 0)
    own_names = _own_names(all_files, facts)
    if matches is not None:
        found = ProvenanceResult(dict(matches), 0)
    elif config.provenance and index_paths and any(rule.check in USES_PROVENANCE for rule in chosen):
        try:
            found = provenance(
                code,
                index_paths,
                cache or FactCache(None),
                exclude=own_names,
                same_project=_same_project(all_files, facts, knowledge or shipped_knowledge()),
                requires=_own_requirements(source, all_files),
            )
        except IndexFileError as error:
            raise ConfigError(str(error)) from None
    reads_models = any(rule.check in USES_MODELS for rule in chosen)
    project = Project(
        files=all_files,
        facts=facts,
        knowledge=knowledge or shipped_knowledge(),
        targets=targets,
        license_override=config.project_license,
        provenance=found.matches,
        vendored=config.vendored,
        read_text=lambda path: _read_text(source, path),
        history_of=_history_reader(source),
        own_names=frozenset(own_names),
        own_packages=_own_packages(all_files),
        catalogued=found.catalogued,
        known_models=tuple(_known_models(index_paths) if reads_models else ()),
        models_checked=reads_models,
        read_bytes=lambda path: _read_bytes(source, path),
        file_path=lambda path: _file_path(source, path),
        cache=cache,
        refused=_refusals_touching(source.refused(), asked),
    )
    reported = [
        (finding, report.cause)
        for rule in chosen
        for report in CHECKS[rule.check](project)
        if (finding := _finding(rule, report, config)) is not None
        and not _suppressed(finding, project.facts_of(finding.path).suppressions)
    ]
    merged = _one_per_cause(reported) if group else [finding for finding, _ in reported]
    findings = sorted(set(merged), key=Finding.sort_key)
    checked = len(targets) if targets is not None else len(all_files)
    result = CheckResult(tuple(findings), chosen, checked, tuple(skipped), config, source.root, found.fingerprinted)
    return result, project


@dataclass(frozen=True)
class FixResult:
    """What `lintml fix` changed (or, in a dry run, would change), and what is left for a person."""

    changes: tuple[FileChange, ...]  # in a real run, the changes that were written
    fixed: tuple[tuple[Finding, str], ...]  # finding, what its repair did
    unfixed: tuple[tuple[Finding, str], ...]  # finding, why lintml left it
    after: CheckResult | None  # a fresh check once the changes are written; None in a dry run
    dry_run: bool
    # Files a repair changed but that could not be written (left as they were), with the findings
    # whose repairs were lost with them; those findings are in neither ``fixed`` nor ``unfixed``.
    unwritten: tuple[WriteFailure, ...] = ()

    @property
    def failed_repairs(self) -> tuple[tuple[Finding, str], ...]:
        """Findings a repair exists for but could not make (a file not UTF-8, a link in the way ...)."""
        from lintml.fixes import NEEDS_PERSON, REPAIRS

        return tuple(
            (finding, reason) for finding, reason in self.unfixed if finding.rule in REPAIRS and reason != NEEDS_PERSON
        )

    def failed(self) -> bool:
        if self.after is not None:
            return self.after.failed()
        return bool(self.changes) or any(
            SEVERITY_RANK[finding.severity] >= SEVERITY_RANK["error"] for finding, _ in self.unfixed
        )


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
    from lintml.fixes import NEEDS_PERSON, ORDER, REPAIRS, CannotRepair, RepairContext, Workspace

    prepared = _prepare(paths, root, None, config_file, select, ignore, None, indexes, use_catalog, diff_base=diff_base)
    cache = FactCache(default_cache_dir() if use_cache else None)
    try:
        source = DiskSource(prepared.top)
        result, project = _analyse(
            source, prepared.config, prepared.targets, cache, None, None, prepared.index_paths, group=False
        )
        context = RepairContext(Workspace(prepared.top), project, date or _today())
        rank = {rule_id: position for position, rule_id in enumerate(ORDER)}
        fixed: list[tuple[Finding, str]] = []
        touched: list[frozenset[str]] = []  # the files each fixed finding's repair wrote
        unfixed: list[tuple[Finding, str]] = []
        for finding in sorted(result.findings, key=lambda item: (rank.get(item.rule, len(rank)), item.sort_key())):
            if finding.severity == "info":
                continue
            repair = REPAIRS.get(finding.rule)
            if repair is None:
                unfixed.append((finding, NEEDS_PERSON))
                continue
            start = len(context.workspace.journal)
            try:
                done = repair(finding, context)
            except CannotRepair as reason:
                unfixed.append((finding, str(reason)))
                continue
            if done is not None:
                fixed.append((finding, done))
                touched.append(frozenset(context.workspace.journal[start:]))
        changes = tuple(context.workspace.changes())
        if dry_run:
            return FixResult(changes, tuple(fixed), tuple(unfixed), None, True)
        committed = context.workspace.commit()
        unwritten = tuple(
            replace(
                failure,
                findings=tuple(item for (item, _), paths in zip(fixed, touched, strict=True) if failure.path in paths),
            )
            for failure in committed.failed
        )
        lost = {failure.path for failure in unwritten}
        fixed = [item for item, paths in zip(fixed, touched, strict=True) if not paths & lost]
        after = check_source(
            DiskSource(prepared.top),
            prepared.config,
            targets=prepared.targets,
            cache=cache,
            index_paths=prepared.index_paths,
        )
        return FixResult(committed.written, tuple(fixed), tuple(unfixed), after, False, unwritten)
    finally:
        cache.close()


def _today() -> str:
    import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).date().isoformat()
    return datetime.date.today().isoformat()


def _history_reader(source: Source) -> Callable[[Sequence[str]], Mapping[str, FileHistory]] | None:
    root = source.root
    if root is None or not getattr(source, "use_git", False):
        return None
    return lambda paths: changed_after_added(root, paths)


def _read_bytes(source: Source, path: str) -> bytes | None:
    try:
        return source.read(path)
    except (OSError, KeyError):
        return None


def _file_path(source: Source, path: str) -> Path | None:
    """A file (``""``: the root) of a folder source on disk, once its containment tree has located it inside;
    None for memory sources, and for a path that leads out of the tree or cannot be located. Readers open it
    through the tree again (``Tree(file_path(""))``), so a link swapped in later is refused too."""
    tree = getattr(source, "tree", None)
    if source.root is None or tree is None:
        return None
    try:
        tree.locate(path if path not in ("", ".") else "")
    except (OSError, ValueError):  # OutsideTree is an OSError
        return None
    return source.root / path if path not in ("", ".") else source.root


def _known_models(paths: Sequence[Path]) -> list[KnownModel]:
    """The known models of every index consulted; a later index's record of a name replaces an earlier one."""
    by_name: dict[str, KnownModel] = {}
    for path in paths:
        try:
            index = UpstreamIndex(path)
        except IndexFileError as error:
            raise ConfigError(str(error)) from None
        try:
            for model in index.models:
                by_name[model.name.lower()] = model
        except IndexFileError as error:
            raise ConfigError(str(error)) from None
        finally:
            index.close()
    return [by_name[name] for name in sorted(by_name)]


def _read_text(source: Source, path: str) -> str | None:
    try:
        return decode(source.read(path))[0]
    except OSError:
        return None


def _own_requirements(source: Source, files: Sequence[RepoFile]) -> set[str]:
    """What the checked project depends on, from its top-level PKG-INFO, pyproject.toml and setup.cfg."""
    found: set[str] = set()
    for item in files:
        if item.path in ("PKG-INFO", "pyproject.toml", "setup.cfg") and item.size < 1_000_000:
            text = _read_text(source, item.path)
            found |= requirements(item.path, text or "")
    return found


def _own_names(files: Sequence[RepoFile], facts: dict[str, FileFacts]) -> set[str]:
    """The names the checked project's top-level manifests give it: it is not a copy of itself."""
    names = set()
    for item in files:
        text = facts.get(item.path, FileFacts()).text
        if item.kind == repository.MANIFEST and "/" not in item.path and text is not None:
            name = package_name(item.path, text)
            if name:
                names.add(name)
                names.update(repository_names(text))  # a git upstream of the same repository is this project
    return names


def _same_project(
    files: Sequence[RepoFile], facts: dict[str, FileFacts], knowledge: Knowledge
) -> Callable[[UpstreamProject], bool]:
    """Whether a catalogued project named like the checked one is the same project, by identity rather than
    name: not when their licenses share no license (a fork relicensed); else, when both give a repository,
    when it is the same; else, when both name holders, when they share one; else it is taken to be."""
    top = [item for item in files if "/" not in item.path]
    addresses = {name.casefold() for item in top for name in repository_names(_manifest(facts, item)) if "/" in name}
    named = [person for item in top for person in authors(item.path, _manifest(facts, item))]
    licenses = {
        spdx
        for item in top
        if item.kind == repository.LICENSE and not item.name.lower().startswith(("notice", "third"))
        for notice in facts.get(item.path, FileFacts()).notices
        if notice.kind == "text"
        for spdx in expression_ids(knowledge.normalize_expression(notice.expression) or notice.expression)
    }

    def same(upstream: UpstreamProject) -> bool:
        theirs = set(expression_ids(upstream.license or ""))
        if licenses and theirs and not licenses & theirs:
            return False
        hosted = repository_address(upstream.url or "").casefold().split("/")
        if addresses and hosted[0] in ("github.com", "gitlab.com") and len(hosted) >= 3:
            return "/".join(hosted[1:3]) in addresses
        if named and upstream.copyrights:
            return any(same_holder(line, person) for line in upstream.copyrights for person in named)
        return True

    return same


def _manifest(facts: dict[str, FileFacts], item: RepoFile) -> str:
    return (facts.get(item.path, FileFacts()).text or "") if item.kind == repository.MANIFEST else ""


def _own_packages(files: Sequence[RepoFile]) -> frozenset[str]:
    """The top-level Python packages of the checked project: folders with an ``__init__.py`` at the root of
    the repository or of its ``src/`` folder (``open_clip`` for open_clip_torch)."""
    packages = set()
    for item in files:
        parts = PurePosixPath(item.path).parts
        if parts[-1] == "__init__.py" and (len(parts) == 2 or (len(parts) == 3 and parts[0] == "src")):
            packages.add(parts[-2])
    return frozenset(package for package in packages if package.isidentifier())


def _check_selectors(config: Config, rules: tuple[Rule, ...]) -> None:
    """A rule id or prefix that names no rule is a typo; say so instead of silently doing nothing."""
    where = str(config.source) if config.source else "the command line"
    named = [("select", item) for item in config.select] + [("ignore", item) for item in config.ignore]
    named += [("severity", rule_id) for rule_id, _ in config.severity]
    named += [("per-path-ignores", rule_id) for _, ids in config.per_path_ignores for rule_id in ids]
    for option, selector in named:
        if selector != ALL_RULES and not any(matches_selector(rule.id, selector) for rule in rules):
            raise ConfigError(f"{where}: {option}: {selector!r} names no rule (see `lintml rules`)")


def _refusals_touching(refused: Mapping[str, str], asked: frozenset[str] | None) -> dict[str, str]:
    """The refused paths (links out of the tree, ...) that the paths asked for touch: all of them when the
    whole tree is checked; else those asked for, holding a file asked for, or under a folder asked for."""
    if asked is None:
        return dict(refused)
    folders = tuple(target for target in asked if target == "" or target.endswith("/"))
    return {
        path: detail
        for path, detail in refused.items()
        if path in asked or path.startswith(folders) or any(target.startswith(path + "/") for target in asked)
    }


def _needed(item: RepoFile, targets: frozenset[str] | None) -> bool:
    """In file mode, read the targets plus what repository-level rules need."""
    if targets is None or item.path in targets:
        return True
    top_level = "/" not in item.path or item.path.startswith("LICENSES/")
    return item.kind == repository.LICENSE or (top_level and item.kind in (repository.MANIFEST, repository.MODEL_CARD))


def _finding(rule: Rule, report: Report, config: Config) -> Finding | None:
    if config.ignored_at(rule.id, report.path):
        return None
    severity = config.severity_for(rule.id, rule.severity)
    if report.grade is not None and SEVERITY_RANK[severity] > SEVERITY_RANK[report.grade.ceiling]:
        severity = report.grade.ceiling  # the evidence bounds the severity (docs/provenance.md)
    return Finding(
        rule=rule.id,
        category=rule.category,
        severity=severity,  # type: ignore[arg-type]
        path=report.path,
        line=report.line,
        end_line=report.end_line if report.end_line is not None else report.line,
        column=1 if report.line is not None else None,
        message=rule.render_message(report.params),
        fix=rule.render_fix(report.params) if report.has_fix else None,
        license=report.license,
        upstream=report.upstream,
        evidence=report.evidence,
        grade=report.grade,
    )


def _one_per_cause(reported: Sequence[tuple[Finding, tuple[str, ...] | None]]) -> list[Finding]:
    """One finding per cause: findings of one rule that a check gave the same cause (one missing license
    text, one vendored package's conflict) become the first of them, naming the other files."""
    alone = [finding for finding, cause in reported if cause is None]
    shared: dict[tuple[str, tuple[str, ...]], list[Finding]] = {}
    for finding, cause in reported:
        if cause is not None:
            shared.setdefault((finding.rule, cause), []).append(finding)
    for group in shared.values():
        group.sort(key=Finding.sort_key)
        first = group[0]
        others = tuple(dict.fromkeys(finding.path for finding in group[1:] if finding.path != first.path))
        if not others:
            alone.extend(group[:1])
            continue
        more = f"{len(others)} more file{'s' if len(others) > 1 else ''}"
        message = f"{first.message} (the same holds for {more}: see related)"
        alone.append(replace(first, message=message, related=others))
    return alone


def _suppressed(finding: Finding, suppressions: Suppressions) -> bool:
    def names(ids: Iterable[str]) -> bool:
        return any(item == ALL_RULES or matches_selector(finding.rule, item) for item in ids)

    if names(suppressions.file):
        return True
    if finding.line is None:
        return False
    last = finding.end_line or finding.line
    return any(finding.line <= line <= last and names(ids) for line, ids in suppressions.lines)


# ----------------------------------------------------------------------------- upstream indexes


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
    """Add (or replace) upstream projects in an index, creating it if needed; the projects as recorded.

    The index is rebuilt whole into a temporary file and renamed into place, so it is never half-written.
    ``progress`` is told what is being done as each upstream is read and as the index is written. An
    upstream given as an archive may unpack to no more than ``unpack_limits`` (else a UsageError).
    """
    from lintml.provenance.upstream import UpstreamError, read_upstream

    path = Path(index_path) if index_path is not None else user_index_path()
    content = _existing_content(path, replacing={spec.name for spec in specs})
    for name in {spec.name for spec in specs}:  # adding a name again replaces every version it had
        content.remove_project(name)
    added = []
    for spec in specs:
        if not spec.name.strip() or any(character.isspace() for character in spec.name):
            raise UsageError(f"{spec.name!r}: an upstream name is one word, such as 'llava' or 'open_clip'")
        if spec.license != "auto" and shipped_knowledge().normalize_expression(spec.license) is None:
            raise UsageError(f"--license {spec.license!r}: not an SPDX license expression lintml knows")
        if progress is not None:
            progress(f"reading {spec.name} from {spec.source}")
        try:
            project, files = read_upstream(
                spec, detect_license=_detected_license, jobs=jobs or os.cpu_count() or 1, limits=unpack_limits
            )
        except UpstreamError as error:
            raise UsageError(str(error)) from None
        if spec.license != "auto":
            project = replace(project, license=shipped_knowledge().normalize_expression(spec.license))
        if not files:
            raise UsageError(f"{spec.source}: no code files to index")
        content.replace_project(project, files)
        added.append(project)
    content.share_identical_files()
    recorded = {(project.name, project.version): project for project, _ in content.projects}
    added = [recorded[(project.name, project.version)] for project in added]
    if progress is not None:
        progress(f"writing {path} ({len(content.projects)} projects)")
    write_index(path, content, compact=compact)
    return added


def index_remove(name: str, *, index_path: str | Path | None = None) -> None:
    """Remove an upstream project, or a known model, of that name."""
    path = Path(index_path) if index_path is not None else user_index_path()
    content = _existing_content(path)
    if not content.remove_project(name) and not content.remove_model(name):
        raise UsageError(f"{path}: no upstream or model named {name!r} (see `lintml index list`)")
    write_index(path, content)


def model_license_id(value: str) -> str | None:
    """lintml's id for a license given as a Hub id (``llama3``), an SPDX id or expression; None if unknown."""
    knowledge = shipped_knowledge()
    lowered = value.strip().lower()
    if lowered in knowledge.hub_ids:
        return knowledge.hub_ids[lowered]
    return knowledge.normalize_expression(value)


def index_add_model(
    name: str,
    path: str | Path,
    *,
    license_id: str | None = None,
    aliases: Sequence[str] = (),
    index_path: str | Path | None = None,
) -> tuple[KnownModel, list[str]]:
    """Record a model's config, tokenizer and weight sketch under its Hub name in an index.

    The license is ``license_id`` (a Hub id such as ``llama3``, a ``license_name`` such as ``qwen``, or an
    SPDX id), else the one the folder's model card declares. Nothing in the folder is executed or
    unpickled. Returns the record and what could not be read (recorded without it).
    """
    from lintml.models.compare import ModelReadError, known_model
    from lintml.models.weights import WeightsError

    if not name.strip() or any(character.isspace() for character in name):
        raise UsageError(f"{name!r}: a model name is one word, its Hub id such as 'meta-llama/Llama-3.1-8B'")
    chosen = None
    if license_id is not None:
        chosen = model_license_id(license_id)
        if chosen is None:
            raise UsageError(f"--license {license_id!r}: neither a Hub license id nor an SPDX expression lintml knows")
    target = Path(index_path) if index_path is not None else user_index_path()
    content = _existing_content(target)
    try:
        model, problems = known_model(name, Path(path), chosen, tuple(aliases), "")
    except (ModelReadError, WeightsError) as error:
        raise UsageError(str(error)) from None
    if model.license is None:
        from lintml.models.compare import read_model

        declared = read_model(Path(path), sketch=False).card_license
        if declared:
            model = replace(model, license=model_license_id(declared) or declared)
    content.replace_model(model)
    write_index(target, content)
    return model, problems


def index_models(*, index_path: str | Path | None = None) -> list[KnownModel]:
    """The known models an index records (the given one, else the user's index)."""
    path = Path(index_path) if index_path is not None else user_index_path()
    if not path.is_file():
        return []
    with _reading(path) as index:
        return index.models


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


def index_projects(*, index_path: str | Path | None = None) -> tuple[Path, list[UpstreamProject]]:
    """The index consulted (the given one, else the user's index) and its projects."""
    path = Path(index_path) if index_path is not None else user_index_path()
    if not path.is_file():
        return path, []
    with _reading(path) as index:
        return path, index.projects()


def index_info(name: str, *, index_path: str | Path | None = None) -> tuple[UpstreamProject, list[str]]:
    """One upstream of an index and the paths of its indexed files."""
    path = Path(index_path) if index_path is not None else user_index_path()
    if not path.is_file():
        raise UsageError(f"{path}: no such index file (create one with `lintml index add`)")
    with _reading(path) as index:
        project = index.project(name)
        if project is None:
            known = ", ".join(item.name for item in index.projects()) or "none"
            raise UsageError(f"{path}: no upstream named {name!r} (known: {known})")
        return project, index.file_paths(name, project.version)


@contextmanager
def _reading(path: Path) -> Iterator[UpstreamIndex]:
    """An index open for the block, whose damage, found on opening or on any later read, is a usage error."""
    try:
        index = UpstreamIndex(path)
    except IndexFileError as error:
        raise UsageError(str(error)) from None
    try:
        yield index
    except IndexFileError as error:
        raise UsageError(str(error)) from None
    finally:
        index.close()


def _existing_content(path: Path, replacing: set[str] | None = None) -> IndexContent:
    """What an index holds, to extend it. An index in an older format whose every project is being
    added again (``replacing``) is simply rebuilt: nothing in it would be kept anyway."""
    if not path.exists():
        return IndexContent()
    try:
        index = UpstreamIndex(path)
    except IndexFileError as error:
        held = recorded_projects(path)
        if held and replacing is not None and {name for name, _ in held} <= replacing:
            return IndexContent()
        if not held:
            raise UsageError(str(error)) from None
        again = "; ".join(f"lintml index add {name} {source} --index {path}" for name, source in held)
        raise UsageError(
            f"{path}: built by another version of lintml in a format this one cannot extend. Move it aside and"
            f" add its upstreams again: {again}"
        ) from None
    index.close()
    with _reading(path) as index:
        return index.content()


def _detected_license(root: Path, files: list[RepoFile], facts: dict[str, FileFacts]) -> str | None:
    """An upstream's own license, read from its license files and manifest as `lintml check` reads them.

    ``NONE`` when the upstream states no license anywhere (all rights reserved); None when it
    states one lintml cannot read.

    A wheel keeps its license files in ``*.dist-info/`` (``licenses/`` in newer metadata), read when
    nothing at the top says what the license is.
    """
    project = Project(files=files, facts=facts, knowledge=shipped_knowledge())
    found = project.project_license
    if found is not None:
        return found
    for item in files:
        if item.kind == repository.LICENSE and ".dist-info/" in item.path:
            texts = [notice.expression for notice in facts.get(item.path, FileFacts()).notices if notice.kind == "text"]
            if texts:
                return shipped_knowledge().normalize_expression(texts[0]) or texts[0]
    states_any = any(facts.get(item.path, FileFacts()).notices for item in files)
    if not states_any and not project.declared_licenses and not any(item.kind == repository.LICENSE for item in files):
        return NO_LICENSE  # no license file, no license metadata, no file naming a license: nothing was granted
    return None
