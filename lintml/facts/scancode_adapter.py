"""The one door to scancode-toolkit: license detection, copyright detection, license texts.

scancode is imported here only, and only inside the functions that need it, because its
license index costs ~8 s and ~1.4 GB to load. ``lintml.facts.notice_table`` answers the
common notices without it; callers come here for what the table leaves unexplained,
with small texts (a header block or a license file), never whole source files.

- ``detect_licenses`` loads the index once per process, saying so on stderr (one line, or
  on a terminal a progress bar with its time that is erased when done), and reports scancode's
  individual matches with SPDX ids and 1-based line numbers over ``text.splitlines()``.
  Reading the matches, not a file-level detection, keeps third-party notices: scancode's
  detections resolve "see LICENSE" to the scanned project's own license.
- ``detect_copyrights`` uses cluecode alone (~0.3 s to import) and never loads the index.

scancode writes to ``~/.cache/scancode-tk`` and to a new temporary folder on every import
unless ``SCANCODE_CACHE``/``SCANCODE_TEMP`` are set; unless the user set them, they point
under lintml's own cache folder, and this process's temporary folder is removed at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lintml.facts.notice_table import NoticeMatch

# Texts reach scancode because the exact table could not explain them, and scancode's own
# exact matchers find what the table finds; its approximate matcher is what tells an
# edited notice (a program's name in the GPL notice, a reflowed Apache header, a BSD text
# with changed clauses) for what it is. Measured here on header blocks: ~1 ms per header
# without it, 100-250 ms with it, after the index has loaded.
APPROXIMATE_DEFAULT = True
INDEX_MESSAGE = "lintml: loading scancode's license index (once per run, ~8 s)..."
# Stop matching one text after this long and keep what was found (a huge license file).
MATCH_DEADLINE_SECONDS = 30.0

_KIND_FLAGS = (
    ("is_license_text", "text"),
    ("is_license_notice", "notice"),
    ("is_license_reference", "reference"),
    ("is_license_tag", "tag"),
    ("is_license_intro", "intro"),
)

_LOCK = threading.Lock()
_LICENSE_CACHE: Any = None  # scancode's LicenseCache: the index, the licensing, the SPDX symbols


@dataclass(frozen=True)
class Copyright:
    """One copyright statement found by cluecode."""

    statement: str  # "Copyright 2024 The HuggingFace Team"
    holder: str | None
    line: int  # 1-based, as numbered by the caller


def prepare_environment() -> None:
    """Point scancode's cache and temporary folders under lintml's cache, unless the user chose.

    Must run before scancode's ``scancode_config`` is first imported, which reads them.
    """
    if os.environ.get("SCANCODE_CACHE") and os.environ.get("SCANCODE_TEMP"):
        return
    from lintml.facts.cache import usable_cache_dir

    cache = usable_cache_dir()
    base = _folders_under(cache / "scancode") if cache is not None else None
    if base is None:  # no usable cache (one warning said so): scancode's index is rebuilt in a temporary folder
        import tempfile

        base = Path(tempfile.mkdtemp(prefix="lintml-scancode-"))
        atexit.register(shutil.rmtree, base, ignore_errors=True)
        _folders_under(base)
    for variable, name in (("SCANCODE_CACHE", "cache"), ("SCANCODE_TEMP", "tmp")):
        if not os.environ.get(variable):
            os.environ[variable] = str(base / name)


def _folders_under(base: Path) -> Path | None:
    """``base`` once its ``cache`` and ``tmp`` folders exist; None when they cannot be made."""
    try:
        for name in ("cache", "tmp"):
            (base / name).mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return base


def _import_scancode_config() -> None:
    if "scancode_config" in sys.modules:
        return
    prepare_environment()
    import scancode_config

    # scancode makes a temporary folder for every process that imports it and never removes it.
    atexit.register(shutil.rmtree, scancode_config.scancode_temp_dir, ignore_errors=True)


@contextmanager
def _announce(message: str) -> Iterator[None]:
    """Say on stderr that something slow is happening: a bar with its time on a terminal (erased when
    done), else one line at once, so a CI log shows why the run paused (and its time every few seconds)."""
    from lintml.progress import interactive, progress_bar

    if not interactive():
        print(message, file=sys.stderr, flush=True)
    with progress_bar(message.removeprefix("lintml: ").removesuffix("..."), None):
        yield


def _license_cache() -> Any:
    """scancode's LicenseCache, loaded once per process."""
    global _LICENSE_CACHE
    with _LOCK:
        if _LICENSE_CACHE is None:
            with _announce(INDEX_MESSAGE):
                _import_scancode_config()
                from licensedcode.cache import get_cache

                _LICENSE_CACHE = get_cache()
    return _LICENSE_CACHE


def _kind(rule: Any) -> str | None:
    for flag, kind in _KIND_FLAGS:
        if getattr(rule, flag, False):
            return kind
    return None  # a clue: scancode itself keeps those apart from its detections


# A sequence match that covers a small part of its rule ("licensed under the MIT License"
# against a 40-word "MIT or GPL-3.0" notice) is a guess; scancode's own detection does not
# let such fragments decide a file's license either.
MIN_COVERAGE = 60.0


def detect_licenses(text: str, approximate: bool = APPROXIMATE_DEFAULT) -> tuple[NoticeMatch, ...]:
    """scancode's license matches in a small ``text`` (a header block or a license file).

    Each match keeps its own expression and lines, so a third-party notice is not folded
    into a file-level answer. License clues are left out. The first call loads the index.
    ``approximate=False`` keeps to scancode's hash, SPDX-id and exact matchers (~1 ms a
    header instead of 100-250 ms), which find little beyond ``match_known_notices``.
    """
    if not text.strip():
        return ()
    cache = _license_cache()
    from licensedcode.cache import build_spdx_license_expression

    found = cache.index.match(
        query_string=text,
        approximate=approximate,
        deadline=time.time() + MATCH_DEADLINE_SECONDS,
    )
    matches = []
    for match in found:
        kind = _kind(match.rule)
        if kind is None or match.coverage() < MIN_COVERAGE:
            continue
        start_line, end_line = match.lines()
        expression = str(build_spdx_license_expression(match.rule.license_expression, licensing=cache.licensing))
        matches.append(NoticeMatch(expression, start_line, end_line, kind, "scancode"))
    matches.sort(key=lambda match: (match.start_line, match.end_line, match.expression))
    return tuple(matches)


def detect_copyrights(lines: Sequence[tuple[int, str]]) -> tuple[Copyright, ...]:
    """Copyright statements in the given ``(line_number, text)`` lines, by cluecode alone."""
    if not lines:
        return ()
    _import_scancode_config()
    from cluecode.copyrights import CopyrightDetection, HolderDetection, detect_copyrights_from_lines

    detections = list(
        detect_copyrights_from_lines(
            list(lines),
            include_copyrights=True,
            include_holders=True,
            include_authors=False,
            include_copyright_years=True,
            include_copyright_allrights=False,
        )
    )
    holders = [detection for detection in detections if isinstance(detection, HolderDetection)]
    used: set[int] = set()
    copyrights = []
    for detection in detections:
        if not isinstance(detection, CopyrightDetection):
            continue
        holder = None
        for index, candidate in enumerate(holders):
            if index not in used and detection.start_line <= candidate.start_line <= detection.end_line:
                used.add(index)
                holder = candidate.holder
                break
        copyrights.append(Copyright(detection.copyright, holder, detection.start_line))
    return tuple(copyrights)
