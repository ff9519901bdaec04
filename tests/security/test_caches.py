"""The caches are untrusted too: the facts cache (SQLite) and the parsed-rules cache (marshal) live in a folder
other lintml versions, crashed runs and other people may have written to.

Each cache here is written by a real run, then damaged with SQLite or by hand; the next run must give the
findings a clean run gives, say what happened in at most one warning line, and never end in a traceback.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from lintml import api
from lintml.findings import Finding
from lintml.provenance.index import IndexContent, write_index
from lintml.provenance.upstream import read_memory_upstream
from lintml.rules import rules_directory
from tests.copying import stdlib_source
from tests.helpers import APACHE_HEADER, GPL3_HEADER, MIT_TEXT, run_lintml

# Tests of damaged, foreign and unusable caches: each starts from an empty cache of its own.
pytestmark = pytest.mark.usefixtures("isolated_cache")

FACTS = "facts-v1.sqlite3"
RULES = "parsed-yaml.marshal"


@pytest.fixture
def project(tmp_path: Path, make_repo: Callable[..., Path]) -> tuple[Path, Path]:
    """A repository whose check caches every kind of value: file facts, license and copyright matches,
    provenance matches (a copy of an indexed upstream) and a weight sketch (a safetensors file)."""
    index = tmp_path / "upstreams.sqlite3"
    upstream, files = read_memory_upstream("wrapkit", {"wrapping.py": stdlib_source("textwrap")}, license_id="MIT")
    write_index(index, IndexContent([(upstream, files)]))
    staging = tmp_path / "staging.safetensors"
    rng = np.random.default_rng(3)
    save_file({"layer.weight": rng.normal(size=(64, 64)).astype(np.float32)}, str(staging))
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "a.py": APACHE_HEADER + "x = 1\n",
            "b.py": GPL3_HEADER + "y = 2\n",
            "src/folding.py": stdlib_source("textwrap"),
            "model/config.json": json.dumps({"architectures": ["TinyModel"], "hidden_size": 64}),
            "model/model.safetensors": staging.read_bytes(),
        }
    )
    return root, index


def findings(root: Path, index: Path) -> list[Finding]:
    return list(api.check([root], indexes=[index]).findings)


def cached_kinds(cache: Path) -> set[str]:
    with sqlite3.connect(cache / FACTS) as connection:
        return {row[0].split(":", 1)[0] for row in connection.execute("SELECT key FROM facts")}


def set_every_value(cache: Path, value: str) -> None:
    connection = sqlite3.connect(cache / FACTS)
    try:
        connection.execute("UPDATE facts SET value = ?", (value,))
        connection.commit()
    finally:
        connection.close()


# --- the facts cache -----------------------------------------------------------------------------------------

DAMAGED_VALUES = {
    "not JSON": "not json {",
    "a number": "123",
    "null": "null",
    "a text": '"facts"',
    "an empty mapping": "{}",
    "a list of numbers": "[1, 2, 3]",
    "records of the wrong arity": '[["MIT", 1]]',
    "records of the wrong types": '[["MIT", "one", "two", 3, 4]]',
    "nested too deep": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("case", sorted(DAMAGED_VALUES))
def test_a_cached_value_that_is_not_what_its_reader_wants_is_a_miss(
    project: tuple[Path, Path], isolated_cache: Path, case: str
) -> None:
    root, index = project
    clean = findings(root, index)
    assert cached_kinds(isolated_cache) >= {"file", "licenses", "provenance", "sketch"}  # every reader is exercised
    set_every_value(isolated_cache, DAMAGED_VALUES[case])

    assert findings(root, index) == clean

    # Each damaged entry was computed again and written back whole.
    with sqlite3.connect(isolated_cache / FACTS) as connection:
        left = connection.execute("SELECT count(*) FROM facts WHERE value = ?", (DAMAGED_VALUES[case],)).fetchone()
    assert left == (0,)
    assert findings(root, index) == clean


def test_a_cache_file_that_is_not_a_database_is_set_aside_with_one_warning(
    project: tuple[Path, Path], isolated_cache: Path
) -> None:
    root, index = project
    clean = run_lintml(root, "check", "--format", "json", "--index", str(index))
    garbage = b"these bytes were never a database\n" * 500
    (isolated_cache / FACTS).write_bytes(garbage)

    damaged = run_lintml(root, "check", "--format", "json", "--index", str(index))

    assert damaged.returncode == clean.returncode and damaged.stdout == clean.stdout
    assert "Traceback" not in damaged.stderr
    warnings = [line for line in damaged.stderr.splitlines() if line.startswith("lintml: warning:")]
    assert warnings == [
        f"lintml: warning: the facts cache {isolated_cache / FACTS} was damaged (file is not a database);"
        f" moved it to {FACTS}.damaged and started a new one"
    ]
    assert (isolated_cache / f"{FACTS}.damaged").read_bytes() == garbage
    assert "provenance" in cached_kinds(isolated_cache)  # the new cache was filled
    again = run_lintml(root, "check", "--format", "json", "--index", str(index))
    assert again.stdout == clean.stdout and "warning" not in again.stderr


def test_a_cache_database_of_another_layout_is_set_aside(project: tuple[Path, Path], isolated_cache: Path) -> None:
    root, index = project
    clean = findings(root, index)
    with sqlite3.connect(isolated_cache / FACTS) as connection:
        connection.execute("DROP TABLE facts")
        connection.execute("CREATE TABLE facts (key TEXT PRIMARY KEY, value INTEGER, extra BLOB)")
    assert findings(root, index) == clean
    assert (isolated_cache / f"{FACTS}.damaged").is_file() and "file" in cached_kinds(isolated_cache)


def test_a_cache_damaged_inside_is_replaced_on_the_next_run(project: tuple[Path, Path], isolated_cache: Path) -> None:
    """Pages that are garbage (a crash of the disk, not of SQLite) are found while reading: the run goes on."""
    root, index = project
    clean = run_lintml(root, "check", "--format", "json", "--index", str(index))
    data = bytearray((isolated_cache / FACTS).read_bytes())
    assert len(data) >= 3 * 4096
    data[4096:] = b"\xa5" * (len(data) - 4096)  # every page but the first, which holds the schema
    (isolated_cache / FACTS).write_bytes(bytes(data))

    damaged = run_lintml(root, "check", "--format", "json", "--index", str(index))

    assert damaged.stdout == clean.stdout and "Traceback" not in damaged.stderr
    warnings = [line for line in damaged.stderr.splitlines() if line.startswith("lintml: warning:")]
    assert len(warnings) == 1 and str(isolated_cache / FACTS) in warnings[0] and "damaged" in warnings[0]
    again = run_lintml(root, "check", "--format", "json", "--index", str(index))
    assert again.stdout == clean.stdout and "warning" not in again.stderr


def test_a_cache_folder_that_is_a_file_is_one_warning_and_no_cache(
    project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, index = project
    clean = run_lintml(root, "check", "--format", "json", "--index", str(index))
    not_a_folder = tmp_path / "cache-file"
    not_a_folder.write_text("a file where the cache folder should be\n", encoding="utf-8")
    monkeypatch.setenv("LINTML_CACHE_DIR", str(not_a_folder))

    result = run_lintml(root, "check", "--format", "json", "--index", str(index))

    assert result.returncode == clean.returncode and result.stdout == clean.stdout
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("lintml: warning:")]
    assert warnings == [
        f"lintml: warning: cannot use the cache folder {not_a_folder} (a file, not a folder); running without a"
        " cache, so more slowly. Set LINTML_CACHE_DIR to a folder you can write"
    ]
    assert not_a_folder.read_text(encoding="utf-8") == "a file where the cache folder should be\n"
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("cache-file")) == ["cache-file"]


# --- the parsed-rules cache ------------------------------------------------------------------------------------


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00not marshal at all" * 10)


def _cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flipped(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))


def _old_layout_with_a_wrong_entry(path: Path) -> None:
    """The first release's layout, (1, memo), every rule file's entry right but for its content: 5."""
    memo = {
        str(rule): (hashlib.blake2b(rule.read_bytes(), digest_size=16).digest(), marshal.dumps(5))
        for rule in rules_directory().rglob("*.yaml")
    }
    path.write_bytes(marshal.dumps((1, memo)))


def _huge_list(path: Path) -> None:
    """Five bytes that ask marshal for a list of two thousand million items."""
    path.write_bytes(b"[\xff\xff\xff\x7f")


RULE_CACHE_DAMAGE = {
    "garbage": _garbage,
    "cut short": _cut_short,
    "one bit flipped": _flipped,
    "another layout with wrong entries": _old_layout_with_a_wrong_entry,
    "a huge declared length": _huge_list,
}


@pytest.mark.parametrize("case", sorted(RULE_CACHE_DAMAGE))
def test_a_damaged_parsed_rules_cache_is_parsed_afresh(
    project: tuple[Path, Path], isolated_cache: Path, case: str
) -> None:
    root, index = project
    clean = run_lintml(root, "check", "--format", "json", "--index", str(index))
    cache = isolated_cache / RULES
    assert cache.is_file()
    RULE_CACHE_DAMAGE[case](cache)
    damaged_bytes = cache.read_bytes()

    result = subprocess.run(
        [sys.executable, "-m", "lintml.cli", "check", "--format", "json", "--index", str(index)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert result.returncode == clean.returncode and result.stdout == clean.stdout, result.stderr
    assert "Traceback" not in result.stderr and "must be a mapping" not in result.stderr
    assert cache.read_bytes() != damaged_bytes  # rewritten at exit, whole
    assert run_lintml(root, "check", "--format", "json", "--index", str(index)).stdout == clean.stdout
