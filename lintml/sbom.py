"""What a bill of materials says, gathered once from one check run, for every SBOM format to write.

A :class:`Bill` is plain data: the project (its declared and detected licenses, copyright holders), every
upstream that code here was traced to (by the provenance of the same run: the catalog's or the user's
indexes, a header or none), the files here that carry each one's code with line ranges and evidence grade,
the model folders (card, architecture, base models with the evidence that identifies them, weights hashed),
and the package dependencies the manifests declare. The writers in :mod:`lintml.report` (``sbom_*``) turn it
into CycloneDX or SPDX with the formats' own libraries; nothing here knows either format.

Identifiers the documents need (serial number, document namespace) come from :meth:`Bill.digest`, a hash of
this content, so the same tree gives the same document; the creation time is ``SOURCE_DATE_EPOCH`` when set.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from lintml import repository
from lintml.derivation import exemption, graded
from lintml.facts.declared import authors, package_name, requirements
from lintml.facts.extract import FileFacts

if TYPE_CHECKING:
    from lintml.project import Project
    from lintml.provenance.index import UpstreamProject
    from lintml.provenance.match import Match
    from lintml.targets import Prepared

# Weights are hashed in chunks of this size: memory stays bounded whatever the file's size.
HASH_CHUNK = 1 << 20
# A weights file larger than this is listed without a hash (hashing it would take longer than the check).
MAX_HASHED_BYTES = 64 << 30


@dataclass(frozen=True)
class CarriedCode:
    """A file here holding an upstream's code: where, which lines, and how sure lintml is."""

    path: str
    lines: tuple[tuple[int, int], ...]  # local line ranges (empty for a notebook: lines of its cells)
    upstream_path: str
    grade: str  # "strong", "moderate" or "weak" (docs/provenance.md#evidence-grades)
    grade_why: str
    verbatim: bool
    local_share: float
    byte_ranges: tuple[tuple[int, int], ...] = ()  # the line ranges as byte offsets, first and last byte (from 1)
    sha1: str | None = None  # of the whole file (SPDX requires SHA-1 of every file it lists)
    sha256: str | None = None


@dataclass(frozen=True)
class TracedUpstream:
    """An upstream release code here was traced to."""

    name: str
    version: str | None
    license: str | None
    url: str | None  # the project's home, as the index records it
    source: str | None  # where the index took it from: a PyPI release page, ``git-URL@commit``, a folder
    copyrights: tuple[str, ...]
    carriers: tuple[str, ...]  # other catalogued releases that hold the same code ("diffusers 0.31.0")
    files: tuple[CarriedCode, ...]

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name

    @property
    def pypi(self) -> bool:
        return bool(self.source and self.source.startswith("https://pypi.org/project/"))

    @property
    def vcs(self) -> tuple[str, str] | None:
        """(repository URL, commit) for an upstream indexed from git, else None."""
        if not self.source or "://" not in self.source or self.pypi:
            return None
        address, _, ref = self.source.rpartition("@")
        if not address or "/" in ref or not re.fullmatch(r"[0-9a-f]{7,40}", ref):
            return None
        return address, ref

    @property
    def purl(self) -> str | None:
        """The package URL: ``pkg:pypi/name@version`` for a PyPI release, ``pkg:github/owner/repo@commit`` for a
        GitHub snapshot, ``pkg:generic/name@version?vcs_url=...`` for another git host, else ``pkg:generic``."""
        from packageurl import PackageURL

        if self.pypi:
            return PackageURL("pypi", name=_pep503(self.name), version=self.version).to_string()
        vcs = self.vcs
        if vcs is not None:
            address, commit = vcs
            parts = address.removesuffix(".git").split("/")
            if len(parts) >= 5 and parts[2] == "github.com":
                return PackageURL("github", parts[3].lower(), parts[4].lower(), commit).to_string()
            qualifiers = {"vcs_url": f"git+{address}@{commit}"}
            return PackageURL(
                "generic", name=self.name.rsplit("/", 1)[-1], version=commit, qualifiers=qualifiers
            ).to_string()
        return PackageURL("generic", name=self.name.rsplit("/", 1)[-1], version=self.version).to_string()


@dataclass(frozen=True)
class BaseModel:
    """A model another is built on: named by its card, or identified by its config, tokenizer or weights."""

    name: str
    license: str | None
    relation: str | None  # the card's base_model_relation (finetune, adapter, merge, quantized)
    named_in_card: bool
    evidence: tuple[str, ...]  # "config identical: ...", one line per piece of evidence


@dataclass(frozen=True)
class WeightsFile:
    path: str
    size: int
    sha256: str | None  # None when it could not be read, or is larger than MAX_HASHED_BYTES
    sha1: str | None = None


@dataclass(frozen=True)
class ModelEntry:
    """A model folder of the repository."""

    path: str  # "" for a model at the top
    name: str
    card: str | None
    licenses: tuple[str, ...]  # the card's license ids, as written
    license: str | None  # the same as an SPDX expression (or LicenseRef-), when lintml knows them all
    license_name: str | None
    architecture: str | None  # config "architectures"[0]
    family: str | None  # config "model_type"
    task: str | None  # card "pipeline_tag"
    datasets: tuple[str, ...]
    base_models: tuple[BaseModel, ...]
    weights: tuple[WeightsFile, ...]


@dataclass(frozen=True)
class Bill:
    """Everything a bill of materials of one tree says (see the module docstring)."""

    name: str
    version: str | None
    declared_license: str | None  # what the lintml configuration, else the manifests, else the license files say
    detected_license: str | None  # what the top-level license files hold
    copyrights: tuple[str, ...]
    upstreams: tuple[TracedUpstream, ...]
    models: tuple[ModelEntry, ...]
    requirements: tuple[str, ...]  # PEP 503 names of the declared dependencies
    tool_version: str
    # What lintml knows of each LicenseRef- the bill uses: (id, name, URL of its text or None).
    license_refs: tuple[tuple[str, str, str | None], ...] = ()

    def digest(self) -> str:
        """SHA-256 of the content: the same tree gives the same serial number and document namespace."""
        data = json.dumps(asdict(self), sort_keys=True, ensure_ascii=True).encode()
        return hashlib.sha256(data).hexdigest()

    @property
    def created(self) -> datetime.datetime:
        """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now; UTC, whole seconds."""
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        if epoch.isdigit():
            return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)
        return datetime.datetime.now(tz=datetime.timezone.utc).replace(microsecond=0)


def bill_of(prepared: Prepared, *, use_cache: bool = True) -> Bill:
    """Run a check of a prepared run (every rule, whatever the configuration selects: the bill lists what was
    found, not what is reported) and gather its bill."""
    from dataclasses import replace

    from lintml.engine import analyse
    from lintml.facts.cache import FactCache, default_cache_dir
    from lintml.provenance.admin import index_projects
    from lintml.repository import DiskSource

    config = replace(prepared.config, select=(), ignore=())
    cache = FactCache(default_cache_dir() if use_cache else None)
    try:
        _, project = analyse(
            DiskSource(prepared.top), config, prepared.targets, cache, None, None, prepared.index_paths
        )
        records = [record for path in prepared.index_paths for record in index_projects(index_path=path)[1]]
        return gather(project, records)
    finally:
        cache.close()


def gather(project: Project, upstream_records: Sequence[UpstreamProject]) -> Bill:
    """The bill of one check run: the ``project`` its checks read, and the upstream projects of the indexes it
    consulted (for the source each was indexed from)."""
    from lintml import __version__

    name, version = _name_and_version(project)
    upstreams = tuple(traced_upstreams(project, upstream_records))
    models = tuple(_models(project))
    declared = _declared(project)
    used = [declared, project.root_license, *(item.license for item in upstreams)]
    used += [model.license for model in models] + [base.license for model in models for base in model.base_models]
    return Bill(
        name=name,
        version=version,
        declared_license=declared,
        detected_license=project.root_license,
        copyrights=_own_copyrights(project),
        upstreams=upstreams,
        models=models,
        requirements=tuple(sorted(_requirements(project))),
        tool_version=__version__,
        license_refs=_license_refs(project, used),
    )


def _license_refs(project: Project, expressions: Sequence[str | None]) -> tuple[tuple[str, str, str | None], ...]:
    refs = sorted({ref for text in expressions if text for ref in re.findall(r"LicenseRef-[A-Za-z0-9.-]+", text)})
    found = []
    for ref in refs:
        terms = project.knowledge.model_terms.licenses.get(ref)
        found.append((ref, project.knowledge.name(ref), terms.url if terms is not None else None))
    return tuple(found)


def traced_upstreams(project: Project, records: Sequence[UpstreamProject]) -> Iterator[TracedUpstream]:
    """Every upstream release the run traced code to, the same matches the ``provenance`` rule reports."""
    by_release = {(record.name, record.version): record for record in records}
    carried: dict[tuple[str, str | None], list[tuple[Match, CarriedCode]]] = {}
    for item in project.code_files:
        if not project.is_target(item.path):
            continue
        notebook = item.kind == repository.NOTEBOOK
        matches = project.provenance.get(item.path, ())
        data = (project.read_bytes(item.path) if project.read_bytes else None) if matches else None
        sha1 = hashlib.sha1(data, usedforsecurity=False).hexdigest() if data is not None else None
        sha256 = hashlib.sha256(data).hexdigest() if data is not None else None
        for match in matches:
            exempted = exemption(project, item.path, match)
            if exempted is not None and exempted.from_here:
                continue  # the upstream took this code from here (as the provenance rule decides)
            grade = graded(project, item.path, match)
            code = CarriedCode(
                path=item.path,
                lines=() if notebook else tuple(match.lines),
                upstream_path=match.upstream_path,
                grade=grade.level,
                grade_why=grade.why,
                verbatim=match.verbatim,
                local_share=round(match.local_share, 4),
                byte_ranges=() if notebook or data is None else _byte_ranges(data, match.lines),
                sha1=sha1,
                sha256=sha256,
            )
            carried.setdefault((match.project, match.version), []).append((match, code))
    for folder in project.vendored:
        files = [
            CarriedCode(item.path, (), "", "strong", "declared vendored in the lintml configuration", False, 1.0)
            for item in project.code_files
            if folder.holds(item.path) and not project.provenance.get(item.path)
        ]
        if files:
            record = by_release.get((folder.upstream, folder.version))
            yield TracedUpstream(
                folder.upstream,
                folder.version,
                folder.license,
                folder.url,
                _portable(record.source) if record else None,
                record.copyrights if record else (),
                (),
                tuple(files),
            )
    for (name, version), pairs in sorted(carried.items(), key=lambda entry: (entry[0][0], entry[0][1] or "")):
        first = pairs[0][0]
        record = by_release.get((name, version))
        copyrights = record.copyrights if record and record.copyrights else first.project_copyrights
        lines = _unique(line for match, _ in pairs for line in (*match.upstream_copyrights, *copyrights))
        yield TracedUpstream(
            name=name,
            version=version,
            license=first.license,
            url=first.url or (record.url if record else None),
            source=_portable(record.source) if record else None,
            copyrights=lines,
            carriers=_unique(carrier for match, _ in pairs for carrier in match.carriers),
            files=tuple(sorted((code for _, code in pairs), key=lambda code: (code.path, code.lines))),
        )


def _byte_ranges(data: bytes, lines: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Line ranges (from 1, inclusive) as byte ranges (from 1, inclusive), as SPDX snippets give them."""
    starts = [0]
    starts.extend(index + 1 for index, byte in enumerate(data) if byte == 0x0A)
    ranges = []
    for first, last in lines:
        begin = starts[min(first, len(starts)) - 1] + 1
        end = starts[last] if last < len(starts) else len(data)
        ranges.append((begin, max(begin, end)))
    return tuple(ranges)


def _unique(items: Iterator[str] | Sequence[str]) -> tuple[str, ...]:
    """Each line once, in order ("Copyright 2024 X." and "Copyright 2024 X" are one line)."""
    kept: dict[str, str] = {}
    for item in items:
        text = item.strip() if item else ""
        if text:
            kept.setdefault(text.rstrip(".").casefold(), text)
    return tuple(kept.values())


def _portable(source: str | None) -> str | None:
    """Where an upstream was indexed from, when that is an address anyone can reach (not a local folder)."""
    return source if source and "://" in source else None


def _pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name_and_version(project: Project) -> tuple[str, str | None]:
    """The project's name and version from its pyproject.toml (else setup.cfg), else the folder's name."""
    name: str | None = None
    version: str | None = None
    for path in ("pyproject.toml", "setup.cfg", "PKG-INFO"):
        text = project.facts_of(path).text if path in project.paths else None
        if not text:
            continue
        name = name or package_name(path, text)
        if path == "pyproject.toml" and version is None:
            version = _pyproject_version(text)
    root = project.file_path("") if project.file_path else None
    return name or (root.name if root is not None else "project"), version


def _pyproject_version(text: str) -> str | None:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeError):
        return None
    table = data.get("project")
    value = table.get("version") if isinstance(table, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def _declared(project: Project) -> str | None:
    """The license the project declares: the configuration's, else a manifest's, else the license files'."""
    if project.license_override:
        return project.license_override
    manifests = [item for item in project.declared_licenses if item.source not in ("license-file", "model-card")]
    stated = next((item.expression for item in manifests if item.expression), None)
    return stated or project.project_license


def _own_copyrights(project: Project) -> tuple[str, ...]:
    """The copyright lines of the top-level license files, then the manifests' authors as holders."""
    lines: list[str] = []
    for item in project.root_license_files:
        lines.extend(line.statement for line in project.facts.get(item.path, FileFacts()).copyrights)
    for path in ("pyproject.toml", "setup.cfg", "PKG-INFO"):
        text = project.facts_of(path).text if path in project.paths else None
        if text:
            lines.extend(authors(path, text))
    return _unique(lines)


def _requirements(project: Project) -> set[str]:
    found: set[str] = set()
    for path in ("pyproject.toml", "setup.cfg", "PKG-INFO"):
        text = project.facts_of(path).text if path in project.paths else None
        if text:
            found |= requirements(path, text)
    found |= _requirements_txt(project)
    return found


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirements_txt(project: Project) -> set[str]:
    """The names a top-level requirements*.txt lists (options, URLs and includes left out)."""
    found: set[str] = set()
    for item in project.files:
        if "/" in item.path or not re.fullmatch(r"requirements[\w.-]*\.txt", item.name.lower()):
            continue
        text = project.text_of(item.path) if item.size < 1_000_000 else None
        for line in (text or "").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("-") or "://" in line:
                continue
            named = _REQUIREMENT_NAME.match(line)
            if named:
                found.add(_pep503(named.group(1)))
    return found


def _models(project: Project) -> Iterator[ModelEntry]:
    from lintml.checks.models import declared_card, folder_evidence, known_model_named, model_folders

    for folder in model_folders(project):
        card = declared_card(project, folder)
        reading = project.model_reading(folder)
        config = reading.config or {}
        architectures = config.get("architectures")
        metadata = card.card.metadata or {} if card is not None else {}
        relation = card.relation if card is not None else None
        bases: dict[str, dict[str, Any]] = {}
        for name in card.base_models if card is not None else ():
            known = known_model_named(project, name)  # under the name lintml knows it by (a Hub id renamed since)
            bases[known.name if known else name] = {
                "license": known.license if known else None,
                "card": True,
                "evidence": [],
            }
        for item in folder_evidence(project, folder):
            entry = bases.setdefault(
                item.model.name, {"license": item.model.license, "card": False, "evidence": [], "strength": 0}
            )
            entry["license"] = entry["license"] or item.model.license
            entry["evidence"].append(f"{item.kind} {item.relation} ({item.path}): {item.detail}")
            entry["strength"] = max(entry.get("strength", 0), item.strength)
        # Evidence no stronger than what confirms the card's base (Llama-3-8B and its Instruct share one config)
        # does not tell another model apart from it: the card's word decides between them.
        confirmed = max((entry.get("strength", 0) for entry in bases.values() if entry["card"]), default=0)
        bases = {name: entry for name, entry in bases.items() if entry["card"] or entry["strength"] > confirmed}
        tag = metadata.get("pipeline_tag")
        yield ModelEntry(
            path=folder.path,
            name=(card.model_name if card is not None and card.model_name else None)
            or (PurePosixPath(folder.path).name if folder.path else _name_and_version(project)[0]),
            card=folder.card,
            licenses=card.licenses if card is not None else (),
            license=_card_license(project, card.licenses) if card is not None else None,
            license_name=card.license_name if card is not None else None,
            architecture=architectures[0]
            if isinstance(architectures, list) and architectures and isinstance(architectures[0], str)
            else None,
            family=config.get("model_type") if isinstance(config.get("model_type"), str) else None,
            task=tag if isinstance(tag, str) else None,
            datasets=_strings(metadata.get("datasets")),
            base_models=tuple(
                BaseModel(
                    name, entry["license"], relation if entry["card"] else None, entry["card"], tuple(entry["evidence"])
                )
                for name, entry in sorted(bases.items())
            ),
            weights=tuple(_weights(project, path) for path in folder.weights),
        )


def _card_license(project: Project, values: Sequence[str]) -> str | None:
    """A card's Hub license ids as one SPDX expression (AND: every one applies), None if one is not known."""
    known = project.knowledge
    ids = [known.hub_ids.get(value) or known.normalize_expression(value) for value in values]
    if not ids or None in ids or any(value in ("other", "unknown") for value in values):
        return None
    return " AND ".join(dict.fromkeys(str(item) for item in ids))


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return _unique(str(item) for item in value if isinstance(item, str | int | float))


def _weights(project: Project, path: str) -> WeightsFile:
    size = project.sizes.get(path, 0)
    root = project.file_path("") if project.file_path else None
    digests: tuple[str, str] | None = None
    if root is not None and size <= MAX_HASHED_BYTES:
        from lintml.containment import Tree

        try:
            digests = _digests(Tree(root).locate(path))  # a link out of the tree is refused, not followed
        except (OSError, ValueError):
            digests = None
    elif root is None and project.read_bytes is not None and size <= HASH_CHUNK * 64:
        data = project.read_bytes(path)  # a source in memory: small files only
        if data is not None:
            digests = (hashlib.sha256(data).hexdigest(), hashlib.sha1(data, usedforsecurity=False).hexdigest())
    return WeightsFile(path, size, digests[0] if digests else None, digests[1] if digests else None)


def _digests(location: str) -> tuple[str, str] | None:
    """SHA-256 and SHA-1 of a file, read in chunks (never whole into memory); None when it cannot be read."""
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1(usedforsecurity=False)
    try:
        with open(location, "rb") as stream:
            while chunk := stream.read(HASH_CHUNK):
                sha256.update(chunk)
                sha1.update(chunk)
    except OSError:
        return None
    return sha256.hexdigest(), sha1.hexdigest()
