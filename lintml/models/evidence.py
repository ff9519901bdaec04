"""What a model folder's own files say about where the model came from.

Three kinds of evidence, each against every known model of the indexes:

* the config: identical to a known model's once names and bookkeeping are dropped, or with
  exactly its architecture;
* the tokenizer: the same vocabulary (and merges), or the same with a few tokens added;
* the weights: tensors that correlate with a known model's sketch (``lintml.models.sketch``).

Plus residue: ``auto_map`` and ``architectures`` entries naming code the repository does not
have. Reading never raises: what cannot be read is a ``problem`` for the unreadable-input rule.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lintml.models.folder import ModelFolder
from lintml.models.known import KnownModel

# Reading a tokenizer file larger than this would cost more than the evidence is worth.
MAX_TOKENIZER_BYTES = 64 * 1024 * 1024
MAX_CONFIG_BYTES = 4 * 1024 * 1024
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
    config_references: dict[str, list[Any]] = field(default_factory=dict)  # path -> CodeReference list


def read_folder(
    folder: ModelFolder,
    read_bytes: Callable[[str], bytes | None],
    file_path: Callable[[str], Path | None],
    cache: Any | None = None,
    *,
    sketch_weights: bool = True,
) -> FolderReading:
    """Read what can be read of a model folder; nothing is executed or unpickled."""
    from lintml.models.config import code_references

    reading = FolderReading(folder)
    for path in folder.configs:
        data = read_bytes(path)
        if data is None:
            continue
        if len(data) > MAX_CONFIG_BYTES:
            reading.problems[path] = f"config of {len(data)} bytes is larger than lintml reads ({MAX_CONFIG_BYTES})"
            continue
        try:
            loaded = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            reading.problems[path] = f"config is not valid JSON: {error}"
            continue
        if not isinstance(loaded, dict):
            reading.problems[path] = "config is not a JSON object"
            continue
        if path == folder.main_config:
            reading.config = loaded
        reading.config_references[path] = list(code_references(loaded))
    for path in folder.tokenizer:
        if path.endswith(("tokenizer_config.json", "processor_config.json", "preprocessor_config.json")):
            data = read_bytes(path)
            if data is None or len(data) > MAX_CONFIG_BYTES:
                continue
            try:
                loaded = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue  # the tokenizer reader below reports broken tokenizer files
            if isinstance(loaded, dict):
                reading.config_references[path] = list(code_references(loaded))
    reading.tokenizer = _read_tokenizer(folder, read_bytes, reading.problems)
    if folder.weights:
        if sketch_weights:
            reading.sketch = _sketch(folder, file_path, cache, reading.problems)
        else:
            _validate(folder, file_path, reading.problems)
    return reading


def _validate(folder: ModelFolder, file_path: Callable[[str], Path | None], problems: dict[str, str]) -> None:
    """With no known weights to compare with, still read the weights' headers (or pickle opcodes): a hostile or
    broken file is worth a finding whether or not lintml compares it."""
    from lintml.models.weights import WeightsError, read_tensors

    target = _weights_target(folder, file_path)
    if target is None:
        return
    try:
        read_tensors(target)
    except WeightsError as error:
        problems[_where(folder, target, error)] = error.reason


def _read_tokenizer(
    folder: ModelFolder, read_bytes: Callable[[str], bytes | None], problems: dict[str, str]
) -> Any | None:
    from lintml.models.tokenizer import TokenizerError, fingerprint_from_files

    files: dict[str, bytes] = {}
    for path in folder.tokenizer:
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
        where = next((path for path in folder.tokenizer if path.endswith("/" + error.path) or path == error.path), None)
        problems[where or folder.tokenizer[0]] = error.reason
        return None


LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def _is_lfs_pointer(path: Path) -> bool:
    """A Git LFS pointer: the weights were not fetched, so there is nothing to read (and nothing wrong)."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(LFS_POINTER)) == LFS_POINTER
    except OSError:
        return False


READABLE_WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def _weights_target(folder: ModelFolder, file_path: Callable[[str], Path | None]) -> Path | None:
    """What to sketch: a sharded index, the one weights file, or the largest; None when none can be read from disk.

    Formats lintml does not read (ONNX, Keras, ...) and Git LFS pointers (weights not fetched)
    are not problems of the repository, so they give None rather than a finding.
    """
    indexes = [path for path in folder.weights if path.endswith(".safetensors.index.json")]
    candidates = [path for path in folder.weights if path.lower().endswith(READABLE_WEIGHTS)]
    own = [path for path in candidates if path.rsplit("/", 1)[0] == folder.path or "/" not in path]
    chosen = indexes or own or candidates
    located = [(path, file_path(path)) for path in chosen]
    located = [(path, item) for path, item in located if item is not None and not _is_lfs_pointer(item)]
    if not located:
        return None
    if len(located) == 1:
        return located[0][1]
    if any(part in path for path, _ in located for part in ("-of-", ".index.json")):
        return located[0][1].parent
    return max(located, key=lambda entry: entry[1].stat().st_size if entry[1].is_file() else 0)[1]


def _where(folder: ModelFolder, target: Path, error: Exception) -> str:
    """The repository path of the weights file an error is about."""
    named = Path(getattr(error, "path", "")).name
    found = next((path for path in folder.weights if Path(path).name == named), None)
    return found or next((path for path in folder.weights if str(target).endswith(path)), folder.weights[0])


def _sketch(
    folder: ModelFolder, file_path: Callable[[str], Path | None], cache: Any | None, problems: dict[str, str]
) -> Any | None:
    from lintml.models.sketch import ModelSketch, sketch_model
    from lintml.models.weights import WeightsError

    target = _weights_target(folder, file_path)
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
        stored = cache.get(key)
        if isinstance(stored, str):
            try:
                return ModelSketch.from_bytes(base64.b64decode(stored))
            except ValueError:
                pass
    try:
        sketch = sketch_model(target)
    except WeightsError as error:
        problems[_where(folder, target, error)] = error.reason
        return None
    if key is not None:
        cache.put(key, base64.b64encode(sketch.to_bytes()).decode("ascii"))
    return sketch


def evidence_for(reading: FolderReading, known: list[KnownModel]) -> list[Evidence]:
    """Every relation between the folder and a known model, strongest first, one per (known model, kind)."""
    from lintml.models.config import compare_configs, normalize_config
    from lintml.models.sketch import ModelSketch, compare_sketches
    from lintml.models.tokenizer import TokenizerFingerprint, compare_tokenizers

    found: list[Evidence] = []
    folder = reading.folder
    normalized = normalize_config(reading.config) if reading.config is not None else None
    for model in known:
        if normalized is not None and model.config is not None and folder.main_config is not None:
            comparison = compare_configs(model.config, normalized)
            if comparison.relation in ("identical", "same-architecture"):
                detail = (
                    f"its config is {model.name}'s once names and bookkeeping are left out"
                    if comparison.relation == "identical"
                    else f"its config has exactly the architecture of {model.name}"
                )
                found.append(
                    Evidence("config", comparison.relation, model, detail, folder.main_config, {"model": model.name})
                )
        if reading.tokenizer is not None and model.tokenizer is not None:
            try:
                fingerprint = TokenizerFingerprint.from_dict(model.tokenizer)
            except (KeyError, TypeError, ValueError):
                continue
            comparison = compare_tokenizers(fingerprint, reading.tokenizer)
            if comparison.relation != "different":
                found.append(
                    Evidence(
                        "tokenizer",
                        comparison.relation,
                        model,
                        f"its tokenizer, compared with {model.name}'s, has {comparison.description}",
                        folder.tokenizer[0],
                        {"model": model.name, "containment": round(float(comparison.containment), 4)},
                    )
                )
        if reading.sketch is not None and model.sketch is not None:
            try:
                theirs = ModelSketch.from_bytes(model.sketch)
            except ValueError:
                continue
            comparison = compare_sketches(theirs, reading.sketch)
            if comparison.verdict == "derived":
                found.append(
                    Evidence(
                        "weights",
                        "derived",
                        model,
                        f"its weights derive from {model.name}'s (score {comparison.score:.2f} over"
                        f" {comparison.paired} tensors)",
                        folder.weights[0],
                        {"model": model.name, "score": round(float(comparison.score), 4)},
                    )
                )
    found.sort(key=lambda item: (-item.strength, item.model.name, item.kind))
    return found
