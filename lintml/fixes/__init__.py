"""Repairs for findings: what `lintml fix` changes, and how it writes.

A repair is registered under a rule id (``@repair("change-notice")``) and turns one finding
into edits of a :class:`Workspace`, an in-memory overlay of the files it changes. Nothing
touches the disk until every repair has run; then each changed file is written atomically.
A repair that cannot act raises :class:`CannotRepair` with the reason, and the finding is
left for a person. Repairs are idempotent because they act only on findings, and a repaired
finding is not found again.

Modules in this package are discovered like checks: adding a repair is adding a function.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lintml.files import write_atomically
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


class Workspace:
    """The files repairs read and change, held in memory until :meth:`commit`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._before: dict[str, str | None] = {}
        self._now: dict[str, str] = {}

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
        return location

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
        data = location.read_bytes()
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

    def changed(self, path: str) -> bool:
        return path in self._now and self._now[path] != self._before.get(path)

    def changes(self) -> list[FileChange]:
        return [
            FileChange(path, self._before.get(path), text)
            for path, text in sorted(self._now.items())
            if text != self._before.get(path)
        ]

    def commit(self) -> list[FileChange]:
        """Write every changed file, each atomically; the changes written."""
        written = self.changes()
        for change in written:
            write_atomically(self._location(change.path), change.after)
        return written


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
