"""Benchmark ``lintml check`` against ``scancode`` on the transformers 4.46.3 source distribution.

One run of this script:

1. gets the pinned sdist (``pip download``; a tarball already in ``benchmarks/.work/`` is
   reused), checks its sha256, unpacks it into a fresh folder owned by the current user
   and commits it to a new git repository, so lintml walks it as it walks a real one;
2. times, with the wall clock around each subprocess: ``lintml check TREE`` with an empty
   facts cache (cold), the same again with the cache it filled (warm), ``lintml check`` on
   three files from inside the tree (the pre-commit case, interpreter start included), and
   ``scancode --license --copyright -n 2`` on the same tree (or reuses an earlier scancode
   output with ``--skip-scancode`` / ``--scancode-json``);
3. compares, file by file, the SPDX license ids lintml finds with those in scancode's
   answer, over the whole file and over lintml's header region only, and sorts every
   difference into a cause;
4. writes ``benchmarks/RESULTS.md``.

Run it from the repository root with the virtualenv active::

    python benchmarks/bench_transformers.py            # full run, ~16 minutes on 2 cores
    python benchmarks/bench_transformers.py --quick    # 1 run each, scancode output reused
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from common import (
    TIME_PROGRAM,
    Run,
    executable,
    lintml_fingerprint,
    lintml_revision,
    logger,
    machine,
    own,
    pinned_sdist,
    require_exit,
    run_timed,
)
from results_sections import sections_of

PACKAGE = "transformers"
VERSION = "4.46.3"
SDIST_NAME = f"{PACKAGE}-{VERSION}.tar.gz"
SDIST_SHA256 = "8ee4b3ae943fe33e82afff8e837f4b052058b07ca9be3cb5b729ed31295f72cc"
TREE_NAME = f"{PACKAGE}-{VERSION}"
FILE_TARGETS = (
    "src/transformers/models/bert/modeling_bert.py",
    "src/transformers/trainer.py",
    "src/transformers/models/llama/modeling_llama.py",
)
TARGET_COLD_RATIO = 20.0  # scancode seconds / lintml cold seconds, at least
TARGET_WARM_SECONDS = 3.0
TARGET_FILES_SECONDS = 1.0
EXAMPLES_PER_CATEGORY = 3

REPO_ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = REPO_ROOT / "benchmarks" / ".work"
log = logger("bench")
BENCH_DIR = WORK_DIR / "bench"  # everything this script creates, except the downloaded tarball
DEFAULT_SCANCODE_JSON = BENCH_DIR / f"scancode-{TREE_NAME}.json"
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "RESULTS.md"
QUICK_OUTPUT = BENCH_DIR / "RESULTS-quick.md"


# ---------------------------------------------------------------------------------------
# Preparing the tree


def fetch_sdist(work_dir: Path) -> Path:
    """The verified sdist tarball, downloaded with pip unless a good one is already there."""
    return pinned_sdist(PACKAGE, VERSION, SDIST_SHA256, work_dir, log)


def unpack_tree(tarball: Path, destination: Path) -> Path:
    """Unpack into a fresh folder, own it, and make it a git repository with one commit."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        archive.extractall(destination, filter="data")
    tree = destination / TREE_NAME
    if not tree.is_dir():
        raise SystemExit(f"{tarball}: expected a top folder {TREE_NAME!r}")
    own(tree)
    git = ["git", "-c", "user.name=lintml-bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=tree, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tree, check=True)
    subprocess.run([*git, "commit", "-q", "-m", f"{PACKAGE} {VERSION} sdist"], cwd=tree, check=True)
    return tree


def tracked_files(tree: Path) -> list[str]:
    output = subprocess.run(["git", "ls-files", "-z"], cwd=tree, check=True, capture_output=True).stdout
    return sorted(name for name in output.decode("utf-8", "surrogateescape").split("\0") if name)


def disk_files(tree: Path) -> list[str]:
    """Every file in the tree outside ``.git``, as scancode sees it."""
    found = []
    for folder, subfolders, names in os.walk(tree):
        subfolders[:] = [name for name in subfolders if name != ".git"]
        found.extend(Path(folder, name).relative_to(tree).as_posix() for name in names)
    return sorted(found)


# ---------------------------------------------------------------------------------------
# Timing


@dataclass
class Timing:
    """Several runs of one command."""

    name: str
    command: str
    runs: list[Run] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_rss_mb(self) -> float:
        return max(run.peak_rss_mb for run in self.runs)


def base_environment(bench_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["SCANCODE_CACHE"] = str(bench_dir / "scancode-cache")
    env["SCANCODE_TEMP"] = str(bench_dir / "scancode-tmp")
    for variable in ("SCANCODE_CACHE", "SCANCODE_TEMP"):
        Path(env[variable]).mkdir(parents=True, exist_ok=True)
    env.pop("LINTML_CACHE_DIR", None)
    return env


def lintml_report(path: Path) -> dict[str, Any]:
    summary = json.loads(path.read_text(encoding="utf-8"))
    return {"findings": len(summary["findings"]), "files_checked": summary["summary"]["files_checked"]}


@dataclass
class Timings:
    cold: Timing
    warm: Timing
    files: Timing
    python_start: Timing
    lintml_version: Timing
    cold_cache: Path
    cold_report: dict[str, Any]
    warm_report: dict[str, Any]
    parent_rss_mb: float  # a child's peak RSS starts from this: it is forked from the benchmark process
    cold_loaded_index: bool


T = TypeVar("T")
Per = Callable[[int], T]  # a value for the n-th run of a repeated command


def time_lintml(
    tree: Path, run_dir: Path, env: dict[str, str], cold_runs: int, warm_runs: int, file_runs: int
) -> Timings:
    lintml = executable("lintml")
    outputs = run_dir / "outputs"
    logs = run_dir / "logs"
    shown = "lintml check TREE --format json --output OUT"

    def repeat(
        timing: Timing, name: str, runs: int, command: Per[list[str]], cwd: Path, env_for: Per[dict[str, str]]
    ) -> None:
        for index in range(1, runs + 1):
            log_file = logs / f"{name}-{index}.log"
            run = run_timed(command(index), cwd=cwd, env=env_for(index), log_file=log_file)
            require_exit(run, (0, 1), f"lintml check ({name})", log_file)
            timing.runs.append(run)
            log(f"{name} run {index}: {run.seconds:.2f} s")

    def fresh_cache(index: int) -> dict[str, str]:
        cache = run_dir / f"cache-cold-{index}"
        if cache.exists():
            shutil.rmtree(cache)
        cache.mkdir(parents=True)
        return {**env, "LINTML_CACHE_DIR": str(cache)}

    cold_cache = run_dir / "cache-cold-1"
    warm_env = {**env, "LINTML_CACHE_DIR": str(cold_cache)}

    def whole_tree(name: str) -> Per[list[str]]:
        return lambda index: [
            str(lintml),
            "check",
            str(tree),
            "--format",
            "json",
            "--output",
            str(outputs / f"{name}-{index}.json"),
        ]

    cold = Timing("lintml check, cold (empty cache)", shown)
    repeat(cold, "cold", cold_runs, whole_tree("cold"), REPO_ROOT, fresh_cache)
    cold_report = lintml_report(outputs / "cold-1.json")

    warm = Timing("lintml check, warm (cache from the cold run)", shown)
    repeat(warm, "warm", warm_runs, whole_tree("warm"), REPO_ROOT, lambda _: warm_env)
    warm_report = lintml_report(outputs / "warm-1.json")

    files = Timing(
        "lintml check on 3 files, warm (pre-commit case)",
        "cd TREE && lintml check " + " ".join(FILE_TARGETS),
    )
    repeat(files, "files", file_runs, lambda _: [str(lintml), "check", *FILE_TARGETS], tree, lambda _: warm_env)

    # Floors that explain the 3-file time: the interpreter alone, and lintml's CLI doing nothing.
    python_start = Timing("python -c pass (interpreter start, for reference)", "python -c pass")
    version = Timing("lintml --version (console script start, for reference)", "lintml --version")
    for index in range(1, file_runs + 1):
        python_start.runs.append(
            run_timed([sys.executable, "-c", "pass"], cwd=tree, env=warm_env, log_file=logs / f"python-{index}.log")
        )
        version.runs.append(
            run_timed([str(lintml), "--version"], cwd=tree, env=warm_env, log_file=logs / f"version-{index}.log")
        )
    parent_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loaded = "scancode's license index" in (logs / "cold-1.log").read_text(encoding="utf-8", errors="replace")
    return Timings(
        cold, warm, files, python_start, version, cold_cache, cold_report, warm_report, parent_rss_mb, loaded
    )


@dataclass
class ScancodeRun:
    json_path: Path
    timing: Timing | None
    rerun: bool
    origin: str  # how the time was obtained


def run_scancode(tree: Path, env: dict[str, str], json_path: Path, jobs: int) -> ScancodeRun:
    scancode = executable("scancode")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = json_path.with_suffix(".log")
    command = [str(scancode), "--license", "--copyright", "-n", str(jobs), "--json-pp", str(json_path), tree.name]
    shown = f"scancode --license --copyright -n {jobs} --json-pp OUT TREE"
    log(f"running scancode (10-15 minutes on 2 cores); progress in {log_file}")
    run = run_timed(command, cwd=tree.parent, env=env, log_file=log_file)
    require_exit(run, (0, 1), "scancode", log_file)  # 1: some files had scan errors
    log(f"scancode: {run.seconds:.1f} s")
    timing = Timing("scancode --license --copyright", shown, [run])
    sidecar = {
        "seconds": run.seconds,
        "exit_code": run.exit_code,
        "peak_rss_mb": run.peak_rss_mb,
        "jobs": jobs,
        "command": shown,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
    }
    timing_path(json_path).write_text(json.dumps(sidecar, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return ScancodeRun(json_path, timing, True, "timed in this run")


def timing_path(json_path: Path) -> Path:
    return json_path.with_name(json_path.name + ".timing.json")


def reuse_scancode(json_path: Path) -> ScancodeRun:
    """An earlier scancode output, with the wall time this script recorded beside it (else scancode's own)."""
    sidecar = timing_path(json_path)
    if sidecar.is_file():
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        run = Run(float(data["seconds"]), int(data["exit_code"]), float(data.get("peak_rss_mb", 0.0)))
        timing = Timing("scancode --license --copyright", str(data["command"]), [run])
        return ScancodeRun(json_path, timing, False, f"reused: wall time recorded when it ran on {data['date']}")
    with json_path.open(encoding="utf-8") as handle:
        header = json.load(handle)["headers"][0]
    options = header.get("options", {})
    jobs = options.get("-n", options.get("--processes", "?"))
    run = Run(float(header["duration"]), 0, 0.0)
    shown = f"scancode --license --copyright -n {jobs} --json-pp OUT TREE"
    timing = Timing("scancode --license --copyright", shown, [run])
    origin = "reused: scancode's own duration from its JSON header (excludes interpreter start-up)"
    return ScancodeRun(json_path, timing, False, origin)


# ---------------------------------------------------------------------------------------
# Agreement


@lru_cache(maxsize=4096)
def license_ids(expression: str | None) -> frozenset[str]:
    """The license and exception ids of an SPDX expression, spelled as SPDX spells them."""
    if not expression or not expression.strip():
        return frozenset()
    from license_expression import ExpressionError

    licensing = _spdx_licensing()
    try:
        parsed = licensing.parse(expression, validate=False, simple=False)
        keys = licensing.license_keys(parsed)
    except (ExpressionError, TypeError, ValueError):
        return frozenset({expression.strip()})
    return frozenset(str(key) for key in keys)


@lru_cache(maxsize=1)
def _spdx_licensing() -> Any:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


def show_ids(ids: Iterable[str]) -> str:
    items = sorted(ids)
    return ", ".join(items) if items else "nothing"


@dataclass(frozen=True)
class ScanMatch:
    ids: frozenset[str]
    expression: str
    start_line: int
    end_line: int
    rule: str
    matcher: str
    from_file: str | None  # relative to the tree; None when scancode did not say


@dataclass
class ScanFile:
    path: str
    expression: str | None
    ids: frozenset[str]
    matches: list[ScanMatch]
    clues: list[ScanMatch] = field(default_factory=list)  # license clues: not part of scancode's answer

    def own_matches(self) -> list[ScanMatch]:
        return [match for match in self.matches if match.from_file in (None, self.path)]


def strip_top(path: str) -> str:
    return path.split("/", 1)[1] if "/" in path else ""


def scan_match(match: dict[str, Any]) -> ScanMatch:
    origin = match.get("from_file")
    return ScanMatch(
        ids=license_ids(match.get("license_expression_spdx")),
        expression=match.get("license_expression_spdx") or "",
        start_line=int(match["start_line"]),
        end_line=int(match["end_line"]),
        rule=match.get("rule_identifier", ""),
        matcher=match.get("matcher", ""),
        from_file=strip_top(origin) if origin else None,
    )


def load_scancode(json_path: Path) -> tuple[dict[str, ScanFile], int]:
    """scancode's files by path relative to the tree, and how many of them had scan errors."""
    with json_path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    files: dict[str, ScanFile] = {}
    errors = 0
    for entry in document["files"]:
        if entry.get("type") != "file":
            continue
        errors += bool(entry.get("scan_errors"))
        path = strip_top(entry["path"])
        matches = [
            scan_match(match)
            for detection in entry.get("license_detections") or []
            for match in detection.get("matches") or []
        ]
        clues = [scan_match(match) for match in entry.get("license_clues") or []]
        expression = entry.get("detected_license_expression_spdx")
        files[path] = ScanFile(path, expression, license_ids(expression), matches, clues)
    return files, errors


@dataclass(frozen=True)
class LintNotice:
    ids: frozenset[str]
    expression: str
    start_line: int
    end_line: int
    kind: str
    source: str


@dataclass
class LintFile:
    path: str
    kind: str
    walked: bool  # tracked by git, so lintml check lists it
    read: bool  # of a kind lintml reads for licenses
    notices: list[LintNotice]
    region: tuple[int, int] | None  # lines lintml reads for notices (its header block, or the whole file)
    region_name: str
    lines: list[str]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(identifier for notice in self.notices for identifier in notice.ids)

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""


def lintml_facts(tree: Path, paths: Iterable[str], cache_dir: Path) -> tuple[dict[str, LintFile], int]:
    """lintml's per-file answer, read through its own fact extraction, from the cold run's cache.

    Also returns how many files' facts were not in that cache and had to be extracted again:
    0 means the answers compared are exactly those ``lintml check`` produced.
    """
    from lintml import repository
    from lintml.api import READ_KINDS
    from lintml.facts.cache import FactCache
    from lintml.facts.extract import FactExtractor, decode
    from lintml.facts.headers import comment_syntax, extract_header
    from lintml.licenses import shipped_knowledge
    from lintml.project import Project
    from lintml.repository import DiskSource, RepoFile, classify

    class CountingCache(FactCache):
        misses = 0

        def get(self, key: str) -> Any | None:
            found = super().get(key)
            if found is None and key.startswith("file:"):
                CountingCache.misses += 1
            return found

    source = DiskSource(tree)
    walked = {item.path: item for item in source.files()}
    cache = CountingCache(cache_dir)
    extractor = FactExtractor(cache)
    facts: dict[str, Any] = {}
    result: dict[str, LintFile] = {}
    try:
        for path in sorted(set(paths)):
            data = (tree / path).read_bytes()
            item = walked.get(path) or RepoFile(path, classify(path, data[:3]), len(data))
            read = item.kind in READ_KINDS and item.size <= repository.DEFAULT_MAX_FILE_SIZE and path in walked
            text, _ = decode(data)
            lines = text.splitlines() if text is not None else []
            notices: list[LintNotice] = []
            region: tuple[int, int] | None = None
            region_name = "not read"
            if read:
                found = extractor.facts(item, data)
                facts[path] = found
                notices = [
                    LintNotice(license_ids(n.expression), n.expression, n.start_line, n.end_line, n.kind, n.source)
                    for n in found.notices
                ]
                if item.kind in (repository.PYTHON, repository.CODE) and text is not None:
                    header = extract_header(text, comment_syntax(path))
                    if header.lines:
                        region = (header.lines[0][0], header.lines[-1][0])
                        region_name = f"header lines {region[0]}-{region[1]}"
                    else:
                        region_name = "no header block"
                elif item.kind in (repository.LICENSE, repository.MANIFEST):
                    region = (1, max(len(lines), 1))
                    region_name = "whole file"
                else:
                    region_name = "model card front matter" if item.kind == repository.MODEL_CARD else "first code cell"
            result[path] = LintFile(path, item.kind, path in walked, read, notices, region, region_name, lines)
        # Licenses declared in manifests (pyproject.toml, setup.cfg) are lintml's answer for those files too.
        project = Project(files=list(walked.values()), facts=facts, knowledge=shipped_knowledge())
        for declared in project.declared_licenses:
            if declared.source == "license-file" or declared.path not in result or not declared.expression:
                continue
            line = declared.line or 0
            notice = LintNotice(
                license_ids(declared.expression), declared.expression, line, line, "declared", "manifest"
            )
            result[declared.path].notices.append(notice)
    finally:
        cache.close()
    return result, CountingCache.misses


# Causes of a difference, in the order they are reported.
NOT_WALKED = "not-walked"
NOT_READ = "not-read"
REFERENCE = "reference-resolved"
BEYOND_HEADER = "beyond-header"
HEADER_MISSED = "header-missed"
MERGED = "lintml-only: scancode merged it away"
OTHER_ID = "lintml-only: scancode read the same lines as another license"
SCANCODE_SILENT = "lintml-only: scancode found nothing there"
EXPRESSION_ONLY = "expression-only"

CAUSES: dict[str, str] = {
    NOT_WALKED: "File not tracked by git, so `lintml check` never lists it; scancode scans every file on disk.",
    NOT_READ: "File of a kind lintml does not read for license notices (documentation, data, configs); "
    "scancode reads every file.",
    REFERENCE: 'scancode followed a reference ("see the LICENSE file", a bare license intro) to another file and '
    "reports that file's license (the tree's root `LICENSE`, Apache-2.0) as this file's.",
    BEYOND_HEADER: "scancode matched a license further down the file (code comments, docstrings, URLs, strings) "
    "outside the header block lintml reads.",
    HEADER_MISSED: "scancode matched a license inside lintml's header block that lintml did not report.",
    MERGED: "lintml reports an id that scancode also matched on those lines, but scancode's file-level answer "
    "dropped it (an intro or reference folded into a neighbouring detection).",
    OTHER_ID: "lintml and scancode both matched the same lines but name different licenses.",
    SCANCODE_SILENT: "lintml reports a license where scancode matched nothing.",
    EXPRESSION_ONLY: "scancode's file-level expression names an id that none of its own matches carries.",
}


@dataclass
class Difference:
    path: str
    cause: str
    detail: str
    license_id: str


def code(text: str, limit: int = 90) -> str:
    """A line of a file as a markdown code span that cannot break a table."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = text.replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else "(empty line)"


def describe_match(match: ScanMatch, lint: LintFile | None) -> str:
    span = f"{match.start_line}" + (f"-{match.end_line}" if match.end_line != match.start_line else "")
    if match.from_file not in (None, lint.path if lint else None):
        shown = f"{match.from_file}:{span}"
    else:
        shown = f"line {span}" if match.end_line == match.start_line else f"lines {span}"
    text = ""
    if lint is not None and match.from_file in (None, lint.path):
        text = " " + code(lint.line(match.start_line))
    return f"{match.expression} at {shown} ({match.rule}, {match.matcher}){text}"


def describe_lintml(lint: LintFile) -> str:
    if not lint.notices:
        return f"lintml ({lint.region_name}): nothing"
    parts = [
        f"{notice.expression} at line {notice.start_line} ({notice.kind}, {notice.source})"
        for notice in sorted(lint.notices, key=lambda item: (item.start_line, item.expression))
    ]
    return f"lintml ({lint.region_name}): " + "; ".join(parts)


def in_region(match: ScanMatch, lint: LintFile) -> bool:
    if match.from_file not in (None, lint.path):
        return False
    if match.matcher == "1-spdx-id":
        return True  # lintml reads SPDX-License-Identifier tags anywhere in a file
    return lint.region is not None and lint.region[0] <= match.start_line <= lint.region[1]


def header_ids(scan: ScanFile, lint: LintFile) -> frozenset[str]:
    return frozenset(identifier for match in scan.matches if in_region(match, lint) for identifier in match.ids)


def explain(scan: ScanFile, lint: LintFile, lint_ids: frozenset[str], scan_ids: frozenset[str]) -> list[Difference]:
    """One Difference per id that only one side reports, with its cause."""
    found: list[Difference] = []
    lintml_said = describe_lintml(lint)
    for identifier in sorted(scan_ids - lint_ids):
        carriers = [match for match in scan.matches if identifier in match.ids]
        own = [match for match in carriers if match.from_file in (None, scan.path)]
        elsewhere = [match for match in carriers if match.from_file not in (None, scan.path)]
        if not lint.walked:
            cause, evidence = NOT_WALKED, carriers[:1]
        elif not lint.read:
            cause, evidence = NOT_READ, carriers[:1]
        elif any(in_region(match, lint) for match in own):
            cause, evidence = HEADER_MISSED, [match for match in own if in_region(match, lint)][:1]
        elif own:
            cause, evidence = BEYOND_HEADER, own[:1]
        elif elsewhere:
            references = [match for match in scan.own_matches() if not match.ids & lint_ids] or scan.own_matches()
            cause, evidence = REFERENCE, references[:1] + elsewhere[:1]
        else:
            cause, evidence = EXPRESSION_ONLY, []
        said = "; ".join(describe_match(match, lint) for match in evidence) or f"expression {scan.expression}"
        found.append(Difference(scan.path, cause, f"{lintml_said}. scancode: {said}", identifier))
    for identifier in sorted(lint_ids - scan_ids):
        notices = [notice for notice in lint.notices if identifier in notice.ids]
        first = min(notices, key=lambda notice: notice.start_line)
        overlapping = [
            match
            for match in scan.own_matches()
            if match.start_line <= first.end_line and first.start_line <= match.end_line
        ]
        if any(identifier in match.ids for match in overlapping):
            cause = MERGED
        elif overlapping:
            cause = OTHER_ID
        else:
            cause = SCANCODE_SILENT
        said = "; ".join(describe_match(match, lint) for match in overlapping[:2]) or "no match on those lines"
        at = f"line {first.start_line} {code(lint.line(first.start_line))}" if first.start_line else "file level"
        detail = (
            f"lintml: {first.expression} ({first.kind}, {first.source}) at {at}. "
            f"scancode answer: {scan.expression or 'nothing'}; on those lines: {said}"
        )
        found.append(Difference(scan.path, cause, detail, identifier))
    return found


@dataclass
class Tally:
    files: int = 0
    both_nothing: int = 0
    same: int = 0
    differ: int = 0

    def add(self, lint_ids: frozenset[str], scan_ids: frozenset[str]) -> None:
        self.files += 1
        if lint_ids == scan_ids:
            if lint_ids:
                self.same += 1
            else:
                self.both_nothing += 1
        else:
            self.differ += 1

    @property
    def agree(self) -> int:
        return self.both_nothing + self.same


@dataclass
class Agreement:
    scanned: int
    walked: int
    whole: dict[str, Tally]  # group -> tally, plus "all"
    header: dict[str, Tally]
    whole_differences: list[Difference]
    header_differences: list[Difference]
    kinds: Counter[str]
    id_counts: Counter[tuple[str, str]]  # (side, id) -> files
    scan_errors: int
    sources: Counter[str]  # where lintml's notices came from: spdx, table, scancode, manifest
    scancode_files: list[str]  # files where lintml needed scancode for a notice
    notes: list[str]  # agreeing by another route, clues
    recomputed: int = 0  # files whose facts were not in the cold run's cache


def group_of(lint: LintFile) -> str:
    if not lint.walked:
        return "not tracked by git"
    if not lint.read:
        return "not read by lintml (docs, data, other)"
    return {
        "python": "Python",
        "code": "other code (C/C++/CUDA, ...)",
        "license": "license files",
        "manifest": "manifests",
    }.get(lint.kind, lint.kind)


def compare(scan_files: dict[str, ScanFile], lint_files: dict[str, LintFile], walked: int, errors: int) -> Agreement:
    whole: dict[str, Tally] = {"all": Tally()}
    header: dict[str, Tally] = {"all": Tally()}
    whole_differences: list[Difference] = []
    header_differences: list[Difference] = []
    kinds: Counter[str] = Counter()
    id_counts: Counter[tuple[str, str]] = Counter()
    sources: Counter[str] = Counter(notice.source for lint in lint_files.values() for notice in lint.notices)
    scancode_files = sorted(
        path for path, lint in lint_files.items() if any(notice.source == "scancode" for notice in lint.notices)
    )
    for path in sorted(scan_files):
        scan, lint = scan_files[path], lint_files[path]
        group = group_of(lint)
        kinds[group] += 1
        lint_ids = lint.ids
        for identifier in scan.ids:
            id_counts[("scancode", identifier)] += 1
        for identifier in lint_ids:
            id_counts[("lintml", identifier)] += 1
        whole["all"].add(lint_ids, scan.ids)
        whole.setdefault(group, Tally()).add(lint_ids, scan.ids)
        if lint_ids != scan.ids:
            whole_differences.extend(explain(scan, lint, lint_ids, scan.ids))
        if lint.read:
            in_header = header_ids(scan, lint)
            header["all"].add(lint_ids, in_header)
            header.setdefault(group, Tally()).add(lint_ids, in_header)
            if lint_ids != in_header:
                expression = " AND ".join(sorted(in_header)) or None
                restricted = ScanFile(scan.path, expression, in_header, [m for m in scan.matches if in_region(m, lint)])
                header_differences.extend(explain(restricted, lint, lint_ids, in_header))
    return Agreement(
        len(scan_files),
        walked,
        whole,
        header,
        whole_differences,
        header_differences,
        kinds,
        id_counts,
        errors,
        sources,
        scancode_files,
        other_routes(scan_files, lint_files),
    )


def other_routes(scan_files: dict[str, ScanFile], lint_files: dict[str, LintFile]) -> list[str]:
    """What lies behind agreeing answers, and what scancode saw that is not part of its answer."""
    notes: list[str] = []
    resolved = [
        path for path in sorted(scan_files) if len(scan_files[path].own_matches()) < len(scan_files[path].matches)
    ]
    if resolved:
        agreeing = [path for path in resolved if scan_files[path].ids == lint_files[path].ids]
        notes.append(
            f"- **References resolved to another file**: in {len(resolved)} files scancode's answer includes a match "
            'taken from another file (it read a reference such as "see LICENSE" and added that file\'s license). '
            f"lintml agrees on {len(agreeing)} of them, because their header names the same license itself"
            + (
                f"; the other {len(resolved) - len(agreeing)} differ for the causes above"
                if len(agreeing) < len(resolved)
                else ""
            )
            + ". For example:"
        )
        for path in pick_paths(agreeing, EXAMPLES_PER_CATEGORY):
            scan, lint = scan_files[path], lint_files[path]
            own = "; ".join(describe_match(match, lint) for match in scan.own_matches()[:2])
            taken = next(match for match in scan.matches if match.from_file not in (None, path))
            notes.append(f"  - `{path}`: {describe_lintml(lint)}. scancode: {own}; plus {describe_match(taken, lint)}")
    read = [path for path in sorted(scan_files) if lint_files[path].read]
    deeper = [
        path
        for path in read
        if any(
            not in_region(match, lint_files[path]) and match.matcher != "1-spdx-id"
            for match in scan_files[path].own_matches()
        )
    ]
    if deeper:
        adding = [
            path
            for path in deeper
            if any(
                match.ids - lint_files[path].ids
                for match in scan_files[path].own_matches()
                if not in_region(match, lint_files[path])
            )
        ]
        notes.append(
            f"- **Matches below the header**: in {len(deeper)} of the files lintml reads, scancode also matched "
            f"licenses outside lintml's header region; in {len(deeper) - len(adding)} of them those matches name "
            f"only licenses the header already gave (in {len(adding)} they add one: the beyond-header differences "
            "above). For example:"
        )
        for path in pick_paths([path for path in deeper if path not in adding], EXAMPLES_PER_CATEGORY):
            scan, lint = scan_files[path], lint_files[path]
            below = [match for match in scan.own_matches() if not in_region(match, lint)]
            notes.append(f"  - `{path}`: {describe_lintml(lint)}. scancode below it: {describe_match(below[0], lint)}")
    clued = [path for path in sorted(scan_files) if scan_files[path].clues]
    if clued:
        notes.append(
            f"- **License clues**: scancode reports weak matches it calls clues in {len(clued)} file(s); they are "
            "not part of its answer, so they are not compared:"
        )
        for path in pick_paths(clued, EXAMPLES_PER_CATEGORY):
            clue = scan_files[path].clues[0]
            notes.append(f"  - `{path}`: {describe_match(clue, lint_files[path])}")
    return notes


def pick_paths(paths: Sequence[str], count: int) -> list[str]:
    """Up to ``count`` paths spread over the sorted list (from different parts of the tree)."""
    ordered = sorted(paths)
    if len(ordered) <= count:
        return ordered
    step = len(ordered) / count
    return [ordered[int(index * step)] for index in range(count)]


# ---------------------------------------------------------------------------------------
# Report


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def verdict(passed: bool) -> str:
    return "**pass**" if passed else "**FAIL**"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def tally_table(tallies: dict[str, Tally], first: str) -> list[str]:
    rows = [
        f"| {first} | files | both found nothing | same set of ids | differ | agree |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    order = ["all", *sorted(name for name in tallies if name != "all")]
    for name in order:
        tally = tallies[name]
        label = "**all**" if name == "all" else name
        rows.append(
            f"| {label} | {tally.files} | {tally.both_nothing} | {tally.same} | {tally.differ} | "
            f"{tally.agree} ({percent(tally.agree, tally.files)}) |"
        )
    return rows


def pick_examples(differences: list[Difference], count: int) -> list[Difference]:
    """Up to ``count`` examples, by path, preferring ids not shown yet (so the examples vary)."""
    chosen: list[Difference] = []
    seen_ids: set[str] = set()
    seen_paths: set[str] = set()
    for prefer_new in (True, False):
        for difference in sorted(differences, key=lambda item: (item.path, item.license_id)):
            if len(chosen) == count:
                return chosen
            if difference in chosen or difference.path in seen_paths:
                continue
            if prefer_new and difference.license_id in seen_ids:
                continue
            chosen.append(difference)
            seen_ids.add(difference.license_id)
            seen_paths.add(difference.path)
    return chosen


def differences_section(differences: list[Difference], differing_files: int) -> list[str]:
    if not differences:
        return ["No file differs.", ""]
    by_cause: dict[str, list[Difference]] = {}
    for difference in differences:
        by_cause.setdefault(difference.cause, []).append(difference)
    lines = [
        f"{differing_files} files differ. Each id that only one side reports is put down to one cause "
        "(a file can show more than one):",
        "",
        "| cause | files | ids involved (files) |",
        "|---|---:|---|",
    ]
    for cause in CAUSES:
        items = by_cause.get(cause, [])
        if not items:
            continue
        files = len({item.path for item in items})
        ids = Counter(item.license_id for item in items)
        top = ", ".join(f"{name} ({number})" for name, number in sorted(ids.items(), key=lambda kv: (-kv[1], kv[0])))
        if len(ids) > 6:
            top = (
                ", ".join(
                    f"{name} ({number})" for name, number in sorted(ids.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
                )
                + f", and {len(ids) - 6} more"
            )
        lines.append(f"| {cause} | {files} | {top} |")
    lines.append("")
    for cause, meaning in CAUSES.items():
        items = by_cause.get(cause, [])
        if not items:
            continue
        lines.append(f"**{cause}** ({len({item.path for item in items})} files). {meaning}")
        lines.append("")
        for example in pick_examples(items, EXAMPLES_PER_CATEGORY):
            lines.append(f"- `{example.path}` ({example.license_id}): {example.detail}")
        lines.append("")
    return lines


def write_results(
    output: Path,
    argv: Sequence[str],
    timings: Timings,
    scancode: ScancodeRun | None,
    agreement: Agreement | None,
    runs: tuple[int, int, int],
    file_count: int,
    revision: str,
    lintml_changed: bool,
    loads: dict[str, float],
) -> None:
    cold_runs, warm_runs, file_runs = runs
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        f"# lintml vs scancode on {PACKAGE} {VERSION}",
        "",
        f"Written by `benchmarks/bench_transformers.py` on {today}. Times are wall clock around each subprocess "
        "(interpreter start included); medians where a command ran more than once.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in machine(revision)),
        "",
        "## Command",
        "",
        "```",
        " ".join(shlex.quote(part) for part in ["python", *argv]),
        "```",
        "",
        f"The tree is the `{SDIST_NAME}` sdist (sha256 `{SDIST_SHA256}`), unpacked afresh and committed to a new git "
        f"repository ({file_count} tracked files), so lintml walks it through git. Commands timed:",
        "",
        f"- `{timings.cold.command}` with `LINTML_CACHE_DIR` set to a new empty folder for each of {cold_runs} run(s) "
        "(cold: lintml's facts cache empty; the OS page cache is warm, the tree was just unpacked);",
        f"- the same, {warm_runs} run(s) with the cache the first cold run filled (warm);",
        f"- `{timings.files.command}`, {file_runs} run(s), warm cache (the pre-commit case);",
    ]
    if scancode is not None and scancode.timing is not None:
        rerun = "re-run in this run" if scancode.rerun else "**not re-run**: " + scancode.origin
        lines.append(f"- `{scancode.timing.command}` (scancode: {rerun}).")
    else:
        lines.append("- scancode: not run and no earlier output given, so no scancode figures below.")
    if lintml_changed:
        lines += [
            "",
            "**Warning: lintml's code, data or rules changed while this run was timing it; run it again.**",
        ]
    lines += [
        "",
        "`SCANCODE_CACHE`/`SCANCODE_TEMP` point under `benchmarks/.work/bench/` for every command. "
        "Load average (1 minute) just before "
        + " and before ".join(f"{what}: {load:.2f}" for what, load in loads.items())
        + " (anything else running on the machine shows here, and slows what is timed).",
        "",
        "## Timings",
        "",
        "| what | runs | median | min | max | peak RSS | vs lintml cold |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    cold = timings.cold.median
    rows = [timings.cold, timings.warm, timings.files, timings.python_start, timings.lintml_version]
    if scancode is not None and scancode.timing is not None:
        rows.append(scancode.timing)
    for timing in rows:
        values = [run.seconds for run in timing.runs]
        rss = f"{timing.peak_rss_mb:.0f} MB" if timing.peak_rss_mb else "-"
        ratio = f"{timing.median / cold:.2f}×" if cold else "-"
        lines.append(
            f"| {timing.name} | {len(values)} | {seconds(timing.median)} | {seconds(min(values))} | "
            f"{seconds(max(values))} | {rss} | {ratio} |"
        )
    lines += [
        "",
        f"Findings: {timings.cold_report['findings']} (cold) and {timings.warm_report['findings']} (warm), "
        f"files checked: {timings.cold_report['files_checked']}. The cold run "
        + ("loaded" if timings.cold_loaded_index else "did not load")
        + " scancode's license index (lintml loads it, once, only for header blocks and license files its table "
        "of known notices cannot explain). Peak RSS is the largest resident set of the process and the children it "
        + (
            "waited for, each command's own (taken with GNU time)."
            if TIME_PROGRAM.is_file()
            else "waited for; a child starts from its parent's, so no figure is below the benchmark process's own "
            f"({timings.parent_rss_mb:.0f} MB)."
        ),
        "",
        "## Targets",
        "",
        "| target | measured | result |",
        "|---|---|---|",
    ]
    if scancode is not None and scancode.timing is not None:
        ratio = scancode.timing.median / cold
        lines.append(
            f"| cold full check at least {TARGET_COLD_RATIO:.0f}× faster than scancode | "
            f"{seconds(scancode.timing.median)} / {seconds(cold)} = {ratio:.1f}× | "
            f"{verdict(ratio >= TARGET_COLD_RATIO)} |"
        )
    else:
        lines.append(
            f"| cold full check at least {TARGET_COLD_RATIO:.0f}× faster than scancode | no scancode time | - |"
        )
    lines += [
        f"| warm full check ≤ {TARGET_WARM_SECONDS:.0f} s | {seconds(timings.warm.median)} | "
        f"{verdict(timings.warm.median <= TARGET_WARM_SECONDS)} |",
        f"| 3-file check ≤ {TARGET_FILES_SECONDS:.0f} s | {seconds(timings.files.median)} | "
        f"{verdict(timings.files.median <= TARGET_FILES_SECONDS)} |",
        "",
    ]
    if agreement is not None:
        lines += agreement_section(agreement)
    text = "\n".join(lines).rstrip("\n") + "\n"
    output.parent.mkdir(parents=True, exist_ok=True)
    # Sections other benchmarks wrote into the same file (provenance speed, clone accuracy) are kept.
    if output.exists():
        kept = sections_of(output.read_text(encoding="utf-8"))
        if kept:
            text = text.rstrip() + "\n\n" + "\n".join(kept)
    output.write_text(text, encoding="utf-8")


def agreement_section(agreement: Agreement) -> list[str]:
    whole = agreement.whole["all"]
    header = agreement.header["all"]
    lines = [
        "## Agreement with scancode, file by file",
        "",
        "For every file scancode reports, the set of SPDX ids (license and exception ids, expressions taken "
        "apart) in lintml's answer is compared with the set in scancode's. lintml's answer is what its fact "
        "extraction reports for the file (the notices in the header block, SPDX tags anywhere, and for manifests "
        "the license they declare), read through `lintml.facts.extract.FactExtractor` with the cache the cold run "
        "filled, so it is exactly what `lintml check` used.",
        "",
        f"scancode reports {agreement.scanned} files ({agreement.scan_errors} with scan errors); git tracks "
        f"{agreement.walked}. lintml's facts for them were read right after the timed runs, "
        + (
            "every one from the cache the cold run filled"
            if agreement.recomputed == 0
            else f"**{agreement.recomputed} of them not found in the cold run's cache and extracted again**"
        )
        + ". lintml's notices in them came from: "
        + ", ".join(f"{name} {count}" for name, count in sorted(agreement.sources.items()))
        + " (`table`: its shipped table of known notice texts; `scancode`: scancode's matcher, for the header "
        f"blocks the table could not explain, in {len(agreement.scancode_files)} files: "
        + ", ".join(f"`{path}`" for path in agreement.scancode_files)
        + ").",
        "",
        "### Whole file: lintml vs scancode's file-level answer",
        "",
        "scancode's answer is its `detected_license_expression_spdx`, from the whole file, with references "
        "to other files resolved.",
        "",
        *tally_table(agreement.whole, "kind of file"),
        "",
        f"Agreement: **{whole.agree}/{whole.files} files ({percent(whole.agree, whole.files)})**.",
        "",
        "### Header region: like for like",
        "",
        "lintml reads only the header block of a code file (the leading comments and docstring, up to the first "
        "code), SPDX tags anywhere, and license files and manifests whole. Here scancode's answer is the ids of "
        "its own matches (`license_detections[].matches[]`, not resolved through other files) that start inside "
        "that region, for the files lintml reads.",
        "",
        *tally_table(agreement.header, "kind of file (those lintml reads)"),
        "",
        f"Agreement: **{header.agree}/{header.files} files ({percent(header.agree, header.files)})**.",
        "",
        "### Differences explained: whole file",
        "",
        *differences_section(agreement.whole_differences, whole.differ),
        "### Differences explained: header region",
        "",
        *differences_section(agreement.header_differences, header.differ),
        "### Agreeing by another route, and what is not compared",
        "",
        *(agreement.notes or ["Nothing to add."]),
        "",
        "### Most frequent ids",
        "",
        "| id | files (lintml) | files (scancode, whole file) |",
        "|---|---:|---:|",
    ]
    ids = sorted({identifier for _, identifier in agreement.id_counts})
    ranked = sorted(
        ids,
        key=lambda name: (
            -max(agreement.id_counts[("lintml", name)], agreement.id_counts[("scancode", name)]),
            name,
        ),
    )
    for name in ranked[:15]:
        lines.append(
            f"| {name} | {agreement.id_counts[('lintml', name)]} | {agreement.id_counts[('scancode', name)]} |"
        )
    if len(ranked) > 15:
        lines.append(f"| ({len(ranked) - 15} more ids) | | |")
    lines.append("")
    return lines


# ---------------------------------------------------------------------------------------
# Main


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench_transformers.py")
    parser.add_argument("--skip-scancode", action="store_true", help="Do not run scancode; reuse an earlier output.")
    parser.add_argument(
        "--scancode-json",
        type=Path,
        metavar="PATH",
        help="Reuse this scancode JSON output instead of running scancode "
        f"(default with --skip-scancode or --quick: {DEFAULT_SCANCODE_JSON.relative_to(REPO_ROOT)}).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="For trying things: one run of each lintml command, scancode reused (never run), and the results "
        f"written to {QUICK_OUTPUT.relative_to(REPO_ROOT)} unless --output is given.",
    )
    parser.add_argument("--jobs", type=int, default=2, help="scancode -n (default 2).")
    parser.add_argument("--cold-runs", type=int, default=None, help="Cold lintml runs (default 3; 1 with --quick).")
    parser.add_argument("--warm-runs", type=int, default=None, help="Warm lintml runs (default 3; 1 with --quick).")
    parser.add_argument("--file-runs", type=int, default=None, help="3-file lintml runs (default 5; 1 with --quick).")
    parser.add_argument(
        "--output", type=Path, default=None, help="Markdown results file (default benchmarks/RESULTS.md)."
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    quick = arguments.quick
    cold_runs = arguments.cold_runs or (1 if quick else 3)
    warm_runs = arguments.warm_runs or (1 if quick else 3)
    file_runs = arguments.file_runs or (1 if quick else 5)
    output: Path = arguments.output or (QUICK_OUTPUT if quick else DEFAULT_OUTPUT)
    executable("lintml")
    executable("scancode")

    tarball = fetch_sdist(WORK_DIR)
    run_dir = BENCH_DIR / "run"
    if run_dir.exists():
        shutil.rmtree(run_dir)
    tree = unpack_tree(tarball, run_dir / "tree")
    files = tracked_files(tree)
    log(f"unpacked and committed {len(files)} files in {tree.relative_to(REPO_ROOT)}")
    env = base_environment(BENCH_DIR)
    # lintml's scancode adapter reads these when it is imported in this process.
    os.environ["SCANCODE_CACHE"] = env["SCANCODE_CACHE"]
    os.environ["SCANCODE_TEMP"] = env["SCANCODE_TEMP"]

    fingerprint = lintml_fingerprint()
    revision = lintml_revision()
    loads = {"the lintml runs": os.getloadavg()[0]}
    timings = time_lintml(tree, run_dir, env, cold_runs, warm_runs, file_runs)
    # lintml's own answers are read now, before scancode's long run, so they come from the same lintml.
    log("reading lintml's per-file facts")
    lint_files, recomputed = lintml_facts(tree, disk_files(tree), timings.cold_cache)
    changed = lintml_fingerprint() != fingerprint
    if changed or recomputed:
        log(f"warning: lintml changed during the run ({recomputed} files' facts not in the cold run's cache)")

    scancode: ScancodeRun | None = None
    if arguments.scancode_json is not None:
        scancode = reuse_scancode(arguments.scancode_json.resolve())
    elif arguments.skip_scancode or quick:
        if DEFAULT_SCANCODE_JSON.is_file():
            scancode = reuse_scancode(DEFAULT_SCANCODE_JSON)
        else:
            log(f"no earlier scancode output at {DEFAULT_SCANCODE_JSON}: scancode figures left out")
    else:
        loads["scancode"] = os.getloadavg()[0]
        scancode = run_scancode(tree, env, DEFAULT_SCANCODE_JSON, arguments.jobs)

    agreement: Agreement | None = None
    if scancode is not None:
        log("comparing per-file licenses")
        scan_files, errors = load_scancode(scancode.json_path)
        missing = sorted(path for path in scan_files if path not in lint_files)
        if missing:
            raise SystemExit(f"{scancode.json_path} lists {len(missing)} files not in the tree, e.g. {missing[0]}")
        agreement = compare(scan_files, {path: lint_files[path] for path in scan_files}, len(files), errors)
        agreement.recomputed = recomputed

    shown_argv = [Path(sys.argv[0]).as_posix() if argv is None else "benchmarks/bench_transformers.py"]
    shown_argv += list(sys.argv[1:] if argv is None else argv)
    write_results(
        output,
        shown_argv,
        timings,
        scancode,
        agreement,
        (cold_runs, warm_runs, file_runs),
        len(files),
        revision,
        changed,
        loads,
    )
    log(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
