"""Progress for long work: a bar on a terminal, a line every few seconds elsewhere, and only once the work
has run a while.

On a terminal a bar goes to stderr (tqdm: counts, rate, time left). Off a terminal or in CI (``CI`` or
``GITHUB_ACTIONS`` set), work still running after :data:`LINE_SECONDS` says so in one plain line on
stderr, and again every :data:`LINE_SECONDS` (``lintml: reading files: 120/454 files, 12 s``), so a CI
log shows a long cold run moving without a bar's carriage returns; quick work prints nothing, and
stdout is never touched. ``LINTML_NO_PROGRESS`` set, or ``LINTML_PROGRESS=0``, turns both off;
``LINTML_PROGRESS=1`` forces bars on, at once and on any stream (for logs kept with `script`, and for
tests).

A bar is drawn only when its work is still running after :data:`DELAY_SECONDS`: a warm check, done
sooner, never imports tqdm at all. A background thread draws the bar when that time has passed,
and keeps its clock moving while one slow step (scancode's index load) blocks the caller.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

DELAY_SECONDS = 1.0  # work done sooner than this shows no bar
REDRAW_SECONDS = 0.2  # how often the clock of a waiting bar moves
LINE_SECONDS = 5.0  # off a terminal: a line once work has run this long, and again each time as long
_FALSE = ("", "0", "false", "no", "off")
T = TypeVar("T")


class Progress(Protocol):
    """What long work reports to: items done, and what it is doing now."""

    def advance(self, count: int = 1) -> None: ...

    def describe(self, text: str) -> None: ...  # change the label


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in _FALSE


def _forced() -> bool:
    return _flag("LINTML_PROGRESS") and not _flag("LINTML_NO_PROGRESS")


def _off() -> bool:
    return _flag("LINTML_NO_PROGRESS") or os.environ.get("LINTML_PROGRESS", "").strip().lower() in _FALSE[1:]


def interactive() -> bool:
    """Whether progress bars are shown: stderr is a terminal, not in CI, and the user did not turn them off."""
    if _off():
        return False
    if _forced():
        return True
    if _flag("CI") or _flag("GITHUB_ACTIONS"):
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


class _Silent:
    """The progress of work nobody watches."""

    def advance(self, count: int = 1) -> None:
        pass

    def describe(self, text: str) -> None:
        pass


class _Lines:
    """Progress off a terminal: one line on stderr each time :data:`LINE_SECONDS` pass while the work runs,
    and a last one when it ends if any was printed (a log then shows how long the step took)."""

    def __init__(self, label: str, total: int | None, unit: str, every: float) -> None:
        self._label = label
        self._total = total
        self._unit = unit
        self._every = every
        self._done = 0
        self._started = time.monotonic()
        self._printed = False
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._writer = threading.Thread(target=self._write, name="lintml-progress-lines", daemon=True)

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self._done += count

    def describe(self, text: str) -> None:
        with self._lock:
            self._label = text

    def start(self) -> None:
        self._writer.start()

    def finish(self) -> None:
        self._finished.set()
        self._writer.join()
        if self._printed:
            self._say(" (done)")

    def line(self) -> str:
        """What is said now: ``lintml: LABEL: DONE/TOTAL UNIT, N s`` (no count for work not counted)."""
        with self._lock:
            label, done = self._label, self._done
        elapsed = int(time.monotonic() - self._started)
        unit = f" {self._unit}" if self._unit else ""
        if self._total is not None:
            return f"lintml: {label}: {done}/{self._total}{unit}, {elapsed} s"
        if done:
            return f"lintml: {label}: {done}{unit}, {elapsed} s"
        return f"lintml: {label}, {elapsed} s"

    def _write(self) -> None:
        while not self._finished.wait(self._every):
            self._say("")

    def _say(self, suffix: str) -> None:
        try:
            sys.stderr.write(self.line() + suffix + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):  # stderr closed or gone: the work goes on without its lines
            return
        self._printed = True


class _Bar:
    """A tqdm bar drawn once ``delay`` has passed; counts kept from the start either way."""

    def __init__(self, label: str, total: int | None, unit: str, delay: float) -> None:
        self._label = label
        self._total = total
        self._unit = unit
        self._done = 0
        self._due = time.monotonic() + delay
        self._bar: Any = None
        self._lock = threading.Lock()
        self._finished = threading.Event()
        self._painter = threading.Thread(target=self._paint, name="lintml-progress", daemon=True)

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self._done += count
            if self._bar is not None:
                self._bar.update(count)
                self._show_count()

    def describe(self, text: str) -> None:
        with self._lock:
            self._label = text
            if self._bar is not None:
                self._bar.set_description_str(text, refresh=False)

    def start(self) -> None:
        if self._due <= time.monotonic():
            with self._lock:
                self._open()
        self._painter.start()

    def finish(self) -> None:
        self._finished.set()
        self._painter.join()
        with self._lock:
            if self._bar is not None:
                self._bar.refresh()  # the final count, even when the last updates came too fast to draw
                self._bar.close()

    def _paint(self) -> None:
        if self._bar is None:
            if self._finished.wait(max(0.0, self._due - time.monotonic())):
                return
            with self._lock:
                self._open()
        while self._bar is not None and not self._finished.wait(REDRAW_SECONDS):
            with self._lock:
                self._bar.refresh()

    def _open(self) -> None:
        try:
            from tqdm import tqdm
        except ImportError:  # a broken install: the work goes on without a bar
            return
        self._bar = tqdm(
            total=self._total,
            initial=self._done,
            desc=self._label,
            unit=f" {self._unit}" if self._unit else "",
            file=sys.stderr,
            dynamic_ncols=True,
            mininterval=REDRAW_SECONDS,
            leave=self._total is not None,  # a finished count stays on screen; a wait is erased
            bar_format=None if self._total is not None else "{desc} [{elapsed}]",
        )
        self._show_count()

    def _show_count(self) -> None:
        # A wait with no total shows a count once it has one: "indexing: 340 files [00:04, 85.0 files/s]".
        if self._total is None and self._done and self._bar.bar_format.endswith("[{elapsed}]"):
            self._bar.bar_format = "{desc}: {n_fmt}{unit} [{elapsed}, {rate_fmt}]"


@contextmanager
def progress_bar(label: str, total: int | None = None, *, unit: str = "files") -> Iterator[Progress]:
    """A progress bar for the work inside the ``with`` block on a terminal; elsewhere a line every few seconds
    once the work has run a while (:class:`_Lines`); nothing when progress is turned off.

    ``total`` is the number of items the work will :meth:`~Progress.advance` through, or None for
    work that cannot be counted ahead (a spinner-like bar with the time it has taken).
    """
    if _off():
        yield _Silent()
        return
    if not interactive():
        lines = _Lines(label, total, unit, LINE_SECONDS)
        lines.start()
        try:
            yield lines
        finally:
            lines.finish()
        return
    bar = _Bar(label, total, unit, 0.0 if _forced() else DELAY_SECONDS)
    bar.start()
    try:
        yield bar
    finally:
        bar.finish()


def track(items: Sequence[T], label: str, *, unit: str = "files") -> Iterator[T]:
    """Each of ``items`` in turn, counted on a :func:`progress_bar` as the caller moves on to the next."""
    with progress_bar(label, len(items), unit=unit) as bar:
        for item in items:
            yield item
            bar.advance()
