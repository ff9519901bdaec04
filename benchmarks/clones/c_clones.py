"""The clone benchmark's C part: C, C++, CUDA, Objective-C and Metal copies of ggml, flash-attention,
whisper.cpp and llama2.c, and negatives from PyPI sdists that carry C and C++.

Run through ``bench_clones.py --language c`` (or ``--language all``, the default, after the Python
part). It needs the upstream snapshot folder (``--upstreams``; the archives' sha256 are checked
against ``pins.toml`` and the folder's ``manifest.json``) and network access to PyPI on the
first run (the negatives' sdists and clang-format, pinned). Writes its section of
``benchmarks/RESULTS.md`` between ``<!-- clones-c:start -->`` and ``<!-- clones-c:end -->`` and
``benchmarks/.work/clones/results-c.json``.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import bench_clones as common
from c_transform import (
    C_SUFFIXES,
    DESCRIPTIONS,
    LANGUAGES,
    TRANSFORMATIONS,
    Copy,
    CUpstream,
    Dropped,
    code_measure,
    make_copies,
    normalised,
    tokens,
)
from common import lintml_fingerprint, sha256_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

WORK_DIR = common.WORK_DIR / "c"
MARK_START = "<!-- clones-c:start -->"
MARK_END = "<!-- clones-c:end -->"
FULL_FILES = 240
QUICK_FILES = 40
QUICK_NEGATIVES = 500
FILLER_FILES = 60  # negative files set aside to give T7 its inserted statements
MIN_TOKENS = 60
MIN_LINES = 15
EXCLUDED_PARTS = frozenset(
    {"tests", "test", "testing", "docs", "doc", "third_party", "third-party", "thirdparty", "vendor", "external"}
)
TARGETS = {"T0": 0.97, "T1": 0.97, "T2": 0.97, "T3": 0.97, "T4": 0.97, "T5": 0.90, "T7": 0.90}
TARGET_FP_PER_1000 = 1.0
SEVERITY_ORDER = ("info", "warning", "error")
RARE_LANGUAGES = (".m", ".mm", ".metal")  # few files upstream: all of them go into the sample

log = common.log


@dataclass(frozen=True)
class CUpstreamPin:
    name: str
    archive: str
    sha256: str
    license: str
    exclude: tuple[str, ...]

    @property
    def version(self) -> str:
        return self.archive.rsplit("@", 1)[1].removesuffix(".tar.gz")


@dataclass(frozen=True)
class CPins:
    upstreams: list[CUpstreamPin]
    negatives: list[common.Project]
    reformatter: str
    reformatter_version: str


def load_pins(path: Path = common.PINS) -> CPins:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    upstreams = [
        CUpstreamPin(item["name"], item["archive"], item["sha256"], item["license"], tuple(item.get("exclude", ())))
        for item in data["c_upstream"]
    ]
    negatives = [
        common.Project(item["name"], item["version"], item["sha256"], item["license"], "negative")
        for item in data["c_negative"]
    ]
    return CPins(upstreams, negatives, data["c_reformatter"]["name"], data["c_reformatter"]["version"])


def default_upstreams() -> Path:
    """``shared/upstreams`` beside the main work tree (this checkout may be a linked worktree)."""
    try:
        common_dir = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=common.REPO_ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        main_tree = Path(common_dir).parent
    except (OSError, subprocess.CalledProcessError):
        main_tree = common.REPO_ROOT
    return main_tree.parent / "shared" / "upstreams"


def snapshot(pin: CUpstreamPin, folder: Path) -> Path:
    """The verified archive, unpacked once under the work folder, a git repository of its own."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {entry["archive"]: entry["sha256"] for entry in manifest}
    if listed.get(pin.archive) != pin.sha256:
        raise SystemExit(
            f"{pin.archive}: {folder}/manifest.json says {listed.get(pin.archive)}, pins.toml {pin.sha256}"
        )
    archive = folder / "snapshots" / pin.archive
    actual = sha256_of(archive)
    if actual != pin.sha256:
        raise SystemExit(f"{archive}: sha256 {actual} is not the pinned {pin.sha256}")
    sources = WORK_DIR / "upstreams"
    root = sources / pin.archive.removesuffix(".tar.gz")
    marker = sources / f".{root.name}.unpacked"
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == pin.sha256 and root.is_dir():
        return root
    sources.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=sources, prefix=".unpack-") as temporary:
        with tarfile.open(archive) as opened:
            opened.extractall(temporary, filter="data")
        tops = list(Path(temporary).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise SystemExit(f"{archive}: expected one top folder")
        if root.exists():
            shutil.rmtree(root)
        tops[0].rename(root)
    common.commit_tree(root, f"{pin.archive} snapshot")
    marker.write_text(pin.sha256 + "\n", encoding="utf-8")
    return root


def c_files(root: Path) -> list[str]:
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.suffix in C_SUFFIXES and path.is_file() and ".git" not in path.relative_to(root).parts
    )


def excluded(path: str, patterns: Sequence[str]) -> bool:
    return any(path.startswith(pattern) for pattern in patterns)


def reformatter(pins: CPins) -> Path:
    """clang-format from PyPI, pinned, in a virtualenv of its own (never a lintml dependency)."""
    venv = common.WORK_DIR / f"{pins.reformatter}-venv"
    executable = venv / "bin" / "clang-format"
    if executable.is_file():
        process = subprocess.run([str(executable), "--version"], capture_output=True, text=True)
        if process.returncode == 0 and f"version {pins.reformatter_version}" in process.stdout:
            return executable
        shutil.rmtree(venv)
    common.make_virtualenv(venv, f"{pins.reformatter}=={pins.reformatter_version}")
    return executable


def read_text(path: Path) -> str | None:
    """A UTF-8 source file with Windows line ends made plain; None when it is not text."""
    text = common.read_source(path)
    return None if text is None else text.replace("\r\n", "\n")


@dataclass
class Material:
    upstream_roots: dict[str, Path]
    negative_roots: dict[str, Path]
    upstream_files: dict[str, list[str]]
    eligible: list[CUpstream]
    ineligible: Counter[str]
    fillers: dict[str, str]
    negatives: list[tuple[str, str]]


def gather(pins: CPins, upstream_folder: Path, seed: int) -> Material:
    upstream_roots = {pin.name: snapshot(pin, upstream_folder) for pin in pins.upstreams}
    negative_roots = {
        project.name: common.unpack(project, common.fetch(project, common.WORK_DIR / "sdists"), common.WORK_DIR / "src")
        for project in pins.negatives
    }
    upstream_files: dict[str, list[str]] = {}
    eligible: list[CUpstream] = []
    ineligible: Counter[str] = Counter()
    seen: set[str] = set()
    for pin in pins.upstreams:
        root = upstream_roots[pin.name]
        files = [path for path in c_files(root) if not excluded(path, pin.exclude)]
        upstream_files[pin.name] = files
        for path in files:
            if set(path.split("/")[:-1]) & EXCLUDED_PARTS:
                ineligible["tests, docs or vendored code"] += 1
                continue
            text = read_text(root / path)
            if text is None:
                ineligible["not UTF-8"] += 1
                continue
            lexed = tokens(path, text)
            count, lines = code_measure(path, text, lexed)
            if count < MIN_TOKENS or lines < MIN_LINES:
                ineligible[f"under {MIN_TOKENS} code tokens or {MIN_LINES} lines of code"] += 1
                continue
            fingerprint = hashlib.sha256("\0".join(normalised(path, text, lexed)).encode()).hexdigest()
            if fingerprint in seen:
                ineligible["same normalised code as another upstream file"] += 1
                continue
            seen.add(fingerprint)
            eligible.append(CUpstream(pin.name, path, text))
    eligible.sort(key=lambda item: item.key)
    random.Random(f"{seed}/c-sample").shuffle(eligible)
    # the few Objective-C and Metal files first, so that a sample of any size has them
    eligible.sort(key=lambda item: PurePosixPath(item.path).suffix not in RARE_LANGUAGES)

    pool = [(name, path) for name, root in negative_roots.items() for path in c_files(root)]
    order = list(pool)
    random.Random(f"{seed}/c-fillers").shuffle(order)
    fillers: dict[str, str] = {}
    for name, path in order:
        if len(fillers) >= FILLER_FILES:
            break
        text = read_text(negative_roots[name] / path)
        if text is not None and code_measure(path, text)[0] >= 4 * MIN_TOKENS:
            fillers[f"{name}/{path}"] = text
    negatives = [(name, path) for name, path in pool if f"{name}/{path}" not in fillers]
    return Material(upstream_roots, negative_roots, upstream_files, eligible, ineligible, fillers, negatives)


@dataclass
class Record:
    transformation: str
    local: str
    project: str
    upstream_path: str
    renames: dict[str, str]
    note: str


def local_name(index: int, upstream: CUpstream) -> str:
    path = PurePosixPath(upstream.path)
    return f"src/{index:04d}_{path.stem}{path.suffix}"


def write_trees(
    run_dir: Path, sample: Sequence[CUpstream], copies: dict[str, dict[str, Copy | Dropped]]
) -> tuple[dict[str, list[Record]], dict[str, Counter[str]], list[str]]:
    records: dict[str, list[Record]] = {}
    dropped: dict[str, Counter[str]] = {}
    problems: list[str] = []
    for transformation in TRANSFORMATIONS:
        tree = run_dir / "trees" / transformation
        tree.mkdir(parents=True)
        records[transformation], dropped[transformation] = [], Counter()
        for index, upstream in enumerate(sample):
            copy = copies[transformation][upstream.key]
            if isinstance(copy, Dropped):
                dropped[transformation][str(copy)] += 1
                continue
            local = local_name(index, upstream)
            (tree / local).parent.mkdir(parents=True, exist_ok=True)
            (tree / local).write_text(copy.source, encoding="utf-8")
            records[transformation].append(
                Record(transformation, local, upstream.project, upstream.path, copy.renames, copy.note)
            )
            # the self-test: reformatting and renaming keep the code's normalised tokens
            if transformation in ("T1", "T3", "T4") and normalised(local, copy.source) != normalised(
                upstream.path, upstream.text
            ):
                problems.append(f"{transformation} {upstream.key}: normalised tokens changed")
        common.commit_tree(tree, f"{transformation}: {DESCRIPTIONS[transformation]}")
    return records, dropped, problems


def build_index(pins: CPins, material: Material, index: Path, env: dict[str, str]) -> list[common.CommandRun]:
    if index.exists():
        index.unlink()
    runs = []
    for pin in pins.upstreams:
        command = [
            str(common.lintml_executable()),
            "index",
            "add",
            pin.name,
            str(material.upstream_roots[pin.name]),
            "--index",
            str(index),
            "--license",
            pin.license,
            "--version",
            pin.version,
        ]
        for pattern in pin.exclude:
            command += ["--exclude", pattern]
        log(f"lintml index add {pin.name}")
        run = common.run_command(command, env)
        log(f"  {run.seconds:.1f} s, exit {run.exit_code}")
        if run.exit_code != 0:
            raise SystemExit(f"`{' '.join(command)}` exited with {run.exit_code}:\n{run.output}")
        runs.append(run)
    return runs


def language(path: str) -> str:
    return LANGUAGES[PurePosixPath(path).suffix]


def shingles(path: str, text: str, size: int = 8) -> set[tuple[str, ...]]:
    symbols = normalised(path, text)
    return {tuple(symbols[i : i + size]) for i in range(len(symbols) - size + 1)}


def score(
    records: dict[str, list[Record]], checks: dict[str, common.CheckRun], material: Material
) -> tuple[dict[str, Any], dict[str, Counter[str]], list[dict[str, Any]]]:
    per_transformation: dict[str, Any] = {}
    per_language: dict[str, Counter[str]] = {}
    details: list[dict[str, Any]] = []
    for transformation, items in records.items():
        check = checks[transformation]
        found = project_only = near_duplicate = other = 0
        misses: list[str] = []
        for record in items:
            findings = check.findings.get(record.local, [])
            right = [
                finding
                for finding in findings
                if finding["upstream"].get("name") == record.project
                and finding["upstream"].get("path") == record.upstream_path
            ]
            counts = per_language.setdefault(language(record.upstream_path), Counter())
            counts[f"{transformation}_n"] += 1
            detail = {
                "transformation": transformation,
                "local": record.local,
                "upstream": f"{record.project}:{record.upstream_path}",
                "lintml": common.describe_findings(findings),
                "found": bool(right),
                "note": record.note,
            }
            if right:
                found += 1
                counts[f"{transformation}_found"] += 1
            elif any(finding["upstream"].get("name") == record.project for finding in findings):
                project_only += 1
                root = material.upstream_roots[record.project]
                mine = shingles(record.upstream_path, read_text(root / record.upstream_path) or "")
                for finding in findings:
                    other_path = str(finding["upstream"].get("path"))
                    theirs = shingles(other_path, read_text(root / other_path) or "")
                    if mine and theirs and len(mine & theirs) / len(mine | theirs) >= common.NEAR_DUPLICATE:
                        near_duplicate += 1
                        detail["near_duplicate"] = True
                        break
            elif findings:
                other += 1
            if not right and len(misses) < common.MISSES_SHOWN:
                note = record.note or "no note"
                misses.append(f"`{record.local}` ({detail['upstream']}; {note}): {detail['lintml']}")
            details.append(detail)
        n = len(items)
        per_transformation[transformation] = {
            "n": n,
            "found": found,
            "recall": found / n if n else None,
            "project_only": project_only,
            "near_duplicate": near_duplicate,
            "recall_near_duplicates": (found + near_duplicate) / n if n else None,
            "other_upstream": other,
            "seconds": check.run.seconds,
            "misses": misses,
            "pass": None if not n or check.error else found / n >= TARGETS[transformation],
        }
    return per_transformation, per_language, details


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "## Clone detection in C, C++, CUDA, Objective-C and Metal",
        "",
        f"Written by `benchmarks/clones/bench_clones.py --language c` on {results['date']} "
        "([benchmarks/clones/README.md](clones/README.md#the-c-part) says what it does). The same evidence rules "
        "as for Python; the Python table is above.",
        "",
        "```sh",
        results["command"],
        "```",
        "",
        "Machine: "
        + ", ".join(f"{key} {value}" for key, value in results["machine"].items())
        + f"; lintml {results['lintml']}; clang-format {results['clang_format']}; seed {results['seed']}.",
        "",
        "Upstreams (indexed whole, `lintml index add`): "
        + "; ".join(
            f"{item['name']} `{item['archive']}` ({item['license']}, {item['files']} C-family files"
            + (f", {', '.join(item['exclude'])} left out" if item["exclude"] else "")
            + f", {item['sampled']} sampled)"
            for item in results["upstreams"]
        )
        + ". Negatives: "
        + "; ".join(
            f"{item['name']} {item['version']} ({item['negatives']} files)" for item in results["negative_projects"]
        )
        + f". Sample: {results['sample']['files']} of {results['sample']['eligible']} eligible upstream files "
        f"(at least {MIN_TOKENS} code tokens on {MIN_LINES} lines, one per distinct normalised token stream; "
        "all Objective-C and Metal files first).",
        "",
        "| | what was done to the upstream file | copies | lintml found (right file) | recall | "
        "+ near-duplicate upstream file | target | | `lintml check` |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, row in results["transformations"].items():
        dropped = sum(row["dropped"].values())
        lines.append(
            f"| {name} | {DESCRIPTIONS[name]}"
            + (f" ({dropped} dropped)" if dropped else "")
            + f" | {row['n']} | {row['found']} | {common.ratio(row['recall'])} | "
            f"{common.ratio(row['recall_near_duplicates'])} | ≥ {TARGETS[name]:.2f} | {common.verdict(row['pass'])} | "
            f"{common.seconds(row['seconds'])} |"
        )
    negatives = results["negatives"]
    lines += [
        "",
        "| negatives | files | with a provenance finding | per 1,000 | target | | `lintml check` |",
        "|---|---:|---:|---:|---:|---|---:|",
        f"| C/C++ files of the negative projects | {negatives['files']} | {negatives['fp']} | "
        f"{negatives['per_1000']:.2f} | ≤ {TARGET_FP_PER_1000:.0f} | {common.verdict(negatives['pass'])} | "
        f"{common.seconds(negatives['seconds'])} |",
        "",
        "A false positive is a negative with any provenance finding, whatever its severity (as in the Python "
        "part); by the most severe finding on each: "
        + (", ".join(f"{count} {name}" for name, count in sorted(negatives.get("by_severity", {}).items())) or "none")
        + ".",
        "",
        "Recall by language (found / copies, all transformations):",
        "",
        "| language | " + " | ".join(TRANSFORMATIONS) + " |",
        "|---|" + "---:|" * len(TRANSFORMATIONS),
    ]
    for language_name, counts in sorted(results["languages"].items()):
        cells = [
            f"{counts.get(f'{name}_found', 0)}/{counts[f'{name}_n']}" if counts.get(f"{name}_n") else "-"
            for name in TRANSFORMATIONS
        ]
        lines.append(f"| {language_name} | " + " | ".join(cells) + " |")
    dropped_notes = [
        f"{name}: " + ", ".join(f"{count} {reason}" for reason, count in row["dropped"].items())
        for name, row in results["transformations"].items()
        if row["dropped"]
    ]
    if dropped_notes:
        lines += ["", "Dropped copies (the transformation does not apply): " + "; ".join(dropped_notes) + "."]
    index_runs = "; ".join(f"{row['what']} {common.seconds(row['seconds'])}" for row in results["index_runs"])
    lines += ["", f"Index: {index_runs}."]
    misses = [(name, miss) for name, row in results["transformations"].items() for miss in row["misses"]]
    if misses:
        lines += ["", "<details><summary>Misses (first few per transformation)</summary>", ""]
        lines += [f"- {name}: {miss}" for name, miss in misses]
        lines += ["", "</details>"]
    if negatives["examples"]:
        lines += ["", "False positives: " + "; ".join(negatives["examples"])]
    if results["problems"]:
        shown = results["problems"][: 2 * common.MISSES_SHOWN]
        more = len(results["problems"]) - len(shown)
        lines += ["", "Problems: " + "; ".join(shown) + (f"; and {more} more (results-c.json)" if more else "")]
    return "\n".join(lines) + "\n"


def main(arguments: Any, command: str) -> int:
    quick: bool = arguments.quick
    files = arguments.files or (QUICK_FILES if quick else FULL_FILES)
    seed: int = arguments.seed
    upstream_folder: Path = arguments.upstreams or default_upstreams()
    if not (upstream_folder / "manifest.json").is_file():
        raise SystemExit(f"{upstream_folder}: no manifest.json; pass the upstream snapshot folder with --upstreams")
    output = arguments.output or (WORK_DIR / "RESULTS-quick.md" if quick else common.RESULTS_MD)
    pins = load_pins()
    clang_format = reformatter(pins)
    clang_version = subprocess.run([str(clang_format), "--version"], capture_output=True, text=True).stdout.strip()
    material = gather(pins, upstream_folder, seed)
    sample = material.eligible[:files]
    wanted = arguments.negatives or (QUICK_NEGATIVES if quick else None)
    negatives = common.sampled_negatives(material.negatives, wanted, f"{seed}/c-negatives")
    log(f"C sample: {len(sample)} of {len(material.eligible)} eligible; {len(negatives)} negatives")

    run_dir = common.fresh_run_dir(WORK_DIR, quick)
    start = time.perf_counter()
    copies = make_copies(sample, seed, clang_format, material.fillers, MIN_TOKENS, progress=log)
    log(f"C transformations: {time.perf_counter() - start:.1f} s")
    records, dropped, problems = write_trees(run_dir, sample, copies)
    negative_tree = common.write_negative_tree(run_dir, material.negative_roots, negatives)
    manifest = {name: [record.__dict__ for record in items] for name, items in records.items()}
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")

    fingerprint = lintml_fingerprint()
    env = common.lintml_environment(run_dir)
    index = run_dir / "index.sqlite"
    index_runs = build_index(pins, material, index, env)
    checks, negative_check = common.check_trees(
        run_dir, TRANSFORMATIONS, negative_tree, index, env, fingerprint, problems
    )
    for check in [*checks.values(), negative_check]:
        if check.error:
            problems.append(f"lintml check {check.name}: {check.error}")

    per_transformation, per_language, details = score(records, checks, material)
    (run_dir / "details.json").write_text(json.dumps(details, indent=1) + "\n", encoding="utf-8")
    for name in TRANSFORMATIONS:
        per_transformation[name]["dropped"] = dict(dropped[name])
    fp = len(negative_check.findings)
    severities = Counter(
        max((finding.get("severity", "info") for finding in findings), key=SEVERITY_ORDER.index)
        for findings in negative_check.findings.values()
    )
    per_1000 = 1000 * fp / len(negatives) if negatives else 0.0
    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "command": command,
        "seed": seed,
        "machine": common.machine(),
        "lintml": common.lintml_revision(),
        "clang_format": clang_version.split("version", 1)[-1].strip() or pins.reformatter_version,
        "upstreams": [
            {
                "name": pin.name,
                "archive": pin.archive,
                "license": pin.license,
                "exclude": list(pin.exclude),
                "files": len(material.upstream_files[pin.name]),
                "sampled": sum(1 for item in sample if item.project == pin.name),
            }
            for pin in pins.upstreams
        ],
        "negative_projects": [
            {
                "name": project.name,
                "version": project.version,
                "sha256": project.sha256,
                "negatives": sum(1 for name, _ in negatives if name == project.name),
            }
            for project in pins.negatives
        ],
        "sample": {"files": len(sample), "eligible": len(material.eligible), "ineligible": dict(material.ineligible)},
        "transformations": per_transformation,
        "languages": {name: dict(counts) for name, counts in per_language.items()},
        "negatives": {
            "files": len(negatives),
            "fp": fp,
            "per_1000": per_1000,
            "by_severity": dict(severities),
            "pass": per_1000 <= TARGET_FP_PER_1000 and negative_check.error is None,
            "seconds": negative_check.run.seconds,
            "examples": [
                f"`{path}` -> {common.describe_findings(findings)}"
                for path, findings in sorted(negative_check.findings.items())[: common.MISSES_SHOWN]
            ],
        },
        "index_runs": [
            {"what": f"`lintml index add {pin.name}`", "seconds": run.seconds}
            for pin, run in zip(pins.upstreams, index_runs, strict=True)
        ],
        "problems": problems,
        "run_dir": str(run_dir.relative_to(common.REPO_ROOT)),
    }
    results_json = common.WORK_DIR / ("results-c-quick.json" if quick else "results-c.json")
    results_json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    if quick and arguments.output is None:
        output.write_text(markdown(results), encoding="utf-8")
    else:
        common.write_section(output, markdown(results), (MARK_START, MARK_END), after=common.MARK_END)
    log(f"wrote {output} and {results_json}")
    for problem in problems[:20]:
        log(f"problem: {problem}")
    return 0
