"""Weight sketches: a few KB that stand for a checkpoint, and the test of whether one model derives from another.

A sketch keeps, of every tensor, its name, dtype and shape, a few statistics, and the values
of at most :data:`SAMPLE_SIZE` elements. Which elements depends on the shape alone (runs of
:data:`RUN` neighbours at places drawn from a hash of the shape), so a renamed, re-prefixed,
converted or re-sharded copy samples exactly the same elements, and two sketches compare
value against value without either checkpoint at hand.

Comparing two sketches pairs their tensors — by name once prefixes such as ``model.`` are
stripped, then what is left by shape, matching the values that correlate best — and
correlates the sampled values of every pair. A copy with Gaussian noise of ``k`` times a
tensor's own standard deviation still correlates at ``1/sqrt(1 + k²)`` (0.89 at 0.5σ, 0.71
at 1σ, 0.45 at 2σ), a fine-tune at 0.9 and more, while independent tensors correlate at 0
give or take ``1/sqrt(n)`` (±0.044 at 512 samples, so one pair can reach ±0.15 by chance).
The verdict therefore rests on the median over every informative pair, never on one.

Not every pair is evidence. Integer tensors (position ids, counters), constants (a fresh
LayerNorm's ones, zero biases), tensors of two values (masks) and monotonic ones (rotary
frequencies) are the same in any two models of an architecture, so they are reported but do
not count. Pairs found by searching for the best correlation are scored on the half of the
samples the search did not look at, so the search cannot manufacture agreement.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from lintml.bounded_json import JSONInputError, load_json
from lintml.containment import Tree
from lintml.models.weights import FLOAT_DTYPES, TensorInfo, read_tensors, tensor_values

SAMPLE_SIZE = 512  # values kept per tensor: 2 KB as float32, and ±0.044 of chance correlation
RUN = 8  # neighbouring elements read together: 64 places per tensor, so 64 small reads
SAMPLING = "blake2b-shape/run8/512"  # names the rule above; sketches sampled otherwise do not compare
FORMAT = 1
MAGIC = b"LMWSKETCH"
MAX_SKETCH_BYTES = 256 * 1024 * 1024  # of an inflated sketch; a real one is a few MB at most

# Verdict thresholds, on the median correlation of the informative pairs, from measurements
# (benchmarks/RESULTS.md, section "weights"): independent models of one architecture scored
# -0.013 to 0.005, copies with 2σ noise 0.44-0.45, fine-tunes 0.999. What chance gives the median
# of the fewest pairs that decide (4 pairs of 256 samples) was simulated, 20,000 draws: standard
# deviation 0.034, largest 0.145, at least 0.10 in 0.2% of draws; with 10 pairs never.
DERIVED_AT = 0.25  # noise of 3.9σ still scores above it (a model that noisy no longer works); chance: 7 sd below
UNRELATED_BELOW = 0.10  # below it, no correlation; chance reaches it in 0.2% of the smallest comparisons
STRONG = 0.5  # one independent pair of 256 samples reaches it at 8 sd, so never: a tensor copied outright
MIN_PAIRS = 4  # informative pairs needed before the median decides anything
MIN_SAMPLES = 32  # a pair with fewer samples is too noisy to be evidence (±0.18)
MIN_COVERAGE = 0.5  # paired share of the smaller model's tensors below which architectures differ
# Wrappers a copy adds or drops: DDP's ``module.``, torch.compile's ``_orig_mod.``, PEFT's base model, heads.
PREFIXES = ("module.", "_orig_mod.", "base_model.model.", "model.", "transformer.", "bert.", "roberta.", "backbone.")

_WRAPPERS = re.compile("^(?:" + "|".join(re.escape(prefix) for prefix in PREFIXES) + ")+")
MATCH_ROUNDS = 4  # rounds of mutual-best matching; what is left then pairs by statistics

VERDICTS = ("derived", "unrelated", "inconclusive")


class SketchFormatError(ValueError):
    """Bytes that are not a sketch this version of lintml wrote (or can read)."""


@dataclass(frozen=True)
class TensorSketch:
    """One tensor: its statistics (from the sample) and the sampled values, in position order.

    ``values`` is empty when the values could not be read (a quantized GGUF tensor); the
    statistics are then NaN and ``note`` says why.
    """

    name: str
    dtype: str
    shape: tuple[int, ...]
    mean: float
    std: float
    min: float
    max: float
    mean_abs: float
    zero_fraction: float
    values: np.ndarray = field(compare=False, repr=False)
    note: str = ""

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class ModelSketch:
    """A checkpoint in a few KB per tensor: :func:`sketch_model` makes one, :meth:`to_bytes` keeps it."""

    tensors: tuple[TensorSketch, ...]  # by name
    source: str
    parameters: int

    def to_bytes(self) -> bytes:
        """A compact, versioned, deterministic encoding: JSON for the tensors' facts, float32 for their values."""
        records = [
            [
                tensor.name,
                tensor.dtype,
                list(tensor.shape),
                int(tensor.values.size),
                [_number(value) for value in _stats(tensor)],
                tensor.note,
            ]
            for tensor in self.tensors
        ]
        header = {
            "format": FORMAT,
            "sampling": SAMPLING,
            "source": self.source,
            "parameters": self.parameters,
            "tensors": records,
        }
        encoded = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        values = b"".join(np.ascontiguousarray(tensor.values, dtype="<f4").tobytes() for tensor in self.tensors)
        payload = struct.pack("<I", len(encoded)) + encoded + values
        return MAGIC + bytes([FORMAT]) + zlib.compress(payload, 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> ModelSketch:
        """Read what :meth:`to_bytes` wrote; anything else raises :class:`SketchFormatError` (a ValueError)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise SketchFormatError("a sketch is bytes")
        data = bytes(data)
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 1:
            raise SketchFormatError("not a lintml weight sketch")
        version = data[len(MAGIC)]
        if version != FORMAT:
            raise SketchFormatError(f"weight sketch format {version}; this lintml reads format {FORMAT}")
        inflater = zlib.decompressobj()
        try:
            payload = inflater.decompress(data[len(MAGIC) + 1 :], MAX_SKETCH_BYTES)
        except zlib.error as error:
            raise SketchFormatError(f"damaged weight sketch ({error})") from None
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise SketchFormatError("damaged or oversized weight sketch, or bytes after its end")
        if len(payload) < 4:
            raise SketchFormatError("truncated weight sketch")
        (length,) = struct.unpack("<I", payload[:4])
        try:
            header = load_json(payload[4 : 4 + length], max_bytes=MAX_SKETCH_BYTES)
        except JSONInputError as error:
            raise SketchFormatError(f"weight sketch header cannot be read: {error.reason}") from None
        return _decode_sketch(header, payload[4 + length :])

    @cached_property
    def _prepared(self) -> _Prepared:
        return _Prepared(self.tensors)


def _stats(tensor: TensorSketch) -> tuple[float, ...]:
    return (tensor.mean, tensor.std, tensor.min, tensor.max, tensor.mean_abs, tensor.zero_fraction)


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else repr(float(value))  # "nan", "inf", "-inf": JSON has none


def _decode_sketch(header: Any, values: bytes) -> ModelSketch:
    def bad(reason: str) -> SketchFormatError:
        return SketchFormatError(f"malformed weight sketch: {reason}")

    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise bad("no header of this format")
    if header.get("sampling") != SAMPLING:
        raise SketchFormatError(
            f"weight sketch sampled by {header.get('sampling')!r}; this lintml samples {SAMPLING!r}"
        )
    source, parameters, records = header.get("source"), header.get("parameters"), header.get("tensors")
    if not isinstance(source, str) or not isinstance(parameters, int) or not isinstance(records, list):
        raise bad("source, parameters or tensors missing")
    floats = np.frombuffer(values, dtype="<f4") if len(values) % 4 == 0 else None
    if floats is None:
        raise bad("values are not whole float32s")
    tensors = []
    position = 0
    previous = None
    for record in records:
        if not (isinstance(record, list) and len(record) == 6):
            raise bad("a tensor record of the wrong length")
        name, dtype, shape, count, stats, note = record
        if not (isinstance(name, str) and isinstance(dtype, str) and isinstance(note, str)):
            raise bad("a tensor record with a bad name, dtype or note")
        if previous is not None and name <= previous:
            raise bad("tensors out of order or repeated")
        previous = name
        if not (isinstance(shape, list) and all(isinstance(size, int) and size >= 0 for size in shape)):
            raise bad(f"tensor {name!r} has a bad shape")
        if not (isinstance(count, int) and 0 <= count <= min(SAMPLE_SIZE, math.prod(shape))):
            raise bad(f"tensor {name!r} has a bad sample count")
        if count not in (0, min(SAMPLE_SIZE, math.prod(shape))):
            raise bad(f"tensor {name!r} has {count} samples, which the sampling rule does not give")
        if not (isinstance(stats, list) and len(stats) == 6):
            raise bad(f"tensor {name!r} has bad statistics")
        try:
            numbers = [float(value) for value in stats]
        except (TypeError, ValueError):
            raise bad(f"tensor {name!r} has bad statistics") from None
        if position + count > floats.size:
            raise bad("fewer values than the tensors claim")
        sample = floats[position : position + count].astype(np.float32)
        sample.flags.writeable = False
        position += count
        mean, std, low, high, mean_abs, zeros = numbers
        tensors.append(TensorSketch(name, dtype, tuple(shape), mean, std, low, high, mean_abs, zeros, sample, note))
    if position != floats.size:
        raise bad("more values than the tensors claim")
    return ModelSketch(tuple(tensors), source, parameters)


@lru_cache(maxsize=4096)
def sample_positions(shape: tuple[int, ...]) -> np.ndarray:
    """The flat positions a sketch samples in a tensor of ``shape``: every one, or runs at hashed places.

    Depends on nothing but the shape (not on numpy's random generators, which may change), so a
    sketch made today compares with one made by another lintml version of the same ``SAMPLING``.
    """
    numel = math.prod(shape)
    if numel <= SAMPLE_SIZE:
        positions = np.arange(numel, dtype=np.int64)
    else:
        blocks = numel // RUN
        wanted = SAMPLE_SIZE // RUN
        seed = repr(tuple(int(size) for size in shape)).encode("ascii")
        chosen: set[int] = set()
        counter = 0
        while len(chosen) < wanted:
            digest = hashlib.blake2b(seed + counter.to_bytes(8, "little"), digest_size=8).digest()
            chosen.add(int.from_bytes(digest, "little") % blocks)
            counter += 1
        starts = np.array(sorted(chosen), dtype=np.int64) * RUN
        positions = (starts[:, None] + np.arange(RUN, dtype=np.int64)).reshape(-1)
    positions.flags.writeable = False
    return positions


def sketch_tensor(info: TensorInfo) -> TensorSketch:
    """Read the sampled elements of one tensor and summarise them."""
    if info.numel == 0 or not info.readable:
        nan = float("nan")
        note = info.note or ("empty" if info.numel == 0 else f"{info.dtype} values are not decoded")
        empty = np.zeros(0, dtype=np.float32)
        empty.flags.writeable = False
        return TensorSketch(info.name, info.dtype, info.shape, nan, nan, nan, nan, nan, nan, empty, note)
    values = tensor_values(info, sample_positions(info.shape)).astype(np.float32, copy=False)
    values.flags.writeable = False
    with np.errstate(all="ignore"):  # a damaged or odd file may hold NaNs, signalling ones among them
        wide = values.astype(np.float64)
        return TensorSketch(
            info.name,
            info.dtype,
            info.shape,
            float(wide.mean()),
            float(wide.std()),
            float(wide.min()),
            float(wide.max()),
            float(np.abs(wide).mean()),
            float(np.count_nonzero(wide == 0) / wide.size),
            values,
        )


def sketch_model(path: Path, tree: Tree | None = None) -> ModelSketch:
    """Sketch the checkpoint at ``path``: a weights file, a model folder or a sharded ``*.index.json``.

    Its files are read through ``tree`` (see :func:`lintml.models.weights.read_tensors`).
    """
    infos = read_tensors(Path(path), tree)
    return sketch_tensors(infos, str(path))


def sketch_tensors(infos: Iterable[TensorInfo], source: str) -> ModelSketch:
    """Sketch tensors already listed (by :func:`lintml.models.weights.read_tensors`); ``source`` says whence."""
    tensors = sorted((sketch_tensor(info) for info in infos), key=lambda tensor: tensor.name)
    return ModelSketch(tuple(tensors), source, sum(tensor.numel for tensor in tensors))


# ---------------------------------------------------------------------------------------------
# Comparison


@dataclass(frozen=True)
class PairEvidence:
    """One tensor of A paired with one of B, and what their sampled values say.

    ``kind`` is ``informative`` (counts for the verdict), ``constant`` / ``constant-equal``
    (either side has one value), ``structured`` (two values, or monotonic: masks, frequencies),
    ``integer``, ``small`` (too few samples), ``unreadable`` or ``reshaped`` (paired by name,
    shapes differ). ``correlation`` is None where there is none to compute.
    """

    name_a: str
    name_b: str
    paired: str  # "name" or "shape"
    kind: str
    correlation: float | None
    samples: int


@dataclass(frozen=True)
class WeightComparison:
    """Whether B's weights derive from A's, and the evidence, pair by pair (A's names in order)."""

    verdict: str  # one of VERDICTS
    score: float  # median correlation over the informative pairs (0.0 without any)
    reason: str
    by_name: int
    by_shape: int
    unpaired_a: int
    unpaired_b: int
    informative: int
    strong: int  # informative pairs correlated at STRONG or more
    evidence: tuple[PairEvidence, ...]

    @property
    def paired(self) -> int:
        return self.by_name + self.by_shape

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "reason": self.reason,
            "paired_by_name": self.by_name,
            "paired_by_shape": self.by_shape,
            "unpaired_a": self.unpaired_a,
            "unpaired_b": self.unpaired_b,
            "informative": self.informative,
            "strong": self.strong,
            "evidence": [
                {
                    "a": item.name_a,
                    "b": item.name_b,
                    "paired": item.paired,
                    "kind": item.kind,
                    "correlation": None if item.correlation is None else round(item.correlation, 4),
                    "samples": item.samples,
                }
                for item in self.evidence
            ],
        }


class _Prepared:
    """A sketch's values standardised once, grouped by sample count, for vectorised correlation."""

    def __init__(self, tensors: Sequence[TensorSketch]) -> None:
        self.tensors = tensors
        self.row: list[tuple[int, int]] = []  # (sample count, row in that group's matrices)
        groups: dict[int, list[int]] = {}
        for index, tensor in enumerate(tensors):
            count = tensor.values.size
            self.row.append((count, len(groups.setdefault(count, []))))
            groups[count].append(index)
        self.full: dict[int, np.ndarray] = {}
        self.select: dict[int, np.ndarray] = {}
        self.score: dict[int, np.ndarray] = {}
        kinds = ["unreadable"] * len(tensors)  # "" when the tensor can be evidence, else why not
        for count, members in groups.items():
            if count == 0:
                continue
            matrix = np.stack([tensors[index].values for index in members])
            if not np.isfinite(matrix).all():
                matrix = np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0)
            self.full[count] = _standardise(matrix)
            half = (np.arange(count) // RUN) % 2 == 0
            self.select[count] = _standardise(matrix[:, half])
            self.score[count] = _standardise(matrix[:, ~half])
            low = matrix.min(axis=1, keepdims=True)
            high = matrix.max(axis=1, keepdims=True)
            constant = (low == high).reshape(-1)
            two_valued = _rows_where(
                matrix,
                lambda rows: np.all(
                    (rows == rows.min(axis=1, keepdims=True)) | (rows == rows.max(axis=1, keepdims=True)), axis=1
                ),
            )
            monotonic = _rows_where(matrix, _monotonic) if count >= 8 else np.zeros(len(members), dtype=bool)
            for row, index in enumerate(members):
                if constant[row]:
                    kinds[index] = "constant"
                elif tensors[index].dtype not in FLOAT_DTYPES:
                    kinds[index] = "integer"
                elif two_valued[row] or monotonic[row]:
                    kinds[index] = "structured"
                else:
                    kinds[index] = ""
        self.kind = kinds


def _rows_where(matrix: np.ndarray, test: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``test`` of every row, run in full only on the rows whose first 16 values pass it (few ever do)."""
    candidates = np.flatnonzero(test(matrix[:, :16]))
    result = np.zeros(matrix.shape[0], dtype=bool)
    if candidates.size:
        result[candidates] = test(matrix[candidates])
    return result


def _monotonic(rows: np.ndarray) -> np.ndarray:
    steps = np.diff(rows, axis=1)
    return np.all(steps >= 0, axis=1) | np.all(steps <= 0, axis=1)


def _standardise(matrix: np.ndarray) -> np.ndarray:
    """Rows centred and scaled to unit length, so a dot product is a Pearson correlation (0 for constant rows)."""
    if matrix.shape[1] == 0:
        return matrix.copy()
    centred = matrix - matrix.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", centred, centred))[:, None]
    return centred / np.where(norms > 0, norms, 1.0).astype(np.float32)


def canonical_names(names: Sequence[str]) -> dict[str, str]:
    """Each name without the wrappers in :data:`PREFIXES` and without a first component every name shares."""
    stripped = {}
    for name in names:
        short = _WRAPPERS.sub("", name)
        stripped[name] = short or name
    while len(stripped) > 1:
        heads = {short.split(".", 1)[0] for short in stripped.values()}
        if len(heads) != 1 or not all("." in short for short in stripped.values()):
            break
        stripped = {name: short.split(".", 1)[1] for name, short in stripped.items()}
    return stripped


def compare_sketches(a: ModelSketch, b: ModelSketch) -> WeightComparison:
    """Whether B derives from A: pair the tensors, correlate each pair's samples, decide on the median.

    Verdicts, on the median correlation of the informative pairs:

    * ``derived`` — at least :data:`MIN_PAIRS` informative pairs and a median of
      :data:`DERIVED_AT` (0.25) or more. Copies with noise up to ~3.9σ and any fine-tune are
      above it; independent models measured within ±0.03 of zero.
    * ``unrelated`` — a median under :data:`UNRELATED_BELOW` (0.10) without a block of strongly
      correlated tensors, or too few tensors pair at all (under :data:`MIN_COVERAGE` of the
      smaller model's, with fewer than :data:`MIN_PAIRS` informative pairs): another architecture.
    * ``inconclusive`` — the median between the two; too few informative pairs in models that do
      pair (tiny models, only constants); or a median under 0.10 while a quarter of the pairs or
      more correlate at :data:`STRONG` (some tensors copied outright, others not).
    """
    left, right = a._prepared, b._prepared
    evidence: list[tuple[int, int, str, str, float | None, int]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()

    # 1. by name, once wrappers are stripped
    names_a = canonical_names([tensor.name for tensor in a.tensors])
    names_b = canonical_names([tensor.name for tensor in b.tensors])
    index_a = _unique_index(a.tensors, names_a)
    index_b = _unique_index(b.tensors, names_b)
    by_name_pairs: list[tuple[int, int]] = []
    reshaped: list[tuple[int, int]] = []
    for short in sorted(index_a.keys() & index_b.keys()):
        i, j = index_a[short], index_b[short]
        (by_name_pairs if a.tensors[i].shape == b.tensors[j].shape else reshaped).append((i, j))
        used_a.add(i)
        used_b.add(j)

    # 2. what is left, by shape: the best-correlated first (searched on one half, scored on the other)
    whole: list[tuple[int, int]] = list(by_name_pairs)
    halves: list[tuple[int, int]] = []
    rest_a: dict[tuple[int, ...], list[int]] = {}
    rest_b: dict[tuple[int, ...], list[int]] = {}
    for index, tensor in enumerate(a.tensors):
        if index not in used_a:
            rest_a.setdefault(tensor.shape, []).append(index)
    for index, tensor in enumerate(b.tensors):
        if index not in used_b:
            rest_b.setdefault(tensor.shape, []).append(index)
    by_shape = 0
    for shape in sorted(rest_a.keys() & rest_b.keys()):
        group_a, group_b = rest_a[shape], rest_b[shape]
        if len(group_a) == 1 and len(group_b) == 1:
            whole.append((group_a[0], group_b[0]))
            by_shape += 1
            used_a.add(group_a[0])
            used_b.add(group_b[0])
            continue
        matched = _match_by_values(left, right, group_a, group_b)
        halves.extend(matched)
        by_shape += len(matched)
        matched_a = {i for i, _ in matched}
        matched_b = {j for _, j in matched}
        leftover_a = [i for i in group_a if i not in matched_a]
        leftover_b = [j for j in group_b if j not in matched_b]
        # The rest (constants, or what the matching left as noise) pairs by statistics; it was
        # left because its selection half correlated poorly, so it is scored on the other half too.
        for i, j in zip(
            sorted(leftover_a, key=lambda i: _order(a.tensors[i])),
            sorted(leftover_b, key=lambda j: _order(b.tensors[j])),
            strict=False,
        ):
            halves.append((i, j))
            by_shape += 1
            matched_a.add(i)
            matched_b.add(j)
        used_a |= matched_a
        used_b |= matched_b

    name_pairs = set(by_name_pairs)
    for (i, j), correlation, samples in _correlate(left, right, whole, halves):
        paired = "name" if (i, j) in name_pairs else "shape"
        kind = _kind(left, right, i, j, samples)
        if kind in ("constant", "constant-equal", "unreadable"):
            correlation = None
        evidence.append((i, j, paired, kind, correlation, samples))
    for i, j in reshaped:
        evidence.append((i, j, "name", "reshaped", None, 0))
    evidence.sort(key=lambda item: (a.tensors[item[0]].name, b.tensors[item[1]].name))

    informative = [item[4] for item in evidence if item[3] == "informative" and item[4] is not None]
    score = float(np.median(informative)) if informative else 0.0
    strong = sum(1 for value in informative if value >= STRONG)
    paired_count = len(by_name_pairs) + len(reshaped) + by_shape
    smaller = min(len(a.tensors), len(b.tensors))
    coverage = paired_count / smaller if smaller else 0.0
    verdict, reason = _verdict(score, len(informative), strong, coverage, paired_count, smaller)
    return WeightComparison(
        verdict=verdict,
        score=score,
        reason=reason,
        by_name=len(by_name_pairs) + len(reshaped),
        by_shape=by_shape,
        unpaired_a=len(a.tensors) - len(used_a),
        unpaired_b=len(b.tensors) - len(used_b),
        informative=len(informative),
        strong=strong,
        evidence=tuple(
            PairEvidence(a.tensors[i].name, b.tensors[j].name, paired, kind, correlation, samples)
            for i, j, paired, kind, correlation, samples in evidence
        ),
    )


def _verdict(
    score: float, informative: int, strong: int, coverage: float, paired: int, smaller: int
) -> tuple[str, str]:
    if smaller == 0:
        return "inconclusive", "one of the models has no tensors"
    if informative < MIN_PAIRS:
        if coverage < MIN_COVERAGE and strong == 0:
            return "unrelated", f"the architectures differ: {paired} of {smaller} tensors have a counterpart"
        return "inconclusive", f"only {informative} pair(s) of tensors carry evidence (at least {MIN_PAIRS} are needed)"
    if score >= DERIVED_AT:
        return "derived", f"the sampled values correlate (median {score:.2f} over {informative} tensor pairs)"
    if score < UNRELATED_BELOW:
        if strong >= max(MIN_PAIRS, informative / 4):
            return (
                "inconclusive",
                f"{strong} of {informative} tensor pairs correlate strongly though most do not: a partial copy?",
            )
        return "unrelated", f"the sampled values do not correlate (median {score:.2f} over {informative} tensor pairs)"
    return "inconclusive", f"the sampled values correlate weakly (median {score:.2f} over {informative} tensor pairs)"


def _unique_index(tensors: Sequence[TensorSketch], short: dict[str, str]) -> dict[str, int]:
    """Short name -> tensor, for the short names only one tensor has."""
    index: dict[str, int] = {}
    repeated: set[str] = set()
    for position, tensor in enumerate(tensors):
        name = short[tensor.name]
        if name in index:
            repeated.add(name)
        index[name] = position
    return {name: position for name, position in index.items() if name not in repeated}


def _order(tensor: TensorSketch) -> tuple[float, float, str]:
    mean = tensor.mean if math.isfinite(tensor.mean) else 0.0
    std = tensor.std if math.isfinite(tensor.std) else 0.0
    return (round(mean, 6), round(std, 6), tensor.name)


def _match_by_values(
    left: _Prepared, right: _Prepared, group_a: list[int], group_b: list[int]
) -> list[tuple[int, int]]:
    """Same-shape tensors matched by the correlation of their selection halves, mutual best first.

    A few rounds find every pair of a copy (its correlations stand far above the rest); what
    is left after :data:`MATCH_ROUNDS` is noise, which the caller pairs by statistics.
    """
    usable_a = [i for i in group_a if left.kind[i] == "" and left.row[i][0] >= 2 * RUN]
    usable_b = [j for j in group_b if right.kind[j] == "" and right.row[j][0] >= 2 * RUN]
    if not usable_a or not usable_b:
        return []
    count = left.row[usable_a[0]][0]
    rows_a = [left.row[i][1] for i in usable_a]
    rows_b = [right.row[j][1] for j in usable_b]
    similarity = _similarity(left.select[count][rows_a], right.select[count][rows_b])
    matched: list[tuple[int, int]] = []
    for _ in range(MATCH_ROUNDS):
        best_b = np.argmax(similarity, axis=1)
        best_a = np.argmax(similarity, axis=0)
        rows = np.flatnonzero((best_a[best_b] == np.arange(len(usable_a))) & (similarity.max(axis=1) > -np.inf))
        if not rows.size:
            break
        matched.extend((usable_a[row], usable_b[best_b[row]]) for row in rows)
        similarity[rows, :] = -np.inf
        similarity[:, best_b[rows]] = -np.inf
    return matched


def _similarity(rows_a: np.ndarray, rows_b: np.ndarray) -> np.ndarray:
    """``rows_a @ rows_b.T``, in products small enough that BLAS runs them on one thread.

    OpenBLAS threads a product of more than 2¹⁸ multiply-adds; for these sizes its threads cost
    more than they save, and on a busy machine ten times more (measured: 0.6 ms quiet, 12 ms loaded).
    """
    width = rows_a.shape[1] * rows_b.shape[0]
    step = max(1, (1 << 18) // max(width, 1))
    count = rows_a.shape[0]
    padded = -count % step
    if padded:
        rows_a = np.concatenate([rows_a, np.zeros((padded, rows_a.shape[1]), dtype=rows_a.dtype)])
    batches = rows_a.reshape(-1, step, rows_a.shape[1]) @ rows_b.T
    return batches.reshape(-1, rows_b.shape[0])[:count]


def _correlate(
    left: _Prepared, right: _Prepared, whole: list[tuple[int, int]], halves: list[tuple[int, int]]
) -> list[tuple[tuple[int, int], float | None, int]]:
    """Pearson correlation of each pair: on all samples, or (``halves``) on the half the matching did not see."""
    results: list[tuple[tuple[int, int], float | None, int]] = []
    for pairs, matrices in ((whole, (left.full, right.full)), (halves, (left.score, right.score))):
        by_count: dict[int, list[tuple[int, int]]] = {}
        for i, j in pairs:
            count_a, count_b = left.row[i][0], right.row[j][0]
            if count_a == 0 or count_b == 0 or count_a != count_b:
                results.append(((i, j), None, 0))
                continue
            by_count.setdefault(count_a, []).append((i, j))
        for count, group in by_count.items():
            rows_a = [left.row[i][1] for i, _ in group]
            rows_b = [right.row[j][1] for _, j in group]
            values_a, values_b = matrices[0][count][rows_a], matrices[1][count][rows_b]
            correlations = np.clip(np.einsum("ij,ij->i", values_a, values_b, dtype=np.float64), -1.0, 1.0).tolist()
            samples = values_a.shape[1]
            results.extend(
                (pair, correlation if samples >= 2 else None, samples)
                for pair, correlation in zip(group, correlations, strict=True)
            )
    return results


def _kind(left: _Prepared, right: _Prepared, i: int, j: int, samples: int) -> str:
    kind_a, kind_b = left.kind[i], right.kind[j]
    if "unreadable" in (kind_a, kind_b):
        return "unreadable"
    if "constant" in (kind_a, kind_b):
        tensor_a, tensor_b = left.tensors[i], right.tensors[j]
        equal = kind_a == kind_b and math.isclose(tensor_a.mean, tensor_b.mean, rel_tol=1e-3, abs_tol=1e-6)
        return "constant-equal" if equal else "constant"
    if "integer" in (kind_a, kind_b):
        return "integer"
    if "structured" in (kind_a, kind_b):
        return "structured"
    if samples < MIN_SAMPLES:
        return "small"
    return "informative"
