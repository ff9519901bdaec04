"""The walk: which files a repository has, what kind each is, and their bytes.

Two sources feed the same pipeline: a folder on disk (git-tracked and staged files via
``git ls-files`` in a work tree, otherwise a walk that honours ``.gitignore``) and an in-memory
mapping of path -> content (rule examples, tests). Nothing here interprets content
beyond the few bytes needed to tell a model card or a binary file.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lintml.containment import Escape, OutsideTree, Tree
from lintml.wildmatch import compile_valid_lines

if TYPE_CHECKING:
    import pathspec

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024

# Kinds are plain strings so they travel through JSON and caches unchanged.
PYTHON = "python"
NOTEBOOK = "notebook"
CODE = "code"
LICENSE = "license"
MODEL_CARD = "model-card"
MODEL_CONFIG = "model-config"
TOKENIZER = "tokenizer"
WEIGHTS = "weights"
MANIFEST = "manifest"
DOCUMENT = "document"
DATA = "data"
OTHER = "other"

CODE_KINDS = frozenset({PYTHON, NOTEBOOK, CODE})

PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyx", ".pxd"})
CODE_SUFFIXES = frozenset(
    (
        ".c .h .cc .cpp .cxx .hpp .hh .hxx .cu .cuh .m .mm .metal .cl .js .mjs .cjs .ts .tsx .jsx "
        ".go .rs .java .kt .scala .swift .sh .bash .zsh .fish .ps1 .lua .rb .pl .pm .php .r .jl "
        ".f90 .f .cmake .proto .sql .hs .ml .dart .cs .vue .svelte"
    ).split()
)
WEIGHT_SUFFIXES = frozenset(
    (
        ".safetensors .bin .pt .pth .ckpt .gguf .ggml .ggmlv3 .onnx .h5 .hdf5 .keras .msgpack "
        ".tflite .pb .pdparams .mlmodel .npz .engine .plan .nemo .joblib .pkl .pickle .npy"
    ).split()
)
TOKENIZER_NAMES = frozenset(
    {
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.json",
        "vocab.txt",
        "merges.txt",
        "tokenizer.model",
        "tekken.json",
        "tiktoken.model",
        "spiece.model",
        "sentencepiece.bpe.model",
        "sentencepiece.model",
        "spm.model",
        "chat_template.json",
        "chat_template.jinja",
    }
)
MODEL_CONFIG_NAMES = frozenset(
    {
        "config.json",
        "generation_config.json",
        "adapter_config.json",
        "preprocessor_config.json",
        "processor_config.json",
        "image_processor_config.json",
        "feature_extractor_config.json",
        "scheduler_config.json",
        "model_index.json",
        "params.json",
        "configuration.json",
        "config_sentence_transformers.json",
        "sentence_bert_config.json",
        "modules.json",
    }
)
LICENSE_STEMS = ("license", "licence", "copying", "notice", "third_party_notices", "thirdpartynotices", "unlicense")
MANIFEST_NAMES = frozenset({"pyproject.toml", "setup.cfg", "setup.py", "package.json", "cargo.toml"})
DOCUMENT_SUFFIXES = frozenset({".md", ".rst", ".txt", ".adoc", ".html", ".htm", ".tex"})
DATA_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".csv", ".tsv", ".jsonl", ".xml"})


_NOT_LICENSE_SUFFIXES = (
    PYTHON_SUFFIXES
    | CODE_SUFFIXES
    | WEIGHT_SUFFIXES
    | DATA_SUFFIXES
    | frozenset({".ipynb", ".gz", ".zip", ".tar", ".bz2", ".xz", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".pdf"})
)


@dataclass(frozen=True)
class RepoFile:
    """One file of the scanned tree. ``path`` is POSIX and relative to the root."""

    path: str
    kind: str
    size: int
    # What the listing's stat said of the file (size, modification and change times, inode, device), when read
    # from a disk: a file whose stamp is unchanged since a run hashed it has the same bytes (see lintml.engine).
    stamp: tuple[int, ...] | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        return file_name(self.path)

    @property
    def suffix(self) -> str:
        return file_suffix(self.path).lower()


# Every file of the tree is classified, and its name read, on every run: string operations that
# give what PurePosixPath(path).name and .suffix give for a file's path, without building one.
def file_name(path: str) -> str:
    return path.rstrip("/").rpartition("/")[2]


def file_suffix(path: str) -> str:
    name = file_name(path)
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def is_license_file_name(path: str) -> bool:
    """LICENSE*, LICENCE*, COPYING*, NOTICE*, and anything under a REUSE ``LICENSES/`` folder.

    ``license.py``, ``notice_table.json`` and the like are code and data, not license texts.
    """
    if "LICENSES" in path.rstrip("/").split("/")[:-1]:
        return True
    if file_suffix(path).lower() in _NOT_LICENSE_SUFFIXES:
        return False
    stem = file_name(path).lower()
    for marker in LICENSE_STEMS:
        if stem == marker or stem.startswith((marker + ".", marker + "-", marker + "_")):
            return True
    return False


def classify(path: str, head: bytes = b"") -> str:
    """The kind of a file from its name, and for README.md/.md files, its first bytes."""
    name = file_name(path).lower()
    suffix = file_suffix(path).lower()
    if is_license_file_name(path):
        return LICENSE
    if name in MANIFEST_NAMES:
        return MANIFEST  # setup.py is build configuration, read (never run) for its license
    if name == "model_card.md" or (name.endswith(".md") and name.startswith("readme") and _front_matter(head)):
        return MODEL_CARD
    if name in TOKENIZER_NAMES or suffix == ".tiktoken":
        return TOKENIZER
    if name in MODEL_CONFIG_NAMES:
        return MODEL_CONFIG
    if suffix in WEIGHT_SUFFIXES:
        return WEIGHTS
    if suffix in PYTHON_SUFFIXES:
        return PYTHON
    if suffix == ".ipynb":
        return NOTEBOOK
    if suffix in CODE_SUFFIXES or name in {"makefile", "dockerfile", "cmakelists.txt"}:
        return CODE
    if suffix in DOCUMENT_SUFFIXES:
        return DOCUMENT
    if suffix in DATA_SUFFIXES:
        return DATA
    return OTHER


def _front_matter(head: bytes) -> bool:
    return head.removeprefix(b"\xef\xbb\xbf").startswith(b"---")


HEAD_BYTES = 6  # enough to see a byte-order mark and the opening "---" of front matter


class Source(Protocol):
    """Where file listings and bytes come from: a folder or a mapping."""

    root: Path | None

    def files(self) -> list[RepoFile]: ...

    def read(self, path: str) -> bytes: ...

    def describe(self, path: str) -> RepoFile | None:
        """The file at ``path`` even if the listing left it out (untracked), or None."""
        ...

    def refused(self) -> Mapping[str, str]:
        """Paths the source would not read, each with why: links that lead out of the tree (by the
        link's path), folders nested too deep or that cannot be listed. Known once ``files()`` or
        ``describe()`` met them."""
        ...

    def problems(self) -> Mapping[str, str]:
        """Listed files whose first bytes could not be read (so their kind is a guess), each with why."""
        ...


@dataclass
class MemorySource:
    """A repository given as path -> content; used by rule examples and tests.

    ``links`` maps a path to what a symbolic link there would say, so examples can show a link that
    leads out of the tree (an absolute target, or one that climbs out with ``..``): files at or under
    such a link are refused like :class:`DiskSource` refuses them. Links that stay inside are ignored.
    """

    contents: Mapping[str, str | bytes]
    root: Path | None = None
    links: Mapping[str, str] = field(default_factory=dict)
    _refused: dict[str, str] = field(default_factory=dict, repr=False)

    def _bytes(self, path: str) -> bytes:
        value = self.contents[path]
        return value.encode("utf-8") if isinstance(value, str) else value

    def files(self) -> list[RepoFile]:
        for link in self.links:
            self._escape(link)
        return sorted(
            (described for path in self.contents if (described := self.describe(path)) is not None),
            key=lambda item: item.path,
        )

    def read(self, path: str) -> bytes:
        escape = self._escape(path)
        if escape is not None:
            raise OutsideTree(escape)
        return self._bytes(path)

    def refused(self) -> Mapping[str, str]:
        return dict(self._refused)

    def problems(self) -> Mapping[str, str]:
        return {}

    def _escape(self, path: str) -> Escape | None:
        """The link at or above ``path`` that leads out of the tree, recorded when met."""
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            link = "/".join(parts[:end])
            target = self.links.get(link)
            if target is None:
                continue
            folder = posixpath.dirname(link)
            landing = posixpath.normpath(posixpath.join(folder, target))
            if target.startswith("/") or landing == ".." or landing.startswith("../"):
                escape = Escape(path, link, target)
                self._refused.setdefault(link, escape.describe())
                return escape
        return None

    def describe(self, path: str) -> RepoFile | None:
        if path not in self.contents or self._escape(path) is not None:
            return None
        data = self._bytes(path)
        return RepoFile(path, classify(path, data[:HEAD_BYTES]), len(data))


class DiskSource:
    """A folder: git-tracked plus staged files in a work tree, else a .gitignore-aware walk."""

    def __init__(self, root: Path, *, use_git: bool = True) -> None:
        self.root = root.resolve()
        self.tree = Tree(self.root)
        self.use_git = use_git  # False: walk the folder as it is on disk (an upstream being indexed)
        # Links that lead out of the tree, by the link's path: what they lead to is never read.
        self.escapes: dict[str, Escape] = {}
        self._refused: dict[str, str] = {}  # folders the walk could not or would not read -> why
        self._problems: dict[str, str] = {}  # listed files whose first bytes could not be read -> why

    def read(self, path: str) -> bytes:
        """The file's bytes; :class:`~lintml.containment.OutsideTree` (an OSError) if it leads out of the tree, and
        an OSError if it is no longer a regular file (a FIFO swapped in since it was listed is not waited on)."""
        return self.tree.read(path)

    def files(self) -> list[RepoFile]:
        paths = self._git_paths() if self.use_git else None
        if paths is None:
            paths = list(_walk_honouring_gitignore(self.root, self._refused))
        from lintml.files import TEMPORARY_NAME

        # What a killed `lintml fix` left behind (half a license text, say) is not the project's:
        # the next fix sweeps it, and no check counts it.
        return [
            described
            for path in sorted(set(paths))
            if not TEMPORARY_NAME.fullmatch(file_name(path)) and (described := self.describe(path)) is not None
        ]

    def refused(self) -> Mapping[str, str]:
        found = {link: escape.describe() for link, escape in self.escapes.items()}
        return {**self._refused, **found}

    def problems(self) -> Mapping[str, str]:
        return dict(self._problems)

    def describe(self, path: str) -> RepoFile | None:
        status = self._status_inside_tree(path)
        if status is None:
            return None
        head = b""
        if path.lower().endswith(".md"):
            try:
                head = self.tree.head(path, HEAD_BYTES)
            except OSError as error:  # its kind is then a guess from the name: say so
                self._problems[path] = f"cannot read: {error.strerror or error}"
        stamp = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev)
        return RepoFile(path, classify(path, head), status.st_size, stamp)

    def _status_inside_tree(self, path: str) -> os.stat_result | None:
        """The file's stat, if it is a regular file that does not lead out of the tree.

        A file reached through a link that leads out (the file itself, or a folder on its way) is
        recorded in :attr:`escapes` under the link's path, and not described."""
        try:
            status = self.tree.status(path)
        except OutsideTree as refused:
            self.escapes.setdefault(refused.escape.link, refused.escape)
            return None
        except (OSError, RuntimeError, ValueError):  # unreadable, dangling, a symlink loop, a NUL in the name
            return None
        return status if stat.S_ISREG(status.st_mode) else None

    def _git_paths(self) -> list[str] | None:
        from lintml.git import tracked_files

        return tracked_files(self.root)


MAX_FOLDER_DEPTH = 256  # folders within folders; real projects nest a few dozen deep at most
MAX_GITIGNORE_SIZE = 1024 * 1024  # a .gitignore beyond this is not read (real ones are a few KB)


def _walk_honouring_gitignore(root: Path, refused: dict[str, str] | None = None) -> Iterator[str]:
    """Every file under ``root`` that .gitignore files do not exclude, as POSIX paths relative to it.

    The walk keeps its own stack (a tree nested thousands deep cannot exhaust Python's recursion)
    and does not descend into linked folders; a link is listed like a file, so that the caller
    judges where it leads. Folders nested deeper than :data:`MAX_FOLDER_DEPTH`, or that cannot be
    listed, are recorded in ``refused`` (path -> why) and left out.
    """
    specs: list[tuple[str, pathspec.PathSpec]] = []
    tree = Tree(root)
    stack: list[str] = [""]
    while stack:
        relative = stack.pop()
        # A folder's rules apply to everything under it and to nothing beside it: drop the rules of
        # folders this one is not under (the stack is depth first, so they are at the end).
        while specs and specs[-1][0] and not relative.startswith(specs[-1][0] + "/"):
            specs.pop()
        directory = f"{root}{os.sep}{relative}" if relative else str(root)
        try:
            with os.scandir(directory) as listing:
                entries = sorted((entry.name, _is_real_folder(entry)) for entry in listing)
        except OSError as error:
            if refused is not None and relative:
                refused[relative] = f"{relative}: folder not read ({error.strerror or error})"
            continue
        if any(name == ".gitignore" and not is_folder for name, is_folder in entries):
            try:  # contained and bounded: a .gitignore may be a FIFO, a device or a link out of the tree
                data = tree.read(f"{relative}/.gitignore" if relative else ".gitignore", MAX_GITIGNORE_SIZE)
                lines = data.decode("utf-8", errors="replace").splitlines()
                specs.append((relative, compile_valid_lines(lines)))
            except (OSError, ValueError):
                pass
        folders: list[str] = []
        for name, is_folder in entries:
            path = f"{relative}/{name}" if relative else name
            if is_folder and name == ".git":
                continue
            if _ignored(specs, path, is_folder):
                continue
            if not is_folder:
                yield path
            elif path.count("/") >= MAX_FOLDER_DEPTH:
                if refused is not None:
                    refused[path] = f"{path}: folders nested more than {MAX_FOLDER_DEPTH} deep were not read"
            else:
                folders.append(path)
        stack.extend(reversed(folders))


def _is_real_folder(entry: os.DirEntry[str]) -> bool:
    """A folder that is not a link (a linked folder is listed as a file: its target is judged, not walked)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _ignored(specs: list[tuple[str, pathspec.PathSpec]], path: str, is_folder: bool) -> bool:
    verdict = False
    for base, spec in specs:  # root first, deeper files later: the last that decides wins
        if base and not path.startswith(base + "/"):
            continue
        local = path[len(base) + 1 :] if base else path
        decided = spec.check_file(local + ("/" if is_folder else "")).include
        if decided is not None:
            verdict = decided
    return verdict
