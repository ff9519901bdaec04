"""The scanned project as checks see it: files, their facts, and the facts derived across files.

Derived facts (which licenses the project declares and where, which license texts it
ships, what its license is) are computed once here, so every check reads the same
answer and none re-derives it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from lintml import repository
from lintml.config import VendoredFolder
from lintml.facts.declared import READERS, canonical_package_name
from lintml.facts.extract import (
    ROOT_LICENSE_REFERENCE,
    ROOT_LICENSE_SOURCE,
    STATING_KINDS,
    FileFacts,
    Notice,
    Problem,
)
from lintml.licenses import Knowledge, expression_ids
from lintml.provenance.match import Match
from lintml.repository import RepoFile

if TYPE_CHECKING:
    from lintml.derivation import Derivation, Exemption, Modification, Owners
    from lintml.facts.cache import FactCache
    from lintml.git import FileHistory
    from lintml.models.evidence import Evidence, FolderReading
    from lintml.models.folder import ModelFolder
    from lintml.models.known import KnownModel


@dataclass(frozen=True)
class DeclaredLicense:
    """A statement of the project's own license: what it says (SPDX, or None if unknown) and where."""

    source: str  # "license-file", "pyproject.toml", "setup.cfg", "setup.py", "model-card", "config"
    path: str
    line: int | None
    raw: str
    expression: str | None
    # GNU licenses (``GPL-3.0``...) whose bare text is all that was found: the text does not say whether
    # later versions apply, so the declaration fits both ``-only`` and ``-or-later``; ``expression``
    # assumes ``-only`` until another declaration chooses.
    open_versions: frozenset[str] = frozenset()

    def assumption(self) -> str:
        """What was assumed of a bare GNU text, for messages (empty when nothing was)."""
        if not self.open_versions:
            return ""
        names = sorted(self.open_versions)
        assumed = " and ".join(f"{name}-only" for name in names)
        return (
            f"{self.path}, a bare {', '.join(names)} text read as {assumed}"
            ' since no notice adds "or (at your option) any later version"'
        )


@dataclass
class Project:
    files: list[RepoFile]
    facts: dict[str, FileFacts]
    knowledge: Knowledge
    targets: frozenset[str] | None = None  # None: every file is checked
    license_override: str | None = None
    extra_problems: dict[str, list[Problem]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # paths not read (links out of the tree ...) -> why
    provenance: dict[str, list[Match]] = field(default_factory=dict)  # path -> upstream matches
    vendored: tuple[VendoredFolder, ...] = ()
    # Adapters the source provides: any file's text on demand, and git history of some files.
    read_text: Callable[[str], str | None] | None = None
    history_of: Callable[[Sequence[str]], Mapping[str, FileHistory]] | None = None
    own_names: frozenset[str] = frozenset()  # the names the project's manifests give it
    own_packages: frozenset[str] = frozenset()  # the top-level Python packages it holds (what others import)
    catalogued: tuple[tuple[str, str | None], ...] = ()  # (name, url) of the projects the indexes hold
    # Model evidence: the known models of the indexes, and raw access to model files (weights are mapped, not read).
    known_models: tuple[KnownModel, ...] = ()
    models_checked: bool = False  # whether model folders are read at all in this run
    read_bytes: Callable[[str], bytes | None] | None = None
    file_path: Callable[[str], Path | None] | None = None
    cache: FactCache | None = None
    _readings: dict[str, FolderReading] = field(default_factory=dict, repr=False)
    model_evidence: dict[str, list[Evidence]] = field(default_factory=dict, repr=False)  # see checks.models
    _texts: dict[str, str | None] = field(default_factory=dict, repr=False)  # files read on demand
    exemptions: dict[tuple[str, str, str], Exemption | None] = field(default_factory=dict, repr=False)  # see derivation
    _resolved: dict[str, FileFacts] = field(default_factory=dict, repr=False)  # facts with root references read

    @cached_property
    def derived(self) -> dict[str, list[Derivation]]:
        """Checked code files that came from an upstream (by provenance, configuration or header)."""
        from lintml.derivation import find_derivations

        return find_derivations(self)

    @cached_property
    def owners(self) -> Owners:
        """Who this project's own code belongs to (its recurring copyright holders, its manifest's authors)."""
        from lintml.derivation import own_holders

        return own_holders(self)

    @cached_property
    def history(self) -> Mapping[str, FileHistory]:
        """Git history of the derived files: when each was added and which later commits changed its code."""
        if self.history_of is None or not self.derived:
            return {}
        known = self.matched_history
        rest = [path for path in sorted(self.derived) if path not in known]
        return {**known, **(self.history_of(rest) if rest else {})}

    @cached_property
    def matched_history(self) -> Mapping[str, FileHistory]:
        """Git history of the files matched to an upstream: when each was added here tells which way the code
        went, and whether the matched upstream version is older than the copy (see lintml.derivation)."""
        paths = sorted(path for path, matches in self.provenance.items() if matches)
        if self.history_of is None or not paths:
            return {}
        return self.history_of(paths)

    def modification(self, derivation: Derivation) -> Modification:
        from lintml.derivation import modification

        return modification(derivation, self.history)

    def text_of(self, path: str) -> str | None:
        """A file's text: kept facts first, else read from the source (once); None if unreadable or binary."""
        kept = self.facts_of(path).text
        if kept is not None:
            return kept
        if path not in self._texts:
            self._texts[path] = self.read_text(path) if self.read_text is not None else None
        return self._texts[path]

    @cached_property
    def model_folders(self) -> list[ModelFolder]:
        """The models the repository holds, each with its card, config, tokenizer and weights."""
        from lintml.models.folder import model_folders

        return model_folders(self.files)

    def model_reading(self, folder: ModelFolder) -> FolderReading:
        """A model folder's config, tokenizer and weight sketch, read once per run (sketches cached by file)."""
        if folder.path not in self._readings:
            from lintml.models.evidence import read_folder

            self._readings[folder.path] = read_folder(
                folder,
                self.read_bytes or (lambda path: None),
                self.file_path or (lambda path: None),
                self.cache,
                sketch_weights=any(model.sketch is not None for model in self.known_models),
                sizes=self.sizes,
            )
        return self._readings[folder.path]

    @cached_property
    def sizes(self) -> dict[str, int]:
        """Each file's size, by path (made once: a repository may hold thousands of model folders)."""
        return {item.path: item.size for item in self.files}

    @cached_property
    def files_by_folder(self) -> dict[str, list[RepoFile]]:
        """The files of each folder (not of its subfolders), by the folder's path ("" at the top)."""
        from lintml.models.folder import parent_folder

        found: dict[str, list[RepoFile]] = {}
        for item in self.files:
            found.setdefault(parent_folder(item.path), []).append(item)
        return found

    def model_problems(self) -> dict[str, str]:
        """What could not be read in the checked model folders (path -> reason), when models are checked."""
        if not self.models_checked:
            return {}
        found: dict[str, str] = {}
        for folder in self.model_folders:
            if any(
                self.is_target(path) for path in (*folder.configs, *folder.tokenizer, *folder.weights)
            ) and self.holds_model(folder):  # a folder not checked is not read
                found.update(self.model_reading(folder).problems)
        return found

    def holds_model(self, folder: ModelFolder) -> bool:
        """Weights, a tokenizer, or a config that describes a model: not any tool's ``config.json``."""
        if folder.tokenizer or folder.weights:
            return True
        configs = self.model_reading(folder).configs.values()  # its own, or its components' (a pipeline)
        return any(key in config for config in configs for key in ("model_type", "architectures", "_class_name"))

    def vendored_folder(self, path: str) -> VendoredFolder | None:
        """The declared vendored folder ``path`` lies in, the deepest one if they nest."""
        holding = [folder for folder in self.vendored if folder.holds(path)]
        return max(holding, key=lambda folder: len(folder.folder)) if holding else None

    def is_target(self, path: str) -> bool:
        return self.targets is None or path in self.targets

    def checked_files(self, *kinds: str) -> list[RepoFile]:
        return [item for item in self.files if self.is_target(item.path) and (not kinds or item.kind in kinds)]

    def facts_of(self, path: str) -> FileFacts:
        """A file's facts, with a notice pointing at "the LICENSE file in the root directory" read as that license."""
        found = self.facts.get(path)
        if found is None:
            return FileFacts()
        if any(notice.expression == ROOT_LICENSE_REFERENCE for notice in found.notices):
            resolved = self._resolved.get(path)
            if resolved is None:
                resolved = self._resolved[path] = self._with_root_license(found)
            return resolved
        return found

    def _with_root_license(self, found: FileFacts) -> FileFacts:
        root = self.root_license
        if root is None:
            return found  # no root license file, or none lintml can read: the reference stays unresolved
        notices = tuple(
            Notice(root, notice.start_line, notice.end_line, "reference", ROOT_LICENSE_SOURCE)
            if notice.expression == ROOT_LICENSE_REFERENCE
            else notice
            for notice in found.notices
        )
        return replace(found, notices=notices)

    @cached_property
    def paths(self) -> frozenset[str]:
        return frozenset(item.path for item in self.files)

    @cached_property
    def code_files(self) -> list[RepoFile]:
        return [item for item in self.files if item.kind in repository.CODE_KINDS]

    @cached_property
    def license_files(self) -> list[RepoFile]:
        return [item for item in self.files if item.kind == repository.LICENSE]

    @cached_property
    def root_license_files(self) -> list[RepoFile]:
        """LICENSE/COPYING files at the top, and REUSE's LICENSES/ folder (not NOTICE files); with none there,
        those of the folder named as the project's manifest names it (a source release whose top holds the
        Python package's setup and whose license sits at the top of the bundled tree it builds from:
        sentencepiece's sdist ships sentencepiece/LICENSE)."""
        found = []
        own_folder = []
        names = {canonical_package_name(name) for name in self.own_names}
        for item in self.license_files:
            parts = PurePosixPath(item.path).parts
            carries_notices = item.name.lower().startswith(("notice", "third"))
            if (parts[0] == "LICENSES" and len(parts) == 2) or (len(parts) == 1 and not carries_notices):
                found.append(item)
            elif len(parts) == 2 and not carries_notices and canonical_package_name(parts[0]) in names:
                own_folder.append(item)
        return found or own_folder

    @cached_property
    def shipped_texts(self) -> dict[str, list[str]]:
        """SPDX id -> paths of files anywhere in the tree that carry that license's full text."""
        texts: dict[str, list[str]] = {}
        for item in self.license_files:
            ids: set[str] = set()
            parts = PurePosixPath(item.path).parts
            if len(parts) >= 2 and parts[-2] == "LICENSES":
                reuse_id = self.knowledge.canonical_id(PurePosixPath(item.path).stem) or PurePosixPath(item.path).stem
                ids.add(reuse_id)
            for notice in self.facts_of(item.path).notices:
                if notice.kind == "text":
                    ids.update(self._canonical_ids(notice.expression))
            for spdx_id in ids:
                texts.setdefault(spdx_id, []).append(item.path)
        return texts

    def _canonical_ids(self, expression: str) -> list[str]:
        return [self.knowledge.canonical_id(part) or part for part in expression_ids(expression)]

    @cached_property
    def declared_licenses(self) -> list[DeclaredLicense]:
        """Every statement of the project's license, the license files first (as one statement)."""
        declared = [self.license_file_declaration] if self.license_file_declaration else []
        for item in self.files:
            if item.path in READERS and item.kind == repository.MANIFEST:
                declared.extend(self._manifest_declarations(item))
        for item in self.files:
            card = self._raw_facts(item.path).model_card
            if item.kind == repository.MODEL_CARD and "/" not in item.path and card and card.metadata:
                value = card.get("license")
                if (
                    isinstance(value, str)
                    and value not in ("other", "unknown")
                    and not self.knowledge.is_umbrella(value)
                ):
                    spdx = self.knowledge.hub_ids.get(value) or self.knowledge.normalize_expression(value)
                    declared.append(DeclaredLicense("model-card", item.path, card.line_of("license"), value, spdx))
        return declared

    def _raw_facts(self, path: str) -> FileFacts:
        """A file's facts as extracted, references unresolved: what the root license itself is read from."""
        return self.facts.get(path) or FileFacts()

    @cached_property
    def license_file_declaration(self) -> DeclaredLicense | None:
        """The top-level license files, read together: LICENSE-MIT plus LICENSE-APACHE state one
        dual license, and COPYING plus COPYING.LESSER state the LGPL (its GPL text is a companion).

        A GNU license's text does not say whether later versions apply; a notice beside it ("either
        version 3 of the License, or (at your option) any later version") does. With no such notice
        the text is read as ``-only`` and the declaration keeps that choice open (``open_versions``).
        """
        files = [item for item in self.root_license_files if not item.path.startswith("LICENSES/")]
        if not files:
            reuse = [item for item in self.root_license_files if item.path.startswith("LICENSES/")]
            if len(reuse) != 1:
                return None
            spdx = self.knowledge.canonical_id(PurePosixPath(reuse[0].path).stem)
            return DeclaredLicense("license-file", reuse[0].path, None, reuse[0].path, spdx)
        chosen = self._version_choices(files)
        ids: list[str] = []
        open_versions: set[str] = set()
        first_line: int | None = None
        for item in files:
            notices = [notice for notice in self._raw_facts(item.path).notices if notice.kind in ("text", "notice")]
            if not notices:
                continue
            first = min(notices, key=lambda notice: notice.start_line)
            if item is files[0]:
                first_line = first.start_line or None
            for spdx in self._canonical_ids(first.expression):
                base = self.knowledge.version_base(spdx)
                if base is not None and first.kind == "text" and spdx == f"{base}-only":
                    # The text alone (scancode's "-or-later" texts begin with the notice that chooses).
                    if base in chosen:
                        spdx = chosen[base]
                    else:
                        open_versions.add(base)
                ids.append(spdx)
        ids = list(dict.fromkeys(ids))
        companions = {companion for spdx in ids for companion in self.knowledge.companion_texts.get(spdx, ())}
        ids = [spdx for spdx in ids if spdx not in companions] or ids
        open_versions &= {self.knowledge.version_base(spdx) for spdx in ids}  # a companion's text says nothing
        raw = ", ".join(item.path for item in files)
        expression = " OR ".join(ids) if ids else None
        return DeclaredLicense("license-file", files[0].path, first_line, raw, expression, frozenset(open_versions))

    def _version_choices(self, files: list[RepoFile]) -> dict[str, str]:
        """GNU license -> the ``-only`` or ``-or-later`` id a notice in the license files chooses for it.

        A notice inside a license text's lines is the text's own example ("How to Apply These Terms"),
        not a choice."""
        chosen: dict[str, str] = {}
        for item in files:
            notices = self._raw_facts(item.path).notices
            texts = [(notice.start_line, notice.end_line) for notice in notices if notice.kind == "text"]
            for notice in notices:
                if notice.kind == "text" or notice.kind not in STATING_KINDS:
                    continue
                if any(start <= notice.start_line and notice.end_line <= end for start, end in texts):
                    continue
                for spdx in self._canonical_ids(notice.expression):
                    base = self.knowledge.version_base(spdx)
                    if base is not None:
                        chosen.setdefault(base, spdx)
        return chosen

    @cached_property
    def root_license(self) -> str | None:
        """The license of the root license files, what "the LICENSE file in the root directory" refers to.

        A bare GNU text's versions are those another declaration of the same license chooses."""
        declaration = self.license_file_declaration
        if declaration is None or declaration.expression is None:
            return None
        agreeing = self._agreeing(declaration)
        return agreeing.expression if agreeing is not None else declaration.expression

    def _agreeing(self, first: DeclaredLicense) -> DeclaredLicense | None:
        """A later declaration naming ``first``'s licenses that says what ``first`` leaves open: how
        several license files combine ("MIT OR Apache-2.0"), or which versions a bare GNU text means."""
        if first.expression is None:
            return None
        several = len(set(expression_ids(first.expression))) > 1
        if not several and not first.open_versions:
            return None
        for other in self.declared_licenses:
            if other is first or other.expression is None or other.open_versions:
                continue
            if self.knowledge.same_licenses(first.expression, other.expression, first.open_versions):
                return other
        return None

    def _manifest_declarations(self, item: RepoFile) -> list[DeclaredLicense]:
        text = self._raw_facts(item.path).text
        if text is None:
            return []
        declarations, error = READERS[item.path](text)
        if error:
            self.extra_problems.setdefault(item.path, []).append(Problem("unreadable_input", error))
        found = []
        for declaration in declarations:
            if declaration.how == "license-file":
                continue  # points at a license file, which is read on its own
            expression = self.knowledge.normalize_expression(declaration.raw)
            if declaration.how == "license" and expression is None and len(declaration.raw) > 80:
                continue  # a whole license text pasted into metadata: the LICENSE file speaks for it
            if self.knowledge.is_umbrella(declaration.raw) or (declaration.how == "classifier" and expression is None):
                continue  # "BSD License", "License :: OSI Approved": a family, not one license
            found.append(DeclaredLicense(item.path, item.path, declaration.line, declaration.raw, expression))
        return found

    @cached_property
    def project_license(self) -> str | None:
        """The license the project as a whole is under: config, else the first declaration lintml understood.

        When several license files state a dual license, a manifest naming the same licenses says
        how they combine ("MIT OR Apache-2.0"), so its expression is preferred.
        """
        return self._project_license_declaration[0]

    @cached_property
    def project_license_origin(self) -> str:
        return self._project_license_declaration[1]

    @cached_property
    def _project_license_declaration(self) -> tuple[str | None, str]:
        if self.license_override:
            return self.license_override, "the lintml configuration"
        known = [item for item in self.declared_licenses if item.expression]
        if not known:
            return None, "nowhere"
        first = known[0]
        agreeing = self._agreeing(first)
        if agreeing is not None:
            return agreeing.expression, agreeing.path
        return first.expression, first.assumption() or first.path

    def anchor_path(self) -> str:
        """The file a repository-level finding points at: the manifest, else the README, else the first file."""
        names = {item.path: item for item in self.files}
        for candidate in ("pyproject.toml", "setup.py", "setup.cfg", "README.md", "README.rst", "README"):
            if candidate in names:
                return candidate
        code = self.code_files
        if code:
            return code[0].path
        return self.files[0].path if self.files else "."
