"""The engine: one check of one source, and one fix (a check, its repairs, a check again).

Running a check is: list the files (less those excluded), read those needed and extract their facts,
match code against the upstream indexes (on a cold run, in worker processes while this one extracts
the facts), build the :class:`~lintml.project.Project` the checks read, run the chosen rules' checks,
and turn their reports into findings (severity, suppression, one finding per cause:
:mod:`lintml.rules`). Front ends reach it through :mod:`lintml.api`; nothing here imports the
API back.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lintml import __version__, repository
from lintml.checks import CHECKS, USES_MODELS, USES_PROVENANCE
from lintml.config import Config, ConfigError
from lintml.contents import FileContents, name_digest
from lintml.derivation import repository_address, same_holder
from lintml.facts.cache import FactCache, default_cache_dir
from lintml.facts.declared import authors, package_name, repository_names, requirements
from lintml.facts.extract import FactExtractor, FileFacts, Problem, decode
from lintml.findings import SEVERITY_RANK, Finding
from lintml.git import HISTORY_VERSION, FileHistory, changed_after_added
from lintml.licenses import Knowledge, expression_ids, shipped_knowledge
from lintml.progress import progress_bar
from lintml.project import Project
from lintml.provenance.admin import known_models
from lintml.provenance.index import IndexFileError, UpstreamProject
from lintml.provenance.scan import Matching, ProvenanceResult
from lintml.repository import DiskSource, RepoFile, Source
from lintml.rules import Rule, check_selectors, finding_for, one_per_cause, select_rules, shipped_rules, suppressed

if TYPE_CHECKING:
    from lintml.fixes import FileChange, WriteFailure
    from lintml.provenance.match import Match
    from lintml.targets import Prepared


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
READ_KINDS = frozenset(
    {
        repository.PYTHON,
        repository.NOTEBOOK,
        repository.CODE,
        repository.LICENSE,
        repository.MODEL_CARD,
        repository.MANIFEST,
    }
)

# Kinds of the top-level files that say who the project is (its names, holders, license), read first.
_DESCRIBING = frozenset({repository.MANIFEST, repository.LICENSE})


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
    jobs: int | None = None,
) -> CheckResult:
    """The whole flow on any source: walk, facts, provenance, checks, findings.

    ``matches`` (path -> matches), when given, stand for the provenance of the code files: a caller
    that has matched them already (the audit) is not made to match them again. ``jobs``: the processes
    that may match code files (default: one per CPU, up to 8; see :class:`~lintml.provenance.scan.Matching`).
    """
    return analyse(source, config, targets, cache, rules, knowledge, index_paths, matches=matches, jobs=jobs)[0]


def _matched(matching: Matching) -> ProvenanceResult:
    """The matching's result; a damaged or hostile index, met while matching, as a ConfigError (one line,
    exit 2), never a traceback."""
    try:
        return matching.result()
    except IndexFileError as error:
        raise ConfigError(str(error)) from None


def check_prepared(prepared: Prepared, *, use_cache: bool = True, rules: tuple[Rule, ...] | None = None) -> CheckResult:
    """A check of a prepared run (:func:`lintml.targets.prepare`) on its folder, with the user's facts cache."""
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


def analyse(
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
    jobs: int | None = None,
) -> tuple[CheckResult, Project]:
    """:func:`check_source`, also giving the project as the checks saw it (repairs read it, file by file:
    ``group=False`` keeps one finding per file where a check gives a cause several files share)."""
    chosen = select_rules(rules or shipped_rules(), list(config.select) or None, list(config.ignore))
    check_selectors(config, rules or shipped_rules())
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
    knowledge = knowledge or shipped_knowledge()
    wants_matches = matches is None and config.provenance and bool(index_paths)
    wants_matches = wants_matches and any(rule.check in USES_PROVENANCE for rule in chosen)
    matching: Matching | None = None
    with ExitStack() as stack:
        with progress_bar("reading files", len(all_files)) as bar:
            wanted, skipped = _to_read(all_files, targets, config)
            bar.advance(len(all_files) - len(wanted))
            # Both caches key a file by the sha256 of its bytes: a file is hashed once, not at all when unchanged
            # since a run hashed it, and read only when a cache misses; every cached value is read ahead.
            contents = FileContents(source, wanted, cache)
            extractor.prefetch((item, known) for item in wanted if (known := contents.known(item.path)))
            facts: dict[str, FileFacts] = {}
            # The top-level manifests and license files first: they say what the matching must know of the project.
            for item in wanted:
                if "/" not in item.path and item.kind in _DESCRIBING:
                    facts[item.path] = _facts_of(item, contents, extractor)
                    bar.advance()
            own_names = _own_names(all_files, facts)
            if wants_matches:
                # Matching starts now, in worker processes once enough code files miss the cache, and goes on
                # while this process extracts the facts of the rest.
                matching = stack.enter_context(
                    Matching(
                        index_paths,
                        cache or FactCache(None),
                        exclude=own_names,
                        same_project=_same_project(all_files, facts, knowledge),
                        requires=_own_requirements(source, all_files),
                        jobs=jobs,
                    )
                )
                code = [item.path for item in wanted if item.kind in repository.CODE_KINDS and _targeted(item, targets)]
                try:
                    matching.prefetch((path, known) for path in code if (known := contents.known(path)))
                    for path in code:
                        known = contents.known(path)
                        if known is not None and matching.take_cached(path, known):
                            continue
                        try:
                            data = contents.data(path)
                        except OSError:
                            continue  # said as the file's facts, below
                        matching.add(path, data, contents.digest(path))
                except IndexFileError as error:
                    raise ConfigError(str(error)) from None
            for item in wanted:
                if item.path not in facts:
                    facts[item.path] = _facts_of(item, contents, extractor)
                    bar.advance()
        contents.release()  # every read file's bytes: not needed by the checks, which read what they need again
        found = ProvenanceResult(dict(matches or {}), 0)
        if matching is not None:
            found = _matched(matching)
    facts = {item.path: facts[item.path] for item in all_files if item.path in facts}  # in the files' order
    for path, detail in source.problems().items():
        if path not in facts:  # reported for the files checked, like any other unreadable input
            facts[path] = FileFacts(problems=(Problem("unreadable_input", detail),))
    reads_models = any(rule.check in USES_MODELS for rule in chosen)
    project = Project(
        files=all_files,
        facts=facts,
        knowledge=knowledge,
        targets=targets,
        license_override=config.project_license,
        provenance=found.matches,
        vendored=config.vendored,
        read_text=lambda path: _read_text(source, path),
        history_of=_history_reader(source, cache, all_files),
        own_names=frozenset(own_names),
        own_packages=_own_packages(all_files),
        catalogued=found.catalogued,
        known_models=tuple(known_models(index_paths) if reads_models else ()),
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
        if (finding := finding_for(rule, report, config)) is not None
        and not suppressed(finding, project.facts_of(finding.path).suppressions)
    ]
    merged = one_per_cause(reported) if group else [finding for finding, _ in reported]
    findings = sorted(set(merged), key=Finding.sort_key)
    checked = len(targets) if targets is not None else len(all_files)
    result = CheckResult(tuple(findings), chosen, checked, tuple(skipped), config, source.root, found.fingerprinted)
    return result, project


# ----------------------------------------------------------------------------- fix


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


def fix_prepared(prepared: Prepared, *, dry_run: bool, date: str | None, use_cache: bool) -> FixResult:
    """Repair what can be repaired among the findings of a prepared run, then (unless a dry run) check again.

    Every repair edits an in-memory copy first; only when all have run are the changed files written,
    each atomically."""
    from lintml.fixes import NEEDS_PERSON, ORDER, REPAIRS, CannotRepair, RepairContext, Workspace

    cache = FactCache(default_cache_dir() if use_cache else None)
    try:
        source = DiskSource(prepared.top)
        result, project = analyse(
            source, prepared.config, prepared.targets, cache, None, None, prepared.index_paths, group=False
        )
        context = RepairContext(Workspace(prepared.top), project, date or today())
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


def today() -> str:
    """The date change notices carry: today, or the day of ``SOURCE_DATE_EPOCH`` when set (reproducible)."""
    import datetime

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc).date().isoformat()
    return datetime.date.today().isoformat()


# ----------------------------------------------------------------------------- what the checks read


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


def _to_read(
    files: Sequence[RepoFile], targets: frozenset[str] | None, config: Config
) -> tuple[list[RepoFile], list[tuple[str, str]]]:
    """The files a check reads, and those it skips, with why."""
    wanted: list[RepoFile] = []
    skipped: list[tuple[str, str]] = []
    for item in files:
        if item.kind not in READ_KINDS or not _needed(item, targets):
            continue
        if item.size > config.max_file_size:
            skipped.append((item.path, f"larger than max-file-size ({item.size} > {config.max_file_size} bytes)"))
            continue
        wanted.append(item)
    return wanted, skipped


def _facts_of(item: RepoFile, contents: FileContents, extractor: FactExtractor) -> FileFacts:
    """The file's facts: cached under its known digest, else extracted from its bytes (read now)."""
    known = contents.known(item.path)
    if known is not None:
        cached = extractor.cached(item, known)
        if cached is not None:
            return cached
    try:
        data = contents.data(item.path)
    except OSError as error:
        return FileFacts(problems=(Problem("unreadable_input", f"cannot read: {error.strerror}"),))
    return extractor.facts(item, data, contents.digest(item.path))


def _targeted(item: RepoFile, targets: frozenset[str] | None) -> bool:
    return targets is None or item.path in targets


def _needed(item: RepoFile, targets: frozenset[str] | None) -> bool:
    """In file mode, read the targets plus what repository-level rules need."""
    if targets is None or item.path in targets:
        return True
    top_level = "/" not in item.path or item.path.startswith("LICENSES/")
    return item.kind == repository.LICENSE or (top_level and item.kind in (repository.MANIFEST, repository.MODEL_CARD))


def _history_reader(
    source: Source, cache: FactCache | None, files: Sequence[RepoFile]
) -> Callable[[Sequence[str]], Mapping[str, FileHistory]] | None:
    root = source.root
    if root is None or not getattr(source, "use_git", False):
        return None
    memo = (
        _CachedHistory(cache, lambda: _attributes_digest(source, files))
        if cache is not None and cache.enabled
        else None
    )
    return lambda paths: changed_after_added(root, paths, memo)


def _attributes_digest(source: Source, files: Sequence[RepoFile]) -> str | None:
    """A digest of the tree's .gitattributes files (a ``-diff`` there changes what ``git log`` shows of a file);
    None when one cannot be read."""
    digest = hashlib.sha256()
    for item in files:
        if item.name == ".gitattributes":
            try:
                data = source.read(item.path)
            except OSError:
                return None
            digest.update(name_digest(item.path).encode() + hashlib.sha256(data).digest())
    return digest.hexdigest()


class _CachedHistory:
    """Git's answers to history questions kept in the facts cache (a :class:`lintml.git.HistoryMemo`): a warm run
    of an unchanged checkout asks git only which commit it is at. ``salt`` gives the work tree's attributes (None:
    unknown, nothing is kept), worked out when a history is first asked for: most runs ask for none."""

    def __init__(self, cache: FactCache, salt: Callable[[], str | None]) -> None:
        self.cache = cache
        self._salt = salt

    @cached_property
    def salt(self) -> str | None:
        return self._salt()

    def _key(self, question: str) -> str:
        return f"history:{HISTORY_VERSION}:{__version__}:{self.salt}:{question}"

    def recall(self, question: str) -> dict[str, FileHistory] | None:
        if self.salt is None:
            return None
        return self.cache.get(self._key(question), _histories_from)

    def remember(self, question: str, answer: Mapping[str, FileHistory]) -> None:
        if self.salt is not None:
            histories = {name: history.as_record() for name, history in answer.items()}
            self.cache.put(self._key(question), {"histories": histories})


def _histories_from(value: Any) -> dict[str, FileHistory]:
    """What :meth:`_CachedHistory.remember` stored; ValueError or TypeError for anything else (a miss)."""
    histories = value["histories"]
    if not isinstance(histories, dict):
        raise ValueError("not histories by path")
    return {str(name): FileHistory.from_record(str(name), record) for name, record in histories.items()}


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
        if not item.path.endswith("__init__.py"):
            continue
        parts = PurePosixPath(item.path).parts
        if parts[-1] == "__init__.py" and (len(parts) == 2 or (len(parts) == 3 and parts[0] == "src")):
            packages.add(parts[-2])
    return frozenset(package for package in packages if package.isidentifier())
