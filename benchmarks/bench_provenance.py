"""Provenance speed: index build rate, query latency per file, and full checks with provenance on.

One run of this script, on the pinned transformers 4.46.3 sdist (the one
``bench_transformers.py`` uses, sha256 checked):

1. times ``lintml index add transformers SDIST --index NEW`` with an empty facts cache
   (index build rate in files per second, interpreter start and unpacking included);
2. times, in this process, fingerprinting plus lookup plus verification of every code file
   against the default catalog shipped with lintml: the transformers files (all in the
   catalog, so every one is aligned with its own upstream: the worst case) and the
   standard library of this Python (real code in no catalog: the usual case), giving the
   median and 95th percentile per file;
3. times ``lintml check TREE`` on the unpacked tree under git with the default catalog,
   with an empty cache (cold) and again with the cache it filled (warm), and the cold check
   with ``--no-catalog`` for the cost of provenance itself;
4. puts the figures into the ``provenance-speed`` section of ``benchmarks/RESULTS.md``,
   with the scancode time measured by ``bench_transformers.py`` for the ratio.

    python benchmarks/bench_provenance.py            # about 3 minutes on 2 cores
    python benchmarks/bench_provenance.py --runs 1   # one run of each timed command
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import bench_transformers as base
from common import executable, logger, require_exit, run_timed
from results_sections import write_section

from lintml.provenance.catalog import CATALOG_PATH, catalog_manifest, open_indexes
from lintml.provenance.match import Matcher
from lintml.provenance.normalize import normalize
from lintml.repository import CODE_KINDS, classify

SECTION = "provenance-speed"
RESULTS = base.REPO_ROOT / "benchmarks" / "RESULTS.md"
WORK = base.BENCH_DIR / "provenance"
log = logger("provenance")
TARGET_QUERY_MEDIAN_MS = 5.0
TARGET_WARM_SECONDS = 3.0
TARGET_COLD_RATIO = 20.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def query_latency(files: list[tuple[str, str]], matcher: Matcher) -> dict[str, Any]:
    """Per-file milliseconds of normalising a file, and of querying the catalog with it (winnow, look up,
    align the candidates), and how many files matched."""
    normalising, querying = [], []
    matched = 0
    for path, text in files:
        start = time.perf_counter()
        stream = normalize(path, text)
        middle = time.perf_counter()
        matches = matcher.match(path, stream)
        end = time.perf_counter()
        normalising.append((middle - start) * 1000)
        querying.append((end - middle) * 1000)
        matched += bool(matches)
    both = [first + second for first, second in zip(normalising, querying, strict=True)]
    return {
        "files": len(files),
        "matched": matched,
        "median_ms": statistics.median(querying),
        "p95_ms": percentile(querying, 0.95),
        "normalise_median_ms": statistics.median(normalising),
        "normalise_p95_ms": percentile(normalising, 0.95),
        "both_median_ms": statistics.median(both),
        "both_p95_ms": percentile(both, 0.95),
        "total_s": sum(both) / 1000,
    }


def code_files(root: Path, limit_bytes: int = 2 * 1024 * 1024) -> list[tuple[str, str]]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or "/.git/" in f"/{relative}" or path.stat().st_size > limit_bytes:
            continue
        if classify(relative) in CODE_KINDS:
            found.append((relative, path.read_text(encoding="utf-8", errors="replace")))
    return found


def stdlib_files() -> list[tuple[str, str]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(root.glob("*.py")) + sorted(root.glob("*/*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("test/", "site-packages/", "idlelib/idle_test/", "lib2to3/tests/")):
            continue
        files.append((relative, path.read_text(encoding="utf-8", errors="replace")))
    return files


def timed_check(tree: Path, env: dict[str, str], log_file: Path, *extra: str) -> float:
    report = log_file.with_suffix(".json")
    command = [str(executable("lintml")), "check", str(tree), "--format", "json", "--output", str(report), *extra]
    run = run_timed(command, cwd=tree, env=env, log_file=log_file)
    require_exit(run, (0, 1), "lintml check", log_file)
    return run.seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Runs of each timed command (median reported).")
    arguments = parser.parse_args(argv)
    if not CATALOG_PATH.is_file():
        raise SystemExit(f"no catalog at {CATALOG_PATH}: build it with `python scripts/build_catalog.py`")
    tarball = base.fetch_sdist(base.WORK_DIR)
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    tree = base.unpack_tree(tarball, WORK / "tree")
    env = base.base_environment(WORK)

    log("index build: lintml index add transformers SDIST (cold facts cache)")
    builds = []
    for number in range(arguments.runs):
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=WORK))
        index = WORK / f"index-{number}.sqlite3"
        command = [str(executable("lintml")), "index", "add", "transformers", str(tarball), "--index", str(index)]
        command += ["--license", "Apache-2.0", "--version", base.VERSION]
        run = run_timed(command, cwd=WORK, env={**env, "LINTML_CACHE_DIR": str(cache)}, log_file=WORK / "add.log")
        require_exit(run, (0,), "lintml index add", WORK / "add.log")
        builds.append(run.seconds)
    indexed = int(open_indexes([WORK / "index-0.sqlite3"])[0].projects()[0].files)
    build_seconds = statistics.median(builds)

    log("query latency against the default catalog")
    matcher = Matcher(open_indexes([CATALOG_PATH]))
    worst = query_latency(code_files(tree), matcher)
    usual = query_latency(stdlib_files(), matcher)

    log("full checks with provenance on")
    colds, warms, plains = [], [], []
    for _ in range(arguments.runs):
        cache = Path(tempfile.mkdtemp(prefix="check-", dir=WORK))
        run_env = {**env, "LINTML_CACHE_DIR": str(cache)}
        colds.append(timed_check(tree, run_env, WORK / "cold.log"))
        warms.append(timed_check(tree, run_env, WORK / "warm.log"))
        plain_cache = Path(tempfile.mkdtemp(prefix="plain-", dir=WORK))
        plains.append(
            timed_check(tree, {**env, "LINTML_CACHE_DIR": str(plain_cache)}, WORK / "plain.log", "--no-catalog")
        )
    report = json.loads((WORK / "cold.json").read_text(encoding="utf-8"))
    provenance_findings = report["summary"]["by_rule"].get("provenance", 0)
    cold, warm, plain = statistics.median(colds), statistics.median(warms), statistics.median(plains)
    scancode_seconds = None
    if base.DEFAULT_SCANCODE_JSON.is_file():
        timing = base.reuse_scancode(base.DEFAULT_SCANCODE_JSON).timing
        scancode_seconds = timing.median if timing is not None else None

    manifest = catalog_manifest()
    shown = " ".join(
        shlex.quote(part) for part in ["python", "benchmarks/bench_provenance.py", *(argv or sys.argv[1:])]
    )
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    ratio = f"{scancode_seconds / cold:.0f}x" if scancode_seconds else "n/a (no scancode run on record)"
    lines = [
        "## Provenance speed",
        "",
        f"Written by `benchmarks/bench_provenance.py` on {today}: `{shown}`. Medians of {arguments.runs} runs;"
        " wall clock around each subprocess, interpreter start included. Machine as above.",
        f"Default catalog: {len({entry['name'] for entry in manifest.get('projects', [])})} projects,"
        f" {len(manifest.get('projects', []))} versions,"
        f" {CATALOG_PATH.stat().st_size / 1e6:.1f} MB (`lintml/data/catalog.sqlite3`).",
        "",
        "| what | measured | target |",
        "|---|---|---|",
        f"| index build, `lintml index add` of the transformers sdist ({indexed} files indexed) |"
        f" {build_seconds:.1f} s, {indexed / build_seconds:.0f} files/s | - |",
        f"| query per file (winnow, look up, align candidates), standard-library files ({usual['files']} files, in"
        f" no catalog: the usual case) | median {usual['median_ms']:.1f} ms, p95 {usual['p95_ms']:.1f} ms,"
        f" {usual['matched']} matched | median <= {TARGET_QUERY_MEDIAN_MS:.0f} ms"
        f" {base.verdict(usual['median_ms'] <= TARGET_QUERY_MEDIAN_MS)} |",
        f"| normalising those files first (tokenize) | median {usual['normalise_median_ms']:.1f} ms,"
        f" p95 {usual['normalise_p95_ms']:.1f} ms; both together median {usual['both_median_ms']:.1f} ms,"
        f" p95 {usual['both_p95_ms']:.1f} ms | - |",
        f"| query per file, transformers files ({worst['files']} files, each aligned with its own copy in the"
        f" catalog: the worst case) | median {worst['median_ms']:.1f} ms,"
        f" p95 {worst['p95_ms']:.1f} ms, {worst['matched']} matched | - |",
        f"| `lintml check` of the tree, cold, catalog on ({provenance_findings} provenance findings) | {cold:.1f} s |"
        f" {TARGET_COLD_RATIO:.0f}x faster than scancode: {ratio}"
        f" {base.verdict(bool(scancode_seconds) and scancode_seconds / cold >= TARGET_COLD_RATIO)} |",
        f"| `lintml check` of the tree, warm, catalog on | {warm:.2f} s | <= {TARGET_WARM_SECONDS:.0f} s"
        f" {base.verdict(warm <= TARGET_WARM_SECONDS)} |",
        f"| `lintml check` of the tree, cold, `--no-catalog` (no provenance) | {plain:.1f} s | - |",
        "",
        "The query rows time `Matcher.match` in this process on streams already normalised; the normalising row"
        " is the cost before it (Python's `tokenize`, pure Python on 3.11). The full checks run with the"
        " transformers tree as the project: its own catalog entry is left out (a project is never a copy of"
        " itself), so what they report are transformers files that diffusers, optimum and the others copied.",
    ]
    if scancode_seconds:
        lines.append(f"scancode's time on the same tree, from `bench_transformers.py`: {scancode_seconds:.0f} s.")
    write_section(RESULTS, SECTION, "\n".join(lines))
    (WORK / "results.json").write_text(
        json.dumps(
            {"build_seconds": builds, "worst": worst, "usual": usual, "cold": colds, "warm": warms, "plain": plains},
            indent=2,
        ),
        encoding="utf-8",
    )
    log(f"wrote the {SECTION} section of {RESULTS}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
