"""Weight sketches of real safetensors files, and the verdicts comparing them gives."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from lintml.models.sketch import (
    MAGIC,
    SAMPLE_SIZE,
    ModelSketch,
    SketchFormatError,
    canonical_names,
    compare_sketches,
    sample_positions,
    sketch_model,
)

Model = dict[str, np.ndarray]


def tiny_transformer(seed: int, *, layers: int = 4, hidden: int = 48, trained: bool = True) -> Model:
    """A small BERT-like state dict: weights N(0, σ), LayerNorms around 1 (exactly 1 and 0 when fresh), biases."""
    rng = np.random.default_rng(seed)

    def normal(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def norm() -> tuple[np.ndarray, np.ndarray]:
        if not trained:
            return np.ones(hidden, np.float32), np.zeros(hidden, np.float32)
        return 1 + normal(hidden, scale=0.1), normal(hidden, scale=0.05)

    model: Model = {
        "embeddings.word_embeddings.weight": normal(300, hidden),
        "embeddings.position_ids": np.arange(64, dtype=np.int64).reshape(1, 64),
    }
    model["embeddings.LayerNorm.weight"], model["embeddings.LayerNorm.bias"] = norm()
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}"
        for part in ("query", "key", "value"):
            model[f"{prefix}.attention.self.{part}.weight"] = normal(hidden, hidden)
            model[f"{prefix}.attention.self.{part}.bias"] = normal(hidden) if trained else np.zeros(hidden, np.float32)
        model[f"{prefix}.attention.output.dense.weight"] = normal(hidden, hidden)
        model[f"{prefix}.attention.output.LayerNorm.weight"], model[f"{prefix}.attention.output.LayerNorm.bias"] = (
            norm()
        )
        model[f"{prefix}.intermediate.dense.weight"] = normal(4 * hidden, hidden)
        model[f"{prefix}.output.dense.weight"] = normal(hidden, 4 * hidden)
        model[f"{prefix}.output.LayerNorm.weight"], model[f"{prefix}.output.LayerNorm.bias"] = norm()
    return model


def noisy(model: Model, sigmas: float, seed: int) -> Model:
    rng = np.random.default_rng(seed)
    return {
        name: values
        if values.dtype.kind != "f"
        else (values + rng.standard_normal(values.shape) * sigmas * values.std()).astype(np.float32)
        for name, values in model.items()
    }


def finetuned(model: Model, seed: int) -> Model:
    rng = np.random.default_rng(seed)
    changed = noisy(model, 0.03, seed)
    for name, values in changed.items():
        if values.ndim == 2 and values.dtype.kind == "f":
            low_rank = rng.standard_normal((values.shape[0], 4)) @ rng.standard_normal((4, values.shape[1]))
            changed[name] = (values + low_rank * 0.05 * values.std() / low_rank.std()).astype(np.float32)
    return changed


def renamed(model: Model, seed: int) -> Model:
    order = np.random.default_rng(seed).permutation(len(model))
    return {f"copy.t{order[index]:03d}": values for index, (_, values) in enumerate(sorted(model.items()))}


def prefixed(model: Model, prefix: str) -> Model:
    return {prefix + name: values for name, values in model.items()}


def sketch_of(tmp_path: Path, model: Model, name: str = "model") -> ModelSketch:
    path = tmp_path / f"{name}.safetensors"
    save_file(model, str(path))
    return sketch_model(path)


def bf16_file(path: Path, model: Model) -> Path:
    header: dict[str, object] = {}
    chunks = []
    offset = 0
    for name, values in sorted(model.items()):
        if values.dtype == np.float32:
            data = (values.view(np.uint32) >> 16).astype("<u2").tobytes()
            dtype = "BF16"
        else:
            data = values.astype("<i8").tobytes()
            dtype = "I64"
        header[name] = {"dtype": dtype, "shape": list(values.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(chunks))
    return path


# ---------------------------------------------------------------------------------------------
# Sampling and the sketch itself


def test_positions_depend_on_the_shape_alone() -> None:
    small = sample_positions((7, 9))
    assert small.tolist() == list(range(63))
    large = sample_positions((1024, 768))
    assert large.size == SAMPLE_SIZE
    assert np.all(np.diff(large) > 0) and large[-1] < 1024 * 768
    runs = large.reshape(-1, 8)
    assert np.all(runs - runs[:, :1] == np.arange(8))  # 64 runs of 8 neighbours
    assert np.array_equal(sample_positions((1024, 768)), large)
    assert not np.array_equal(sample_positions((768, 1024)), large)
    assert sample_positions((513,)).size == SAMPLE_SIZE  # 64 blocks of 8, all of them
    # Stored sketches compare only if the rule never changes: a change must come with a new SAMPLING.
    digest = hashlib.sha256(sample_positions((4096, 4096)).tobytes()).hexdigest()[:16]
    assert digest == "2291ac6894ed7c1c"


def test_a_sketch_round_trips_through_its_bytes(tmp_path: Path) -> None:
    model = tiny_transformer(0)
    sketch = sketch_of(tmp_path, model)
    assert [tensor.name for tensor in sketch.tensors] == sorted(model)
    assert sketch.parameters == sum(values.size for values in model.values())
    encoded = sketch.to_bytes()
    decoded = ModelSketch.from_bytes(encoded)
    assert decoded.to_bytes() == encoded
    assert decoded.tensors == sketch.tensors
    for left, right in zip(decoded.tensors, sketch.tensors, strict=True):
        assert np.array_equal(left.values, right.values)
    assert len(encoded) / len(sketch.tensors) < 3000
    weight = next(tensor for tensor in sketch.tensors if tensor.name == "encoder.layer.0.intermediate.dense.weight")
    assert weight.values.size == SAMPLE_SIZE
    expected = model[weight.name].reshape(-1)[sample_positions(weight.shape)]
    assert np.array_equal(weight.values, expected)
    assert weight.mean == pytest.approx(float(expected.astype(np.float64).mean()))


def test_sketching_is_deterministic(tmp_path: Path) -> None:
    model = tiny_transformer(1)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    save_file(model, str(tmp_path / "a" / "model.safetensors"))
    save_file(model, str(tmp_path / "b" / "model.safetensors"))
    first = sketch_model(tmp_path / "a" / "model.safetensors")
    second = sketch_model(tmp_path / "b" / "model.safetensors")
    assert (
        ModelSketch(first.tensors, "x", first.parameters).to_bytes()
        == ModelSketch(second.tensors, "x", second.parameters).to_bytes()
    )


def _bomb() -> bytes:
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(b"\0" * (1 << 20)) for _ in range(300)]
    return MAGIC + b"\x01" + b"".join(parts) + compressor.flush()


def test_garbage_is_not_a_sketch(tmp_path: Path) -> None:
    good = sketch_of(tmp_path, tiny_transformer(2)).to_bytes()
    header = json.dumps({"format": 1, "sampling": "other", "source": "", "parameters": 0, "tensors": []}).encode()
    other_sampling = MAGIC + b"\x01" + zlib.compress(struct.pack("<I", len(header)) + header)
    lying = json.dumps(
        {
            "format": 1,
            "sampling": "blake2b-shape/run8/512",
            "source": "",
            "parameters": 4,
            "tensors": [["w", "F32", [4], 4, [0, 1, 0, 1, 0, 0], ""]],
        }
    ).encode()
    too_few_values = MAGIC + b"\x01" + zlib.compress(struct.pack("<I", len(lying)) + lying + b"\0" * 8)
    for bad in (
        b"",
        b"junk",
        MAGIC,
        MAGIC + b"\x02" + good[len(MAGIC) + 1 :],
        MAGIC + b"\x01" + b"not zlib at all",
        good[: len(good) // 2],
        good + b"trailing",
        _bomb(),
        other_sampling,
        too_few_values,
    ):
        with pytest.raises(SketchFormatError) as raised:
            ModelSketch.from_bytes(bad)
        assert isinstance(raised.value, ValueError)


def test_canonical_names_drop_wrappers_and_shared_heads() -> None:
    assert canonical_names(["module.model.layers.0.w", "module.lm_head.weight"]) == {
        "module.model.layers.0.w": "layers.0.w",
        "module.lm_head.weight": "lm_head.weight",
    }
    assert canonical_names(["net.a.w", "net.b.w"]) == {"net.a.w": "a.w", "net.b.w": "b.w"}
    assert canonical_names(["model."]) == {"model.": "model."}


# ---------------------------------------------------------------------------------------------
# Verdicts


Transform = Callable[[Model], Model]

DERIVED_CASES: list[tuple[str, Transform, float, float]] = [
    ("identical copy", lambda model: dict(model), 0.999, 1.0),
    ("re-prefixed (DDP and a head wrapper)", lambda model: prefixed(model, "module.bert."), 0.999, 1.0),
    ("every tensor renamed", lambda model: renamed(model, 3), 0.999, 1.0),
    ("noise 0.5σ", lambda model: noisy(model, 0.5, 4), 0.894 - 0.05, 0.894 + 0.05),
    ("noise 1σ", lambda model: noisy(model, 1.0, 5), 0.707 - 0.06, 0.707 + 0.06),
    ("noise 2σ", lambda model: noisy(model, 2.0, 6), 0.447 - 0.07, 0.447 + 0.07),
    ("noise 2σ, renamed", lambda model: renamed(noisy(model, 2.0, 7), 8), 0.447 - 0.08, 0.447 + 0.08),
    ("fine-tune", lambda model: finetuned(model, 9), 0.95, 1.0),
]


@pytest.mark.parametrize(("label", "transform", "low", "high"), DERIVED_CASES, ids=[case[0] for case in DERIVED_CASES])
def test_derived_copies_are_found(tmp_path: Path, label: str, transform: Transform, low: float, high: float) -> None:
    model = tiny_transformer(10)
    comparison = compare_sketches(sketch_of(tmp_path, model, "a"), sketch_of(tmp_path, transform(model), "b"))
    assert comparison.verdict == "derived", comparison.reason
    assert low <= comparison.score <= high
    assert comparison.paired == len(model)
    assert comparison.unpaired_a == comparison.unpaired_b == 0
    kinds = {item.name_a: item.kind for item in comparison.evidence}
    assert kinds["embeddings.position_ids"] == "integer"


UNRELATED_CASES: list[tuple[str, Transform]] = [
    ("independent training, same architecture", lambda _: tiny_transformer(11)),
    ("independent, renamed", lambda _: renamed(tiny_transformer(12), 13)),
    ("fresh initialisation", lambda _: tiny_transformer(14, trained=False)),
    (
        "another architecture",
        lambda _: {"conv.weight": np.ones((8, 3, 5, 5), np.float32), "fc": np.ones(10, np.float32)},
    ),
]


@pytest.mark.parametrize(("label", "transform"), UNRELATED_CASES, ids=[case[0] for case in UNRELATED_CASES])
def test_unrelated_models_are_told_apart(tmp_path: Path, label: str, transform: Transform) -> None:
    model = tiny_transformer(10)
    comparison = compare_sketches(sketch_of(tmp_path, model, "a"), sketch_of(tmp_path, transform(model), "b"))
    assert comparison.verdict == "unrelated", comparison.reason
    assert abs(comparison.score) < 0.1


def test_fresh_layer_norms_are_constants_not_evidence(tmp_path: Path) -> None:
    fresh = tiny_transformer(15, trained=False)
    comparison = compare_sketches(
        sketch_of(tmp_path, fresh, "a"), sketch_of(tmp_path, tiny_transformer(16, trained=False), "b")
    )
    kinds = {item.name_a: (item.kind, item.correlation) for item in comparison.evidence}
    assert kinds["embeddings.LayerNorm.weight"] == ("constant-equal", None)
    assert kinds["encoder.layer.0.attention.self.query.bias"] == ("constant-equal", None)
    assert kinds["embeddings.position_ids"][0] == "integer"
    assert comparison.verdict == "unrelated"
    assert comparison.informative == sum(kind == "informative" for kind, _ in kinds.values())


def test_dtype_conversion_and_sharding_do_not_hide_a_copy(tmp_path: Path) -> None:
    model = tiny_transformer(17)
    original = sketch_of(tmp_path, model, "a")
    converted = sketch_model(bf16_file(tmp_path / "bf16.safetensors", model))
    assert {tensor.dtype for tensor in converted.tensors} == {"BF16", "I64"}
    assert compare_sketches(original, converted).verdict == "derived"
    shards = tmp_path / "sharded"
    shards.mkdir()
    names = sorted(model)
    save_file({name: model[name] for name in names[:10]}, str(shards / "model-00001-of-00002.safetensors"))
    save_file({name: model[name] for name in names[10:]}, str(shards / "model-00002-of-00002.safetensors"))
    weight_map = {name: f"model-0000{1 if index < 10 else 2}-of-00002.safetensors" for index, name in enumerate(names)}
    (shards / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    comparison = compare_sketches(original, sketch_model(shards))
    assert (comparison.verdict, comparison.score, comparison.by_name) == ("derived", 1.0, len(model))


def test_too_little_evidence_is_inconclusive(tmp_path: Path) -> None:
    rng = np.random.default_rng(18)
    small = {"a.weight": rng.standard_normal((16, 8)).astype(np.float32), "a.bias": np.zeros(16, np.float32)}
    comparison = compare_sketches(sketch_of(tmp_path, small, "a"), sketch_of(tmp_path, dict(small), "b"))
    assert comparison.verdict == "inconclusive"
    assert "only 1 pair" in comparison.reason


def test_a_partial_copy_is_inconclusive(tmp_path: Path) -> None:
    model = tiny_transformer(19, layers=8)
    other = tiny_transformer(20, layers=8)
    names = sorted(model)
    copied = set(names[::3])  # a third of the tensors copied outright
    mixed = {name: model[name] if name in copied else other[name] for name in names}
    comparison = compare_sketches(sketch_of(tmp_path, model, "a"), sketch_of(tmp_path, mixed, "b"))
    assert comparison.verdict == "inconclusive", comparison.reason
    assert "partial copy" in comparison.reason


def test_searching_for_pairs_does_not_manufacture_agreement(tmp_path: Path) -> None:
    """Forty independent same-shape tensors each side, renamed: the best-matching pairs still score near 0."""
    rng = np.random.default_rng(21)
    first = {f"a{index:02d}": rng.standard_normal((64, 64)).astype(np.float32) for index in range(40)}
    second = {f"b{index:02d}": rng.standard_normal((64, 64)).astype(np.float32) for index in range(40)}
    comparison = compare_sketches(sketch_of(tmp_path, first, "a"), sketch_of(tmp_path, second, "b"))
    assert comparison.by_shape == 40
    assert comparison.verdict == "unrelated"
    assert abs(comparison.score) < 0.05


def test_a_thousand_renamed_tensors_each_find_their_original(tmp_path: Path) -> None:
    """A thousand same-shape tensors, renamed: the vectorised matching pairs each with its original.

    How long it takes is measured by benchmarks/bench_micro.py, not asserted here."""
    rng = np.random.default_rng(22)
    model = {f"layers.{index}.w": rng.standard_normal((32, 48)).astype(np.float32) for index in range(1000)}
    left = sketch_of(tmp_path, model, "a")
    right = sketch_of(tmp_path, renamed(noisy(model, 1.0, 23), 24), "b")
    comparison = compare_sketches(left, right)
    assert comparison.verdict == "derived"
    assert comparison.by_shape == 1000
    assert comparison.as_dict()["paired_by_shape"] == 1000
    order = np.random.default_rng(24).permutation(1000)  # how renamed() named them
    expected = {name: f"copy.t{order[index]:03d}" for index, name in enumerate(sorted(model))}
    assert {item.name_a: item.name_b for item in comparison.evidence} == expected
