"""What a model folder's own files say about where the model came from.

Three kinds of evidence, each against every known model of the indexes:

* the config: identical to a known model's once names and bookkeeping are dropped, or with
  exactly its architecture;
* the tokenizer: the same vocabulary (and merges), or the same with a few tokens added;
* the weights: tensors that correlate with a known model's sketch (``lintml.models.sketch``).

Plus residue: ``auto_map`` and ``architectures`` entries naming code the repository does not
have. Reading never raises: what cannot be read is a ``problem`` for the unreadable-input rule.
Weights are read through the repository's :class:`~lintml.containment.Tree` (its root is what
``file_path("")`` gives): a shard or index that leads out of the repository is such a problem.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lintml.bounded_json import JSONInputError, load_json
from lintml.containment import Tree
from lintml.models.folder import ModelFolder
from lintml.models.known import KnownModel

# Reading a tokenizer file larger than this would cost more than the evidence is worth.
MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
# A model config is a few KB (the largest real ones, with label maps of thousands of classes, a few
# hundred KB); more is not a config worth comparing.
MAX_CONFIG_BYTES = 4 * 1024 * 1024
# Lists and objects in a config: a label map is one object; a million is no config.
MAX_CONFIG_CONTAINERS = 100_000
SKETCH_CACHE_VERSION = "1"

# How strong each relation is; the strongest evidence per known model is the one reported.
STRENGTH = {
    ("weights", "derived"): 5,
    ("config", "identical"): 4,
    ("tokenizer", "identical"): 3,
    ("tokenizer", "superset"): 3,
    ("config", "same-architecture"): 2,
    ("tokenizer", "similar"): 1,
}


@dataclass(frozen=True)
class Evidence:
    kind: str  # "config", "tokenizer" or "weights"
    relation: str  # "identical", "same-architecture", "superset", "similar", "derived"
    model: KnownModel
    detail: str  # one line for a message
    path: str  # the file the evidence is in
    data: Mapping[str, Any] = field(default_factory=dict)  # machine-readable details for JSON/SARIF

    @property
    def strength(self) -> int:
        return STRENGTH.get((self.kind, self.relation), 0)


@dataclass
class FolderReading:
    """A model folder's config, tokenizer and weights as read (each None when absent or unreadable)."""

    folder: ModelFolder
    config: dict[str, Any] | None = None
    tokenizer: Any | None = None  # lintml.models.tokenizer.TokenizerVocabulary
    sketch: Any | None = None  # lintml.models.sketch.ModelSketch
    problems: dict[str, str] = field(default_factory=dict)  # path -> what went wrong
    unsafe_pickles: set[str] = field(default_factory=set)  # weights whose pickle names a global outside the allow-list
    config_references: dict[str, list[Any]] = field(default_factory=dict)  # path -> CodeReference list
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> every config.json read (components too)


def _json_object(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object from bytes, or the reason it is not one (never raises: nesting and size bombs included)."""
    try:
        loaded = load_json(data, max_bytes=MAX_CONFIG_BYTES, max_containers=MAX_CONFIG_CONTAINERS)
    except JSONInputError as error:
        return None, f"config is {error.reason}" if error.reason.startswith("not ") else f"config: {error.reason}"
    if not isinstance(loaded, dict):
        return None, "config is not a JSON object"
    return loaded, None


def read_folder(
    folder: ModelFolder,
    read_bytes: Callable[[str], bytes | None],
    file_path: Callable[[str], Path | None],
    cache: Any | None = None,
    *,
    sketch_weights: bool = True,
    sizes: Mapping[str, int] | None = None,
) -> FolderReading:
    """Read what can be read of a model folder; nothing is executed or unpickled.

    ``sizes`` (path -> bytes) lets oversized configs and tokenizers be refused before they are read.
    """
    from lintml.models.config import code_references

    reading = FolderReading(folder)
    sizes = sizes or {}
    for path in folder.configs:
        if sizes.get(path, 0) > MAX_CONFIG_BYTES:
            reading.problems[path] = f"config of {sizes[path]} bytes is larger than lintml reads ({MAX_CONFIG_BYTES})"
            continue
        data = read_bytes(path)
        if data is None:
            continue
        loaded, problem = _json_object(data)
        if loaded is None:
            reading.problems[path] = problem or "config is not readable"
            continue
        if path == folder.main_config:
            reading.config = loaded
        reading.configs[path] = loaded
        reading.config_references[path] = list(code_references(loaded))
    for path in folder.tokenizer:
        if path.endswith(("tokenizer_config.json", "processor_config.json", "preprocessor_config.json")):
            if sizes.get(path, 0) > MAX_CONFIG_BYTES:
                continue
            data = read_bytes(path)
            loaded = _json_object(data)[0] if data is not None else None
            if loaded is not None:  # the tokenizer reader below reports broken tokenizer files
                reading.config_references[path] = list(code_references(loaded))
    reading.tokenizer = _read_tokenizer(folder, read_bytes, reading.problems, sizes)
    if folder.weights:
        root = file_path("")
        tree = Tree(root) if root is not None else None
        _validate(folder, file_path, tree, reading)
        if sketch_weights:
            reading.sketch = _sketch(folder, file_path, tree, cache, reading.problems)
    return reading


# Files beside the weights that hold training state, not the model; read, they would stand in for it.
TRAINING_STATE = re.compile(r"^(optimizer|scheduler|rng_state|training_args|trainer_state|scaler)", re.IGNORECASE)
PICKLE_OR_ZIP = (b"PK\x03\x04", b"\x80")


def _readable_weights(
    folder: ModelFolder, file_path: Callable[[str], Path | None], tree: Tree | None
) -> list[tuple[str, Path]]:
    """The folder's weights files lintml reads, on disk, not LFS pointers, not training state, not data.

    A ``.bin``/``.pt`` file is taken for a PyTorch checkpoint only when it starts like one (a zip or a
    pickle): ``train.bin`` token arrays and other data are not weights, and not a problem either.
    """
    found = []
    for path in folder.weights:
        name = path.rsplit("/", 1)[-1]
        if not name.lower().endswith(READABLE_WEIGHTS) or TRAINING_STATE.match(name):
            continue
        located = file_path(path)
        head = _head(located, tree) if located is not None else None
        if head is None or head.startswith(LFS_POINTER):
            continue
        if name.lower().endswith((".bin", ".pt", ".pth")) and not head.startswith(PICKLE_OR_ZIP):
            continue
        found.append((path, located))
    return found


def _head(located: Path, tree: Tree | None) -> bytes | None:
    """The first bytes of a regular file, read through the tree; None when it cannot be read."""
    from lintml.models.weights import OpenedFile, WeightsError

    try:
        with OpenedFile(located, tree or Tree(located.parent)) as opened:
            return opened.read(0, len(LFS_POINTER), exact=False)
    except WeightsError:
        return None


def _validate(
    folder: ModelFolder, file_path: Callable[[str], Path | None], tree: Tree | None, reading: FolderReading
) -> None:
    """Read every weights file's header (or pickle opcodes): a hostile or broken file is worth a finding
    whether or not lintml compares the model. Cheap: no tensor values are read."""
    from lintml.models.weights import UnsafePickle, WeightsError, read_tensors

    for path, located in _readable_weights(folder, file_path, tree):
        try:
            read_tensors(located, tree)
        except WeightsError as error:
            reading.problems[path] = error.reason
            if isinstance(error, UnsafePickle):
                reading.unsafe_pickles.add(path)


def _read_tokenizer(
    folder: ModelFolder,
    read_bytes: Callable[[str], bytes | None],
    problems: dict[str, str],
    sizes: Mapping[str, int],
) -> Any | None:
    from lintml.models.tokenizer import TokenizerError, fingerprint_from_files

    files: dict[str, bytes] = {}
    for path in folder.tokenizer:
        if sizes.get(path, 0) > MAX_TOKENIZER_BYTES:
            problems[path] = f"tokenizer file of {sizes[path]} bytes is larger than lintml reads"
            continue
        name = path.rsplit("/", 1)[-1]
        data = read_bytes(path)
        if data is None:
            continue
        if len(data) > MAX_TOKENIZER_BYTES:
            problems[path] = f"tokenizer file of {len(data)} bytes is larger than lintml reads"
            continue
        files[name] = data
    if not files:
        return None
    try:
        return fingerprint_from_files(files)
    except TokenizerError as error:
        named = error.path.rsplit("/", 1)[-1]
        where = next((path for path in folder.tokenizer if path.rsplit("/", 1)[-1] == named), None)
        problems[where or folder.tokenizer[0]] = error.reason
        return None


# A Git LFS pointer: the weights were not fetched, so there is nothing to read (and nothing wrong).
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


READABLE_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
# The model's own weights, in the order a loader would pick them.
PREFERRED = (
    "model.safetensors",
    "diffusion_pytorch_model.safetensors",
    "pytorch_model.bin",
    "diffusion_pytorch_model.bin",
    "model.pt",
    "model.pth",
)
_SPLIT = re.compile(r"-\d{5}-of-\d{5}\.")


def _weights_target(folder: ModelFolder, file_path: Callable[[str], Path | None], tree: Tree | None) -> Path | None:
    """What to sketch: the model's own weights as a loader would pick them; None when none can be read.

    Sharded safetensors are read together through their folder (and index); of a split GGUF, the first
    part; otherwise the preferred name, else the largest file. Formats lintml does not read (ONNX,
    Keras, ...), Git LFS pointers and training state give None rather than a finding.
    """
    readable = _readable_weights(folder, file_path, tree)
    if not readable:
        return None
    own = [entry for entry in readable if entry[0].rsplit("/", 1)[0] == folder.path or "/" not in entry[0]]
    pool = own or readable
    by_name = {path.rsplit("/", 1)[-1]: located for path, located in pool}
    for name in PREFERRED:
        if name in by_name:
            return by_name[name]
    splits = sorted(entry for entry in pool if _SPLIT.search(entry[0]))
    if splits:
        first_path, first = splits[0]
        return first.parent if first_path.endswith(".safetensors") else first
    return max(pool, key=lambda entry: entry[1].stat().st_size)[1]


def _where(folder: ModelFolder, target: Path, error: Exception) -> str:
    """The repository path of the weights file an error is about."""
    named = Path(getattr(error, "path", "")).name
    found = next((path for path in folder.weights if Path(path).name == named), None)
    return found or next((path for path in folder.weights if str(target).endswith(path)), folder.weights[0])


def _cached_sketch(value: Any) -> Any:
    """The weight sketch a cache entry holds (base64 text); ValueError or TypeError for anything else."""
    from lintml.models.sketch import ModelSketch

    return ModelSketch.from_bytes(base64.b64decode(value, validate=True))


def _sketch(
    folder: ModelFolder,
    file_path: Callable[[str], Path | None],
    tree: Tree | None,
    cache: Any | None,
    problems: dict[str, str],
) -> Any | None:
    from lintml.models.sketch import sketch_model
    from lintml.models.weights import WeightsError

    target = _weights_target(folder, file_path, tree)
    if target is None:
        return None
    key = None
    if cache is not None and getattr(cache, "enabled", False):
        stamps = []
        for path in folder.weights:
            located = file_path(path)
            try:
                status = os.stat(located) if located is not None else None
            except OSError:
                status = None
            stamps.append((path, status.st_size if status else -1, status.st_mtime_ns if status else -1))
        key = f"sketch:{SKETCH_CACHE_VERSION}:{target.resolve()}:{json.dumps(stamps)}"
        stored = cache.get(key, _cached_sketch)
        if stored is not None:
            return stored
    try:
        sketch = sketch_model(target, tree)
    except WeightsError as error:
        problems.setdefault(_where(folder, target, error), error.reason)
        return None
    if key is not None:
        cache.put(key, base64.b64encode(sketch.to_bytes()).decode("ascii"))
    return sketch


def evidence_for(reading: FolderReading, known: list[KnownModel]) -> list[Evidence]:
    """Every relation between the folder and a known model, strongest first, one per (known model, kind).

    When both sides have weights and they are unrelated, the weights outweigh the rest: a model trained
    from scratch with a known architecture (or tokenizer) is not derived from the model it shares it with.
    """
    found: list[Evidence] = []
    for model in known:
        weights = _weights_evidence(reading, model)
        if weights is not None and weights.verdict == "unrelated":
            continue
        found.extend(_config_evidence(reading, model))
        found.extend(_tokenizer_evidence(reading, model))
        if weights is not None and weights.verdict == "derived":
            found.append(
                Evidence(
                    "weights",
                    "derived",
                    model,
                    f"its weights derive from {model.name}'s (score {weights.score:.2f} over {weights.paired} tensors)",
                    reading.folder.weights[0],
                    {"model": model.name, "score": round(float(weights.score), 4)},
                )
            )
    found.sort(key=lambda item: (-item.strength, item.model.name, item.kind))
    return found


def _config_evidence(reading: FolderReading, model: KnownModel) -> list[Evidence]:
    from lintml.models.config import compare_configs, normalize_config

    folder = reading.folder
    if reading.config is None or model.config is None or folder.main_config is None:
        return []
    comparison = compare_configs(model.config, normalize_config(reading.config))
    if comparison.relation not in ("identical", "same-architecture"):
        return []
    detail = (
        f"its config is {model.name}'s once names and bookkeeping are left out"
        if comparison.relation == "identical"
        else f"its config has exactly the architecture of {model.name}"
    )
    return [Evidence("config", comparison.relation, model, detail, folder.main_config, {"model": model.name})]


def _tokenizer_evidence(reading: FolderReading, model: KnownModel) -> list[Evidence]:
    from lintml.models.tokenizer import TokenizerFingerprint, compare_tokenizers

    if reading.tokenizer is None or model.tokenizer is None:
        return []
    try:
        fingerprint = TokenizerFingerprint.from_dict(model.tokenizer)
    except (KeyError, TypeError, ValueError):
        return []
    comparison = compare_tokenizers(fingerprint, reading.tokenizer)
    if comparison.relation == "different":
        return []
    return [
        Evidence(
            "tokenizer",
            comparison.relation,
            model,
            f"its tokenizer, compared with {model.name}'s, has {comparison.description}",
            reading.folder.tokenizer[0],
            {"model": model.name, "containment": round(float(comparison.containment), 4)},
        )
    ]


def _weights_evidence(reading: FolderReading, model: KnownModel) -> Any | None:
    """The weight comparison with a known model (a WeightComparison), or None when either side has no sketch."""
    from lintml.models.sketch import ModelSketch, compare_sketches

    if reading.sketch is None or model.sketch is None:
        return None
    try:
        theirs = ModelSketch.from_bytes(model.sketch)
    except ValueError:
        return None
    return compare_sketches(theirs, reading.sketch)
