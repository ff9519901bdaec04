"""Two model folders side by side: their configs, tokenizers and weights, compared.

``lintml compare-models A B`` prints this; ``lintml index add-model`` reads a folder the same way
to record it. Everything is read as data (JSON, tokenizer files, safetensors headers and mapped
bytes, pickle opcodes); nothing is imported or unpickled. Every file is read through a
:class:`~lintml.containment.Tree` rooted at the folder named (or the folder of the file named):
a config, tokenizer, card or shard that is a link leading out of it is reported, not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lintml import repository
from lintml.bounded_json import JSONInputError, load_json
from lintml.containment import OutsideTree, Tree
from lintml.models.known import KnownModel

MAX_JSON_BYTES = 4 * 1024 * 1024  # a model config (see lintml.models.evidence.MAX_CONFIG_BYTES)
MAX_TOKENIZER_BYTES = 64 * 1024 * 1024  # a tokenizer file (see lintml.models.tokenizer.MAX_TOKENIZER_BYTES)
MAX_CARD_BYTES = 2 * 1024 * 1024  # a model card: the default max-file-size of a check


class ModelReadError(Exception):
    """A model folder that cannot be read at all (missing, or nothing in it lintml understands)."""


@dataclass
class LocalModel:
    """A model folder (or a single weights file) read from disk."""

    path: Path
    config: dict[str, Any] | None = None
    tokenizer: Any | None = None  # TokenizerVocabulary
    sketch: Any | None = None  # ModelSketch
    card_license: str | None = None
    problems: list[str] = field(default_factory=list)

    def fingerprints(self) -> str:
        held = [
            label
            for label, value in (("config", self.config), ("tokenizer", self.tokenizer), ("weights", self.sketch))
            if value is not None
        ]
        return ", ".join(held) or "nothing lintml can compare"


def _read_inside(tree: Tree, path: Path, limit: int, problems: list[str]) -> bytes | None:
    """The bytes of a regular file inside ``tree``, up to ``limit``; None (and a problem) when refused or unreadable.

    A path that does not exist, or is not a regular file, is None without a problem.
    """
    try:
        real = tree.inside(path)
        if not real.is_file():
            return None
        with open(real, "rb") as handle:
            data = handle.read(limit + 1)
    except OutsideTree as refused:
        problems.append(f"{path}: {refused.escape.describe()}")
        return None
    except (OSError, ValueError) as error:
        problems.append(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})")
        return None
    if len(data) > limit:
        problems.append(f"{path}: larger than lintml reads ({limit:,} bytes)")
        return None
    return data


def _json(tree: Tree, path: Path, problems: list[str]) -> dict[str, Any] | None:
    raw = _read_inside(tree, path, MAX_JSON_BYTES, problems)
    if raw is None:
        return None
    try:
        loaded = load_json(raw, max_bytes=MAX_JSON_BYTES)
    except JSONInputError as error:
        problems.append(f"{path}: not readable as JSON ({error.reason})")
        return None
    if not isinstance(loaded, dict):
        problems.append(f"{path}: not a JSON object")
        return None
    return loaded


def read_model(path: Path, *, sketch: bool = True) -> LocalModel:
    """Read a model folder, or one weights file: config, tokenizer, weight sketch and the card's license."""
    from lintml.facts.model_card import parse_model_card
    from lintml.models.sketch import sketch_model
    from lintml.models.tokenizer import TokenizerError, fingerprint_from_files
    from lintml.models.weights import WeightsError

    if not path.exists():
        raise ModelReadError(f"{path}: no such file or folder")
    model = LocalModel(path)
    folder = path if path.is_dir() else path.parent
    tree = Tree(folder)
    if path.is_dir():
        model.config = _json(tree, folder / "config.json", model.problems)
        files: dict[str, bytes] = {}
        for name in sorted(repository.TOKENIZER_NAMES):
            data = _read_inside(tree, folder / name, MAX_TOKENIZER_BYTES, model.problems)
            if data is not None:
                files[name] = data
        if files:
            try:
                model.tokenizer = fingerprint_from_files(files)
            except TokenizerError as error:
                model.problems.append(f"{folder / error.path}: {error.reason}")
        for name in ("README.md", "MODEL_CARD.md"):
            raw = _read_inside(tree, folder / name, MAX_CARD_BYTES, model.problems)
            if raw is not None:
                card = parse_model_card(raw.decode("utf-8", errors="replace"))
                value = card.get("license")
                if isinstance(value, str) and value.strip():
                    model.card_license = value.strip().lower()
                    name = card.get("license_name")
                    if model.card_license == "other" and isinstance(name, str) and name.strip():
                        model.card_license = name.strip().lower()  # `other` names its terms in license_name
                    break
    try:
        names = os.listdir(tree.root)
    except OSError as error:
        raise ModelReadError(f"{folder}: cannot be listed ({error.strerror or error})") from None
    has_weights = path.is_file() or any(
        repository.file_suffix(name).lower() in repository.WEIGHT_SUFFIXES or name.endswith(".safetensors.index.json")
        for name in names
    )
    if sketch and has_weights:
        try:
            model.sketch = sketch_model(path, tree)
        except WeightsError as error:
            model.problems.append(str(error))
        if model.sketch is not None and not model.sketch.tensors:
            model.problems.append(f"{path}: the weights hold no tensors")
            model.sketch = None
    return model


@dataclass(frozen=True)
class ModelComparison:
    a: LocalModel
    b: LocalModel
    config: Any | None  # ConfigComparison
    tokenizer: Any | None  # TokenizerComparison
    weights: Any | None  # WeightComparison

    def related(self) -> bool:
        """Whether B looks derived from A: by its weights, or (no weights to compare) its config or tokenizer."""
        if self.weights is not None:
            return bool(self.weights.verdict == "derived")
        return (self.config is not None and self.config.relation == "identical") or (
            self.tokenizer is not None and self.tokenizer.relation in ("identical", "superset")
        )

    def as_dict(self) -> dict[str, Any]:
        def part(value: Any) -> Any:
            if value is None:
                return None
            if hasattr(value, "as_dict"):
                return value.as_dict()
            return {key: _plain(item) for key, item in vars(value).items()}

        return {
            "a": {"path": str(self.a.path), "has": self.a.fingerprints(), "problems": self.a.problems},
            "b": {"path": str(self.b.path), "has": self.b.fingerprints(), "problems": self.b.problems},
            "config": part(self.config),
            "tokenizer": part(self.tokenizer),
            "weights": part(self.weights),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {key: _plain(item) for key, item in vars(value).items()}
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def describe(comparison: ModelComparison, *, tensors: int = 12) -> list[str]:
    """The comparison as text lines: one section per artifact, then the weakest tensor pairs."""
    lines = [f"A: {comparison.a.path} ({comparison.a.fingerprints()})"]
    lines.append(f"B: {comparison.b.path} ({comparison.b.fingerprints()})")
    lines += [f"  problem: {problem}" for problem in [*comparison.a.problems, *comparison.b.problems]]
    config = comparison.config
    if config is None:
        lines.append("config:    not compared (a config.json is missing or unreadable)")
    else:
        differing = f"; differs in {', '.join(config.differences)}" if config.differences else ""
        lines.append(f"config:    {config.relation} ({config.compared} architecture values compared{differing})")
    tokenizer = comparison.tokenizer
    if tokenizer is None:
        lines.append("tokenizer: not compared (no tokenizer lintml reads on one side)")
    else:
        lines.append(
            f"tokenizer: {tokenizer.relation}: compared with A's, B's has {tokenizer.description}"
            f" ({tokenizer.containment:.0%} of A's sampled tokens in B, {tokenizer.extra_tokens} extra)"
        )
    weights = comparison.weights
    if weights is None:
        lines.append("weights:   not compared (no weights lintml can read on one side)")
    else:
        lines.append(
            f"weights:   {weights.verdict} (score {weights.score:.3f}: median correlation of {weights.informative}"
            f" informative tensor pairs; {weights.by_name} paired by name, {weights.by_shape} by shape,"
            f" {weights.unpaired_a} of A and {weights.unpaired_b} of B unpaired) - {weights.reason}"
        )
        informative = [item for item in weights.evidence if item.correlation is not None]
        if informative:
            lines.append(f"  tensor pairs (A -> B, correlation), the {min(tensors, len(informative))} weakest:")
            for item in sorted(informative, key=lambda pair: pair.correlation)[:tensors]:
                renamed = "" if item.name_a == item.name_b else f" -> {item.name_b}"
                lines.append(f"    {item.name_a}{renamed}  {item.correlation:+.3f}  ({item.paired}, {item.kind})")
    lines.append(f"verdict:   B {'looks derived from' if comparison.related() else 'does not look derived from'} A")
    return lines


def compare_models(a: Path, b: Path) -> ModelComparison:
    from lintml.models.config import compare_configs, normalize_config
    from lintml.models.sketch import compare_sketches
    from lintml.models.tokenizer import compare_tokenizers

    left, right = read_model(a), read_model(b)
    config = None
    if left.config is not None and right.config is not None:
        config = compare_configs(normalize_config(left.config), normalize_config(right.config))
    tokenizer = None
    if left.tokenizer is not None and right.tokenizer is not None:
        tokenizer = compare_tokenizers(left.tokenizer.fingerprint, right.tokenizer)
    weights = None
    if left.sketch is not None and right.sketch is not None:
        weights = compare_sketches(left.sketch, right.sketch)
    if config is None and tokenizer is None and weights is None:
        problems = "; ".join([*left.problems, *right.problems])
        raise ModelReadError(
            f"nothing to compare: A has {left.fingerprints()}, B has {right.fingerprints()}"
            + (f" ({problems})" if problems else "")
        )
    return ModelComparison(left, right, config, tokenizer, weights)


def known_model(
    name: str, path: Path, license_id: str | None, aliases: tuple[str, ...], added: str
) -> tuple[KnownModel, list[str]]:
    """What ``lintml index add-model`` records of a model folder, and what could not be read of it."""
    from lintml.models.config import normalize_config

    model = read_model(path)
    if model.config is None and model.tokenizer is None and model.sketch is None:
        detail = "; ".join(model.problems) or "no config.json, tokenizer or weights"
        raise ModelReadError(f"{path}: nothing to record ({detail})")
    record = KnownModel(
        name=name,
        license=license_id,
        source=str(path),
        aliases=aliases,
        config=normalize_config(model.config) if model.config is not None else None,
        tokenizer=model.tokenizer.fingerprint.as_dict() if model.tokenizer is not None else None,
        sketch=model.sketch.to_bytes() if model.sketch is not None else None,
        added=added,
    )
    return record, model.problems
