"""Turn an upstream SOURCE (a folder, an sdist or wheel, a git URL) into the records an index holds.

The source is unpacked or cloned (archives into a temporary folder, never outside it;
clones into the cache), walked like a repository, and every code file is normalised. The
project's license comes from the user or, with ``auto``, from its license files and
manifest, read the same way ``lintml check`` reads them. Its NOTICE file and copyright
lines are recorded for the obligations they carry. Nothing in the source is executed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from lintml import repository
from lintml.containment import Tree
from lintml.facts.cache import FactCache, default_cache_dir
from lintml.facts.declared import authors, requirements
from lintml.facts.extract import ROOT_LICENSE_REFERENCE, CopyrightLine, FactExtractor, FileFacts, decode
from lintml.facts.headers import comment_syntax, credit_lines, extract_header, spdx_tags
from lintml.progress import progress_bar, track
from lintml.provenance.index import UpstreamFile, UpstreamProject, updated
from lintml.provenance.normalize import NORMALIZER_VERSION, PYTHON_SUFFIXES, TokenStream, normalize
from lintml.provenance.readme import (
    MAX_PEOPLE,
    MAX_README_BYTES,
    README_NAMES,
    acknowledged_repositories,
    developer_lines,
)
from lintml.provenance.winnow import WINDOW, K, fingerprints
from lintml.wildmatch import compile_patterns

if TYPE_CHECKING:
    import pathspec

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl")
_GIT_URL = re.compile(r"^(?:https?://|ssh://|git://|file://|git@[^:]+:)")
_NOTICE_NAMES = ("NOTICE", "NOTICE.txt", "NOTICE.md", "NOTICE.rst")
_MAX_NOTICE_CHARS = 20_000
_MAX_COPYRIGHTS = 40
# License files recorded with their copyright lines (by folder), and lines kept of each: enough for a
# project's own license and those of the libraries it vendors.
_MAX_LICENSE_FOLDERS = 200
_MAX_LICENSE_LINES = 20
_MAX_METADATA_BYTES = 1_000_000  # read of a PKG-INFO, METADATA, pyproject.toml or setup.cfg
# Copyright lines that belong to a license's own text (the GPL family's), not to the upstream.
_LICENSE_TEXT_COPYRIGHT = re.compile(r"Free Software Foundation", re.I)


class UpstreamError(Exception):
    """A source that cannot be read as an upstream; the message names it and says why."""


# transformers' sdist, among the largest an ML project depends on, is ~10 MB packed and ~50 MB and ~3,000
# files unpacked: these leave twenty times that room and stop an archive bomb long before a disk fills.
DEFAULT_MAX_UNPACKED_BYTES = 1 << 30
DEFAULT_MAX_UNPACKED_FILES = 100_000


@dataclass(frozen=True)
class UnpackLimits:
    """How much an archive may unpack to: bytes written and members (files and folders), counted while
    unpacking, whatever the archive declares (see :mod:`lintml.provenance.archives`)."""

    max_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
    max_files: int = DEFAULT_MAX_UNPACKED_FILES


DEFAULT_UNPACK_LIMITS = UnpackLimits()


@dataclass(frozen=True)
class UpstreamSpec:
    """What the user asked to index: a name, a source, and what they know about it."""

    name: str
    source: str
    license: str = "auto"  # an SPDX expression, or "auto" to read it from the upstream's license files
    url: str | None = None
    version: str | None = None
    exclude: tuple[str, ...] = ()  # gitignore-style patterns of files to leave out (tests, say)
    recorded_source: str | None = None  # what the index records as the source (default: ``source`` itself)
    released: str | None = None  # when this version was published (ISO 8601), if known


def is_git_url(source: str) -> bool:
    return bool(_GIT_URL.match(source)) or (source.endswith(".git") and not Path(source).exists())


def split_git_ref(source: str) -> tuple[str, str | None]:
    """``URL@ref`` -> (URL, ref); the ``@`` of ``git@host:`` is not a ref."""
    head, separator, tail = source.rpartition("@")
    if separator and head and "/" in head and tail and "/" not in tail and ":" not in tail:
        return head, tail
    return source, None


@contextmanager
def materialized(
    source: str, limits: UnpackLimits = DEFAULT_UNPACK_LIMITS
) -> Iterator[tuple[Path, dict[str, str | None]]]:
    """The source as a folder, plus what its form tells (sha256 of an archive, the commit of a clone);
    an archive may unpack to no more than ``limits``."""
    if is_git_url(source):
        from lintml.git import CloneError, clone

        url, ref = split_git_ref(source)
        destination = default_cache_dir() / "upstreams" / hashlib.sha256(url.encode()).hexdigest()[:24]
        try:
            commit = clone(url, ref, destination)
        except CloneError as error:
            raise UpstreamError(str(error)) from None
        yield destination, {"commit": commit, "sha256": None}
        return
    path = Path(source)
    if path.is_dir():
        yield path, {"commit": None, "sha256": None}
        return
    if not path.exists():
        raise UpstreamError(f"{source}: no such folder, archive or git URL")
    if not source.lower().endswith(ARCHIVE_SUFFIXES):
        raise UpstreamError(f"{source}: not a folder, an archive ({', '.join(ARCHIVE_SUFFIXES)}) or a git URL")
    import tempfile  # here, and archives: `lintml check` imports this module, and never unpacks

    from lintml.provenance.archives import ArchiveError, unpack

    digest = sha256_of(path)
    with tempfile.TemporaryDirectory(prefix="lintml-upstream-") as scratch:
        target = Path(scratch)
        try:
            unpack(path, target, limits)
        except ArchiveError as error:
            raise UpstreamError(str(error)) from None
        entries = [entry for entry in target.iterdir()]
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else target
        yield top, {"commit": None, "sha256": digest}


def sha256_of(path: Path) -> str:
    """The archive's sha256, read in chunks: an archive can be larger than memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


Prepared = tuple[TokenStream, tuple[array, array]]  # a code file's stream and fingerprints (hashes, positions)
_PrintsBytes = tuple[bytes, bytes, bytes]  # the same as a worker sends it: packed stream, hashes, positions


def _prepare_one(job: tuple[str, bytes]) -> _PrintsBytes | None:
    """A code file normalised and fingerprinted (in a worker): its packed stream, as the index stores it, and the
    hashes and positions of its fingerprints as 32-bit arrays; None when it is not text."""
    path, data = job
    text, _ = decode(data)
    if text is None:
        return None
    stream = normalize(path, text)
    found = fingerprints(stream.code_array)
    hashes, positions = array("I", [value for value, _ in found]), array("I", [place for _, place in found])
    return stream.pack(), _little_endian(hashes).tobytes(), _little_endian(positions).tobytes()


def _prepare_chunk(jobs: Sequence[tuple[str, bytes]]) -> list[_PrintsBytes | None]:
    return [_prepare_one(job) for job in jobs]


_CHUNK = 8  # files a worker is sent at a time


def _little_endian(numbers: array) -> array:
    if sys.byteorder == "big":
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers


def _prepared(made: _PrintsBytes | None, size: int, *, cached: bool = True) -> Prepared | None:
    """What the cache held (or, ``cached=False``, a worker sent) for a file of ``size`` bytes; ValueError when
    it is not that."""
    if made is None:
        return None
    blob, hashes_bytes, positions_bytes = made
    # A cached stream is held to what its file could make; one just made is taken as it is (zlib inflates
    # a byte to at most about a thousand).
    limit = _MAX_PACKED_PER_BYTE * size + 4096 if cached else 1032 * len(blob) + 4096
    stream = TokenStream.from_pack(blob, limit)
    if len(hashes_bytes) != len(positions_bytes) or len(hashes_bytes) % 4:
        raise ValueError("fingerprints of another shape")
    hashes, positions = array("I"), array("I")
    if hashes.itemsize != 4:  # pragma: no cover - 32-bit unsigned ints are 4 bytes wherever CPython builds
        raise ValueError("no 4-byte array type")
    hashes.frombytes(hashes_bytes)
    positions.frombytes(positions_bytes)
    hashes, positions = _little_endian(hashes), _little_endian(positions)
    if positions and max(positions) >= max(1, len(stream)):
        raise ValueError("a fingerprint beyond its stream")
    return stream, (hashes, positions)


# A packed stream inflates to at most this many bytes per byte of its file (a token of one character is about
# six: its symbol, its text, its line step and their separators); a cached one that inflates further is damaged.
_MAX_PACKED_PER_BYTE = 16


def _stream_key(path: str, data: bytes) -> str:
    suffix = PurePosixPath(path).suffix.lower()
    return f"upstream-stream:{NORMALIZER_VERSION}:{K}:{WINDOW}:{suffix}:{hashlib.sha256(data).hexdigest()}"


def _cached_prepared(size: int) -> Callable[[Any], Prepared | bool | None]:
    """A reader of a cached stream entry: the prepared file, None for a file that is not text; TypeError
    or ValueError when the entry is neither (a damaged entry is a miss)."""

    def read(value: Any) -> Prepared | bool | None:
        if not isinstance(value, dict) or set(value) != {"stream", "hashes", "positions"}:
            raise TypeError("not a cached stream")
        if value["stream"] is None:
            return False  # cached as not text (None would read as a miss)
        parts = [base64.b64decode(value[name], validate=True) for name in ("stream", "hashes", "positions")]
        return _prepared((parts[0], parts[1], parts[2]), size)

    return read


def _cache_entry(made: _PrintsBytes | None) -> dict[str, str | None]:
    if made is None:
        return {"stream": None, "hashes": None, "positions": None}
    blob, hashes, positions = made
    return {
        "stream": base64.b64encode(blob).decode(),
        "hashes": base64.b64encode(hashes).decode(),
        "positions": base64.b64encode(positions).decode(),
    }


T = TypeVar("T")


def _prepare_all(
    code: Sequence[tuple[str, bytes]],
    cache: FactCache,
    jobs: int,
    meanwhile: Callable[[], T],
    tally: Counter[str] | None,
) -> tuple[list[Prepared | None], T]:
    """Each code file's stream and fingerprints, read from the cache or worked out (in worker processes when
    there are enough), and what ``meanwhile`` returns, which runs here while the workers work."""
    prepared: list[Prepared | bool | None] = []
    missing: list[int] = []
    for position, (path, data) in enumerate(code):
        found = cache.get(_stream_key(path, data), _cached_prepared(len(data)))
        prepared.append(found)
        if found is None:
            missing.append(position)
    if tally is not None:
        tally["normalised"] += len(missing)
    jobs_in = [code[position] for position in missing]
    label = f"fingerprinting {len(jobs_in)} code files"
    if jobs <= 1 or len(jobs_in) < 64:
        result = meanwhile()
        made = [_prepare_one(job) for job in track(jobs_in, label)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunks = [jobs_in[start : start + _CHUNK] for start in range(0, len(jobs_in), _CHUNK)]
            pending = [pool.submit(_prepare_chunk, chunk) for chunk in chunks]
            try:
                result = meanwhile()
            except BaseException:
                pool.shutdown(cancel_futures=True)  # not the rest of the files first
                raise
            with progress_bar(label, len(jobs_in)) as bar:
                made = []
                for chunk, future in zip(chunks, pending, strict=True):
                    # A chunk no worker has started yet is done here: this process is free once ``meanwhile`` is.
                    made.extend(_prepare_chunk(chunk) if future.cancel() else future.result())
                    bar.advance(len(chunk))
    for position, item in zip(missing, made, strict=True):
        path, data = code[position]
        cache.put(_stream_key(path, data), _cache_entry(item))
        prepared[position] = _prepared(item, len(data), cached=False)
    return [item if item is not False else None for item in prepared], result  # type: ignore[misc]


def read_upstream(
    spec: UpstreamSpec,
    *,
    detect_license: Callable[[Path, list[repository.RepoFile], dict[str, FileFacts]], str | None],
    jobs: int = 1,
    limits: UnpackLimits = DEFAULT_UNPACK_LIMITS,
    tally: Counter[str] | None = None,
) -> tuple[UpstreamProject, list[UpstreamFile]]:
    """Everything the index needs about one upstream (an archive unpacking to no more than ``limits``).
    Each code file's stream and fingerprints are cached by its bytes; ``tally["normalised"]`` counts those
    worked out in this run."""
    with materialized(spec.source, limits) as folder, closing(FactCache(default_cache_dir())) as cache:
        root, origin = folder
        # What is on disk is what was released: the walk honours .gitignore but not the index of
        # whatever work tree the folder happens to sit in.
        source = repository.DiskSource(root, use_git=False)
        files = [item for item in source.files() if not _excluded(item.path, spec.exclude)]
        extractor = FactExtractor(cache)
        read: list[tuple[repository.RepoFile, bytes]] = []
        for item in files:
            if item.size > repository.DEFAULT_MAX_FILE_SIZE:
                continue
            if (
                item.kind in repository.CODE_KINDS
                or item.kind == repository.LICENSE
                or item.kind == repository.MANIFEST
            ):
                try:
                    read.append((item, source.read(item.path)))
                except OSError:
                    continue
        code = [(item, data) for item, data in read if item.kind in repository.CODE_KINDS]

        def read_facts() -> dict[str, FileFacts]:
            return {item.path: extractor.facts(item, data) for item, data in track(read, f"reading {spec.name}")}

        # The code is normalised in worker processes while its facts are read here.
        streams, facts = _prepare_all([(item.path, data) for item, data in code], cache, jobs, read_facts, tally)
        license_id = spec.license
        if license_id == "auto":
            license_id = detect_license(root, files, facts)
        upstream_files = []
        holders: Counter[str] = Counter()
        for (item, data), prepared in zip(code, streams, strict=True):
            if prepared is None or not prepared[0].symbols:
                continue
            stream, prints = prepared
            file_facts = facts[item.path]
            copyrights = _as_written(data, file_facts.copyrights)
            holders.update(copyrights)
            copyrights += _other_notices(item.path, data)
            upstream_files.append(
                UpstreamFile(
                    path=item.path,
                    sha256=hashlib.sha256(data).hexdigest(),
                    stream=stream,
                    notices=_stated(file_facts, license_id),
                    copyrights=copyrights,
                    # A source file's facts hold its credit lines already (the same reading of the same text).
                    credits=tuple(words for _, words in file_facts.credits)
                    if item.kind in (repository.PYTHON, repository.CODE)
                    else _credits(item.path, data),
                    imports=python_imports(item.path, data),
                    prints=prints,
                )
            )
        covering: dict[str, list[str]] = {}
        for item in files:
            if item.kind == repository.LICENSE:
                lines = [
                    line.statement
                    for line in facts.get(item.path, FileFacts()).copyrights
                    if not _LICENSE_TEXT_COPYRIGHT.search(line.statement)
                ]
                holders.update(lines)
                if lines and not item.name.lower().startswith(("notice", "third")):
                    folder = str(PurePosixPath(item.path).parent)
                    covering.setdefault("" if folder == "." else folder, []).extend(lines)
        metadata = _package_metadata(source.tree)
        project = UpstreamProject(
            name=spec.name,
            version=spec.version or metadata.get("version") or _short(origin.get("commit")),
            url=spec.url or metadata.get("url") or (split_git_ref(spec.source)[0] if is_git_url(spec.source) else None),
            license=license_id,
            source=spec.recorded_source
            or (spec.source if is_git_url(spec.source) else str(Path(spec.source).resolve())),
            source_sha256=origin.get("sha256"),
            notice=_notice_text(source.tree),
            copyrights=tuple(statement for statement, _ in holders.most_common(_MAX_COPYRIGHTS)),
            requires=tuple(sorted(_requirements(source.tree))),
            released=spec.released or origin.get("date"),
            **_about(_readme(source.tree), _authors(source.tree)),
            license_copyrights=tuple(
                (folder, tuple(dict.fromkeys(lines))[:_MAX_LICENSE_LINES])
                for folder, lines in sorted(covering.items())[:_MAX_LICENSE_FOLDERS]
            ),
        )
        return updated(project, upstream_files), upstream_files


def _stated(facts: FileFacts, license_id: str | None) -> tuple[str, ...]:
    """The licenses a file's header states; "the license found in the LICENSE file in the root directory"
    is the upstream's own license (left as the reference when that is not known)."""
    own = license_id if license_id and license_id != "NONE" else None  # SPDX's NONE: it has no license file
    return tuple(
        dict.fromkeys(
            own if notice.expression == ROOT_LICENSE_REFERENCE and own else notice.expression
            for notice in facts.notices
        )
    )


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    return _compiled(tuple(patterns)).match_file(path)


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> pathspec.PathSpec:
    """An upstream's exclude patterns, compiled once for all of its files rather than once per file."""
    return compile_patterns(patterns)


def _short(commit: str | None) -> str | None:
    return commit[:12] if commit else None


def _head(tree: Tree, path: str, size: int) -> bytes | None:
    """The first ``size`` bytes of one of the upstream's own files, read through its tree: None when it is not
    a regular file, or leads out of the upstream (a NOTICE linked to /etc/passwd would be recorded, shown by
    `lintml index info` and written into a repository's NOTICE by `lintml fix`)."""
    try:
        return tree.head(path, size)
    except (OSError, ValueError):
        return None


def _metadata_files(tree: Tree) -> list[tuple[str, bytes]]:
    """(path, first bytes) of the upstream's PKG-INFO and wheel METADATA files that can be read."""
    root = Path(tree.root)
    names = ["PKG-INFO", *sorted(f"{found.parent.name}/METADATA" for found in root.glob("*.dist-info/METADATA"))]
    return [(name, data) for name in names if (data := _head(tree, name, _MAX_METADATA_BYTES)) is not None]


def metadata_heads(tree: Tree) -> list[tuple[str, bytes]]:
    """(name, first bytes) of every file an upstream's record is read from besides its listed files: its
    PKG-INFO and wheel METADATA, NOTICE, pyproject.toml, setup.cfg and README, as far as they are read."""
    heads = _metadata_files(tree)
    for name, size in [(name, _MAX_NOTICE_CHARS * 4) for name in _NOTICE_NAMES] + [
        ("pyproject.toml", _MAX_METADATA_BYTES),
        ("setup.cfg", _MAX_METADATA_BYTES),
        *[(name, MAX_README_BYTES) for name in README_NAMES],
    ]:
        data = _head(tree, name, size)
        if data is not None:
            heads.append((name, data))
    return heads


def _notice_text(tree: Tree) -> str | None:
    for name in _NOTICE_NAMES:
        data = _head(tree, name, _MAX_NOTICE_CHARS * 4)
        if data is not None:
            text, _ = decode(data)
            if text and text.strip():
                return text[:_MAX_NOTICE_CHARS].strip() + "\n"
    return None


def _package_metadata(tree: Tree) -> dict[str, str]:
    """Version and home page from an sdist's PKG-INFO, a wheel's METADATA, or pyproject.toml's [project]."""
    metadata = _metadata_files(tree)
    if not metadata:
        return _pyproject_metadata(tree)
    for _, data in metadata:
        found: dict[str, str] = {}
        text, _ = decode(data[:200_000])
        for line in (text or "").splitlines():
            if not line.strip():
                break  # the headers end at the first blank line
            key, _, value = line.partition(":")
            key, value = key.strip().lower(), value.strip()
            if key == "version":
                found.setdefault("version", value)
            elif key == "home-page" and value and value != "UNKNOWN":
                found.setdefault("url", value)
            elif key == "project-url" and "," in value:
                label, _, address = value.partition(",")
                if label.strip().lower() in ("source", "repository", "homepage", "source code", "code"):
                    found.setdefault("url", address.strip())
        return found
    return {}


def read_memory_upstream(
    name: str,
    files: dict[str, str],
    *,
    version: str | None = None,
    license_id: str | None = None,
    url: str | None = None,
    notice: str | None = None,
) -> tuple[UpstreamProject, list[UpstreamFile]]:
    """An upstream given as path -> text (rule examples, tests): nothing is detected, all is as given."""
    upstream_files = [
        UpstreamFile(
            path,
            hashlib.sha256(text.encode()).hexdigest(),
            normalize(path, text),
            tuple(tag.expression for tag in spdx_tags(text)),
            _header_copyrights(path, text),
            _credits(path, text.encode()),
            imports=python_imports(path, text.encode()),
        )
        for path, text in sorted(files.items())
        if repository.classify(path) in repository.CODE_KINDS
    ]
    project = UpstreamProject(
        name=name,
        version=version,
        url=url,
        license=license_id,
        source="(in memory)",
        notice=notice,
        copyrights=tuple(dict.fromkeys(line for item in upstream_files for line in item.copyrights)),
        **_about(next((files[name] for name in README_NAMES if name in files), ""), []),
    )
    return updated(project, upstream_files), upstream_files


def _as_written(data: bytes, lines: Sequence[CopyrightLine]) -> tuple[str, ...]:
    """Copyright lines as the file writes them (comment markers aside), for restoring them word for word;
    scancode's statement where the line cannot be found."""
    text, _ = decode(data)
    source_lines = text.splitlines() if text else []
    written = []
    for line in lines:
        raw = source_lines[line.line - 1] if 0 < line.line <= len(source_lines) else ""
        words = _uncomment(raw)
        written.append(words if words and line.statement.split()[-1] in words else line.statement)
    return tuple(dict.fromkeys(written))


_OTHER_NOTICE = re.compile(r"(?i)\btrademarks?\b|\bpatents?\b")


def _requirements(tree: Tree) -> set[str]:
    """What the upstream depends on: from its PKG-INFO or wheel METADATA, else pyproject.toml and setup.cfg."""
    found: set[str] = set()
    for name, text in _manifest_texts(tree, ("pyproject.toml", "setup.cfg")):
        found |= requirements(name, text)
    return found


def _manifest_texts(tree: Tree, fallback: Sequence[str]) -> list[tuple[str, str]]:
    """(file name, text) of the upstream's PKG-INFO and wheel METADATA; when it has neither, of the ``fallback``
    manifests it has."""
    files = _metadata_files(tree) or [
        (name, data) for name in fallback if (data := _head(tree, name, _MAX_METADATA_BYTES))
    ]
    return [(Path(name).name, decode(data)[0] or "") for name, data in files]


def _readme(tree: Tree) -> str:
    """The text of the upstream's top README ("" when it has none)."""
    for name in README_NAMES:
        data = _head(tree, name, MAX_README_BYTES)
        if data is not None:
            text, _ = decode(data)
            return text or ""
    return ""


def _authors(tree: Tree) -> list[str]:
    """The authors and maintainers the upstream's metadata (or pyproject.toml) names."""
    manifests = _manifest_texts(tree, ("pyproject.toml",))
    return [person for name, text in manifests for person in authors(name, text) if person]


def _about(readme: str, named: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """What the upstream says of itself: the repositories its README credits, and who develops it (its
    manifests' authors and maintainers, then the names its README gives)."""
    people = tuple(dict.fromkeys([*named, *developer_lines(readme)]))[:MAX_PEOPLE]
    return {"acknowledged": acknowledged_repositories(readme), "people": people}


def _credits(path: str, data: bytes) -> tuple[str, ...]:
    """Lines of a file's comments and docstrings that say its code came from elsewhere."""
    text, _ = decode(data)
    return credit_lines(text or "", comment_syntax(path))


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([A-Za-z_]\w*)[\w.]*[ \t]+import\b|import[ \t]+([A-Za-z_][\w., \t]*))", re.M)
MAX_IMPORTS = 32


def python_imports(path: str, data: bytes) -> tuple[str, ...]:
    """The top-level modules outside the standard library a Python file imports, sorted (``diffusers`` for
    ``from diffusers.models import x``; relative imports left out), at most :data:`MAX_IMPORTS`; () for any
    other file."""
    if PurePosixPath(path).suffix.lower() not in PYTHON_SUFFIXES:
        return ()
    text, _ = decode(data)
    found: set[str] = set()
    for source, names in _IMPORT.findall(text or ""):
        if source:
            found.add(source)
        for name in names.split(","):
            module = name.split()[0].split(".")[0] if name.split() else ""
            if module.isidentifier():
                found.add(module)
    # The standard library says nothing of what a file builds on, and would only take room in the catalog.
    return tuple(sorted(found - sys.stdlib_module_names)[:MAX_IMPORTS])


def _other_notices(path: str, data: bytes) -> tuple[str, ...]:
    """Trademark and patent notices of a file's header, which Apache-2.0 §4(c) keeps like copyright lines."""
    text, _ = decode(data)
    if not text or not _OTHER_NOTICE.search(text[:20000]):
        return ()
    header = extract_header(text, comment_syntax(path))
    found = [_uncomment(line) for _, line in header.lines if _OTHER_NOTICE.search(line)]
    return tuple(line for line in found if line and len(line) < 200)


def _uncomment(line: str) -> str:
    return line.strip().lstrip("#/*;-%!").strip().removesuffix("*/").strip()


def _header_copyrights(path: str, text: str) -> tuple[str, ...]:
    """Copyright lines of a file's header, read without scancode (for upstreams given in memory)."""
    header = extract_header(text, comment_syntax(path))
    found = []
    for _, line in header.lines:
        words = _uncomment(line)
        if re.match(r"(?i)copyright\b|\(c\)|©", words):
            found.append(words)
    return tuple(found) + _other_notices(path, text.encode())


def _pyproject_metadata(tree: Tree) -> dict[str, str]:
    data = _head(tree, "pyproject.toml", _MAX_METADATA_BYTES)
    if data is None:
        return {}
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        project = tomllib.loads(data.decode("utf-8")).get("project", {})
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: bad TOML, an integer too long to convert
        return {}
    found: dict[str, str] = {}
    if isinstance(project, dict):
        if isinstance(project.get("version"), str):
            found["version"] = project["version"]
        urls = project.get("urls")
        if isinstance(urls, dict):
            for label, address in urls.items():
                if str(label).lower() in ("source", "repository", "homepage", "source code", "code"):
                    found.setdefault("url", str(address))
    return found
