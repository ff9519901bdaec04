"""Upstream indexes are untrusted input: a repository's configuration can name one inside the repository, a
teammate can share one, a download can be anything.

Every hostile index here is a real SQLite file: one lintml wrote, then changed with SQLite itself (a view, a
trigger, a huge or inflating blob, values of the wrong type, a missing table) or cut short. A check that
consults it ends with exit code 2 and one line naming the file; nothing is written beside it; no query runs
for ever or builds values without bound.
"""

from __future__ import annotations

import json
import os
import re
import resource
import sqlite3
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import api
from lintml.config import ConfigError
from lintml.provenance.catalog import CATALOG_PATH
from lintml.provenance.index import (
    MAX_STREAM_BYTES,
    MAX_VALUE_BYTES,
    IndexContent,
    IndexFileError,
    UpstreamIndex,
    write_index,
)
from lintml.provenance.upstream import read_memory_upstream
from tests.copying import stdlib_source
from tests.helpers import MIT_TEXT, run_lintml

# An index edited in place keeps the identity lintml wrote into it, and the provenance cache is keyed
# by that identity: each test reads its hostile index from an empty cache of its own.
pytestmark = pytest.mark.usefixtures("isolated_cache")

UPSTREAM_PATH = "wrapping.py"
UPSTREAM_CODE = stdlib_source("textwrap")


def write_upstream_index(path: Path) -> None:
    """A real index of one MIT upstream holding the standard library's textwrap module."""
    project, files = read_memory_upstream("wrapkit", {UPSTREAM_PATH: UPSTREAM_CODE}, license_id="MIT")
    write_index(path, IndexContent([(project, files)]))


def run_bounded(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command, with its address space capped at 4 GB and its time at five minutes, so that an index
    that builds values without end fails this test quickly instead of eating the machine."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    return run_lintml(cwd, *args, timeout=300, preexec_fn=cap_memory)


def one_error_line(result: subprocess.CompletedProcess[str], path: Path) -> str:
    """The run failed with exit 2 and said why in one line naming the index, without a traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("lintml: indexing ")]
    assert len(lines) == 1 and lines[0].startswith("lintml: error: "), result.stderr
    assert str(path) in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def copier(make_repo: Callable[..., Path]) -> Path:
    """A repository holding the upstream file as it is, so a check looks its fingerprints up and loads it."""
    return make_repo({"LICENSE": MIT_TEXT, "src/folding.py": UPSTREAM_CODE}, name="copier")


def listing(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if ".git" not in path.parts)


def git_status(root: Path) -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


# --- nothing is written beside an index ------------------------------------------------------------------


def test_an_index_in_wal_mode_inside_the_repository_gets_no_side_files(copier: Path) -> None:
    index = copier / "tools" / "idx.sqlite"
    write_upstream_index(index)
    with sqlite3.connect(index) as connection:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    (copier / ".lintml.yaml").write_text("upstreams: [tools/idx.sqlite]\n", encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=copier, check=True)
    subprocess.run(["git", "commit", "-qm", "index"], cwd=copier, check=True)
    before_files, before_status, before_index = (
        listing(copier),
        git_status(copier),
        (copier / ".git/index").read_bytes(),
    )

    result = api.check([copier], use_catalog=False)

    found = [finding for finding in result.findings if finding.upstream is not None]
    assert found and {finding.upstream.name for finding in found} == {"wrapkit"}  # the index was read
    assert listing(copier) == before_files  # no idx.sqlite-wal, idx.sqlite-shm or -journal
    assert git_status(copier) == before_status == ""
    assert (copier / ".git/index").read_bytes() == before_index


def test_an_index_replaced_while_a_check_reads_it_is_read_as_it_was(tmp_path: Path) -> None:
    """`lintml index add` renames a new file over the old one, so an open index keeps its first content."""
    path = tmp_path / "user.sqlite3"
    write_upstream_index(path)
    index = UpstreamIndex(path)
    try:
        project, other = read_memory_upstream("otherkit", {"queues.py": stdlib_source("heapq")}, license_id="MIT")
        write_index(path, IndexContent([(project, other)]))
        assert [item.name for item in index.projects()] == ["wrapkit"]
        assert index.file(1)[1].path == UPSTREAM_PATH
    finally:
        index.close()
    assert sorted(item.name for item in tmp_path.iterdir()) == ["user.sqlite3"]
    reopened = UpstreamIndex(path)
    try:
        assert [item.name for item in reopened.projects()] == ["otherkit"]
    finally:
        reopened.close()


# --- hostile and damaged indexes ---------------------------------------------------------------------------


def _sql(*statements: str) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        connection = sqlite3.connect(path)
        try:
            for statement in statements:
                connection.execute(statement)
            connection.commit()
        finally:
            connection.close()

    return change


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"name,license\nwrapkit,MIT\n" * 200)


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _stream_update(blob: bytes) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        connection = sqlite3.connect(path)
        try:
            connection.execute("UPDATE files SET stream = ?", (blob,))
            connection.commit()
        finally:
            connection.close()

    return change


def _packed(steps: str) -> bytes:
    """A stored token stream of three symbols (a name, ``=``, a number) with the given line steps."""
    return zlib.compress("\x1e".join(["python", "V\x1f=\x1fN", "x\x1f1", steps]).encode())


RECURSIVE_META = (
    "CREATE VIEW meta AS WITH RECURSIVE r(key, value) AS"
    " (SELECT 'a', 'b' UNION ALL SELECT key || key, value FROM r) SELECT * FROM r"
)

HOSTILE = {
    "not sqlite at all": (_not_sqlite, "not a lintml index"),
    "cut short": (_truncated, ""),
    "meta a recursive view": (_sql("DROP TABLE meta", RECURSIVE_META), "it holds the view 'meta'"),
    "projects a recursive view": (
        _sql(
            "DROP TABLE projects",
            "CREATE VIEW projects AS WITH RECURSIVE r(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM r)"
            " SELECT id, 'x' AS name FROM r",
        ),
        "it holds the view 'projects'",
    ),
    "a trigger": (
        _sql("CREATE TRIGGER grow AFTER INSERT ON files BEGIN INSERT INTO common VALUES (1); END"),
        "it holds the trigger 'grow'",
    ),
    "an extra index": (_sql("CREATE INDEX by_path ON files (path)"), "it holds the index 'by_path'"),
    "a generated column": (
        _sql(
            "DROP TABLE common",
            "CREATE TABLE common (hash INTEGER PRIMARY KEY, big BLOB AS (zeroblob(1000000000))) WITHOUT ROWID",
        ),
        "its common table is not as lintml writes it",
    ),
    "a missing table": (_sql("DROP TABLE postings"), "it has no postings table"),
    "a column of another type": (
        _sql(
            "ALTER TABLE files RENAME TO old_files",
            "CREATE TABLE files (id INTEGER PRIMARY KEY, project INTEGER NOT NULL, path TEXT NOT NULL,"
            " sha256 TEXT NOT NULL, tokens TEXT NOT NULL, stream BLOB NOT NULL, notices TEXT NOT NULL)",
            "INSERT INTO files SELECT * FROM old_files",
            "DROP TABLE old_files",
        ),
        "its files table is not as lintml writes it",
    ),
    "a huge blob": (_stream_update(bytes(MAX_VALUE_BYTES + 1)), f"a value over {MAX_VALUE_BYTES} bytes"),
    "a stream that inflates without end": (
        _stream_update(zlib.compress(bytes(MAX_STREAM_BYTES + 1), 9)),
        f"inflates past {MAX_STREAM_BYTES} bytes",
    ),
    "a stream that is not zlib": (_stream_update(b"\x00" * 64), "is not zlib data"),
    "a stream cut short": (_stream_update(zlib.compress(bytes(4096))[:12]), "is cut short"),
    "line steps that are not numbers": (_stream_update(_packed("1,x,0")), "cannot be read"),
    "a line step of 5,000 digits": (_stream_update(_packed("1," + "9" * 5000 + ",0")), "cannot be read"),
    "fewer line steps than symbols": (_stream_update(_packed("1,0")), "cannot be read"),
    "postings of the wrong type": (
        _sql("UPDATE postings SET pos = 'p' || pos"),
        "a posting is not three whole numbers",
    ),
    "a common fingerprint that is a text": (
        _sql("INSERT INTO common VALUES ('many')"),
        "a common fingerprint is not a whole number",
    ),
    "a common fingerprint that is a real": (
        _sql("INSERT INTO common VALUES (2.5)"),
        "a common fingerprint is not a whole number",
    ),
    "notices that are not JSON": (
        _sql("UPDATE files SET notices = 'not json {'"),
        "a JSON value of file 1 does not parse",
    ),
    "notices of the wrong type": (_sql("UPDATE files SET notices = '123'"), "are not lists of texts"),
    "neighbours that are not file ids": (
        _sql("""UPDATE files SET notices = '{"licenses": [], "copyrights": [], "credits": [], "beside": ["x"]}'"""),
        "are not lists of texts",
    ),
    "imports that are not texts": (
        _sql("""UPDATE files SET notices = '{"licenses": [], "copyrights": [], "credits": [], "imports": [1]}'"""),
        "are not lists of texts",
    ),
    "copyrights nested too deep": (
        _sql("UPDATE projects SET copyrights = '" + "[" * 100_000 + "'"),
        "a JSON value of the project 'wrapkit' does not parse",
    ),
    "a project of the wrong type": (_sql("UPDATE projects SET files = 'many'"), "has values of the wrong type"),
    "README facts that are not texts": (
        _sql("""UPDATE projects SET about = '{"acknowledged": [1], "people": []}'"""),
        "has values of the wrong type",
    ),
    "a model config that is a list": (
        _sql("INSERT INTO models VALUES (1, 'org/model', 'MIT', NULL, '[]', '[1, 2]', NULL, NULL, 'today')"),
        "the model 'org/model' has values of the wrong type",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_index_is_one_line_and_exit_2(tmp_path: Path, copier: Path, case: str) -> None:
    change, complaint = HOSTILE[case]
    index = tmp_path / "hostile.sqlite3"
    write_upstream_index(index)
    change(index)
    before = sorted(item.name for item in tmp_path.iterdir())

    result = run_bounded(copier, "check", ".", "--no-catalog", "--index", str(index))

    line = one_error_line(result, index)
    assert complaint in line, line
    assert sorted(item.name for item in tmp_path.iterdir()) == before


def test_a_hostile_index_named_in_the_configuration_is_a_configuration_error(copier: Path) -> None:
    """The API raises ConfigError naming the file; the command says it in one line and exits 2; the
    repository holding the index is left exactly as it was."""
    index = copier / "idx.sqlite"
    write_upstream_index(index)
    _sql("DROP TABLE meta", RECURSIVE_META)(index)
    (copier / ".lintml.yaml").write_text("upstreams: [idx.sqlite]\n", encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=copier, check=True)
    subprocess.run(["git", "commit", "-qm", "index"], cwd=copier, check=True)
    before_files, before_status = listing(copier), git_status(copier)

    with pytest.raises(ConfigError, match=re.escape("idx.sqlite: not a lintml index (it holds the view 'meta')")):
        api.check([copier], use_catalog=False)
    line = one_error_line(run_bounded(copier, "check", "."), index)

    assert "it holds the view 'meta'" in line
    assert listing(copier) == before_files and git_status(copier) == before_status == ""


def test_index_commands_refuse_a_hostile_index_in_one_line(tmp_path: Path, copier: Path) -> None:
    index = tmp_path / "hostile.sqlite3"
    write_upstream_index(index)
    _sql(
        "DROP TABLE projects",
        "CREATE VIEW projects AS WITH RECURSIVE r(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM r)"
        " SELECT id, 'x' || id AS name, 'y' AS source FROM r",
    )(index)
    for command in (["index", "list"], ["index", "info", "wrapkit"], ["index", "remove", "wrapkit"]):
        one_error_line(run_bounded(tmp_path, *command, "--index", str(index)), index)
    # Adding to it reads which projects it records (to say how to rebuild it) and must not run the view either.
    added = run_bounded(tmp_path, "index", "add", "more", str(copier), "--license", "MIT", "--index", str(index))
    one_error_line(added, index)


def test_a_damaged_value_found_late_is_an_index_error_not_a_crash(tmp_path: Path) -> None:
    index = tmp_path / "late.sqlite3"
    write_upstream_index(index)
    _sql("UPDATE files SET notices = '{\"licenses\": 5}'")(index)
    opened = UpstreamIndex(index)  # the schema is right: it opens
    try:
        expected = re.escape("late.sqlite3: the index is damaged (the notices of file 1")
        with pytest.raises(IndexFileError, match=expected):
            opened.file(1)
    finally:
        opened.close()


def test_every_query_runs_on_a_time_budget() -> None:
    """A budget of nothing ends the first query long enough for SQLite to look at the clock."""
    with pytest.raises(IndexFileError, match=re.escape("catalog.sqlite3: a query ran longer than 0 s")):
        index = UpstreamIndex(CATALOG_PATH, query_seconds=0)
        try:
            index.content()
        finally:
            index.close()


def test_every_record_of_the_shipped_catalog_passes_the_checks() -> None:
    index = UpstreamIndex(CATALOG_PATH)
    try:
        content = index.content()
        records = index.file_records()
    finally:
        index.close()
    assert len(content.projects) >= 16 and len(content.models) >= 40
    assert len(records) == sum(len(files) for _, files in content.projects)


def test_the_shipped_catalog_is_opened_without_side_files(make_repo: Callable[..., Path]) -> None:
    before = sorted(os.listdir(CATALOG_PATH.parent))
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": stdlib_source("colorsys")})
    api.check([root], select=["provenance"])
    assert sorted(os.listdir(CATALOG_PATH.parent)) == before


def test_an_index_saying_more_of_a_readme_than_lintml_writes_is_read_only_as_far_as_lintml_writes(
    tmp_path: Path,
) -> None:
    """A hostile index may hold a million credited addresses or megabyte-long names: only as many and as long as
    lintml writes are read (they go into every match of the upstream)."""
    from lintml.provenance.readme import MAX_ACKNOWLEDGED, MAX_ADDRESS_CHARS, MAX_PEOPLE, MAX_PEOPLE_CHARS

    index = tmp_path / "index.sqlite3"
    write_upstream_index(index)
    about = {"acknowledged": [f"github.com/o/r{number}" * 50 for number in range(5000)], "people": ["x" * 10**5] * 99}
    connection = sqlite3.connect(index)
    try:
        connection.execute("UPDATE projects SET about = ?", (json.dumps(about),))
        connection.commit()
    finally:
        connection.close()
    project, _ = api.index_info("wrapkit", index_path=index)
    assert len(project.acknowledged) == MAX_ACKNOWLEDGED and len(project.people) == MAX_PEOPLE
    assert max(map(len, project.acknowledged)) == MAX_ADDRESS_CHARS
    assert max(map(len, project.people)) == MAX_PEOPLE_CHARS
