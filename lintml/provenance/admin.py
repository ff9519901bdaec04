"""Index administration: adding and removing upstreams and known models, and reading what an index holds.

``lintml index ...``, the audit and the catalog build call these (through :mod:`lintml.api` for the
front ends). An index is rebuilt whole into a temporary file and renamed into place, so it is never
half-written; an index that cannot be read is a :class:`~lintml.errors.UsageError` naming it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from lintml import repository
from lintml.config import ConfigError
from lintml.derivation import NO_LICENSE
from lintml.errors import UsageError
from lintml.facts.extract import FileFacts
from lintml.licenses import shipped_knowledge
from lintml.models.known import KnownModel
from lintml.project import Project
from lintml.provenance.catalog import user_index_path
from lintml.provenance.index import (
    IndexContent,
    IndexFileError,
    UpstreamIndex,
    UpstreamProject,
    recorded_projects,
    write_index,
)
from lintml.provenance.upstream import DEFAULT_UNPACK_LIMITS, UnpackLimits, UpstreamSpec
from lintml.repository import RepoFile


def index_add(
    specs: Sequence[UpstreamSpec],
    *,
    index_path: str | Path | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
    compact: bool = True,
    unpack_limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
    tally: Counter[str] | None = None,
) -> list[UpstreamProject]:
    """Add (or replace) upstream projects in an index, creating it if needed; the projects as recorded.
    ``tally["normalised"]`` counts the code files normalised in this run (the rest came from the cache).

    The index is rebuilt whole into a temporary file and renamed into place, so it is never half-written.
    ``progress`` is told what is being done as each upstream is read and as the index is written. An
    upstream given as an archive may unpack to no more than ``unpack_limits`` (else a UsageError).
    """
    from lintml.provenance.upstream import UpstreamError, read_upstream

    path = Path(index_path) if index_path is not None else user_index_path()
    content = existing_content(path, replacing={spec.name for spec in specs})
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
                spec,
                detect_license=detected_license,
                jobs=jobs or os.cpu_count() or 1,
                limits=unpack_limits,
                tally=tally,
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
    content = existing_content(path)
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
    content = existing_content(target)
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
    with reading(path) as index:
        return index.models


def index_projects(*, index_path: str | Path | None = None) -> tuple[Path, list[UpstreamProject]]:
    """The index consulted (the given one, else the user's index) and its projects."""
    path = Path(index_path) if index_path is not None else user_index_path()
    if not path.is_file():
        return path, []
    with reading(path) as index:
        return path, index.projects()


def index_info(name: str, *, index_path: str | Path | None = None) -> tuple[UpstreamProject, list[str]]:
    """One upstream of an index and the paths of its indexed files."""
    path = Path(index_path) if index_path is not None else user_index_path()
    if not path.is_file():
        raise UsageError(f"{path}: no such index file (create one with `lintml index add`)")
    with reading(path) as index:
        project = index.project(name)
        if project is None:
            known = ", ".join(item.name for item in index.projects()) or "none"
            raise UsageError(f"{path}: no upstream named {name!r} (known: {known})")
        return project, index.file_paths(name, project.version)


def known_models(paths: Sequence[Path]) -> list[KnownModel]:
    """The known models of every index a check consults; a later index's record of a name replaces an earlier
    one. An index that cannot be read is a :class:`~lintml.config.ConfigError` (the check's indexes are its
    settings)."""
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


@contextmanager
def reading(path: Path) -> Iterator[UpstreamIndex]:
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


def existing_content(path: Path, replacing: set[str] | None = None) -> IndexContent:
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
    with reading(path) as index:
        return index.content()


def detected_license(root: Path, files: list[RepoFile], facts: dict[str, FileFacts]) -> str | None:
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
