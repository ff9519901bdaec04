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
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from zlib import crc32

from lintml import __version__
from lintml.models.known import KnownModel
from lintml.provenance.normalize import NORMALIZER_VERSION, TokenStream
from lintml.provenance.winnow import WINDOW, K, fingerprints

SCHEMA_VERSION = "2"
FORMAT_NAME = "lintml-upstream-index"

# A file with fewer normalised tokens is too small to say where it came from.
MIN_FILE_TOKENS = 60
# A fingerprint found in files of this many projects, or this many files, is boilerplate:
# common idiom rather than anyone's work. It is kept out of the postings and never counts.
COMMON_PROJECTS = 3
COMMON_FILES = 100

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE projects (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, version TEXT, url TEXT, license TEXT,
  source TEXT, source_sha256 TEXT, notice TEXT, copyrights TEXT NOT NULL, files INTEGER NOT NULL,
  tokens INTEGER NOT NULL, added TEXT NOT NULL, requires TEXT NOT NULL
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
        self.projects = [(old, kept) for old, kept in self.projects if old.name != project.name]
        self.projects.append((project, files))
        self.projects.sort(key=lambda item: item[0].name)

    def remove_project(self, name: str) -> bool:
        before = len(self.projects)
        self.projects = [(old, kept) for old, kept in self.projects if old.name != name]
        return len(self.projects) != before


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
    """Write ``content`` as the index at ``path``, atomically; ``compact=False`` skips the final VACUUM
    (for a scratch index read once, such as an audit's)."""
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


def _write(target: Path, content: IndexContent, *, compact: bool = True) -> None:
    connection = sqlite3.connect(target)
    try:
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        connection.executescript(_TABLES)
        postings: dict[int, list[tuple[int, int]]] = defaultdict(list)
        projects_of: dict[int, set[int]] = defaultdict(set)
        file_id = 0
        for project_id, (project, files) in enumerate(content.projects, start=1):
            tokens = sum(len(item.stream) for item in files)
            connection.execute(
                "INSERT INTO projects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    project_id,
                    project.name,
                    project.version,
                    project.url,
                    project.license,
                    project.source,
                    project.source_sha256,
                    project.notice,
                    json.dumps(list(project.copyrights)),
                    len(files),
                    tokens,
                    project.added or _now(),
                    json.dumps(list(project.requires)),
                ),
            )
            for item in sorted(files, key=lambda entry: entry.path):
                file_id += 1
                connection.execute(
                    "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        file_id,
                        project_id,
                        item.path,
                        item.sha256,
                        len(item.stream),
                        item.stream.pack(),
                        json.dumps(
                            {
                                "licenses": list(item.notices),
                                "copyrights": list(item.copyrights),
                                "credits": list(item.credits),
                            }
                        ),
                    ),
                )
                if not indexable(item.path, item.stream):
                    continue
                seen: set[int] = set()
                for value, position in fingerprints(item.stream.code_array):
                    if value in seen:
                        continue
                    seen.add(value)
                    postings[value].append((file_id, position))
                    projects_of[value].add(project_id)
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


class UpstreamIndex:
    """An index opened for reading. Opening checks that it is a lintml index this version can use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise IndexFileError(f"{path}: no such index file")
        try:
            self._connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            meta = dict(self._connection.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as error:
            raise IndexFileError(f"{path}: not a lintml index ({error})") from None
        if meta.get("format") != FORMAT_NAME:
            raise IndexFileError(f"{path}: not a lintml index")
        if meta.get("schema") != SCHEMA_VERSION or meta.get("normalizer") != NORMALIZER_VERSION:
            raise IndexFileError(
                f"{path}: built by lintml {meta.get('lintml', '?')} in another format;"
                " rebuild it with `lintml index add`"
            )
        if meta.get("k") != str(K) or meta.get("window") != str(WINDOW):
            raise IndexFileError(f"{path}: built with other fingerprint settings; rebuild it")
        self.identity = meta.get("identity", "")
        self.meta = meta
        self._file = lru_cache(maxsize=256)(self._load_file)

    # Read on first use: a run that only checks that an index opens (the shipped catalog's) pays for the meta table.
    @cached_property
    def common(self) -> frozenset[int]:
        """Fingerprint hashes of boilerplate: never posted, never evidence."""
        try:
            return frozenset(row[0] for row in self._connection.execute("SELECT hash FROM common"))
        except sqlite3.Error as error:
            raise IndexFileError(f"{self.path}: the index is damaged ({error})") from None

    @cached_property
    def _projects(self) -> dict[int, UpstreamProject]:
        try:
            return {
                row[0]: _project_from_row(row[1:])
                for row in self._connection.execute(
                    "SELECT id, name, version, url, license, source, source_sha256, notice, copyrights, files, tokens,"
                    " added, requires FROM projects ORDER BY name"
                )
            }
        except (sqlite3.Error, ValueError) as error:
            raise IndexFileError(f"{self.path}: the index is damaged ({error})") from None

    def close(self) -> None:
        self._connection.close()

    def projects(self) -> list[UpstreamProject]:
        return sorted(self._projects.values(), key=lambda project: project.name)

    def project(self, name: str) -> UpstreamProject | None:
        return next((project for project in self._projects.values() if project.name == name), None)

    def lookup(self, hashes: Sequence[int]) -> Iterator[tuple[int, int, int]]:
        """(hash, file id, position) of every posting of the given fingerprints."""
        unique = sorted(set(hashes))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self._connection.execute(f"SELECT hash, file, pos FROM postings WHERE hash IN ({marks})", chunk)

    def file(self, file_id: int) -> tuple[UpstreamProject, UpstreamFile]:
        return self._file(file_id)

    def _load_file(self, file_id: int) -> tuple[UpstreamProject, UpstreamFile]:
        row = self._connection.execute(
            "SELECT project, path, sha256, stream, notices FROM files WHERE id = ?", (file_id,)
        ).fetchone()
        if row is None:
            raise IndexFileError(f"{self.path}: the index is damaged (file {file_id} is missing)")
        notices = json.loads(row[4])
        upstream_file = UpstreamFile(
            row[1],
            row[2],
            TokenStream.unpack(row[3]),
            tuple(notices["licenses"]),
            tuple(notices["copyrights"]),
            tuple(notices.get("credits", ())),
        )
        return self._projects[row[0]], upstream_file

    def content(self) -> IndexContent:
        """Everything in the index, to rebuild it with a project added or removed."""
        by_project: dict[int, list[UpstreamFile]] = defaultdict(list)
        for file_id, project_id in self._connection.execute("SELECT id, project FROM files ORDER BY id"):
            by_project[project_id].append(self._load_file(file_id)[1])
        return IndexContent(
            [(project, by_project[project_id]) for project_id, project in self._projects.items()], list(self.models)
        )

    @cached_property
    def models(self) -> list[KnownModel]:
        """The known models (configs, tokenizers, weight sketches) the index records; [] for an index without them."""
        try:
            tables = {row[0] for row in self._connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "models" not in tables:
                return []
            return [
                KnownModel.from_row(row)
                for row in self._connection.execute(
                    "SELECT name, license, source, aliases, config, tokenizer, sketch, added FROM models ORDER BY name"
                )
            ]
        except (sqlite3.Error, ValueError) as error:
            raise IndexFileError(f"{self.path}: the index is damaged ({error})") from None

    def file_ids_of(self, names: frozenset[str]) -> frozenset[int]:
        """The ids of every file of the projects named (in PEP 503 normal form)."""
        from lintml.facts.declared import canonical_package_name

        wanted = [number for number, project in self._projects.items() if canonical_package_name(project.name) in names]
        if not wanted:
            return frozenset()
        marks = ",".join("?" * len(wanted))
        return frozenset(
            row[0] for row in self._connection.execute(f"SELECT id FROM files WHERE project IN ({marks})", wanted)
        )

    def file_paths(self, name: str) -> list[str]:
        return [
            row[0]
            for row in self._connection.execute(
                "SELECT files.path FROM files JOIN projects ON projects.id = files.project WHERE projects.name = ?"
                " ORDER BY files.path",
                (name,),
            )
        ]


def _project_from_row(row: Iterable[object]) -> UpstreamProject:
    name, version, url, license_id, source, sha256, notice, copyrights, files, tokens, added, requires = row
    return UpstreamProject(
        name=str(name),
        version=_text(version),
        url=_text(url),
        license=_text(license_id),
        source=_text(source),
        source_sha256=_text(sha256),
        notice=_text(notice),
        copyrights=tuple(json.loads(str(copyrights))),
        files=int(files),  # type: ignore[call-overload]
        tokens=int(tokens),  # type: ignore[call-overload]
        added=str(added),
        requires=tuple(json.loads(str(requires))),
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def updated(project: UpstreamProject, files: list[UpstreamFile]) -> UpstreamProject:
    return replace(project, files=len(files), tokens=sum(len(item.stream) for item in files))


def recorded_projects(path: Path) -> list[tuple[str, str]]:
    """``(name, source)`` of each project an index file records, read from any format; [] if unreadable."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT name, source FROM projects ORDER BY name").fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return []
    return [(str(name), str(source or "?")) for name, source in rows]
