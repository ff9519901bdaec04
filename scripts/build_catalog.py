"""Build the default upstream catalog, ``lintml/data/catalog.sqlite3``, and its manifest, from pinned sources.

The pins live in ``scripts/catalog.toml``, of two kinds. A ``[[project]]`` is a PyPI release: the
file name and sha256 of its source distribution, its license and what to leave out; the sdist is
downloaded from the PyPI simple index into a cache folder (a file already there is reused). A
``[[git]]`` is a commit of a git repository: its URL, the 40-hex commit, its date, and the sha256
of a source snapshot of that commit made by the rules of ``--snapshots``' README (source, license,
notice and packaging files only, written reproducibly: the same commit gives the same bytes). The
snapshot is taken from ``--snapshots DIR`` when it holds it, else fetched from the forge as the
commit's archive and cut down and repacked by those rules (:func:`repack`). Every file whose sha256
is not the pinned one is refused. A git pin's license is lintml's own reading of the snapshot's
license files (``license = "auto"``); the snapshot manifest's guess is recorded beside it only as a
hint, and the build says where the two disagree. Everything is indexed with one call to
:func:`lintml.api.index_add` into a temporary file, which is moved into place beside
``catalog-manifest.json``, recording what went in and where each entry came from.
Nothing in an sdist is run: the archives are only unpacked and read. The build fails when the
index would exceed the size the package may ship. The index's only content that changes from
build to build is the date each project was added: set ``SOURCE_DATE_EPOCH`` to pin it, and
two builds are byte for byte the same (compare the index sha256 in the manifest).

Run with the project's virtualenv::

    .venv/bin/python scripts/build_catalog.py [--snapshots ../shared/upstreams] [--only NAME ...] [--output PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lintml import __version__  # noqa: E402  (the repository root, put on sys.path above)
from lintml.api import UsageError, index_add  # noqa: E402
from lintml.provenance.catalog import CATALOG_PATH  # noqa: E402
from lintml.provenance.index import UpstreamProject  # noqa: E402
from lintml.provenance.normalize import NORMALIZER_VERSION  # noqa: E402
from lintml.provenance.upstream import UpstreamSpec  # noqa: E402

PINS_PATH = ROOT / "scripts" / "catalog.toml"
DOCS_PATH = ROOT / "docs" / "catalog.md"
DOCS_SECTION = "catalog-table"
DOWNLOADS = ROOT / "benchmarks" / ".work" / "catalog"
INDEX_URL = "https://pypi.org/simple"
# What the package may ship: the whole wheel should stay small enough for a pre-commit install.
MAX_BYTES = 80_000_000
MANIFEST_FORMAT = "lintml-catalog-manifest"
TIMEOUT = 120  # seconds, per request

_PIN_KEYS = {"name", "version", "sdist", "sha256", "license", "url", "exclude", "released"}
_GIT_KEYS = {"name", "url", "commit", "date", "archive", "sha256", "license", "exclude", "tags", "hint"}
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class CatalogError(Exception):
    """The catalog cannot be built as pinned; the message says what and where."""


@dataclass(frozen=True)
class Pin:
    """One pinned release: which sdist, its sha256, and how to index it."""

    name: str
    version: str
    sdist: str
    sha256: str
    license: str
    url: str
    exclude: tuple[str, ...]
    released: str | None = None  # the sdist's upload time on PyPI

    @property
    def release_page(self) -> str:
        return f"https://pypi.org/project/{self.name}/{self.version}/"


@dataclass(frozen=True)
class GitPin:
    """One pinned commit of a git repository, as a reproducible source snapshot with this sha256."""

    name: str
    url: str
    commit: str
    date: str  # the commit's committer date, ISO 8601 UTC
    archive: str  # the snapshot's file name
    sha256: str
    license: str  # "auto": lintml reads the snapshot's license files
    exclude: tuple[str, ...]
    tags: tuple[str, ...] = ()
    hint: str | None = None  # the snapshot manifest's license guess, never used as the license

    @property
    def version(self) -> str:
        """How findings name this commit: its tag, else its first 10 hex digits."""
        return self.tags[0] if self.tags else self.commit[:10]

    @property
    def source(self) -> str:
        return f"{self.url}@{self.commit}"


def load_pins(path: Path) -> list[Pin | GitPin]:
    """The pins of ``path``, PyPI releases then git commits, checked key by key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise CatalogError(f"{path}: cannot read the pins ({error})") from None
    defaults = data.get("defaults", {})
    common = tuple(defaults.get("exclude", ()))
    pins: list[Pin | GitPin] = []
    for number, entry in enumerate(data.get("project", []), start=1):
        where = f"{path}: project {number} ({entry.get('name', '?')})"
        _check_keys(entry, where, _PIN_KEYS, _PIN_KEYS - {"exclude"})
        pins.append(
            Pin(
                name=entry["name"],
                version=entry["version"],
                sdist=entry["sdist"],
                sha256=entry["sha256"],
                license=entry["license"],
                url=entry["url"],
                exclude=common + tuple(entry.get("exclude", ())),
                released=_checked_date(entry["released"], where),
            )
        )
    for number, entry in enumerate(data.get("git", []), start=1):
        pins.append(_git_pin(entry, f"{path}: git {number} ({entry.get('name', '?')})", common))
    versions = [(pin.name, pin.version) for pin in pins]
    duplicates = sorted({f"{name} {version}" for name, version in versions if versions.count((name, version)) > 1})
    if duplicates:
        raise CatalogError(f"{path}: {duplicates[0]!r} is pinned twice")
    if not pins:
        raise CatalogError(f"{path}: nothing pinned")
    return pins


def _check_keys(entry: dict[str, Any], where: str, known: set[str], required: set[str]) -> None:
    """A pin has only ``known`` keys, every ``required`` one, and a well-formed sha256."""
    unknown = sorted(set(entry) - known)
    if unknown:
        raise CatalogError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    missing = sorted(required - set(entry))
    if missing:
        raise CatalogError(f"{where}: missing {', '.join(missing)}")
    if not _SHA256.match(str(entry["sha256"])):
        raise CatalogError(f"{where}: sha256 must be 64 lowercase hex digits")


def _checked_date(value: object, where: str) -> str:
    if not isinstance(value, str) or not _DATE.match(value):
        raise CatalogError(f"{where}: a date must be YYYY-MM-DDTHH:MM:SSZ (UTC)")
    return value


def _git_pin(entry: dict[str, Any], where: str, common: tuple[str, ...]) -> GitPin:
    _check_keys(entry, where, _GIT_KEYS, {"name", "url", "commit", "date", "archive", "sha256"})
    if not _COMMIT.match(entry["commit"]):
        raise CatalogError(f"{where}: commit must be 40 lowercase hex digits")
    _checked_date(entry["date"], where)
    if not entry["url"].startswith("https://"):
        raise CatalogError(f"{where}: url must be an https:// repository address")
    return GitPin(
        name=entry["name"],
        url=entry["url"],
        commit=entry["commit"],
        date=entry["date"],
        archive=entry["archive"],
        sha256=entry["sha256"],
        license=entry.get("license", "auto"),
        exclude=common + tuple(entry.get("exclude", ())),
        tags=tuple(entry.get("tags", ())),
        hint=entry.get("hint"),
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Links(HTMLParser):
    """The ``<a href>`` links of a PEP 503 simple index page, by their text (the file name)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data: str) -> None:
        if self._href is not None and data.strip():
            self.links[data.strip()] = self._href

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None


def sdist_url(pin: Pin, index_url: str) -> str:
    """Where the index serves the pinned sdist; the index's own sha256 for it must be the pinned one."""
    project = re.sub(r"[-_.]+", "-", pin.name).lower()  # PEP 503 normalised name
    page = f"{index_url.rstrip('/')}/{project}/"
    try:
        with urllib.request.urlopen(page, timeout=TIMEOUT) as response:
            html = response.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        raise CatalogError(f"{pin.name}: cannot read {page} ({error})") from None
    parser = _Links()
    parser.feed(html)
    href = parser.links.get(pin.sdist)
    if href is None:
        raise CatalogError(f"{pin.name}: {page} lists no {pin.sdist}")
    url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
    published = urllib.parse.parse_qs(fragment).get("sha256", [None])[0]
    if published is not None and published != pin.sha256:
        raise CatalogError(f"{pin.name}: {page} gives {pin.sdist} sha256 {published}, not the pinned {pin.sha256}")
    return url


def fetch(pin: Pin, downloads: Path, index_url: str) -> tuple[Path, str]:
    """The pinned sdist in ``downloads``, verified; and whether it was ``cached`` or ``downloaded``."""
    target = downloads / pin.sdist
    if target.is_file():
        digest = sha256_of(target)
        if digest != pin.sha256:
            raise CatalogError(
                f"{target}: sha256 {digest} is not the pinned {pin.sha256};"
                " delete the file to download it again, or correct the pin"
            )
        return target, "cached"
    url = sdist_url(pin, index_url)
    downloads.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{pin.sdist}.", suffix=".part", dir=downloads)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != pin.sha256:
            raise CatalogError(f"{url}: downloaded sha256 {digest.hexdigest()} is not the pinned {pin.sha256}")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)  # a download, not a private temporary file
        os.replace(partial, target)
    except (urllib.error.URLError, OSError) as error:
        raise CatalogError(f"{pin.name}: cannot download {url} ({error})") from None
    finally:
        Path(partial).unlink(missing_ok=True)
    return target, "downloaded"


def fetch_snapshot(pin: GitPin, snapshots: Path | None, downloads: Path) -> tuple[Path, str]:
    """The pinned snapshot, verified: from ``snapshots`` (or its ``snapshots/`` folder), from ``downloads``,
    or fetched from the forge by commit and repacked (:mod:`snapshots`); and which of the three it was."""
    import snapshots as snapshot_rules

    candidates = [downloads / pin.archive]
    if snapshots is not None:
        candidates[:0] = [snapshots / "snapshots" / pin.archive, snapshots / pin.archive]
    for candidate in candidates:
        if candidate.is_file():
            digest = sha256_of(candidate)
            if digest != pin.sha256:
                raise CatalogError(f"{candidate}: sha256 {digest} is not the pinned {pin.sha256}")
            return candidate, "local"
    if not pin.url.startswith("https://github.com/"):
        raise CatalogError(f"{pin.name}: no snapshot {pin.archive} at hand, and only GitHub archives can be fetched")
    owner_name = pin.url.removeprefix("https://github.com/").removesuffix(".git")
    url = f"https://codeload.github.com/{owner_name}/tar.gz/{pin.commit}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            forge_archive = response.read()
    except (urllib.error.URLError, OSError) as error:
        raise CatalogError(f"{pin.name}: cannot download {url} ({error})") from None
    moment = int(datetime.strptime(pin.date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    snapshot = snapshot_rules.repack(forge_archive, pin.url, pin.commit, moment)
    digest = hashlib.sha256(snapshot).hexdigest()
    if digest != pin.sha256:
        raise CatalogError(
            f"{pin.name}: the snapshot made from {url} has sha256 {digest}, not the pinned {pin.sha256}"
            " (a path marked export-ignore, or a different commit)"
        )
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / pin.archive
    target.write_bytes(snapshot)
    return target, "fetched"


class _Progress:
    """Prints each step ``index_add`` reports, with the time the previous step took."""

    def __init__(self) -> None:
        self._started: float | None = None

    def __call__(self, step: str) -> None:
        self.finish()
        print(f"  {step} ...", end="", flush=True)
        self._started = time.monotonic()

    def finish(self) -> None:
        if self._started is not None:
            print(f" {time.monotonic() - self._started:.1f} s", flush=True)
            self._started = None


def storage(path: Path) -> dict[str, Any]:
    """Where the index's bytes go: per table (when SQLite has dbstat) and per project."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables: dict[str, int] = {}
        try:
            rows = connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY name").fetchall()
            tables = {str(name): int(size) for name, size in rows}
        except sqlite3.Error:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
            pass
        streams = {
            f"{name} {version}": (int(count), int(size or 0))
            for name, version, count, size in connection.execute(
                "SELECT projects.name, projects.version, COUNT(*), SUM(LENGTH(files.stream)) FROM files"
                " JOIN projects ON projects.id = files.project GROUP BY projects.id"
            )
        }
        postings = {
            f"{name} {version}": int(count)
            for name, version, count in connection.execute(
                "SELECT projects.name, projects.version, COUNT(*) FROM postings JOIN files ON files.id = postings.file"
                " JOIN projects ON projects.id = files.project GROUP BY projects.id"
            )
        }
        common = int(connection.execute("SELECT COUNT(*) FROM common").fetchone()[0])
    finally:
        connection.close()
    return {
        "tables": tables,
        "stream_bytes": {name: size for name, (_, size) in sorted(streams.items())},
        "postings": {name: postings.get(name, 0) for name in sorted(streams)},
        "common_fingerprints": common,
    }


def build_date() -> tuple[str, bool]:
    """The build's date, and whether it is pinned by ``SOURCE_DATE_EPOCH`` (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        moment = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    except (ValueError, OverflowError, OSError):
        raise CatalogError(f"SOURCE_DATE_EPOCH={epoch!r}: not a number of seconds since 1970") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), bool(epoch)


def manifest(
    pins: Sequence[Pin | GitPin], projects: Sequence[UpstreamProject], index: Path, built: str, seconds: float
) -> dict[str, Any]:
    by_version = {(project.name, project.version): project for project in projects}
    used = storage(index)
    entries = []
    for pin in pins:
        project = by_version[(pin.name, pin.version)]
        label = f"{pin.name} {pin.version}"
        entry: dict[str, Any] = {"name": pin.name, "version": pin.version, "released": project.released}
        if isinstance(pin, GitPin):
            entry.update(
                {"kind": "git", "commit": pin.commit, "archive": pin.archive, "source": pin.source, "hint": pin.hint}
            )
        else:
            entry.update({"kind": "pypi", "sdist": pin.sdist, "source": pin.release_page, "pypi": pin.release_page})
        entry.update(
            {
                "sha256": pin.sha256,
                "license": project.license,
                "url": pin.url,
                "files": project.files,
                "tokens": project.tokens,
                "stream_bytes": used["stream_bytes"].get(label, 0),
                "postings": used["postings"].get(label, 0),
                "exclude": list(pin.exclude),
            }
        )
        entries.append(entry)
    return {
        "format": MANIFEST_FORMAT,
        "lintml": __version__,
        "normalizer": NORMALIZER_VERSION,
        "built": built,
        "build_seconds": round(seconds, 1),
        "index": {"file": index.name, "bytes": index.stat().st_size, "sha256": sha256_of(index)},
        "totals": {
            "projects": len(entries),
            "files": sum(entry["files"] for entry in entries),
            "tokens": sum(entry["tokens"] for entry in entries),
            "stream_bytes": sum(entry["stream_bytes"] for entry in entries),
            "postings": sum(entry["postings"] for entry in entries),
            "common_fingerprints": used["common_fingerprints"],
        },
        "tables": used["tables"],
        "projects": entries,
    }


def oversize_report(index: Path, limit: int) -> str:
    used = storage(index)
    lines = [f"the index would be {index.stat().st_size:,} bytes, over the {limit:,}-byte limit; where it goes:"]
    lines += [f"  table {name:<28} {size:>12,} bytes" for name, size in used["tables"].items()]
    for name, size in used["stream_bytes"].items():
        lines.append(f"  {name:<28} streams {size:>12,} bytes, postings {used['postings'][name]:>10,} rows")
    return "\n".join(lines)


def add_known_models(index: Path, downloads: Path, index_url: str) -> list[dict[str, Any]]:
    """Record the known models of scripts/models.toml in ``index``; their manifest entries."""
    from catalog_models import ModelCatalogError, known_models, load_description

    from lintml.provenance.index import UpstreamIndex, write_index

    def fetch_package(entry: dict[str, Any]) -> Path:
        pin = Pin(entry["name"], entry["version"], entry["file"], entry["sha256"], "", "", ())
        path, how = fetch(pin, downloads, index_url)
        print(f"  {pin.name} {pin.version}: {pin.sdist} {how}, sha256 ok", flush=True)
        return path

    built, _ = build_date()
    try:
        models, entries = known_models(load_description(), fetch_package, built)
    except ModelCatalogError as error:
        raise CatalogError(str(error)) from None
    opened = UpstreamIndex(index)
    try:
        content = opened.content()
    finally:
        opened.close()
    for model in models:
        content.replace_model(model)
    write_index(index, content)
    for entry in entries:
        print(f"  {entry['name']:<44} {entry['license'] or '-':<32} {entry['holds']}", flush=True)
    return entries


def build(
    pins: Sequence[Pin | GitPin],
    *,
    downloads: Path,
    output: Path,
    index_url: str,
    jobs: int | None,
    limit: int,
    snapshots: Path | None = None,
) -> dict[str, Any]:
    started = time.monotonic()
    print(f"fetching {len(pins)} pinned sources (downloads in {downloads})", flush=True)
    specs = []
    for pin in pins:
        if isinstance(pin, GitPin):
            path, how = fetch_snapshot(pin, snapshots, downloads)
            print(f"  {pin.name} {pin.version}: {pin.archive} {how}, sha256 ok", flush=True)
            specs.append(
                UpstreamSpec(pin.name, str(path), pin.license, pin.url, pin.version, pin.exclude, pin.source, pin.date)
            )
            continue
        path, how = fetch(pin, downloads, index_url)
        print(f"  {pin.name} {pin.version}: {pin.sdist} {how}, sha256 ok", flush=True)
        specs.append(
            UpstreamSpec(
                pin.name,
                str(path),
                pin.license,
                pin.url,
                pin.version,
                pin.exclude,
                pin.release_page,
                pin.released,
            )
        )
    print(f"indexing {len(specs)} projects", flush=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".catalog-", dir=output.parent) as scratch:
        temporary = Path(scratch) / output.name
        progress = _Progress()
        try:
            projects = index_add(specs, index_path=temporary, jobs=jobs, progress=progress)
        except UsageError as error:
            raise CatalogError(str(error)) from None
        finally:
            progress.finish()
        print("recording known models (scripts/models.toml)", flush=True)
        models = add_known_models(temporary, downloads, index_url)
        size = temporary.stat().st_size
        if size > limit:
            raise CatalogError(oversize_report(temporary, limit))
        built, _ = build_date()
        seconds = time.monotonic() - started
        described = manifest(pins, projects, temporary, built, seconds)
        described["models"] = models
        described["totals"]["models"] = len(models)
        os.replace(temporary, output)
    manifest_path = manifest_path_for(output)
    manifest_path.write_text(json.dumps(described, indent=2) + "\n", encoding="utf-8")
    for entry in described["projects"]:
        hint = entry.get("hint")
        disagreement = f"  (the snapshot's hint says {hint})" if hint and hint != entry["license"] else ""
        print(
            f"  {entry['name']:<36} {entry['version']:<12} {entry['license'] or '-':<22} {entry['files']:>5} files"
            f" {entry['tokens']:>10,} tokens{disagreement}"
        )
    totals = described["totals"]
    print(
        f"wrote {output} ({described['index']['bytes']:,} bytes: {totals['projects']} projects, {totals['files']:,}"
        f" files, {totals['tokens']:,} tokens) and {manifest_path} in {described['build_seconds']} s"
    )
    return described


def render_table(described: dict[str, Any]) -> str:
    """The manifest as a Markdown table: what the catalog holds."""
    lines = [
        "| project | version | date | source | license | files | tokens | archive sha256 |",
        "|---|---|---|---|---|---:|---:|---|",
    ]
    for entry in described["projects"]:
        where = "PyPI sdist" if entry.get("kind", "pypi") == "pypi" else f"git `{entry['commit'][:12]}`"
        source = entry.get("source") or entry.get("pypi")
        date = (entry.get("released") or "-")[:10]
        lines.append(
            f"| [{entry['name']}]({entry['url']}) | [{entry['version']}]({source}) | {date}"
            f" | {where} | {entry['license'] or 'unknown'} | {entry['files']:,} | {entry['tokens']:,} |"
            f" `{entry['sha256'][:12]}…` |"
        )
    totals = described["totals"]
    names = len({entry["name"] for entry in described["projects"]})
    lines.append(
        f"| **{names} projects** | **{totals['projects']} versions** | | | | **{totals['files']:,}**"
        f" | **{totals['tokens']:,}** | |"
    )
    lines.append("")
    if described.get("models"):
        lines += ["Known models (for `base-model` and `model-license`; from `scripts/models.toml`):", ""]
        lines += ["| model | license | holds | source |", "|---|---|---|---|"]
        for entry in described["models"]:
            lines.append(
                f"| {entry['name']} | {entry['license'] or '-'} | {entry['holds']} | {entry['source'] or '-'} |"
            )
        lines.append("")
    lines.append(
        f"Index: {described['index']['bytes']:,} bytes, built {described['built']} by lintml {described['lintml']}"
        f" (normaliser {described['normalizer']}) in {described['build_seconds']} s; sha256"
        f" `{described['index']['sha256']}`."
    )
    return "\n".join(lines)


def refresh_docs(path: Path, described: dict[str, Any]) -> bool:
    """Replace the generated table between the ``catalog-table`` markers of ``path``; False when it has none."""
    if not path.is_file():
        return False
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- {DOCS_SECTION}:start -->\n).*?(<!-- {DOCS_SECTION}:end -->)", re.S)
    if not pattern.search(text):
        return False
    table = render_table(described)
    path.write_text(pattern.sub(lambda found: f"{found.group(1)}{table}\n{found.group(2)}", text, count=1), "utf-8")
    return True


def manifest_path_for(output: Path) -> Path:
    """``catalog.sqlite3`` -> ``catalog-manifest.json``, beside it."""
    return output.with_name(f"{output.name.split('.')[0]}-manifest.json")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fetch the pinned PyPI sdists and git snapshots of scripts/catalog.toml, check their sha256"
        " and build lintml's default upstream catalog and its manifest."
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="Only this pinned project (repeatable)."
    )
    parser.add_argument(
        "--downloads",
        type=Path,
        default=DOWNLOADS,
        metavar="DIR",
        help=f"Where sdists are downloaded and reused from (default: {DOWNLOADS.relative_to(ROOT)}).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=CATALOG_PATH,
        metavar="PATH",
        help=f"The index to write; the manifest goes beside it (default: {CATALOG_PATH.relative_to(ROOT)}).",
    )
    parser.add_argument(
        "--snapshots",
        type=Path,
        metavar="DIR",
        help="A folder of git source snapshots (as ../shared/upstreams: DIR/snapshots/*.tar.gz); git pins not"
        " found there are fetched from the forge by commit and repacked.",
    )
    parser.add_argument("--pins", type=Path, default=PINS_PATH, metavar="TOML", help="The pins (default: %(default)s).")
    parser.add_argument(
        "--index-url", default=INDEX_URL, metavar="URL", help="PyPI simple index to download from (%(default)s)."
    )
    parser.add_argument("--jobs", type=int, metavar="N", help="Processes normalising code (default: all CPUs).")
    parser.add_argument(
        "--max-bytes", type=int, default=MAX_BYTES, metavar="N", help="Fail when the index is larger (%(default)s)."
    )
    options = parser.parse_args(argv)
    try:
        pins = load_pins(options.pins)
        if options.only:
            known = {pin.name for pin in pins}
            unknown = [name for name in options.only if name not in known]
            if unknown:
                raise CatalogError(
                    f"--only {unknown[0]!r}: not pinned in {options.pins} (known: {', '.join(sorted(known))})"
                )
            if options.output.resolve() == CATALOG_PATH.resolve():
                raise CatalogError("--only builds a partial catalog: pass --output PATH so the shipped one stays whole")
            pins = [pin for pin in pins if pin.name in options.only]
        described = build(
            pins,
            downloads=options.downloads,
            output=options.output,
            index_url=options.index_url,
            jobs=options.jobs,
            limit=options.max_bytes,
            snapshots=options.snapshots,
        )
        if options.output.resolve() == CATALOG_PATH.resolve() and refresh_docs(DOCS_PATH, described):
            print(f"updated the table in {DOCS_PATH.relative_to(ROOT)}")
    except CatalogError as error:
        print(f"build_catalog: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
