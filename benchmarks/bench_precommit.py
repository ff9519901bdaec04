"""The pre-commit path: how long `lintml check` takes on the three files of a commit, warm cache.

One run of this script:

1. takes the transformers 4.46.3 tree the precision benchmark keeps as a git repository
   (``benchmarks/.work/precision/transformers-4.46.3``), or makes it the same way from the pinned
   sdist, and clones it (``git clone --local``) into ``benchmarks/.work/precommit/tree``, so the
   precision tree itself is never changed;
2. commits there a ``.pre-commit-config.yaml`` that installs this repository's own
   ``lintml-changed`` hook (from ``.pre-commit-hooks.yaml``) as a local hook: ``repo: local``,
   ``language: system``, its ``entry`` pointing at this virtualenv's ``lintml``. pre-commit then
   runs the hook itself, with no environment of its own to install: what is timed is pre-commit
   plus the hook, as on every commit after the first;
3. makes a commit that edits three Python files, and warms lintml's cache (emptied at the start of
   every run of this script) with one untimed run of each command;
4. times, wall clock around each subprocess (interpreter start included), with hyperfine when it is
   on PATH and otherwise ``--runs`` runs each (median, min, max, and the CPU time of the process):
   ``lintml check F1 F2 F3``; ``pre-commit run --files F1 F2 F3``; ``lintml check --diff-base HEAD~1``
   (when this lintml has that option); the same two first commands after a new edit to each file
   before every run (its facts and fingerprints not cached yet: the real commit); and, for
   reference, ``python -c pass``, ``lintml --version`` and REUSE's own hooks (``reuse lint`` and
   ``reuse lint-file F1 F2 F3``) when ``reuse`` is found (``--reuse PATH``, else PATH, else
   ``/tmp/reusevenv/bin/reuse``); without hyperfine the commands take turns, one run each per round;
5. reads ``python -X importtime`` of the 3-file check (median of 9 runs): what start-up imports;
6. with ``--compare-rev REV``, does 4 (the 3-file check only) and 5 again for lintml as it was at
   commit REV (``git archive`` of its ``lintml/`` and ``rules/``, put first on ``PYTHONPATH``, with a
   cache of its own), both run in turns, to compare before and after a change;
7. writes the ``precommit`` section of ``benchmarks/RESULTS.md``.

lintml's modules are byte-compiled first (``compileall``), as ``pip install`` does: with
``PYTHONDONTWRITEBYTECODE`` set (as in some containers) an editable install would otherwise
compile every module from source on every run. lintml's cache and user index are where
platformdirs puts them for a user (``XDG_CACHE_HOME`` and ``XDG_DATA_HOME`` point under
``benchmarks/.work/precommit/``), and ``CI`` and lintml's progress settings are removed from the
environment.

    .venv/bin/python benchmarks/bench_precommit.py                      # ~3 minutes
    .venv/bin/python benchmarks/bench_precommit.py --compare-rev f7eb984 --runs 15
    .venv/bin/python benchmarks/bench_precommit.py --no-write           # print the section only
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "benchmarks" / "precision"))
sys.path.insert(0, str(ROOT / "scripts"))

from common import (  # noqa: E402
    compile_lintml,
    lintml_environment,
    lintml_fingerprint,
    lintml_revision,
    logger,
    machine,
    reuse_executable,
    reuse_version_of,
)
from results_sections import write_section  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "precommit"
log = logger("precommit")
RESULTS_PATH = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "precommit"
PROJECT = "transformers"
TARGET_SECONDS = 1.0
FILES = (
    "src/transformers/models/bert/modeling_bert.py",
    "src/transformers/trainer.py",
    "src/transformers/models/llama/modeling_llama.py",
)
HOOK_ID = "lintml-changed"
IMPORT_RUNS = 9
IDENTITY = ["-c", "user.name=lintml-bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]


def git(tree: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", *IDENTITY, *arguments], cwd=tree, check=True, capture_output=True, text=True
    ).stdout.strip()


# ---------------------------------------------------------------------------------------
# The tree, the hook and the commit


def source_tree() -> Path:
    """The precision benchmark's git tree of the transformers sdist, made the same way if it is not there."""
    import bench_precision

    return bench_precision.pinned_tree(PROJECT)


def hook_config(lintml: Path) -> str:
    """This repository's lintml-changed hook, as a local hook running this virtualenv's lintml."""
    import yaml

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = dict(next(item for item in hooks if item["id"] == HOOK_ID))
    command, _, arguments = hook["entry"].partition(" ")
    if command != "lintml":
        raise SystemExit(f".pre-commit-hooks.yaml: {HOOK_ID} runs {command!r}, not lintml")
    hook["entry"] = f"{lintml} {arguments}".strip()
    hook["language"] = "system"
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}, sort_keys=False)


def prepared_tree(source: Path, lintml: Path) -> Path:
    """A fresh clone with the hook installed and a last commit that edits the three files."""
    tree = WORK / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    WORK.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "-q", "--local", str(source), str(tree)], check=True)
    (tree / ".pre-commit-config.yaml").write_text(hook_config(lintml), encoding="utf-8")
    git(tree, "add", ".pre-commit-config.yaml")
    git(tree, "commit", "-q", "--no-verify", "-m", "lintml's pre-commit hook")
    edit(tree, "a change in this commit")
    git(tree, "commit", "-q", "--no-verify", "-am", "edit three files")
    return tree


def edit(tree: Path, words: str) -> None:
    """Append a comment to each of the three files and stage it (pre-commit checks what is staged)."""
    for name in FILES:
        with (tree / name).open("a", encoding="utf-8") as handle:
            handle.write(f"# {words}\n")
    git(tree, "add", *FILES)


# ---------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    what: str
    command: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    exits: set[int] = field(default_factory=set)
    tool: str = "loop"

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


def environment(extra_path: Path | None = None, *, cache: str = "xdg-cache") -> dict[str, str]:
    env = lintml_environment(WORK, cache=cache)
    env["PRE_COMMIT_HOME"] = str(WORK / "pre-commit-home")
    env["SCANCODE_CACHE"] = str(WORK / "scancode-cache")
    env["SCANCODE_TEMP"] = str(WORK / "scancode-tmp")
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return env


def run_once(command: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds of one run (CPU: the process and the children it waited for)."""
    before = os.times()
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = os.times()
    crashed = b"Traceback (most recent call last)" in completed.stderr  # exit code 1 too, but not a finding
    if completed.returncode not in (0, 1) or crashed:
        raise SystemExit(f"{' '.join(command)} exited {completed.returncode}:\n{completed.stderr.decode()[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, completed.returncode


def short(command: Sequence[str]) -> str:
    """A command as a reader would type it: executables by name, the three files as F1 F2 F3."""
    names = {sys.executable: "python", **{name: f"F{number}" for number, name in enumerate(FILES, 1)}}
    words = [names.get(part, Path(part).name if part.startswith("/") else part) for part in command]
    return " ".join(words).replace("python -m pre_commit", "pre-commit")


@dataclass
class Job:
    """One command to time, and what to do before each of its runs."""

    timing: Timing
    command: list[str]
    before_each: Callable[[], None] | None = None


def job(what: str, command: Sequence[str], before_each: Callable[[], None] | None = None) -> Job:
    return Job(Timing(what, short(command)), list(command), before_each)


def run_jobs(jobs: Sequence[Job], cwd: Path, env: dict[str, str], runs: int, hyperfine: str | None) -> None:
    """Warm each job up once, then time them: with hyperfine when it is there (a job with a step before
    each run aside), else ``runs`` rounds that run every job once each, so a change in the machine's
    load during the benchmark hits every command alike."""
    for item in jobs:
        log(f"{item.timing.what}: {item.timing.command}")
        if item.before_each is not None:
            item.before_each()
        run_once(item.command, cwd, env)  # warm-up: caches filled, pre-commit's store made, files in the page cache
    looped = [item for item in jobs if not (hyperfine and item.before_each is None)]
    for item in jobs:
        if item not in looped:
            assert hyperfine is not None
            with_hyperfine(item, cwd, env, runs, hyperfine)
    for _ in range(runs):
        for item in looped:
            if item.before_each is not None:
                item.before_each()
            wall, cpu, code = run_once(item.command, cwd, env)
            item.timing.walls.append(wall)
            item.timing.cpus.append(cpu)
            item.timing.exits.add(code)


def with_hyperfine(item: Job, cwd: Path, env: dict[str, str], runs: int, hyperfine: str) -> None:
    export = WORK / "hyperfine.json"
    command = [hyperfine, "--runs", str(runs), "--warmup", "1", "-N", "-i", "--export-json", str(export)]
    subprocess.run([*command, " ".join(item.command)], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    result = json.loads(export.read_text(encoding="utf-8"))["results"][0]
    item.timing.tool = "hyperfine"
    item.timing.walls = list(result["times"])
    item.timing.cpus = [user + system for user, system in zip(result["user"], result["system"], strict=False)]
    item.timing.exits = {int(code) for code in result.get("exit_codes", [0])}


def timed_alternately(
    label_a: str,
    env_a: dict[str, str],
    label_b: str,
    env_b: dict[str, str],
    command: Sequence[str],
    cwd: Path,
    runs: int,
) -> tuple[Timing, Timing]:
    """One command under two environments, run in turns, so a change in the machine's load hits both alike."""
    shown = short(command)
    timings = (Timing(label_a, shown), Timing(label_b, shown))
    log(f"{label_a} vs {label_b}: {shown}")
    for env in (env_a, env_b):
        run_once(command, cwd, env)  # warm-up
    for _ in range(runs):
        for timing, env in zip(timings, (env_a, env_b), strict=True):
            wall, cpu, code = run_once(command, cwd, env)
            timing.walls.append(wall)
            timing.cpus.append(cpu)
            timing.exits.add(code)
    return timings


def api_import_seconds(cwd: Path, env: dict[str, str], runs: int) -> float:
    """How long importing lintml.api takes once lintml.cli is loaded, as in `lintml check` (median, no importtime)."""
    script = (
        "import time, lintml.cli\nstarted = time.perf_counter()\nimport lintml.api\n"
        "print(time.perf_counter() - started)\n"
    )
    found = [
        float(subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(found)


Imports = tuple[float, dict[str, float], int]  # total ms, top-level module -> cumulative ms, modules imported


def import_times(command: Sequence[str], cwd: Path, envs: Sequence[dict[str, str]]) -> list[Imports]:
    """``python -X importtime`` of ``command`` under each environment (in turns, medians of IMPORT_RUNS): the
    total, each top-level import's cumulative ms, and how many modules were imported."""
    totals: list[list[float]] = [[] for _ in envs]
    by_module: list[dict[str, list[float]]] = [{} for _ in envs]
    counts = [0 for _ in envs]
    for _ in range(IMPORT_RUNS):
        for number, env in enumerate(envs):
            completed = subprocess.run(
                [sys.executable, "-X", "importtime", *command], cwd=cwd, env=env, capture_output=True, text=True
            )
            total = 0.0
            counts[number] = 0
            for line in completed.stderr.splitlines():
                match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
                if not match:
                    continue
                counts[number] += 1
                self_us, cumulative_us, indent, name = match.groups()
                total += int(self_us) / 1000
                if len(indent) <= 1:  # imported by the program itself, not by another module
                    by_module[number].setdefault(name, []).append(int(cumulative_us) / 1000)
            totals[number].append(total)
    return [
        (
            statistics.median(totals[number]),
            {name: statistics.median(values) for name, values in by_module[number].items()},
            counts[number],
        )
        for number in range(len(envs))
    ]


# ---------------------------------------------------------------------------------------
# Another revision of lintml, to compare with


def revision_checkout(revision: str) -> Path:
    """lintml/ and rules/ as they were at ``revision``, byte-compiled, for PYTHONPATH."""
    commit = git(ROOT, "rev-parse", "--verify", f"{revision}^{{commit}}")
    folder = WORK / f"lintml-{commit[:12]}"
    if not (folder / "lintml" / "__init__.py").is_file():
        log(f"extracting lintml at {commit[:12]} into {folder.relative_to(ROOT)}")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        archive = folder / "source.tar"
        with archive.open("wb") as handle:
            subprocess.run(["git", "archive", commit, "lintml", "rules"], cwd=ROOT, check=True, stdout=handle)
        with tarfile.open(archive) as bundle:
            bundle.extractall(folder, filter="data")
        archive.unlink()
    compile_lintml(folder / "lintml")
    return folder


# ---------------------------------------------------------------------------------------
# Report


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value >= 0.995 else f"{value * 1000:.0f} ms"


def row(timing: Timing, target: bool | None) -> str:
    """A table row; ``target``: the 1 s target applies (True), is shown for information (None), or neither."""
    verdict = ""
    under = timing.median <= TARGET_SECONDS
    if target:
        verdict = "**pass**" if under else "**fail**"
    elif target is None:
        verdict = "(under)" if under else "(over)"
    cpu = seconds(statistics.median(timing.cpus)) if timing.cpus else "–"
    exits = ", ".join(str(code) for code in sorted(timing.exits))
    return (
        f"| {timing.what} | `{timing.command}` | {len(timing.walls)} | **{seconds(timing.median)}** | "
        f"{seconds(min(timing.walls))} | {seconds(max(timing.walls))} | {cpu} | {exits} | {verdict} |"
    )


def render(
    *,
    rows: list[tuple[Timing, bool | None]],
    tree: Path,
    source: Path,
    hook: str,
    runs: int,
    argv: Sequence[str],
    loads: tuple[float, float],
    imports_now: tuple[float, dict[str, float], int],
    imports_then: tuple[float, dict[str, float], int] | None,
    compare: tuple[str, Timing, Timing] | None,
    version_timing: Timing,
    bare_python: Timing,
    reuse_version: str | None,
    changed: bool,
    api_seconds: float,
) -> str:
    revision = lintml_revision()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    main = {timing.what: timing for timing, _ in rows}
    hyperfine_used = any(timing.tool == "hyperfine" for timing, _ in rows)
    tool = "hyperfine" if hyperfine_used else f"{runs} runs each (no hyperfine on PATH)"
    check = main["lintml check, 3 files, warm"]
    hook_run = main["pre-commit run, 3 files, warm"]
    new_check = main["lintml check, 3 files, new edit"]
    new_hook = main["pre-commit run, 3 files, new edit"]
    lines = [
        "## Pre-commit path: three changed files of a commit in transformers 4.46.3",
        "",
        f"Written by `benchmarks/bench_precommit.py` on {when}. Wall clock around each subprocess, interpreter "
        "start included; CPU is the user + system time of the process and the children it waited for.",
        "",
        "### Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine(revision)),
        "| pre-commit | "
        + subprocess.run([sys.executable, "-m", "pre_commit", "--version"], capture_output=True, text=True)
        .stdout.strip()
        .removeprefix("pre-commit ")
        + " |",
        f"| timing | {tool} |",
        f"| load average (1 min) before / after | {loads[0]:.2f} / {loads[1]:.2f} |",
        "",
        "### Command and setup",
        "",
        "```",
        "python " + " ".join(["benchmarks/bench_precommit.py", *argv]),
        "```",
        "",
        f"The tree is `{source.relative_to(ROOT)}` (the transformers 4.46.3 sdist committed to git, "
        f"{len(git(tree, 'ls-files').splitlines())} tracked files), cloned into `{tree.relative_to(ROOT)}`. A last "
        f"commit edits F1, F2 and F3: {', '.join(f'`{name}`' for name in FILES)} (a comment appended to each). "
        "pre-commit runs this "
        f"repository's `{HOOK_ID}` hook as a local hook, the virtualenv's lintml, so what is timed is pre-commit "
        "and the hook, not pre-commit's one-time environment install:",
        "",
        "```yaml",
        hook.rstrip(),
        "```",
        "",
        "Every command ran once untimed first (the warm-up that fills lintml's cache). The *new edit* rows append "
        "another comment to the three files and stage them before each run, so their facts and fingerprints are "
        "not in the cache: the commit a developer actually makes. lintml's cache and user index are where "
        "platformdirs puts them (`XDG_CACHE_HOME`, `XDG_DATA_HOME` under `benchmarks/.work/precommit/`); lintml's "
        "modules are byte-compiled, as `pip install` leaves them.",
        "",
        "### Timings",
        "",
        *(
            [
                "**lintml's code or rules changed while this benchmark ran (the working copy was edited): "
                "the figures below mix two versions; run it again.**",
                "",
            ]
            if changed
            else []
        ),
        "| what | command | runs | median | min | max | CPU (median) | exit | ≤ 1 s |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
        *(row(timing, target) for timing, target in rows),
        "",
    ]
    met = all(timing.median <= TARGET_SECONDS for timing, target in rows if target)
    lines += [
        f"**Target (≤ 1 s wall, warm cache, interpreter start included): {'met' if met else 'not met'}** — "
        f"`lintml check` on the three files takes {seconds(check.median)}, and through `pre-commit run` "
        f"{seconds(hook_run.median)}, of which pre-commit itself takes about "
        f"{seconds(max(0.0, hook_run.median - check.median))}. Right after a new edit (the three files' facts "
        f"and fingerprints not cached yet) they take {seconds(new_check.median)} and "
        f"{seconds(new_hook.median)}: most of the difference is fingerprinting and matching the three files "
        "(`trainer.py` alone has some 5,000 lines) against the catalog.",
        "",
    ]
    reuse_rows = [timing for timing, _ in rows if timing.what.startswith("reuse")]
    if reuse_rows:
        whole = next((timing for timing in reuse_rows if "lint-file" not in timing.command), None)
        files = next((timing for timing in reuse_rows if "lint-file" in timing.command), None)
        lines.append(f"Peers: REUSE {reuse_version} (headers only, no provenance), on the same tree and files: ")
        if whole is not None:
            lines[-1] += (
                f"its whole-repository hook (`reuse lint`) takes {seconds(whole.median)}, "
                f"{whole.median / check.median:.1f}× lintml's 3-file check"
            )
        if files is not None:
            lines[-1] += (
                f"{'; ' if whole is not None else ''}its changed-files hook (`reuse lint-file`) takes "
                f"{seconds(files.median)}, {files.median / check.median:.1f}× lintml's 3-file check"
            )
        lines[-1] += "."
        lines.append("")
    # Where the time of the warm 3-file check goes.
    total_imports, by_module, modules = imports_now
    start = bare_python.median
    cli = max(0.0, version_timing.median - start)
    rest = max(0.0, check.median - version_timing.median - api_seconds)
    lines += [
        "### Where the 3-file check's time goes",
        "",
        "| part | time |",
        "|---|---:|",
        f"| interpreter start (`python -c pass`) | {seconds(start)} |",
        f"| `lintml --version`: console script, click, `lintml.cli` | {seconds(cli)} |",
        f"| importing `lintml.api` and what it needs (timed alone, median of {runs} runs) | {seconds(api_seconds)} |",
        "| the check itself: listing 1,800+ files with git, reading cached facts, running every rule, printing | "
        f"{seconds(rest)} |",
        f"| **total (median of the timed runs)** | **{seconds(check.median)}** |",
        "",
        f"`python -X importtime` of the 3-file check (median of {IMPORT_RUNS} runs): {modules} modules, "
        f"{total_imports:.0f} ms in all (importtime's own bookkeeping makes imports slower than in the timed runs). "
        "Top-level imports, cumulative (a module's figure includes what is first "
        "imported through it: `platformdirs` now pays for `tempfile`, which `lintml.api` no longer imports "
        "before it):",
        "",
    ]
    if imports_then is not None and compare is not None:
        then_total, then_modules, then_count = imports_then
        names = sorted(
            set(by_module) | set(then_modules), key=lambda name: -max(by_module.get(name, 0), then_modules.get(name, 0))
        )
        lines += [
            f"| module | lintml at {compare[0]} | this lintml |",
            "|---|---:|---:|",
            *(f"| `{name}` | {_ms(then_modules.get(name))} | {_ms(by_module.get(name))} |" for name in names[:14]),
            f"| **all imports** ({then_count} → {modules} modules) | **{then_total:.0f} ms** | "
            f"**{total_imports:.0f} ms** |",
            "",
            f"The 3-file check as `python -m lintml.cli check F1 F2 F3`, {len(compare[1].walls)} runs of each "
            "lintml in turns (median wall / min wall / median CPU):",
            "",
            "| lintml | median | min | CPU (median) |",
            "|---|---:|---:|---:|",
            *(
                f"| {label} | {seconds(timing.median)} | {seconds(min(timing.walls))} | "
                f"{seconds(statistics.median(timing.cpus))} |"
                for label, timing in ((f"at {compare[0]}", compare[1]), ("this lintml", compare[2]))
            ),
            "",
            f"{compare[1].median / compare[2].median:.2f}× faster in wall time, "
            f"{statistics.median(compare[1].cpus) / statistics.median(compare[2].cpus):.2f}× in CPU time.",
            "",
        ]
    else:
        names = sorted(by_module, key=lambda name: -by_module[name])
        lines += [
            "| module | cumulative |",
            "|---|---:|",
            *(f"| `{name}` | {_ms(by_module[name])} |" for name in names[:14]),
            "",
        ]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} ms"


# ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each command (default 10)")
    parser.add_argument("--compare-rev", metavar="REV", help="also time lintml as it was at this commit")
    parser.add_argument("--reuse", metavar="PATH", help="the reuse executable to compare with")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write RESULTS.md")
    arguments = parser.parse_args(argv)
    argv = list(argv if argv is not None else sys.argv[1:])

    bin_dir = Path(sys.executable).parent
    lintml = bin_dir / "lintml"
    if not lintml.is_file():
        raise SystemExit(f"no lintml beside {sys.executable}: run this with the project's virtualenv")
    compile_lintml(ROOT / "lintml")
    for cache in ("xdg-cache", "xdg-cache-compared"):  # each run warms its own cache, from empty
        shutil.rmtree(WORK / cache, ignore_errors=True)
    source = source_tree()
    tree = prepared_tree(source, lintml)
    hook = (tree / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    env = environment()
    runs = arguments.runs
    hyperfine = shutil.which("hyperfine")
    pre_commit = [sys.executable, "-m", "pre_commit"]
    diff_base = "--diff-base" in subprocess.run([str(lintml), "check", "--help"], capture_output=True, text=True).stdout
    reuse = reuse_executable(arguments.reuse)
    counter = iter(range(1_000_000))
    run_id = f"{time.time_ns():x}"  # never the same text twice, nor content an earlier run has cached

    def new_edit() -> None:
        edit(tree, f"another change, {run_id}-{next(counter)}")

    loads_before = os.getloadavg()[0]
    fingerprint = lintml_fingerprint()
    lintml_command = [str(lintml), "check", *FILES]
    hook_command = [*pre_commit, "run", "--files", *FILES]
    planned: list[tuple[Job, bool | None]] = [
        (job("python -c pass (interpreter start, for reference)", [sys.executable, "-c", "pass"]), False),
        (job("lintml --version (start-up, for reference)", [str(lintml), "--version"]), False),
        (job("lintml check, 3 files, warm", lintml_command), True),
        (job("pre-commit run, 3 files, warm", hook_command), True),
    ]
    if diff_base:
        planned.append((job("lintml check --diff-base, warm", [str(lintml), "check", "--diff-base", "HEAD~1"]), True))
    else:
        log("this lintml has no --diff-base: not timed")
    planned += [
        (job("lintml check, 3 files, new edit", lintml_command, new_edit), None),
        (job("pre-commit run, 3 files, new edit", hook_command, new_edit), None),
    ]
    reuse_version = None
    if reuse:
        reuse_version = reuse_version_of(reuse)
        planned.append((job("reuse lint (REUSE's whole-repository hook)", [reuse, "lint"]), False))
        planned.append((job("reuse lint-file (REUSE's changed-files hook)", [reuse, "lint-file", *FILES]), False))
    else:
        log("no reuse found (--reuse PATH): REUSE not timed")
    run_jobs([item for item, _ in planned], tree, env, runs, hyperfine)
    rows = [(item.timing, target) for item, target in planned]
    bare, version = rows[0][0], rows[1][0]
    check_command = ["-m", "lintml.cli", "check", *FILES]
    imports_then = None
    compare = None
    if not arguments.compare_rev:
        [imports_now] = import_times(check_command, tree, [env])
    else:
        folder = revision_checkout(arguments.compare_rev)
        then_env = environment(folder, cache="xdg-cache-compared")  # its own cache: its facts may differ
        now_timing, then_timing = timed_alternately(
            "this lintml",
            env,
            f"lintml at {arguments.compare_rev}",
            then_env,
            [sys.executable, *check_command],
            tree,
            runs,
        )
        compare = (f"`{arguments.compare_rev}`", then_timing, now_timing)
        imports_now, imports_then = import_times(check_command, tree, [env, then_env])
    api_seconds = api_import_seconds(tree, env, runs)
    loads_after = os.getloadavg()[0]
    changed = lintml_fingerprint() != fingerprint
    if changed:
        log("lintml's code or rules changed while this ran: run it again")
    body = render(
        rows=rows,
        tree=tree,
        source=source,
        hook=hook,
        runs=runs,
        argv=argv,
        loads=(loads_before, loads_after),
        imports_now=imports_now,
        imports_then=imports_then,
        compare=compare,
        version_timing=version,
        bare_python=bare,
        reuse_version=reuse_version,
        changed=changed,
        api_seconds=api_seconds,
    )
    if arguments.no_write:
        print(body)
    else:
        write_section(RESULTS_PATH, SECTION, body)
        log(f"wrote the {SECTION} section of {RESULTS_PATH.relative_to(ROOT)}")
        print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
