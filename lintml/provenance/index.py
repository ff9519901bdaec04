"""The upstream index: one SQLite file holding upstream projects, their files' token streams,
and an inverted index from fingerprint to (file, position).

An index is always written whole, to a temporary file in the same folder that is then
renamed over the old one, so a crash or a full disk never leaves a half-written index.
Adding a project rebuilds the postings of every project in it, because which fingerprints
count as boilerplate depends on all of them (the document-frequency cut-off).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
import zlib
from array import array
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import Any
from zlib import crc32

from lintml import __version__
from lintml.models.known import KnownModel
from lintml.provenance.normalize import NORMALIZER_VERSION, TokenStream
from lintml.provenance.readme import MAX_ACKNOWLEDGED, MAX_ADDRESS_CHARS, MAX_PEOPLE, MAX_PEOPLE_CHARS
from lintml.provenance.winnow import WINDOW, K, fingerprints

SCHEMA_VERSION = "5"
FORMAT_NAME = "lintml-upstream-index"

# A file with fewer normalised tokens is too small to say where it came from.
MIN_FILE_TOKENS = 60
# A fingerprint found in files of this many projects (by name: versions of one project count once), or
# this many files, is boilerplate: common idiom rather than anyone's work. It is kept out of the postings
# and never counts. Code a few projects carry (OpenAI's CLIP in open_clip, diffusers and transformers) is
# not boilerplate: its origin is told from the carriers by date (see lintml.provenance.match).
COMMON_PROJECTS = 6
COMMON_FILES = 100

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE projects (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, version TEXT, url TEXT, license TEXT,
  source TEXT, source_sha256 TEXT, notice TEXT, copyrights TEXT NOT NULL, files INTEGER NOT NULL,
  tokens INTEGER NOT NULL, added TEXT NOT NULL, requires TEXT NOT NULL, released TEXT, licenses TEXT NOT NULL,
  about TEXT NOT NULL,
  UNIQUE (name, version)
);
CREATE TABLE files (
  id INTEGER PRIMARY KEY, project INTEGER NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL,
  tokens INTEGER NOT NULL, stream BLOB NOT NULL, notices TEXT NOT NULL
);
CREATE TABLE postings (hash INTEGER NOT NULL, file INTEGER NOT NULL, pos INTEGER NOT NULL,
  PRIMARY KEY (hash, file, pos)) WITHOUT ROWID;
CREATE TABLE common (hash INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE models (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, license TEXT, source TEXT, aliases TEXT NOT NULL,
  config TEXT, tokenizer TEXT, sketch BLOB, added TEXT NOT NULL
);
"""


class IndexFileError(Exception):
    """An index file that cannot be used: missing, corrupt, foreign, or built by an incompatible lintml."""


@dataclass(frozen=True)
class UpstreamProject:
    """One upstream in an index: who, which release, under what license, with which notices."""

    name: str
    version: str | None = None
    url: str | None = None
    license: str | None = None
    source: str | None = None  # where it was added from (folder, archive or git URL)
    source_sha256: str | None = None  # of the archive, when it came from one
    notice: str | None = None  # the text of its NOTICE file, if it has one
    copyrights: tuple[str, ...] = ()  # its copyright lines, most frequent first
    requires: tuple[str, ...] = ()  # the projects it depends on (extras too), PEP 503 names
    files: int = 0
    tokens: int = 0
    added: str = ""
    # When this version was published (a release's upload date, a commit's date), ISO 8601; None when unknown.
    # Dates order the projects that hold the same code: the earliest is the origin, the others carry it.
    released: str | None = None
    # The copyright lines of each of its license files, by folder ("" = its top): what a copy of a file under
    # that folder with no header of its own keeps, as the license says (MIT's "the above copyright notice").
    license_copyrights: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # What its README says of it (lintml.provenance.readme): the repositories it credits (``github.com/owner/name``)
    # and who develops it; with its manifests' authors and maintainers.
    acknowledged: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


@dataclass(frozen=True)
class UpstreamFile:
    """One indexed file: its path in the upstream project, its token stream and header notices."""

    path: str
    sha256: str
    stream: TokenStream
    notices: tuple[str, ...] = ()  # SPDX expressions its header states
    copyrights: tuple[str, ...] = ()  # copyright lines of its header, then its trademark and patent notices
    credits: tuple[str, ...] = ()  # lines saying the file's code came from elsewhere ("Copied from openai/CLIP")
    # The date of the oldest version of its project that held this file unchanged, when older than the
    # version it is kept under (see IndexContent.share_identical_files); None otherwise.
    since: str | None = None
    # The ids, in the index it was read from, of other files in its folder that credit an origin (a vendored
    # package often says once, in one file, where it came from): see UpstreamIndex.credits_of. write_index
    # works them out again from the files' own credits.
    credited_beside: tuple[int, ...] = ()
    imports: tuple[str, ...] = ()  # top-level modules a Python file imports (``diffusers`` for ``from diffusers.x``)
    # Its fingerprints as (hashes, positions), when worked out already (in a worker, or read from the cache);
    # write_index works them out from the stream otherwise.
    prints: tuple[array, array] | None = field(default=None, compare=False, repr=False)


@dataclass
class IndexContent:
    """Everything an index holds, as written by :func:`write_index`."""

    projects: list[tuple[UpstreamProject, list[UpstreamFile]]] = field(default_factory=list)
    models: list[KnownModel] = field(default_factory=list)

    def replace_model(self, model: KnownModel) -> None:
        self.models = sorted([old for old in self.models if old.name != model.name] + [model], key=_model_name)

    def remove_model(self, name: str) -> bool:
        before = len(self.models)
        self.models = [old for old in self.models if old.name != name]
        return len(self.models) != before

    def replace_project(self, project: UpstreamProject, files: list[UpstreamFile]) -> None:
        """Add ``project``, replacing the same version of it; other versions of the same name stay."""
        self.projects = [
            (old, kept) for old, kept in self.projects if (old.name, old.version) != (project.name, project.version)
        ]
        self.projects.append((project, files))
        self.projects.sort(key=lambda item: _project_order(item[0]))

    def share_identical_files(self) -> None:
        """Keep each file once per project: in its newest version that holds it unchanged, dated by the oldest.

        Versions of one project share most of their files; kept once, the index stays small and a copy
        of such a file is named by the newest version holding it, under that version's license (the terms
        the code is available under now), while ``since`` keeps the date the code first appeared, which
        orders the project against others that carry the same code.
        """
        versions_of: dict[str, list[int]] = defaultdict(list)
        for position, (project, _) in enumerate(self.projects):
            versions_of[project.name].append(position)
        for positions in versions_of.values():
            if len(positions) < 2:
                continue
            positions.sort(key=lambda position: _project_order(self.projects[position][0]))
            first_seen: dict[str, str] = {}
            for position in positions:
                project, files = self.projects[position]
                for item in files:
                    date = item.since or project.released
                    if date and (item.sha256 not in first_seen or date < first_seen[item.sha256]):
                        first_seen[item.sha256] = date
            held_by_newer: set[str] = set()
            for position in reversed(positions):  # newest first
                project, files = self.projects[position]
                kept = []
                for item in files:
                    if item.sha256 in held_by_newer:
                        continue
                    date = first_seen.get(item.sha256)
                    if date is not None and date < (project.released or "~"):
                        item = replace(item, since=date)
                    kept.append(item)
                held_by_newer.update(item.sha256 for item in files)
                self.projects[position] = (updated(project, kept), kept)

    def remove_project(self, name: str) -> bool:
        before = len(self.projects)
        self.projects = [(old, kept) for old, kept in self.projects if old.name != name]
        return len(self.projects) != before


def _project_order(project: UpstreamProject) -> tuple[str, str, str]:
    """Projects by name, then versions oldest first (by date where known, else by version text)."""
    return (project.name, project.released or "", project.version or "")


def _model_name(model: KnownModel) -> str:
    return model.name


def indexable(path: str, stream: TokenStream) -> bool:
    """Whether a file can make a match on its own: not tiny, not an ``__init__.py`` that only re-exports."""
    if len(stream) < MIN_FILE_TOKENS:
        return False
    if PurePosixPath(path).name == "__init__.py":
        return "def" in stream.symbols or "class" in stream.symbols
    return True


def write_index(path: Path, content: IndexContent, *, compact: bool = True) -> None:
    """Write ``content`` as the index at ``path``, atomically; ``compact=False`` skips the final VACUUM and
    keeps streams as packed (for a scratch index read once, such as an audit's)."""
    import tempfile  # here: a check, which only reads indexes, need not import it

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        _write(Path(temporary), content, compact=compact)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # an index is shared data, not a private temporary file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _kept(blob: bytes) -> bytes:
    """A packed stream at zlib's best compression, for an index that is kept (the shipped catalog must fit its
    size limit). Streams are packed at level 6 for speed (caches, scratch indexes); this one was, if the
    second byte of its zlib header does not say "maximum compression"."""
    if blob[1:2] == b"\xda":
        return blob
    return zlib.compress(zlib.decompress(blob), 9)


def _write(target: Path, content: IndexContent, *, compact: bool = True) -> None:
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.executescript(_TABLES)
        postings: dict[int, list[tuple[int, int]]] = defaultdict(list)
        projects_of: dict[int, set[str]] = defaultdict(set)
        file_id = 0
        for project_id, (project, files) in enumerate(content.projects, start=1):
            tokens = sum(len(item.stream) for item in files)
            connection.execute(
                "INSERT INTO projects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    _storable(project.name),
                    _storable(project.version),
                    _storable(project.url),
                    _storable(project.license),
                    _storable(project.source),
                    project.source_sha256,
                    _storable(project.notice),
                    json.dumps(list(project.copyrights)),
                    len(files),
                    tokens,
                    project.added or _now(),
                    json.dumps(list(project.requires)),
                    project.released,
                    json.dumps([[folder, list(lines)] for folder, lines in project.license_copyrights]),
                    json.dumps({"acknowledged": list(project.acknowledged), "people": list(project.people)}),
                ),
            )
            beside = _credited_beside(files, first_id=file_id + 1)
            for item in sorted(files, key=lambda entry: entry.path):
                file_id += 1
                connection.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        file_id,
                        project_id,
                        _storable(item.path),
                        item.sha256,
                        len(item.stream),
                        _kept(item.stream.pack()) if compact else item.stream.pack(),
                        json.dumps(
                            {
                                "licenses": list(item.notices),
                                "copyrights": list(item.copyrights),
                                "credits": list(item.credits),
                                **({"since": item.since} if item.since else {}),
                                **({"beside": list(beside[item.path])} if beside[item.path] else {}),
                                **({"imports": list(item.imports)} if item.imports else {}),
                            }
                        ),
                    ),
                )
                if not indexable(item.path, item.stream):
                    continue
                seen: set[int] = set()
                found: Iterable[tuple[int, int]]
                if item.prints is not None:  # worked out already
                    found = zip(*item.prints, strict=True)
                else:
                    found = fingerprints(item.stream.code_array)
                for value, position in found:
                    if value in seen:
                        continue
                    seen.add(value)
                    postings[value].append((file_id, position))
                    projects_of[value].add(project.name)
        common = sorted(
            value
            for value, entries in postings.items()
            if len(projects_of[value]) >= COMMON_PROJECTS or len(entries) >= COMMON_FILES
        )
        connection.executemany("INSERT INTO common VALUES (?)", ((value,) for value in common))
        connection.executemany(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((number, *model.row()) for number, model in enumerate(content.models, start=1)),
        )
        common_set = set(common)
        connection.executemany(
            "INSERT INTO postings VALUES (?, ?, ?)",
            (
                (value, file_id, position)
                for value in sorted(postings)
                if value not in common_set
                for file_id, position in postings[value]
            ),
        )
        # Everything a match reports comes from here, so re-adding an upstream with another license,
        # URL or notices gives the index a new identity and cached matches are not reused.
        identity = crc32(
            json.dumps(
                [
                    (
                        project.name,
                        project.version,
                        project.url,
                        project.license,
                        project.source_sha256,
                        project.notice,
                        list(project.copyrights),
                        list(project.requires),
                        [[folder, list(lines)] for folder, lines in project.license_copyrights],
                        [list(project.acknowledged), list(project.people)],
                        [
                            (item.path, item.sha256, list(item.notices), list(item.copyrights), list(item.credits))
                            for item in files
                        ],
                    )
                    for project, files in content.projects
                ]
                + [model.identity() for model in content.models]
            ).encode()
        )
        meta = {
            "format": FORMAT_NAME,
            "schema": SCHEMA_VERSION,
            "normalizer": NORMALIZER_VERSION,
            "k": str(K),
            "window": str(WINDOW),
            **build_settings(),
            "lintml": __version__,
            "identity": f"{identity:08x}-{len(postings)}-{len(common)}",
        }
        connection.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        connection.commit()
        if compact:
            connection.execute("VACUUM")
    finally:
        connection.close()


def _storable(text: str | None) -> str | None:
    """Text SQLite can hold: a file or folder name that is not UTF-8 (Python holds its bytes as lone
    surrogates, which cannot be encoded) is stored with those bytes written as ``\\xff`` escapes."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate no undecodable byte made
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def build_settings() -> dict[str, str]:
    """What decides which fingerprints an index posts; an index built with others needs rebuilding to agree."""
    return {
        "min_file_tokens": str(MIN_FILE_TOKENS),
        "common_projects": str(COMMON_PROJECTS),
        "common_files": str(COMMON_FILES),
    }


def _now() -> str:
    """Now, or ``SOURCE_DATE_EPOCH`` when it is set, so a rebuilt index is byte for byte the same."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch.isdigit() else datetime.now(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- reading an index
#
# An index a run reads is untrusted input: a repository's configuration may name one inside the repository
# (``upstreams:``), a teammate may share one, a download may be anything. So it is opened read-only with SQLite's
# own defences on, its schema must be exactly the one write_index makes before any table is read (no view, trigger
# or virtual table can run code or loop), every query runs on a time budget, and every value is checked as it is
# read. Whatever does not hold is an IndexFileError naming the file: never a traceback, a hang, a memory blow-up,
# or a file written beside the index.

# No value lintml writes comes near these (the catalog's largest: a 177 KB weight sketch, and a 35 KB token
# stream that inflates to 400 KB); a larger one is damage or an attack, not an upstream.
MAX_VALUE_BYTES = 16 * 1024 * 1024
MAX_STREAM_BYTES = 64 * 1024 * 1024
# The wall-clock budget of one query. The slowest on the shipped catalog takes milliseconds, on an index of
# dozens of upstreams well under a second: a query still running after a minute is not reading an index of lintml's.
QUERY_SECONDS = 60.0
_PROGRESS_STEPS = 10_000  # SQLite virtual-machine steps between two looks at the clock
_CACHE_KIB = 16 * 1024  # page cache of one open index
_OPTIONAL_TABLES = frozenset({"models"})  # schema-2 indexes written before known models were recorded lack it
_META_KEYS = ("format", "schema", "normalizer", "k", "window", "lintml", "identity", *build_settings())


class _QueryBudget:
    """SQLite's progress handler: ends the running query once it has taken longer than its budget."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.spent = False

    def restart(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.spent = False

    def __call__(self) -> int:
        if time.monotonic() > self.deadline:
            self.spent = True
            return 1  # SQLite ends the query with "interrupted"
        return 0


def _connect(path: Path, budget: _QueryBudget) -> sqlite3.Connection:
    """A connection to an index file that reads it as hostile input and can write nothing anywhere.

    ``immutable=1`` rather than a copy in the cache (20 MB of catalog copied on every run): SQLite then takes
    no lock and never makes a -wal, -shm or -journal file beside the index, so an index inside the checked
    repository leaves it as it was, even one left in WAL mode (whose un-checkpointed -wal is then ignored;
    lintml never writes one). Promising SQLite that the file will not change is safe for lintml's indexes
    because write_index never changes one in place: it renames a new file over the old, so a check that
    opened the old one keeps reading that unchanged file while ``lintml index add`` replaces it. A file that
    another program changes in place while it is read may look damaged; it cannot make a file appear.
    """
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    try:
        if sys.version_info >= (3, 11):
            # The longest string or blob SQLite will read or make. Python 3.10 cannot set it: there a value is
            # bounded by the file's own size (with views refused, no query can build a long one) and checked by
            # length once read (see UpstreamIndex._fetch).
            connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        connection.set_progress_handler(budget, _PROGRESS_STEPS)
        # No function or virtual table with side effects from the file's schema, no write even by mistake, no
        # memory map (a file that shrinks under one kills the process with SIGBUS), a bounded page cache.
        for pragma in ("trusted_schema=OFF", "query_only=ON", "mmap_size=0", f"cache_size=-{_CACHE_KIB}"):
            connection.execute(f"PRAGMA {pragma}")
    except BaseException:
        connection.close()
        raise
    return connection


@dataclass(frozen=True)
class _Schema:
    tables: dict[str, tuple[tuple[object, ...], ...]]  # table -> its columns, as PRAGMA table_xinfo lists them
    indexes: dict[str, str]  # index -> its table (the automatic ones of UNIQUE and PRIMARY KEY constraints)


@lru_cache(maxsize=1)
def _expected_schema() -> _Schema:
    """The schema write_index makes, read from _TABLES itself so that the two cannot disagree."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(_TABLES)
        entries = connection.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        return _Schema(
            {name: _columns(connection, name) for kind, name, _ in entries if kind == "table"},
            {name: table for kind, name, table in entries if kind == "index"},
        )
    finally:
        connection.close()


def _columns(connection: sqlite3.Connection, table: str) -> tuple[tuple[object, ...], ...]:
    # table_xinfo, unlike table_info, also lists generated columns, which compute a value on every read.
    return tuple(connection.execute(f'PRAGMA table_xinfo("{table}")').fetchall())


def _failure(path: Path, budget: _QueryBudget, error: sqlite3.Error) -> IndexFileError:
    if budget.spent:
        return IndexFileError(f"{path}: a query ran longer than {budget.seconds:g} s; the index is damaged or hostile")
    if isinstance(error, sqlite3.DataError):  # "string or blob too big"
        return IndexFileError(f"{path}: the index holds a value over {MAX_VALUE_BYTES} bytes; it is damaged or hostile")
    return IndexFileError(f"{path}: the index is damaged ({error})")


def _shown(value: object) -> str:
    """A name read from an untrusted file, fit for a one-line message."""
    return repr(str(value)[:80])


def _check_schema(connection: sqlite3.Connection, path: Path) -> frozenset[str]:
    """The tables of the index, once it holds nothing but lintml's tables and their automatic indexes."""
    expected = _expected_schema()
    present = set()
    for kind, name, table, sql in connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master LIMIT 64"):
        if kind == "table" and name in expected.tables and isinstance(sql, str) and sql.startswith("CREATE TABLE"):
            present.add(name)
        elif not (kind == "index" and sql is None and name in expected.indexes and expected.indexes[name] == table):
            raise IndexFileError(f"{path}: not a lintml index (it holds the {_shown(kind)[1:-1]} {_shown(name)})")
    if "meta" not in present or _columns(connection, "meta") != expected.tables["meta"]:
        raise IndexFileError(f"{path}: not a lintml index")
    return frozenset(present)


def _read_meta(connection: sqlite3.Connection, path: Path) -> dict[str, str]:
    marks = ",".join("?" * len(_META_KEYS))
    meta = {}
    for key, value in connection.execute(f"SELECT key, value FROM meta WHERE key IN ({marks})", _META_KEYS):
        if not isinstance(value, str) or len(value) > 1000:
            raise IndexFileError(f"{path}: the index is damaged (its {key} is not a short text)")
        meta[key] = value
    return meta


def _check_tables(connection: sqlite3.Connection, path: Path, present: frozenset[str]) -> None:
    for name, columns in _expected_schema().tables.items():
        if name not in present:
            if name in _OPTIONAL_TABLES:
                continue
            raise IndexFileError(f"{path}: the index is damaged (it has no {name} table)")
        if _columns(connection, name) != columns:
            raise IndexFileError(f"{path}: the index is damaged (its {name} table is not as lintml writes it)")


@dataclass(frozen=True)
class FileRecord:
    """What an index says of one upstream file, its tokens aside: enough to pair a byte-for-byte copy with it."""

    project: UpstreamProject
    path: str
    sha256: str
    tokens: int
    notices: tuple[str, ...]
    copyrights: tuple[str, ...]
    credits: tuple[str, ...]


class UpstreamIndex:
    """An index opened for reading. Opening checks that it is a lintml index this version can use
    (see "reading an index" above); ``query_seconds`` is the time budget of each query."""

    def __init__(self, path: Path, *, query_seconds: float = QUERY_SECONDS) -> None:
        self.path = path
        if not path.is_file():
            raise IndexFileError(f"{path}: no such index file")
        self._budget = _QueryBudget(query_seconds)
        try:
            self._connection = _connect(path, self._budget)
        except sqlite3.Error as error:
            raise IndexFileError(f"{path}: not a lintml index ({error})") from None
        try:
            self._tables = _check_schema(self._connection, path)
            meta = _read_meta(self._connection, path)
            if meta.get("format") != FORMAT_NAME:
                raise IndexFileError(f"{path}: not a lintml index")
            if meta.get("schema") != SCHEMA_VERSION or meta.get("normalizer") != NORMALIZER_VERSION:
                raise IndexFileError(
                    f"{path}: built by lintml {meta.get('lintml', '?')} in another format;"
                    " rebuild it with `lintml index add`"
                )
            if meta.get("k") != str(K) or meta.get("window") != str(WINDOW):
                raise IndexFileError(f"{path}: built with other fingerprint settings; rebuild it")
            _check_tables(self._connection, path, self._tables)
        except sqlite3.Error as error:
            self._connection.close()
            if self._budget.spent or isinstance(error, sqlite3.DataError):
                raise _failure(path, self._budget, error) from None
            raise IndexFileError(f"{path}: not a lintml index ({error})") from None
        except IndexFileError:
            self._connection.close()
            raise
        self.identity = meta.get("identity", "")
        self.meta = meta
        self._file = lru_cache(maxsize=256)(self._load_file)
        self._dates: dict[int, tuple[int, str | None]] = {}  # file id -> (project id, since), as read
        self._owners: dict[int, int] = {}  # file id -> project id, as read

    def _fetch(self, sql: str, parameters: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query, run on the time budget; a SQLite error is an IndexFileError naming the file."""
        self._budget.restart()
        try:
            rows = self._connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise _failure(self.path, self._budget, error) from None
        if sys.version_info < (3, 11) and any(_oversized(value) for row in rows for value in row):
            raise _failure(self.path, self._budget, sqlite3.DataError("string or blob too big"))
        return rows

    def _damaged(self, what: str) -> IndexFileError:
        return IndexFileError(f"{self.path}: the index is damaged ({what})")

    # Read on first use: a run that only checks that an index opens (the shipped catalog's) pays for the meta table.
    @cached_property
    def common(self) -> frozenset[int]:
        """Fingerprint hashes of boilerplate: never posted, never evidence."""
        # One joined text rather than a row per hash: about half the time for the catalog's 40,000.
        ((joined,),) = self._fetch("SELECT group_concat(hash) FROM common")
        try:  # int() takes whole numbers written in digits only (a real or a text that is not one fails)
            return frozenset(map(int, joined.split(","))) if joined is not None else frozenset()
        except (ValueError, AttributeError):
            raise self._damaged("a common fingerprint is not a whole number") from None

    @cached_property
    def _projects(self) -> dict[int, UpstreamProject]:
        return {
            row[0]: _project_from_row(row[1:], self.path)
            for row in self._fetch(
                "SELECT id, name, version, url, license, source, source_sha256, notice, copyrights, files, tokens,"
                " added, requires, released, licenses, about FROM projects ORDER BY name, released, version"
            )
        }

    def close(self) -> None:
        self._connection.close()

    def projects(self) -> list[UpstreamProject]:
        return sorted(self._projects.values(), key=_project_order)

    def project(self, name: str) -> UpstreamProject | None:
        """The newest version of the upstream called ``name``."""
        versions = self.versions_of(name)
        return versions[-1] if versions else None

    def lookup(
        self,
        hashes: Sequence[int],
        *,
        outside: Sequence[tuple[int, int]] = (),
        within: Sequence[tuple[int, int]] = (),
    ) -> list[tuple[int, int, int]]:
        """(hash, file id, position) of every posting of the given fingerprints; with ``outside``, none of the
        files in those ranges of ids (first, last); with ``within``, only those files."""
        unique = sorted(set(hashes))
        ranges = [end for pair in (*outside, *within) for end in pair]
        where = "".join(" AND file NOT BETWEEN ? AND ?" for _ in outside)
        if within:
            where += " AND (" + " OR ".join("file BETWEEN ? AND ?" for _ in within) + ")"
        postings: list[tuple[int, int, int]] = []
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._fetch(
                f"SELECT hash, file, pos FROM postings WHERE hash IN ({marks}){where}", [*chunk, *ranges]
            )
            try:  # an array of 64-bit integers takes whole numbers only, checked at C speed
                array("q", chain.from_iterable(rows))
            except (TypeError, OverflowError):
                raise self._damaged("a posting is not three whole numbers") from None
            postings.extend(rows)
        return postings

    def file_ranges(self, project_ids: Collection[int]) -> list[tuple[int, int]] | None:
        """The first and last file id of each project given. lintml writes each project's files as one run
        of ids, projects in the order of their ids, so the runs follow from the projects' file counts; both
        ends of each run are checked (and the ids just outside it). None for an index not written so."""
        runs: dict[int, tuple[int, int]] = {}
        first = 1
        for project_id in sorted(self._projects):
            files = self._projects[project_id].files
            runs[project_id] = (first, first + files - 1)
            first += files
        wanted = [(project_id, runs[project_id]) for project_id in sorted(project_ids) if project_id in runs]
        wanted = [(project_id, run) for project_id, run in wanted if run[1] >= run[0]]
        owners = self.owners([end for _, (low, high) in wanted for end in (low - 1, low, high, high + 1)])
        for project_id, (low, high) in wanted:
            if owners.get(low) != project_id or owners.get(high) != project_id:
                return None
            if project_id in (owners.get(low - 1), owners.get(high + 1)):
                return None
        return [run for _, run in wanted]

    def file(self, file_id: int) -> tuple[UpstreamProject, UpstreamFile]:
        return self._file(file_id)

    def _load_file(self, file_id: int) -> tuple[UpstreamProject, UpstreamFile]:
        rows = self._fetch("SELECT project, path, sha256, stream, notices FROM files WHERE id = ?", (file_id,))
        if not rows:
            raise self._damaged(f"file {file_id} is missing")
        project_id, path, sha256, blob, notices = rows[0]
        project = self._projects.get(project_id)
        if project is None or not isinstance(path, str) or not isinstance(sha256, str) or not isinstance(blob, bytes):
            raise self._damaged(f"file {file_id} has values of the wrong type or no project")
        found = _json(notices, self.path, f"file {file_id}")  # parsed once for the notices and the date
        licenses, copyrights, credits = self._notices(found, file_id)
        beside = found.get("beside", []) if isinstance(found, dict) else None
        imports = _strings(found.get("imports", [])) if isinstance(found, dict) else None
        if not isinstance(beside, list) or not all(type(other) is int for other in beside) or imports is None:
            raise self._damaged(f"the notices of file {file_id} are not lists of texts")
        stream = self._stream(blob, file_id)
        since = self._since(found, file_id)
        beside = beside[:CREDITED_BESIDE]  # no more than write_index records, whatever a file says
        return project, UpstreamFile(path, sha256, stream, licenses, copyrights, credits, since, tuple(beside), imports)

    def _since(self, found: object, file_id: int) -> str | None:
        """The ``since`` date of a file's parsed notices record (see IndexContent.share_identical_files)."""
        since = found.get("since") if isinstance(found, dict) else None
        if since is not None and not isinstance(since, str):
            raise self._damaged(f"the date of file {file_id} is not a text")
        return since

    def _notices(self, found: object, file_id: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """Licenses, copyright lines and credits of a file's parsed notices record."""
        if isinstance(found, dict):
            licenses, copyrights = _strings(found.get("licenses")), _strings(found.get("copyrights"))
            credits = _strings(found.get("credits", []))
            if licenses is not None and copyrights is not None and credits is not None:
                return licenses, copyrights, credits
        raise self._damaged(f"the notices of file {file_id} are not lists of texts")

    def _stream(self, blob: bytes, file_id: int) -> TokenStream:
        # Inflated with a cap: a small blob must not inflate to gigabytes.
        inflater = zlib.decompressobj()
        try:
            packed = inflater.decompress(blob, MAX_STREAM_BYTES)
        except zlib.error:
            raise self._damaged(f"the token stream of file {file_id} is not zlib data") from None
        if inflater.unconsumed_tail:
            raise self._damaged(f"the token stream of file {file_id} inflates past {MAX_STREAM_BYTES} bytes")
        if not inflater.eof:
            raise self._damaged(f"the token stream of file {file_id} is cut short")
        try:
            return TokenStream.decode(packed)
        except ValueError:  # UnicodeDecodeError included
            raise self._damaged(f"the token stream of file {file_id} cannot be read") from None

    def content(self) -> IndexContent:
        """Everything in the index, to rebuild it with a project added or removed."""
        by_project: dict[int, list[UpstreamFile]] = defaultdict(list)
        for file_id, project_id in self._fetch("SELECT id, project FROM files ORDER BY id"):
            by_project[project_id].append(self._load_file(file_id)[1])
        return IndexContent(
            [(project, by_project[project_id]) for project_id, project in self._projects.items()], list(self.models)
        )

    def file_records(self) -> list[FileRecord]:
        """Every file's record in the order written (a project's files by path), without reading its tokens."""
        records = []
        for file_id, project_id, path, sha256, tokens, notices in self._fetch(
            "SELECT id, project, path, sha256, tokens, notices FROM files ORDER BY id"
        ):
            project = self._projects.get(project_id)
            if project is None or not isinstance(path, str) or not isinstance(sha256, str) or type(tokens) is not int:
                raise self._damaged(f"file {file_id} has values of the wrong type or no project")
            found = _json(notices, self.path, f"file {file_id}")
            records.append(FileRecord(project, path, sha256, tokens, *self._notices(found, file_id)))
        return records

    @cached_property
    def models(self) -> list[KnownModel]:
        """The known models (configs, tokenizers, weight sketches) the index records; [] for an index without them."""
        if "models" not in self._tables:
            return []
        return [
            self._model(row)
            for row in self._fetch(
                "SELECT name, license, source, aliases, config, tokenizer, sketch, added FROM models ORDER BY name"
            )
        ]

    def _model(self, row: tuple[Any, ...]) -> KnownModel:
        name, license_id, source, aliases, config, tokenizer, sketch, added = row
        what = f"the model {_shown(name)}"
        names = _strings(_json(aliases, self.path, what))
        config_value = None if config is None else _json(config, self.path, what)
        tokenizer_value = None if tokenizer is None else _json(tokenizer, self.path, what)
        if (
            not isinstance(name, str)
            or not _optional_text(license_id)
            or not _optional_text(source)
            or names is None
            or not (config_value is None or isinstance(config_value, dict))
            or not (tokenizer_value is None or isinstance(tokenizer_value, dict))
            or not (sketch is None or isinstance(sketch, bytes))
            or not isinstance(added, str)
        ):
            raise self._damaged(f"{what} has values of the wrong type")
        return KnownModel(name, license_id, source, names, config_value, tokenizer_value, sketch, added)

    def _file_rows(self, columns: str, file_ids: Sequence[int], *, numbers: int = 1) -> Iterator[tuple[Any, ...]]:
        """``columns`` of the files with the given ids, read by primary key in batches (never by a scan of the
        files table); the first ``numbers`` columns (``id`` first) must be whole numbers."""
        for start in range(0, len(file_ids), 500):
            chunk = file_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._fetch(f"SELECT {columns} FROM files WHERE id IN ({marks})", chunk):
                if any(type(value) is not int for value in row[:numbers]):
                    raise self._damaged(f"file {_shown(row[0])} has values of the wrong type")
                yield row

    def holders(self, file_ids: Collection[int]) -> dict[int, tuple[UpstreamProject, str | None]]:
        """For each given file, the version it belongs to and the date its code was first held (the file's
        ``since``, else its version's date), without reading its tokens; files not in the index are left out."""
        missing = sorted(set(file_ids) - self._dates.keys())
        for file_id, project_id, notices in self._file_rows("id, project, notices", missing, numbers=2):
            since = None
            if isinstance(notices, str) and '"since"' in notices:  # most files have none: skip parsing them
                since = self._since(_json(notices, self.path, f"file {file_id}"), file_id)
            self._dates[file_id] = (project_id, since)
        found = {}
        for file_id in file_ids:
            project_id, since = self._dates.get(file_id, (None, None))
            project = self._projects.get(project_id) if project_id is not None else None
            if project is not None:
                found[file_id] = (project, since or project.released)
        return found

    def owners(self, file_ids: Collection[int]) -> dict[int, int]:
        """The project id of each given file (files not in the index are left out), kept for later calls."""
        for file_id, project_id in self._file_rows(
            "id, project", sorted(set(file_ids) - self._owners.keys()), numbers=2
        ):
            self._owners[file_id] = project_id
        return {file_id: self._owners[file_id] for file_id in file_ids if file_id in self._owners}

    def paths_of(self, file_ids: Collection[int]) -> dict[int, str]:
        """The path of each given file (files not in the index are left out), without reading its tokens."""
        found = {}
        for file_id, path in self._file_rows("id, path", sorted(set(file_ids))):
            if not isinstance(path, str):
                raise self._damaged(f"file {file_id} has no path")
            found[file_id] = path
        return found

    def credits_of(self, file_ids: Sequence[int]) -> tuple[str, ...]:
        """The distinct credit lines of the given files (other files of a matched file's folder), in order."""
        lines: dict[str, None] = {}
        for file_id, notices in sorted(self._file_rows("id, notices", list(file_ids))):
            found = _json(notices, self.path, f"file {file_id}")
            lines.update(dict.fromkeys(self._notices(found, file_id)[2]))
        return tuple(lines)

    def versions_of(self, name: str) -> list[UpstreamProject]:
        """Every version of the upstream ``name`` in this index, oldest first."""
        return self._versions.get(name, [])

    @cached_property
    def _versions(self) -> dict[str, list[UpstreamProject]]:
        by_name: dict[str, list[UpstreamProject]] = defaultdict(list)
        for project in self.projects():
            by_name[project.name].append(project)
        return dict(by_name)

    def project_ids_of(self, names: frozenset[str]) -> frozenset[int]:
        """The ids of every version of the projects named (in PEP 503 normal form)."""
        from lintml.facts.declared import canonical_package_name

        return frozenset(
            number for number, project in self._projects.items() if canonical_package_name(project.name) in names
        )

    def file_paths(self, name: str, version: str | None = None) -> list[str]:
        """The indexed paths of the upstream ``name``: of its ``version`` when given, else of every version."""
        query = (
            "SELECT DISTINCT files.path FROM files JOIN projects ON projects.id = files.project WHERE projects.name = ?"
        )
        values: tuple[str | None, ...] = (name,)
        if version is not None:
            query += " AND projects.version IS ?"
            values = (name, version)
        paths = [row[0] for row in self._fetch(query + " ORDER BY files.path", values)]
        if not all(isinstance(path, str) for path in paths):
            raise self._damaged(f"a file of {_shown(name)} has no path")
        return paths


def _oversized(value: object) -> bool:
    return isinstance(value, str | bytes) and len(value) > MAX_VALUE_BYTES


def _json(value: object, path: Path, what: str) -> Any:
    """A JSON column's value; IndexFileError when it is not JSON text of a sane size."""
    if isinstance(value, str) and len(value) <= MAX_VALUE_BYTES:
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            pass
    raise IndexFileError(f"{path}: the index is damaged (a JSON value of {what} does not parse)")


def _strings(value: object) -> tuple[str, ...] | None:
    """A JSON list of texts as a tuple; None when it is anything else."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _optional_text(value: object) -> bool:
    return value is None or isinstance(value, str)


def _project_from_row(row: Sequence[object], path: Path) -> UpstreamProject:
    name, version, url, license_id, source, sha256, notice, copyrights, files, tokens, added, requires = row[:12]
    released, licenses, about = row[12:]
    what = f"the project {_shown(name)}"
    holders = _strings(_json(copyrights, path, what))
    covering = _license_copyrights(_json(licenses, path, what))
    needs = _strings(_json(requires, path, what))
    said = _json(about, path, what)
    acknowledged = _strings(said.get("acknowledged", [])) if isinstance(said, dict) else None
    people = _strings(said.get("people", [])) if isinstance(said, dict) else None
    # What a README said is kept small when written; an index holding more was not written by lintml, and only
    # as much as lintml writes is read from it.
    if acknowledged is not None:
        acknowledged = tuple(address[:MAX_ADDRESS_CHARS] for address in acknowledged[:MAX_ACKNOWLEDGED])
    if people is not None:
        people = tuple(names[:MAX_PEOPLE_CHARS] for names in people[:MAX_PEOPLE])
    texts = (version, url, license_id, source, sha256, notice, released)
    if (
        not isinstance(name, str)
        or not all(_optional_text(value) for value in texts)
        or holders is None
        or needs is None
        or covering is None
        or acknowledged is None
        or people is None
        or type(files) is not int
        or type(tokens) is not int
        or not isinstance(added, str)
    ):
        raise IndexFileError(f"{path}: the index is damaged ({what} has values of the wrong type)")
    return UpstreamProject(
        name=name,
        version=version,  # type: ignore[arg-type]
        url=url,  # type: ignore[arg-type]
        license=license_id,  # type: ignore[arg-type]
        source=source,  # type: ignore[arg-type]
        source_sha256=sha256,  # type: ignore[arg-type]
        notice=notice,  # type: ignore[arg-type]
        copyrights=holders,
        files=files,
        tokens=tokens,
        added=added,
        requires=needs,
        released=released,  # type: ignore[arg-type]
        license_copyrights=covering,
        acknowledged=acknowledged,
        people=people,
    )


def _license_copyrights(value: object) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """A JSON list of ``[folder, [line, ...]]`` pairs as tuples; None when it is anything else."""
    if not isinstance(value, list):
        return None
    found = []
    for item in value:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return None
        lines = _strings(item[1])
        if lines is None:
            return None
        found.append((item[0], lines))
    return tuple(found)


CREDITED_BESIDE = 3  # other files of its folder that credit an origin, recorded with a file, at most


def _credited_beside(files: Sequence[UpstreamFile], first_id: int) -> dict[str, tuple[int, ...]]:
    """For each file, the ids (numbered from ``first_id`` in path order, as write_index numbers them) of the
    first :data:`CREDITED_BESIDE` other files in its folder that credit an origin."""
    ordered = sorted(files, key=lambda entry: entry.path)
    crediting: dict[PurePosixPath, list[tuple[int, str]]] = defaultdict(list)
    for number, item in enumerate(ordered):
        if item.credits:
            crediting[PurePosixPath(item.path).parent].append((first_id + number, item.path))
    return {
        item.path: tuple(
            [other for other, path in crediting[PurePosixPath(item.path).parent] if path != item.path][:CREDITED_BESIDE]
        )
        for item in ordered
    }


def updated(project: UpstreamProject, files: list[UpstreamFile]) -> UpstreamProject:
    return replace(project, files=len(files), tokens=sum(len(item.stream) for item in files))


def recorded_projects(path: Path) -> list[tuple[str, str]]:
    """``(name, source)`` of each project an index file records, read from any format of lintml's (all made of
    plain tables, so a file with anything else is read no further); [] if unreadable."""
    budget = _QueryBudget(QUERY_SECONDS)
    try:
        connection = _connect(path, budget)
    except sqlite3.Error:
        return []
    try:
        entries = connection.execute("SELECT type, sql FROM sqlite_master LIMIT 64").fetchall()
        if not all(
            (kind == "table" and isinstance(sql, str) and sql.startswith("CREATE TABLE"))
            or (kind == "index" and sql is None)
            for kind, sql in entries
        ):
            return []
        budget.restart()
        rows = connection.execute("SELECT name, source FROM projects ORDER BY name LIMIT 10000").fetchall()
    except sqlite3.Error:
        return []
    finally:
        connection.close()
    return [(name, source if isinstance(source, str) else "?") for name, source in rows if isinstance(name, str)]
