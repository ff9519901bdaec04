"""What one run looks at: the project root, the files asked for, the settings and the indexes, all checked.

A front end gives paths as the user wrote them; :func:`prepare` turns them into the folder to read, the
files to check in it (None: all of them), the configuration with the command line's choices on top and
the upstream indexes to consult. Every mistake in them is a :class:`~lintml.errors.UsageError`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from lintml import repository
from lintml.config import Config, resolve_config
from lintml.errors import UsageError
from lintml.provenance.catalog import index_paths


@dataclass(frozen=True)
class Prepared:
    """One run's inputs: the folder read, the files checked in it (None: all), settings and indexes."""

    top: Path
    targets: frozenset[str] | None
    config: Config
    index_paths: list[Path]


def prepare(
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
) -> Prepared:
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
    return Prepared(top, targets, settings, found)


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
