"""Repairs for findings: what `lintml fix` changes, and how it writes.

A repair is registered under a rule id (``@repair("change-notice")``) and turns one finding
into edits of a :class:`Workspace`, an in-memory overlay of the files it changes. Nothing
touches the disk until every repair has run; then each changed file is written atomically.
A repair that cannot act raises :class:`CannotRepair` with the reason, and the finding is
left for a person. Repairs are idempotent because they act only on findings, and a repaired
finding is not found again.

Writing is done in three steps, so a fault costs only the files it touches: every target is
checked first (no link, no file where a folder must be, a folder that takes new files, a file
that may be replaced), then each new text is written to a temporary file beside its target
and flushed, and only then are the temporaries renamed over their targets. A file that fails
any step is reported as a :class:`WriteFailure` and left as it was; the others are written.
A folder lintml made for a file it then could not write is removed again.

Modules in this package are discovered like checks: adding a repair is adding a function.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import os
import pkgutil
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lintml.files import describe, put_in_place, stage, sweep_temporaries
from lintml.findings import Finding

if TYPE_CHECKING:
    from lintml.project import Project


class CannotRepair(Exception):
    """This finding needs a person; the message says why."""


# Why a finding with no repair (or outside what its rule's repair covers) is left alone.
NEEDS_PERSON = "no automatic repair: it needs a person"


class NeedsPerson(CannotRepair):
    """A rule's repair covers only some of its findings; this one is not among them (not a failure)."""

    def __init__(self) -> None:
        super().__init__(NEEDS_PERSON)


@dataclass(frozen=True)
class FileChange:
    path: str
    before: str | None  # None: the file is new
    after: str

    def diff(self) -> str:
        before = [] if self.before is None else self.before.splitlines(keepends=True)
        after = self.after.splitlines(keepends=True)
        lines = difflib.unified_diff(
            _terminated(before),
            _terminated(after),
            fromfile="/dev/null" if self.before is None else f"a/{self.path}",
            tofile=f"b/{self.path}",
        )
        return "".join(lines)


def _terminated(lines: list[str]) -> list[str]:
    if lines and not lines[-1].endswith(("\n", "\r")):
        return [*lines[:-1], lines[-1] + "\n", "\\ No newline at end of file\n"]
    return lines


_SAFE_PATH = re.compile(r"^[\w.+\- /]+$")


@dataclass(frozen=True)
class WriteFailure:
    """A changed file lintml could not write, and why; the file was left as it was."""

    path: str
    reason: str
    findings: tuple[Finding, ...] = ()  # the findings whose repairs went into this file


@dataclass(frozen=True)
class Commit:
    """What :meth:`Workspace.commit` wrote, and what it could not."""

    written: tuple[FileChange, ...]
    failed: tuple[WriteFailure, ...]


class _Unwritable(Exception):
    """A target cannot be written; the message says why (without the path, which the failure carries)."""


class Workspace:
    """The files repairs read and change, held in memory until :meth:`commit`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._before: dict[str, str | None] = {}
        self._now: dict[str, str] = {}
        self.journal: list[str] = []  # every path written, in order: which repair touched which file

    def _location(self, path: str) -> Path:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not _SAFE_PATH.match(path):
            raise CannotRepair(f"{path}: not a plain path inside the repository")
        location = self.root / pure
        for parent in [location, *location.parents]:
            if parent == self.root:
                break
            if parent.is_symlink():
                raise CannotRepair(f"{path}: a symbolic link is in the way; lintml does not write through links")
            if parent != location and parent.exists() and not parent.is_dir():
                raise CannotRepair(f"{path}: {self._relative(parent)} is a file, not a folder")
        return location

    def _relative(self, location: Path) -> str:
        return location.relative_to(self.root).as_posix() if location != self.root else "the repository root"

    def read(self, path: str) -> str | None:
        """The file's current text (as repairs left it); None if it does not exist."""
        if path in self._now:
            return self._now[path]
        location = self._location(path)
        if not location.exists():
            self._before[path] = None
            return None
        if not location.is_file():
            raise CannotRepair(f"{path}: not a regular file")
        try:
            data = location.read_bytes()
        except OSError as error:
            raise CannotRepair(f"{path}: cannot be read: {describe(error)}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CannotRepair(f"{path}: not UTF-8 text; lintml does not rewrite it") from None
        self._before[path] = text
        return text

    def write(self, path: str, text: str) -> None:
        if path not in self._before:
            self.read(path)
        self._now[path] = text
        self.journal.append(path)

    def changed(self, path: str) -> bool:
        return path in self._now and self._now[path] != self._before.get(path)

    def changes(self) -> list[FileChange]:
        return [
            FileChange(path, self._before.get(path), text)
            for path, text in sorted(self._now.items())
            if text != self._before.get(path)
        ]

    def commit(self) -> Commit:
        """Write every changed file, each atomically, as many as can be; what was written and what was not.

        First the temporary files an earlier, killed run left behind are removed; then every
        target is checked before anything is written; then each new text is staged in a
        temporary file beside its target, and the staged files are renamed into place.
        """
        sweep_temporaries(self.root)
        failed: dict[str, str] = {}
        ready: list[tuple[FileChange, bytes]] = []
        for change in self.changes():
            try:
                self._check_writable(change.path)
                ready.append((change, change.after.encode("utf-8")))
            except _Unwritable as reason:
                failed[change.path] = str(reason)
            except UnicodeEncodeError:
                failed[change.path] = "the new text holds characters UTF-8 cannot encode"
        made: list[Path] = []
        staged: list[tuple[FileChange, Path]] = []
        for change, data in ready:
            location = self.root / change.path
            try:
                made.extend(self._make_folders(location.parent))
                staged.append((change, stage(location, data)))
            except _Unwritable as reason:
                failed[change.path] = str(reason)
            except OSError as error:
                failed[change.path] = describe(error)
        written: list[FileChange] = []
        for change, temporary in staged:
            try:
                put_in_place(temporary, self.root / change.path)
                written.append(change)
            except OSError as error:
                failed[change.path] = describe(error)
        for folder in reversed(made):  # deepest first; a folder a written file is in is not empty
            with contextlib.suppress(OSError):
                folder.rmdir()
        return Commit(tuple(written), tuple(WriteFailure(path, reason) for path, reason in sorted(failed.items())))

    def _check_writable(self, path: str) -> None:
        """Raise :class:`_Unwritable` unless ``path`` can be written: each part, from the root down."""
        try:
            self._location(path)
        except CannotRepair as error:
            raise _Unwritable(str(error).removeprefix(f"{path}: ")) from None
        current = self.root
        parts = PurePosixPath(path).parts
        for depth, part in enumerate(parts):
            folder, current = current, current / part
            try:
                info = os.lstat(current)
            except FileNotFoundError:
                # From here on lintml makes what is missing: the folder above must take new entries.
                if not os.access(folder, os.W_OK | os.X_OK):
                    raise _Unwritable(f"{self._relative(folder)} does not let lintml create files in it") from None
                return
            except OSError as error:
                raise _Unwritable(describe(error)) from None
            if stat.S_ISLNK(info.st_mode):
                raise _Unwritable(f"{self._relative(current)} is a symbolic link; lintml does not write through links")
            if depth < len(parts) - 1:
                if not stat.S_ISDIR(info.st_mode):
                    raise _Unwritable(f"{self._relative(current)} is a file, not a folder")
                continue
            if stat.S_ISDIR(info.st_mode):
                raise _Unwritable("a folder is where the file should be")
            if not stat.S_ISREG(info.st_mode):
                raise _Unwritable("not a regular file")
            if not os.access(current, os.W_OK):
                raise _Unwritable("the file is read-only")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise _Unwritable(f"{self._relative(folder)} does not let lintml replace files in it")

    def _make_folders(self, folder: Path) -> list[Path]:
        """Make ``folder`` and its missing parents inside the root, one by one; the ones made, outermost first."""
        missing: list[Path] = []
        while folder != self.root and not os.path.lexists(folder):
            missing.append(folder)
            folder = folder.parent
        made: list[Path] = []
        for each in reversed(missing):
            try:
                os.mkdir(each)
            except OSError as error:
                for undo in reversed(made):
                    with contextlib.suppress(OSError):
                        undo.rmdir()
                raise _Unwritable(f"cannot make the folder {self._relative(each)}: {describe(error)}") from None
            made.append(each)
        return made


@dataclass
class RepairContext:
    workspace: Workspace
    project: Project
    date: str  # ISO date written into change notices
    done: dict[str, str] = field(default_factory=dict)  # what earlier repairs did, for later ones to see


# What a repair did, or None when it found nothing left to do.
Repair = Callable[[Finding, RepairContext], str | None]
REPAIRS: dict[str, Repair] = {}
ORDER: list[str] = []  # rule ids in the order their repairs run (registration order)


def repair(rule_id: str) -> Callable[[Repair], Repair]:
    def register(function: Repair) -> Repair:
        if rule_id in REPAIRS:
            raise ValueError(f"repair for {rule_id!r} registered twice")
        REPAIRS[rule_id] = function
        ORDER.append(rule_id)
        return function

    return register


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_discover()
