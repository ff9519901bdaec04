"""Speed and memory of ``lintml check`` against issue 16's targets, with scancode and REUSE beside it, in one run.

One run of this script measures, each command in a fresh process (wall clock, CPU seconds of the process and
of every process it waited for, and its own peak RSS, taken with GNU time):

1. the whole tree of kornia 0.7.3 and of transformers 4.46.3 (the precision benchmark's trees: the pinned
   sdist unpacked and committed to a git repository of its own): ``lintml check TREE --format json -o OUT``
   cold (``LINTML_CACHE_DIR`` a new, empty folder for every run) and warm (the cache the first cold run
   filled), ``reuse lint`` beside the warm runs, and ``scancode --license --copyright -n 2 --json-pp OUT
   TREE`` once;
2. three files of each project checked from inside its tree (the pre-commit case), ``lintml check F1 F2 F3``
   cold and warm, and ``reuse lint-file F1 F2 F3`` beside them: three transformers model files, and three
   kornia files whose header is Meta's "licensed under the license found in the LICENSE file in the root
   directory of this source tree";
3. how the whole check scales: cold and warm on trees of about 200, 500, 1,000, 2,000 and 5,000 files, the
   first N files of xformers 0.0.28.post3 (5,894 files) in a fixed order (its top-level files first, then
   the others sorted by the SHA-256 of their paths), each copied to a git repository of its own; scancode
   on the smallest ``--scancode-sizes`` of them;

then writes the ``speed`` section of ``benchmarks/RESULTS.md``: machine, command, lintml's commit, load
average before and after, a table of the targets and one of every measure.

scancode takes some 20 minutes of both cores. Its results (its JSON report, and beside it the wall time,
CPU time and peak RSS of that run, with its date) are kept in ``benchmarks/.work/speed/scancode/``;
``--skip-scancode`` reuses them, and RESULTS.md says they were reused, and from when.

    .venv/bin/python benchmarks/bench_speed.py                  # everything, ~35 minutes on 2 cores
    .venv/bin/python benchmarks/bench_speed.py --skip-scancode  # scancode's recorded results, ~12 minutes
    .venv/bin/python benchmarks/bench_speed.py --quick          # 1 run, 2 small sizes, scancode reused;
                                                                # writes .work/speed/RESULTS-quick.md
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "benchmarks" / "precision"))

from common import (  # noqa: E402
    Run,
    compile_lintml,
    executable,
    lintml_environment,
    lintml_fingerprint,
    lintml_revision,
    logger,
    machine,
    require_exit,
    reuse_executable,
    reuse_version_of,
    run_timed,
)
from results_sections import write_section  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "speed"
SCANCODE_RECORDS = WORK / "scancode"
RESULTS_PATH = ROOT / "benchmarks" / "RESULTS.md"
QUICK_RESULTS_PATH = WORK / "RESULTS-quick.md"
SECTION = "speed"
log = logger("speed")

PROJECTS = ("kornia", "transformers")  # names in benchmarks/precision/projects.toml
FILES = {
    "transformers": (
        "src/transformers/models/bert/modeling_bert.py",
        "src/transformers/trainer.py",
        "src/transformers/models/llama/modeling_llama.py",
    ),
    "kornia": (  # Meta's "license found in the LICENSE file in the root directory" header
        "kornia/feature/dedode/transformer/dinov2.py",
        "kornia/feature/dedode/transformer/layers/attention.py",
        "kornia/feature/dedode/transformer/layers/block.py",
    ),
}
SCALING_PROJECT = "xformers"
SIZES = (200, 500, 1000, 2000, 5000)
QUICK_SIZES = (200, 500)
SUBSET_METHOD = "top-level files first, then the others by sha256 of the path; v1"  # change it: trees remade
SCANCODE_JOBS = 2
IDENTITY = ["-c", "user.name=lintml-bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
INDEX_LOADED = "scancode's license index"  # lintml says so on stderr when it loads scancode's index

TARGET_RATIO = 40.0  # scancode wall / lintml cold wall, whole tree, at least
TARGET_COLD_MB = 400.0  # cold whole check
TARGET_WARM_WHOLE = 0.6  # warm whole check of transformers, seconds
TARGET_FILES_COLD = 1.5  # cold 3-file check, seconds
TARGET_FILES_COLD_MB = 200.0
TARGET_FILES_WARM = 0.3


# ---------------------------------------------------------------------------------------
# Measures


@dataclass
class Measure:
    """Several runs of one command on one tree."""

    tree: str
    what: str
    command: str
    runs: list[Run] = field(default_factory=list)
    index_loaded: list[bool] = field(default_factory=list)  # lintml only: scancode's index loaded in that run
    files_checked: int | None = None
    recorded: str | None = None  # reused from an earlier run: when, and how

    @property
    def wall(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu_seconds for run in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(run.peak_rss_mb for run in self.runs)


def git(tree: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *IDENTITY, *arguments], cwd=tree, check=True, capture_output=True, text=True
    ).stdout.strip()


def tracked(tree: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=tree, check=True, capture_output=True).stdout
    return sorted(name for name in listed.decode("utf-8", "surrogateescape").split("\0") if name)


class Bench:
    """Runs the commands, each through ``common.run_timed``, and keeps their logs and outputs under WORK."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.lintml = str(executable("lintml"))
        self.counter = 0

    def log_file(self, name: str) -> Path:
        self.counter += 1
        return WORK / "logs" / f"{self.counter:03d}-{name}.log"

    def fresh_cache(self, name: str) -> Path:
        cache = WORK / "caches" / name
        if cache.exists():
            shutil.rmtree(cache)
        cache.mkdir(parents=True)
        return cache

    def lintml_run(self, measure: Measure, arguments: Sequence[str], cwd: Path, cache: Path, name: str) -> Path:
        """One ``lintml`` run into ``measure``; returns its log."""
        log_file = self.log_file(name)
        env = {**self.env, "LINTML_CACHE_DIR": str(cache)}
        run = run_timed([self.lintml, *arguments], cwd=cwd, env=env, log_file=log_file)
        require_exit(run, (0, 1), f"lintml ({name})", log_file)
        text = log_file.read_text(encoding="utf-8", errors="replace")
        if "Traceback (most recent call last)" in text:
            raise SystemExit(f"lintml ({name}) crashed; see {log_file}")
        measure.runs.append(run)
        measure.index_loaded.append(INDEX_LOADED in text)
        log(f"{name}: {run.seconds:.2f} s, {run.cpu_seconds:.2f} CPU-s, {run.peak_rss_mb:.0f} MB")
        return log_file

    def whole(self, measure: Measure, tree: Path, cache: Path, name: str) -> None:
        output = WORK / "outputs" / f"{name}.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        arguments = ["check", str(tree), "--format", "json", "-o", str(output)]
        self.lintml_run(measure, arguments, ROOT, cache, name)
        measure.files_checked = int(json.loads(output.read_text(encoding="utf-8"))["summary"]["files_checked"])

    def other(self, measure: Measure, command: Sequence[str], cwd: Path, name: str, env: dict[str, str]) -> None:
        log_file = self.log_file(name)
        run = run_timed(command, cwd=cwd, env=env, log_file=log_file)
        require_exit(run, (0, 1), name, log_file)  # reuse and scancode: 1 when the tree is not clean
        measure.runs.append(run)
        log(f"{name}: {run.seconds:.2f} s, {run.cpu_seconds:.2f} CPU-s, {run.peak_rss_mb:.0f} MB")


WHOLE = "lintml check TREE --format json -o OUT"
SCANCODE = f"scancode --license --copyright -n {SCANCODE_JOBS} --json-pp OUT TREE"


def whole_trees(bench: Bench, trees: dict[str, Path], runs: int, reuse: str | None) -> list[Measure]:
    """Cold runs of every tree in turns, then warm runs with ``reuse lint`` in turns."""
    cold = {name: Measure(name, "lintml, cold", WHOLE) for name in trees}
    warm = {name: Measure(name, "lintml, warm", WHOLE) for name in trees}
    peers = {name: Measure(name, "reuse lint", "reuse lint") for name in trees}
    for number in range(1, runs + 1):
        for name, tree in trees.items():
            cache = bench.fresh_cache(f"{name}-cold-{number}")
            bench.whole(cold[name], tree, cache, f"{name}-cold-{number}")
            if number > 1:
                shutil.rmtree(cache)  # the first cold run's cache is the warm runs' one
    for number in range(1, runs + 1):
        for name, tree in trees.items():
            bench.whole(warm[name], tree, WORK / "caches" / f"{name}-cold-1", f"{name}-warm-{number}")
            if reuse:
                bench.other(peers[name], [reuse, "lint"], tree, f"{name}-reuse-lint-{number}", bench.env)
    return [measure for name in trees for measure in (cold[name], warm[name], peers[name]) if measure.runs]


def three_files(bench: Bench, trees: dict[str, Path], runs: int, reuse: str | None) -> list[Measure]:
    """The pre-commit case on each project's three files, from inside its tree: cold, then warm with
    ``reuse lint-file`` in turns."""
    chosen = {name: tree for name, tree in trees.items() if name in FILES}
    shown = "cd TREE && lintml check F1 F2 F3"
    cold = {name: Measure(name, "lintml, 3 files, cold", shown) for name in chosen}
    warm = {name: Measure(name, "lintml, 3 files, warm", shown) for name in chosen}
    peers = {name: Measure(name, "reuse lint-file", "cd TREE && reuse lint-file F1 F2 F3") for name in chosen}
    for number in range(1, runs + 1):
        for name, tree in chosen.items():
            cache = bench.fresh_cache(f"{name}-files-cold-{number}")
            bench.lintml_run(cold[name], ["check", *FILES[name]], tree, cache, f"{name}-files-cold-{number}")
            if number > 1:
                shutil.rmtree(cache)
    for number in range(1, runs + 1):
        for name, tree in chosen.items():
            cache = WORK / "caches" / f"{name}-files-cold-1"
            bench.lintml_run(warm[name], ["check", *FILES[name]], tree, cache, f"{name}-files-warm-{number}")
            if reuse:
                command = [reuse, "lint-file", *FILES[name]]
                bench.other(peers[name], command, tree, f"{name}-reuse-lint-file-{number}", bench.env)
    return [measure for name in chosen for measure in (cold[name], warm[name], peers[name]) if measure.runs]


# ---------------------------------------------------------------------------------------
# scancode, run or reused


def scancode_env() -> dict[str, str]:
    env = dict(os.environ)
    for variable, name in (("SCANCODE_CACHE", "scancode-cache"), ("SCANCODE_TEMP", "scancode-tmp")):
        env[variable] = str(WORK / name)
        (WORK / name).mkdir(parents=True, exist_ok=True)
    return env


def record_path(name: str) -> Path:
    """Where scancode's figures for tree ``name`` are kept, beside its JSON report (``name.json``)."""
    return SCANCODE_RECORDS / f"{name}.json.timing.json"


def run_scancode(bench: Bench, name: str, tree: Path, files: int) -> Measure:
    scancode = str(executable("scancode"))
    SCANCODE_RECORDS.mkdir(parents=True, exist_ok=True)
    report = SCANCODE_RECORDS / f"{name}.json"
    measure = Measure(name, "scancode", SCANCODE)
    log(f"scancode on {name} ({files} files): minutes; progress in {WORK / 'logs'}")
    command = [scancode, "--license", "--copyright", "-n", str(SCANCODE_JOBS), "--json-pp", str(report), tree.name]
    loads = os.getloadavg()[0]
    bench.other(measure, command, tree.parent, f"{name}-scancode", scancode_env())
    [run] = measure.runs
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    record = {**asdict(run), "files": files, "command": SCANCODE, "date": when, "load_before": loads}
    record_path(name).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return measure


def recorded_scancode(name: str, files: int) -> Measure | None:
    """scancode's figures on tree ``name`` as recorded by an earlier run, or None (said in the log)."""
    path = record_path(name)
    if not path.is_file():
        log(f"no recorded scancode result for {name} ({path.relative_to(ROOT)}): none shown")
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if int(data["files"]) != files:
        log(f"{path.relative_to(ROOT)} was recorded on {data['files']} files, not {files}: not used")
        return None
    run = Run(float(data["seconds"]), int(data["exit_code"]), float(data["peak_rss_mb"]), float(data["cpu_seconds"]))
    return Measure(name, "scancode", str(data["command"]), [run], recorded=str(data["date"]))


# ---------------------------------------------------------------------------------------
# The scaling trees


def subset_order(files: Sequence[str]) -> list[str]:
    """The source's files in the order subsets take them: top-level files (license, setup, readme) first, then
    the others by the SHA-256 of their paths, a fixed order that mixes the tree's folders."""

    def key(path: str) -> tuple[bool, str]:
        return ("/" in path, hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest())

    return sorted(files, key=key)


def scaling_tree(source: Path, order: Sequence[str], size: int) -> Path:
    """A git repository of the first ``size`` files of ``order`` copied from ``source``, reused when it is there."""
    tree = WORK / "scaling" / f"{SCALING_PROJECT}-{size}"
    stamp_text = hashlib.sha256("\0".join([SUBSET_METHOD, git(source, "rev-parse", "HEAD"), *order[:size]]).encode())
    stamp = tree / ".git" / "speed-subset"
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == stamp_text.hexdigest():
        return tree
    log(f"making {tree.relative_to(ROOT)}")
    if tree.exists():
        shutil.rmtree(tree)
    for path in order[:size]:
        target = tree / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / path, target, follow_symlinks=False)
    git(tree, "init", "-q")
    git(tree, "add", "-A", "-f")
    git(tree, "commit", "-q", "--no-verify", "-m", f"{size} files of {source.name}")
    stamp.write_text(stamp_text.hexdigest() + "\n", encoding="utf-8")
    return tree


def scaling(
    bench: Bench, source: Path, sizes: Sequence[int], runs: int, scancode_sizes: int, skip_scancode: bool
) -> list[Measure]:
    order = subset_order(tracked(source))
    measures: list[Measure] = []
    for index, size in enumerate(sorted(sizes)):
        if size > len(order):
            raise SystemExit(f"--sizes: {size} is more than the {len(order)} files of {source.name}")
        tree = scaling_tree(source, order, size)
        name = tree.name
        cold = Measure(name, "lintml, cold", WHOLE)
        warm = Measure(name, "lintml, warm", WHOLE)
        for number in range(1, runs + 1):
            cache = bench.fresh_cache(f"{name}-cold-{number}")
            bench.whole(cold, tree, cache, f"{name}-cold-{number}")
            if number > 1:
                shutil.rmtree(cache)
        for number in range(1, runs + 1):
            bench.whole(warm, tree, WORK / "caches" / f"{name}-cold-1", f"{name}-warm-{number}")
        shutil.rmtree(WORK / "caches" / f"{name}-cold-1")
        measures += [cold, warm]
        if index < scancode_sizes:
            scan = recorded_scancode(name, size) if skip_scancode else run_scancode(bench, name, tree, size)
            if scan is not None:
                measures.append(scan)
    return measures


# ---------------------------------------------------------------------------------------
# Report


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.995 else f"{value * 1000:.0f} ms"


def megabytes(value: float) -> str:
    return f"{value:,.0f} MB" if value else "–"


def verdict(passed: bool) -> str:
    return "**pass**" if passed else "**fail**"


def find(measures: Sequence[Measure], tree: str, what: str) -> Measure | None:
    return next((measure for measure in measures if measure.tree == tree and measure.what == what), None)


def targets(whole: list[Measure], files: list[Measure], scans: dict[str, Measure | None]) -> list[str]:
    lines = ["| target | measured | |", "|---|---|---|"]
    for name in PROJECTS:
        cold = find(whole, name, "lintml, cold")
        if cold is None:
            continue
        scan = scans.get(name)
        if scan is not None:
            ratio = scan.wall / cold.wall
            lines.append(
                f"| {name}: cold whole check ≥ {TARGET_RATIO:.0f}× faster than scancode | {seconds(scan.wall)} / "
                f"{seconds(cold.wall)} = {ratio:.1f}× (CPU: {scan.cpu / cold.cpu:.1f}×) | "
                f"{verdict(ratio >= TARGET_RATIO)} |"
            )
        else:
            lines.append(
                f"| {name}: cold whole check ≥ {TARGET_RATIO:.0f}× faster than scancode | no scancode figure | – |"
            )
        lines.append(
            f"| {name}: cold whole check, peak RSS ≤ {TARGET_COLD_MB:.0f} MB | {megabytes(cold.peak_mb)} | "
            f"{verdict(cold.peak_mb <= TARGET_COLD_MB)} |"
        )
    warm = find(whole, "transformers", "lintml, warm")
    if warm is not None:
        lines.append(
            f"| transformers: warm whole check ≤ {seconds(TARGET_WARM_WHOLE)} | {seconds(warm.wall)} | "
            f"{verdict(warm.wall <= TARGET_WARM_WHOLE)} |"
        )
    for name in PROJECTS:
        cold = find(files, name, "lintml, 3 files, cold")
        warm = find(files, name, "lintml, 3 files, warm")
        if cold is None or warm is None:
            continue
        cold_ok = cold.wall <= TARGET_FILES_COLD and cold.peak_mb <= TARGET_FILES_COLD_MB
        lines += [
            f"| {name}: cold 3-file check ≤ {seconds(TARGET_FILES_COLD)} and ≤ {TARGET_FILES_COLD_MB:.0f} MB | "
            f"{seconds(cold.wall)}, {megabytes(cold.peak_mb)} | {verdict(cold_ok)} |",
            f"| {name}: warm 3-file check ≤ {seconds(TARGET_FILES_WARM)} | {seconds(warm.wall)} | "
            f"{verdict(warm.wall <= TARGET_FILES_WARM)} |",
        ]
    lines.append("| cold audit of the transformers fork ≤ 25 s, warm ≤ 10 s | measured by `bench_audit.py` | – |")
    return lines


def measure_rows(measures: Sequence[Measure], files: dict[str, int]) -> list[str]:
    lines = [
        "| tree | tree's files | what | command | runs | wall (median) | min – max | CPU-s (median) | peak RSS (max) "
        "| scancode index loaded |",
        "|---|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for measure in measures:
        walls = [run.seconds for run in measure.runs]
        loaded = f"{sum(measure.index_loaded)} of {len(measure.index_loaded)} runs" if measure.index_loaded else "–"
        what = measure.what + (f" (recorded {measure.recorded})" if measure.recorded else "")
        lines.append(
            f"| {measure.tree} | {files.get(measure.tree, '?'):,} | {what} | `{measure.command}` | {len(walls)} | "
            f"**{seconds(measure.wall)}** | {seconds(min(walls))} – {seconds(max(walls))} | {measure.cpu:.2f} | "
            f"{megabytes(measure.peak_mb)} | {loaded} |"
        )
    return lines


def scaling_rows(measures: Sequence[Measure], files: dict[str, int]) -> list[str]:
    lines = [
        "| files | cold wall | cold CPU-s | cold peak RSS | cold ms/file | warm wall | warm CPU-s | warm peak RSS "
        "| scancode wall | scancode CPU-s | scancode peak RSS | scancode / lintml cold |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for tree in dict.fromkeys(measure.tree for measure in measures):
        cold = find(measures, tree, "lintml, cold")
        warm = find(measures, tree, "lintml, warm")
        scan = find(measures, tree, "scancode")
        assert cold is not None and warm is not None
        scanned = (
            f"{seconds(scan.wall)}{' (recorded)' if scan.recorded else ''} | {scan.cpu:.1f} | "
            f"{megabytes(scan.peak_mb)} | {scan.wall / cold.wall:.1f}×"
            if scan
            else "– | – | – | –"
        )
        lines.append(
            f"| {files[tree]:,} | {seconds(cold.wall)} | {cold.cpu:.1f} | {megabytes(cold.peak_mb)} | "
            f"{cold.wall * 1000 / files[tree]:.1f} | {seconds(warm.wall)} | {warm.cpu:.2f} | {megabytes(warm.peak_mb)} "
            f"| {scanned} |"
        )
    return lines


@dataclass
class Report:
    argv: list[str]
    runs: int
    loads: tuple[tuple[float, float, float], tuple[float, float, float]]
    whole: list[Measure]
    files: list[Measure]
    scaled: list[Measure]
    scans: dict[str, Measure | None]
    counts: dict[str, int]
    trees: list[str]  # the whole trees, as NAME-VERSION
    scaling_source: tuple[str, int]  # the scaling trees' source, as NAME-VERSION, and its files
    reuse_version: str | None
    skip_scancode: bool
    changed: bool
    started: str


def render(report: Report) -> str:
    revision = lintml_revision()
    before, after = report.loads
    reused = sorted(
        f"{measure.tree} ({measure.recorded})"
        for measure in [*report.scans.values(), *report.scaled]
        if measure is not None and measure.recorded
    )
    time_tool = "GNU time (`/usr/bin/time`)" if Path("/usr/bin/time").is_file() else "os.wait4 (no GNU time)"
    lines = [
        "## Speed and memory: issue 16's targets",
        "",
        f"Written by `benchmarks/bench_speed.py`, run started {report.started}. Every command ran in a fresh "
        "process; wall clock around it, CPU seconds (user + system) of the process and of every process it "
        f"waited for, and its own peak RSS (through {time_tool}, so the benchmark's own size is not in it). "
        f"Medians of {report.runs} run{'s' if report.runs > 1 else ''}, in turns (every tree's cold runs, then "
        "the warm ones beside their peer); peak RSS the largest of the runs.",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine(revision)),
        f"| REUSE | {report.reuse_version or 'not found (`--reuse PATH`): not run'} |",
        "| load average (1, 5, 15 min) before / after | "
        + " / ".join(", ".join(f"{value:.2f}" for value in load) for load in (before, after))
        + " |",
        "",
        "```",
        " ".join(["python benchmarks/bench_speed.py", *report.argv]),
        "```",
        "",
    ]
    if report.changed:
        lines += ["**lintml's code or rules changed while this ran: the figures mix two versions; run it again.**", ""]
    if reused:
        lines += [
            "**scancode was not re-run** (`--skip-scancode`): its figures are the ones this script recorded when it "
            f"last ran it, on {'; '.join(reused)}, kept in `{SCANCODE_RECORDS.relative_to(ROOT)}/`.",
            "",
        ]
    lines += ["### Targets", "", *targets(report.whole, report.files, report.scans), ""]
    lines += [
        "### Whole trees",
        "",
        f"{', '.join(report.trees)}: the precision benchmark's trees, each the pinned sdist unpacked and "
        "committed to a git repository of its own. *Cold*: `LINTML_CACHE_DIR` a new, empty folder for every run "
        "(the files themselves are in the page cache after the first run); *warm*: the cache the first cold run "
        "filled. lintml's user cache and data folders (`XDG_CACHE_HOME`, `XDG_DATA_HOME`) are under "
        "`benchmarks/.work/speed/`, so no user index is consulted; the catalog shipped with lintml is. "
        "*scancode index loaded*: in how many runs lintml said it loaded scancode's license index.",
        "",
        *measure_rows([*report.whole, *(scan for scan in report.scans.values() if scan is not None)], report.counts),
        "",
    ]
    for name in PROJECTS:
        cold = find(report.whole, name, "lintml, cold")
        warm = find(report.whole, name, "lintml, warm")
        peer = find(report.whole, name, "reuse lint")
        scan = report.scans.get(name)
        said = []
        if cold is not None and scan is not None:
            said.append(
                f"cold lintml is {scan.wall / cold.wall:.1f}× faster than scancode in wall time and "
                f"{scan.cpu / cold.cpu:.1f}× in CPU time, with {scan.peak_mb / cold.peak_mb:.1f}× less memory"
            )
        if warm is not None and peer is not None:
            said.append(f"warm lintml takes {warm.wall / peer.wall:.2f}× the time of `reuse lint`")
        if said:
            lines.append(f"- {name}: " + "; ".join(said) + ".")
    lines.append("")
    if report.files:
        lines += [
            "### Three files (the pre-commit case)",
            "",
            "Checked from inside the tree with relative paths, interpreter start included, the report printed as "
            "text (as the hook does); *cold*: an empty "
            "`LINTML_CACHE_DIR` every run, *warm*: the first cold run's cache. "
            + "; ".join(
                f"{name}: " + ", ".join(f"`{path}`" for path in FILES[name])
                for name in dict.fromkeys(measure.tree for measure in report.files)
            )
            + " (kornia's three carry Meta's header: \"This source code is licensed under the license found in the "
            'LICENSE file in the root directory of this source tree").',
            "",
            *measure_rows(report.files, report.counts),
            "",
        ]
    if report.scaled:
        source, total = report.scaling_source
        lines += [
            "### Scaling",
            "",
            f"Trees of the first N files of {source} ({total:,} files, CUDA and C++ of flash-attention "
            "and CUTLASS in `third_party/` among them), in a fixed order: its top-level files first (LICENSE, "
            "setup.py, README, ...), then the others sorted by the SHA-256 of their paths; each subset is copied "
            "to a git repository of its own under `benchmarks/.work/speed/scaling/`, so a smaller tree is a part "
            f"of every larger one. `{WHOLE}`, medians as above.",
            "",
            *scaling_rows(report.scaled, report.counts),
            "",
        ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of every lintml and REUSE measure (default 3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 run, sizes 200 and 500, scancode reused; writes .work/speed/RESULTS-quick.md",
    )
    parser.add_argument(
        "--sizes", help=f"scaling tree sizes, comma separated (default {','.join(map(str, SIZES))}; 0: none)"
    )
    parser.add_argument("--skip-scancode", action="store_true", help="reuse scancode's last recorded results")
    parser.add_argument(
        "--scancode-sizes",
        type=int,
        default=0,
        metavar="K",
        help="also run scancode on the K smallest scaling trees (default 0)",
    )
    parser.add_argument(
        "--projects",
        nargs="+",
        default=list(PROJECTS),
        metavar="NAME",
        help="whole trees to measure, names in precision/projects.toml (default: kornia transformers)",
    )
    parser.add_argument("--reuse", metavar="PATH", help="REUSE's reuse executable (default: PATH, /tmp/reusevenv)")
    parser.add_argument("--no-write", action="store_true", help="print the section, write no results file")
    arguments = parser.parse_args(argv)
    shown_argv = list(argv if argv is not None else sys.argv[1:])
    runs = 1 if arguments.quick else arguments.runs
    skip_scancode = arguments.skip_scancode or arguments.quick
    if arguments.sizes is not None:
        sizes = tuple(int(size) for size in arguments.sizes.split(",") if int(size) > 0)
    else:
        sizes = QUICK_SIZES if arguments.quick else SIZES
    if runs < 1:
        parser.error("--runs must be at least 1")

    import bench_precision

    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    compile_lintml()
    trees = {name: bench_precision.pinned_tree(name) for name in arguments.projects}
    counts = {name: len(tracked(tree)) for name, tree in trees.items()}
    reuse = reuse_executable(arguments.reuse)
    if reuse is None:
        log("no reuse found (--reuse PATH): REUSE not run")
    for folder in ("caches", "logs", "outputs"):
        shutil.rmtree(WORK / folder, ignore_errors=True)
    bench = Bench(lintml_environment(WORK))
    fingerprint = lintml_fingerprint()
    before = os.getloadavg()

    whole = whole_trees(bench, trees, runs, reuse)
    files = three_files(bench, trees, runs, reuse)
    scaled: list[Measure] = []
    scaling_source = ("", 0)
    if sizes:
        source = bench_precision.pinned_tree(SCALING_PROJECT)
        scaling_source = (source.name, len(tracked(source)))
        scaled = scaling(bench, source, sizes, runs, arguments.scancode_sizes, skip_scancode)
        counts.update({measure.tree: len(tracked(WORK / "scaling" / measure.tree)) for measure in scaled})
    scans = {
        name: recorded_scancode(name, counts[name]) if skip_scancode else run_scancode(bench, name, tree, counts[name])
        for name, tree in trees.items()
    }
    after = os.getloadavg()
    changed = lintml_fingerprint() != fingerprint
    report = Report(
        argv=shown_argv,
        runs=runs,
        loads=(before, after),
        whole=whole,
        files=files,
        scaled=scaled,
        scans=scans,
        counts=counts,
        trees=[tree.name for tree in trees.values()],
        scaling_source=scaling_source,
        reuse_version=reuse_version_of(reuse) if reuse else None,
        skip_scancode=skip_scancode,
        changed=changed,
        started=started,
    )
    (WORK / "last-run.json").write_text(json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8")
    body = render(report)
    if arguments.no_write:
        print(body)
        return 0
    path = QUICK_RESULTS_PATH if arguments.quick else RESULTS_PATH
    write_section(path, SECTION, body)
    log(f"wrote the {SECTION} section of {path.relative_to(ROOT)}")
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
