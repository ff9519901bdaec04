"""Clone benchmark: does lintml find copied code after reformatting, renaming and restructuring?

Built from real code that is not in lintml's default catalog (``pins.toml``):

1. downloads the pinned sdists (``pip download --no-deps --no-binary :all:``), checks their
   sha256 and unpacks them (``tarfile`` with ``filter="data"``) under
   ``benchmarks/.work/clones/``;
2. adds every upstream project (kornia, torchmetrics, torchgeo) to a fresh test index with
   ``lintml index add``;
3. picks a seeded sample of the upstreams' library files (at least 60 code tokens and 15
   lines of code, imports aside) and writes one tree of copies per transformation
   (``transform.py``): T0 verbatim, T1 reformatted, T2 comments and docstrings removed, T3
   every defined name renamed, T4 all three, T5 ~40% of the top-level definitions inside other
   real code, T6 top-level definitions reordered, T7 T3 plus ~15% of statements edited;
4. writes a tree of negatives: every Python file of the negative projects (django, networkx,
   sympy), less a few set aside as filler for T5 and T7;
5. runs ``lintml check TREE --index INDEX --no-catalog --select provenance --format json`` on
   each tree (timed), and copydetect, the plagiarism detector, on the same pairs and
   negatives (``peer_copydetect.py``, in a virtualenv of its own);
6. measures file-level recall per transformation, false positives per 1,000 negatives and
   the accuracy of lintml's rename maps on T3, and writes them to ``benchmarks/RESULTS.md``
   (between ``<!-- clones:start -->`` and ``<!-- clones:end -->``) and
   ``benchmarks/.work/clones/results.json``.

Run it from the repository root with the virtualenv's python::

    python benchmarks/clones/bench_clones.py           # 240 files per transformation, all negatives
    python benchmarks/clones/bench_clones.py --quick   # 40 files, 500 negatives
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

CLONES_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(CLONES_DIR))  # transform.py and rename.py live beside this script
sys.path.insert(1, str(CLONES_DIR.parent))  # and the transformers benchmark's helpers one folder up

import libcst as cst  # noqa: E402
from common import lintml_fingerprint, logger, pinned_sdist  # noqa: E402
from common import lintml_revision as checkout_revision  # noqa: E402
from common import machine as machine_facts  # noqa: E402
from rename import interface_names  # noqa: E402
from transform import (  # noqa: E402
    DESCRIPTIONS,
    TRANSFORMATIONS,
    Copy,
    Dropped,
    Filler,
    Upstream,
    code_tokens,
    compiles,
    import_lines,
    make_copies,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - lintml supports 3.10, where tomli stands in
    import tomli as tomllib

REPO_ROOT = CLONES_DIR.parent.parent
WORK_DIR = REPO_ROOT / "benchmarks" / ".work" / "clones"
log = logger("clones")
PINS = CLONES_DIR / "pins.toml"
RESULTS_MD = REPO_ROOT / "benchmarks" / "RESULTS.md"
QUICK_OUTPUT = WORK_DIR / "RESULTS-quick.md"
MARK_START = "<!-- clones:start -->"
MARK_END = "<!-- clones:end -->"

SEED = 20241121
MIN_TOKENS = 60  # code tokens (no comments, docstrings, layout or imports) for a file to be sampled
MIN_LINES = 15
FULL_FILES = 240
QUICK_FILES = 40
QUICK_NEGATIVES = 500
FILLER_FILES = 120  # negative files set aside for T5's surrounding code and T7's inserted statements
EXCLUDED_PARTS = frozenset({"tests", "test", "testing", "docs", "doc", "benchmarks", "benchmark", "examples"})
EXCLUDED_NAMES = frozenset({"setup.py", "conftest.py"})
TARGETS = {"T0": 0.97, "T1": 0.97, "T2": 0.97, "T3": 0.97, "T4": 0.97, "T5": 0.90, "T6": 0.97, "T7": 0.90}
TARGET_FP_PER_1000 = 1.0
TARGET_RENAMES = 0.90
MISSES_SHOWN = 5


# ---------------------------------------------------------------------------------------
# The pinned projects


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    sha256: str
    license: str
    role: str  # "upstream" or "negative"

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True)
class Pins:
    upstreams: list[Project]
    negatives: list[Project]
    peer: str
    peer_version: str


def load_pins(path: Path = PINS) -> Pins:
    data = tomllib.loads(path.read_text(encoding="utf-8"))

    def projects(role: str) -> list[Project]:
        return [Project(item["name"], item["version"], item["sha256"], item["license"], role) for item in data[role]]

    return Pins(projects("upstream"), projects("negative"), data["peer"]["name"], data["peer"]["version"])


def fetch(project: Project, folder: Path) -> Path:
    """The verified sdist, downloaded with pip unless a good one is already in ``folder``."""
    return pinned_sdist(project.name, project.version, project.sha256, folder, log)


def unpack(project: Project, tarball: Path, folder: Path) -> Path:
    """The sdist's top folder, unpacked once (a marker file remembers the tarball it came from)."""
    marker = folder / f".{project.name}-{project.version}.unpacked"
    if marker.is_file():
        root = folder / marker.read_text(encoding="utf-8").split("\n")[1]
        if marker.read_text(encoding="utf-8").split("\n")[0] == project.sha256 and root.is_dir():
            return root
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".unpack-") as temporary:
        with tarfile.open(tarball) as archive:
            archive.extractall(temporary, filter="data")
        tops = [entry for entry in Path(temporary).iterdir()]
        if len(tops) != 1 or not tops[0].is_dir():
            raise SystemExit(f"{tarball}: expected one top folder, found {[entry.name for entry in tops]}")
        root = folder / tops[0].name
        if root.exists():
            shutil.rmtree(root)
        tops[0].rename(root)
    marker.write_text(f"{project.sha256}\n{root.name}\n", encoding="utf-8")
    return root


def python_files(root: Path) -> list[str]:
    """Every ``.py`` file under ``root`` (no symlinks), as sorted POSIX paths relative to it."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders.sort()
        for name in names:
            path = Path(folder, name)
            if name.endswith(".py") and path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return sorted(found)


def read_source(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (UnicodeDecodeError, OSError):
        return None


# ---------------------------------------------------------------------------------------
# The sample, the fillers and the negatives


@dataclass
class Material:
    upstream_roots: dict[str, Path]
    negative_roots: dict[str, Path]
    upstream_files: dict[str, list[str]]  # project -> every .py file (all go into the index)
    eligible: list[Upstream]  # sampled from, in a seeded order
    ineligible: Counter[str]
    fillers: list[Filler]
    negatives: list[tuple[str, str]]  # (project, path) not set aside as filler
    undecodable_negatives: int


def library_file(path: str) -> bool:
    parts = path.split("/")
    return not (set(parts[:-1]) & EXCLUDED_PARTS) and parts[-1] not in EXCLUDED_NAMES


def gather(pins: Pins, seed: int) -> Material:
    sdists = WORK_DIR / "sdists"
    sources = WORK_DIR / "src"
    upstream_roots = {project.name: unpack(project, fetch(project, sdists), sources) for project in pins.upstreams}
    for project in pins.upstreams:
        # lintml lists a folder's files through git when the folder is inside a git work tree,
        # and this one is inside lintml's own checkout, where benchmarks/.work/ is ignored: make
        # each upstream a repository of its own, as a real checkout of it would be.
        root = upstream_roots[project.name]
        if not (root / ".git").is_dir():
            commit_tree(root, f"{project.label} sdist")
    negative_roots = {project.name: unpack(project, fetch(project, sdists), sources) for project in pins.negatives}

    upstream_files = {name: python_files(root) for name, root in upstream_roots.items()}
    eligible: list[Upstream] = []
    ineligible: Counter[str] = Counter()
    seen_code: set[str] = set()
    for name, root in upstream_roots.items():
        texts = {path: read_source(root / path) for path in upstream_files[name]}
        kept = interface_names(text for text in texts.values() if text is not None)
        for path, text in texts.items():
            if not library_file(path):
                ineligible["tests, docs, examples or setup"] += 1
                continue
            if text is None:
                ineligible["not UTF-8"] += 1
                continue
            tokens, lines = code_tokens(text, skip_imports=True)
            if len(tokens) < MIN_TOKENS or lines < MIN_LINES:
                ineligible[f"under {MIN_TOKENS} code tokens or {MIN_LINES} lines of code"] += 1
                continue
            if not compiles(text):
                ineligible["does not compile"] += 1
                continue
            fingerprint = hashlib.sha256("\0".join(tokens).encode()).hexdigest()
            if fingerprint in seen_code:
                ineligible["same code as another upstream file"] += 1
                continue
            seen_code.add(fingerprint)
            eligible.append(Upstream(name, path, text, kept))
    eligible.sort(key=lambda item: item.key)
    random.Random(f"{seed}/sample").shuffle(eligible)

    pool: list[tuple[str, str]] = [(name, path) for name, root in negative_roots.items() for path in python_files(root)]
    order = list(pool)
    random.Random(f"{seed}/fillers").shuffle(order)
    fillers: list[Filler] = []
    set_aside: set[tuple[str, str]] = set()
    for name, path in order:
        if len(fillers) >= FILLER_FILES:
            break
        text = read_source(negative_roots[name] / path)
        if text is None or not compiles(text):
            continue
        tokens, _ = code_tokens(text)
        if len(tokens) < 2 * MIN_TOKENS:
            continue
        try:
            module = cst.parse_module(text)
        except Exception:  # libcst raises ParserSyntaxError and plain Exceptions
            continue
        fillers.append(Filler(f"{name}/{path}", module, len(tokens)))
        set_aside.add((name, path))
    negatives = [item for item in pool if item not in set_aside]
    undecodable = sum(1 for name, path in negatives if read_source(negative_roots[name] / path) is None)
    return Material(
        upstream_roots, negative_roots, upstream_files, eligible, ineligible, fillers, negatives, undecodable
    )


# ---------------------------------------------------------------------------------------
# Trees


def commit_tree(tree: Path, message: str) -> None:
    """Make ``tree`` a git repository with one commit, so lintml walks it as it walks a real one."""
    git = ["git", "-c", "user.name=lintml-bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q"], cwd=tree, check=True)
    subprocess.run([*git, "add", "-A"], cwd=tree, check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], cwd=tree, check=True)


@dataclass
class CopyRecord:
    transformation: str
    local: str  # path in the tree, as lintml reports it
    project: str
    upstream_path: str
    renames: dict[str, str]
    note: str
    tree: Path

    @property
    def file(self) -> Path:
        return self.tree / self.local


def local_name(index: int, upstream: Upstream) -> str:
    return f"pkg/{index:04d}_{Path(upstream.path).stem.strip('_') or 'init'}.py"


def write_copy_trees(
    run_dir: Path, sample: Sequence[Upstream], copies: dict[str, dict[str, Copy | Dropped]]
) -> tuple[dict[str, list[CopyRecord]], dict[str, Counter[str]]]:
    records: dict[str, list[CopyRecord]] = {}
    dropped: dict[str, Counter[str]] = {}
    for transformation in TRANSFORMATIONS:
        tree = run_dir / "trees" / transformation
        tree.mkdir(parents=True)
        records[transformation] = []
        dropped[transformation] = Counter()
        for index, upstream in enumerate(sample):
            copy = copies[transformation][upstream.key]
            if isinstance(copy, Dropped):
                dropped[transformation][str(copy)] += 1
                continue
            local = local_name(index, upstream)
            target = tree / local
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(copy.source, encoding="utf-8")
            records[transformation].append(
                CopyRecord(transformation, local, upstream.project, upstream.path, copy.renames, copy.note, tree)
            )
        commit_tree(tree, f"{transformation}: {DESCRIPTIONS[transformation]}")
    return records, dropped


def write_negative_tree(run_dir: Path, roots: dict[str, Path], negatives: Sequence[tuple[str, str]]) -> Path:
    """A committed tree of the negatives, ``(project, path)`` each, copied from the project ``roots``."""
    tree = run_dir / "trees" / "negatives"
    tree.mkdir(parents=True)
    for name, path in negatives:
        target = tree / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(roots[name] / path, target)
    commit_tree(tree, "negatives")
    return tree


# ---------------------------------------------------------------------------------------
# lintml


def lintml_executable() -> Path:
    found = Path(sys.executable).parent / "lintml"
    if not found.is_file():
        raise SystemExit(f"{found} not found: run this script with the python of lintml's virtualenv")
    return found


def lintml_environment(run_dir: Path) -> dict[str, str]:
    """The environment for lintml: its caches and user data (the user index) inside the run folder."""
    env = dict(os.environ)
    env.pop("LINTML_INDEX", None)
    env["XDG_DATA_HOME"] = str(run_dir / "xdg-data")
    env["XDG_CACHE_HOME"] = str(run_dir / "xdg-cache")
    env["SCANCODE_CACHE"] = str(run_dir / "scancode-cache")
    env["SCANCODE_TEMP"] = str(run_dir / "scancode-tmp")
    return env


def lintml_has_index() -> bool:
    process = subprocess.run([str(lintml_executable()), "index", "add", "--help"], capture_output=True, text=True)
    return process.returncode == 0


@dataclass
class CommandRun:
    command: list[str]
    seconds: float
    exit_code: int
    output: str  # stdout and stderr, the end of it

    @property
    def loaded_scancode(self) -> bool:
        """lintml says so when it loads scancode's license index (~8 s), which the time then includes."""
        return "scancode's license index" in self.output

    @property
    def note(self) -> str:
        return " (loaded scancode's license index)" if self.loaded_scancode else ""


def run_command(command: Sequence[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> CommandRun:
    start = time.perf_counter()
    process = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = (process.stdout + process.stderr)[-4000:]
    return CommandRun(list(command), seconds, process.returncode, output)


def shown(command: Sequence[str], replacements: dict[str, str]) -> str:
    text = shlex.join(command)
    for long, short in sorted(replacements.items(), key=lambda item: -len(item[0])):
        text = text.replace(long, short)
    return text


def build_index(pins: Pins, material: Material, index: Path, env: dict[str, str]) -> list[CommandRun]:
    if index.exists():
        index.unlink()
    runs = []
    for project in pins.upstreams:
        command = [
            str(lintml_executable()),
            "index",
            "add",
            project.name,
            str(material.upstream_roots[project.name]),
            "--index",
            str(index),
            "--license",
            project.license,
            "--version",
            project.version,
        ]
        log(f"lintml index add {project.name}")
        run = run_command(command, env)
        log(f"  {run.seconds:.1f} s, exit {run.exit_code}")
        if run.exit_code != 0:
            raise SystemExit(f"`{shlex.join(command)}` exited with {run.exit_code}:\n{run.output}")
        runs.append(run)
    return runs


@dataclass
class CheckRun:
    name: str
    run: CommandRun
    findings: dict[str, list[dict[str, Any]]]  # path -> provenance findings (those with an upstream)
    other_findings: int
    files_checked: int | None
    error: str | None


def run_check(name: str, tree: Path, index: Path, output: Path, env: dict[str, str]) -> CheckRun:
    output.parent.mkdir(parents=True, exist_ok=True)
    cache_env = dict(env, LINTML_CACHE_DIR=str(output.parent / f"cache-{name}"))
    command = [
        str(lintml_executable()),
        "check",
        str(tree),
        "--index",
        str(index),
        "--no-catalog",
        "--select",
        "provenance",
        "--format",
        "json",
        "--output",
        str(output),
    ]
    run = run_command(command, cache_env)
    findings: dict[str, list[dict[str, Any]]] = {}
    other = 0
    files_checked = None
    error = None
    if run.exit_code not in (0, 1):
        error = f"exit code {run.exit_code}: {run.output.strip()[-1500:]}"
    else:
        try:
            document = json.loads(output.read_text(encoding="utf-8"))
            for finding in document["findings"]:
                if finding.get("upstream"):
                    findings.setdefault(finding["path"], []).append(finding)
                else:
                    other += 1
            files_checked = document.get("summary", {}).get("files_checked")
        except (OSError, ValueError, KeyError, TypeError) as problem:
            error = f"unreadable JSON output ({type(problem).__name__}: {problem})"
    log(
        f"lintml check {name}: {run.seconds:.1f} s, exit {run.exit_code}, "
        f"{sum(map(len, findings.values()))} provenance findings" + (f"; ERROR {error}" if error else "")
    )
    return CheckRun(name, run, findings, other, files_checked, error)


def check_trees(
    run_dir: Path,
    names: Sequence[str],
    negative_tree: Path,
    index: Path,
    env: dict[str, str],
    fingerprint: str,
    problems: list[str],
) -> tuple[dict[str, CheckRun], CheckRun]:
    """``lintml check`` of each transformation's tree and of the negatives, against ``index``; a problem is
    noted when lintml's code changed since ``fingerprint`` was taken (the run must then be repeated)."""
    checks = {
        name: run_check(name, run_dir / "trees" / name, index, run_dir / "lintml" / f"{name}.json", env)
        for name in names
    }
    negative_check = run_check("negatives", negative_tree, index, run_dir / "lintml" / "negatives.json", env)
    if lintml_fingerprint() != fingerprint:
        problems.append("lintml's code, data or rules changed during the run: repeat it")
    return checks, negative_check


def sampled_negatives(negatives: Sequence[tuple[str, str]], wanted: int | None, seed: str) -> list[tuple[str, str]]:
    """The negatives in path order, or ``wanted`` of them drawn with ``seed`` (a quick run checks fewer)."""
    chosen = sorted(negatives)
    if wanted and wanted < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, wanted))
    return chosen


def fresh_run_dir(work_dir: Path, quick: bool) -> Path:
    """The run folder under ``work_dir``, emptied (a quick run has its own)."""
    run_dir = work_dir / ("run-quick" if quick else "run")
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    return run_dir


# ---------------------------------------------------------------------------------------
# copydetect


def peer_python(pins: Pins) -> Path:
    """copydetect's own virtualenv, made (once) under the work folder."""
    venv = WORK_DIR / f"{pins.peer}-venv"
    python = venv / "bin" / "python"
    probe = f"import {pins.peer}; print({pins.peer}.__version__)"
    if python.is_file():
        process = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
        if process.returncode == 0 and process.stdout.strip() == pins.peer_version:
            return python
        shutil.rmtree(venv)
    make_virtualenv(venv, f"{pins.peer}=={pins.peer_version}")
    return python


def make_virtualenv(venv: Path, requirement: str) -> None:
    """A virtualenv at ``venv`` holding ``requirement`` (a pinned tool lintml is compared with or uses)."""
    log(f"making a virtualenv for {requirement} in {venv.relative_to(REPO_ROOT)}")
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", requirement], check=True)


@dataclass
class PeerResult:
    version: str
    settings: dict[str, Any]
    pairs: dict[tuple[str, str], float | None]  # (transformation, local) -> similarity
    negatives: dict[str, dict[str, Any]]  # tree path -> {"similarity", "upstream"}
    comparisons: dict[str, int]
    skipped: list[str]
    seconds: dict[str, float]
    wall_seconds: float


def run_peer(
    pins: Pins,
    run_dir: Path,
    material: Material,
    records: dict[str, list[CopyRecord]],
    negative_tree: Path,
    negatives: Sequence[tuple[str, str]],
) -> PeerResult:
    python = peer_python(pins)
    upstream_files = [
        str(material.upstream_roots[name] / path) for name, paths in material.upstream_files.items() for path in paths
    ]
    pair_keys: list[tuple[str, str]] = []
    pairs: list[list[str]] = []
    for transformation, items in records.items():
        for record in items:
            pair_keys.append((transformation, record.local))
            pairs.append([str(record.file), str(material.upstream_roots[record.project] / record.upstream_path)])
    negative_paths = [str(negative_tree / name / path) for name, path in negatives]
    job = run_dir / "copydetect-job.json"
    result_path = run_dir / "copydetect-result.json"
    job.write_text(
        json.dumps({"upstream_files": upstream_files, "pairs": pairs, "negatives": negative_paths}), encoding="utf-8"
    )
    log(f"copydetect: {len(pairs)} pairs, {len(negative_paths)} negatives against {len(upstream_files)} upstream files")
    start = time.perf_counter()
    subprocess.run([str(python), str(CLONES_DIR / "peer_copydetect.py"), str(job), str(result_path)], check=True)
    wall = time.perf_counter() - start
    log(f"copydetect: {wall:.1f} s")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    prefix = str(negative_tree) + os.sep
    return PeerResult(
        version=result["copydetect"],
        settings=result["settings"],
        pairs=dict(zip(pair_keys, result["pairs"], strict=True)),
        negatives={path.removeprefix(prefix): value for path, value in result["negatives"].items()},
        comparisons=result["negative_comparisons"],
        skipped=result["skipped"],
        seconds=result["seconds"],
        wall_seconds=wall,
    )


# ---------------------------------------------------------------------------------------
# Scoring


def identifiers_in(source: str) -> set[str]:
    import io
    import tokenize

    names = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.NAME:
                names.add(token.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return names


def describe_findings(findings: Sequence[dict[str, Any]]) -> str:
    if not findings:
        return "nothing"
    parts = []
    for finding in findings:
        upstream = finding["upstream"]
        share = upstream.get("similarity")
        parts.append(
            f"{upstream.get('name')}:{upstream.get('path')}"
            + (f" (similarity {share:.2f})" if isinstance(share, int | float) else "")
        )
    return "; ".join(parts)


NEAR_DUPLICATE = 0.8  # shared normalised 8-grams (Jaccard) for two upstream files to count as near-duplicates


def normalised_shingles(path: Path, size: int = 8) -> set[tuple[str, ...]]:
    """The file's token 8-grams with names, strings and numbers made alike (comments, layout, docstrings out)."""
    import io
    import keyword
    import tokenize

    text = read_source(path)
    if text is None:
        return set()
    stream: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.NAME:
                stream.append(token.string if keyword.iskeyword(token.string) else "V")
            elif token.type == tokenize.STRING:
                stream.append("S")
            elif token.type == tokenize.NUMBER:
                stream.append("N")
            elif token.type == tokenize.OP:
                stream.append(token.string)
    except (tokenize.TokenError, SyntaxError):
        return set()
    return {tuple(stream[index : index + size]) for index in range(max(0, len(stream) - size + 1))}


def near_duplicates(first: Path, second: Path) -> bool:
    """Whether two upstream files have nearly the same code once names and literals are set aside."""
    one, two = normalised_shingles(first), normalised_shingles(second)
    return bool(one and two) and len(one & two) / len(one | two) >= NEAR_DUPLICATE


@dataclass
class Score:
    n: int = 0
    found: int = 0
    project_only: int = 0  # the right project, another file
    near_duplicate: int = 0  # ... whose code is a near-duplicate of the true upstream file's
    found_other: int = 0  # some other upstream only
    peer_found: int = 0
    peer_n: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)
    peer_misses: list[dict[str, Any]] = field(default_factory=list)
    rename_true: int = 0
    rename_correct: int = 0
    rename_reported: int = 0
    rename_reported_true: int = 0
    rename_files: int = 0
    rename_longest: int = 0  # the longest rename list lintml gave for one copy
    rename_pairs: list[tuple[int, int]] = field(default_factory=list)  # (true, correct) per found copy
    wrong_version: int = 0
    wrong_license: int = 0

    @property
    def recall(self) -> float | None:
        return self.found / self.n if self.n else None

    @property
    def peer_recall(self) -> float | None:
        return self.peer_found / self.peer_n if self.peer_n else None


def score_copies(
    records: dict[str, list[CopyRecord]],
    checks: dict[str, CheckRun] | None,
    peer: PeerResult | None,
    display: float,
    pins: Pins,
    upstream_roots: dict[str, Path],
) -> tuple[dict[str, Score], list[dict[str, Any]]]:
    versions = {project.name: project.version for project in pins.upstreams}
    licenses = {project.name: project.license for project in pins.upstreams}
    scores: dict[str, Score] = {}
    details: list[dict[str, Any]] = []
    for transformation, items in records.items():
        score = Score(n=len(items))
        check = checks.get(transformation) if checks else None
        for record in items:
            findings = check.findings.get(record.local, []) if check else []
            right = [
                finding
                for finding in findings
                if finding["upstream"].get("name") == record.project
                and finding["upstream"].get("path") == record.upstream_path
            ]
            detail: dict[str, Any] = {
                "transformation": transformation,
                "local": record.local,
                "upstream": f"{record.project}:{record.upstream_path}",
                "lintml": describe_findings(findings) if check else None,
                "found": bool(right) if check else None,
            }
            if check and check.error is None:
                if right:
                    score.found += 1
                    if not any(finding["upstream"].get("version") == versions[record.project] for finding in right):
                        score.wrong_version += 1
                    if not any(finding["upstream"].get("license") == licenses[record.project] for finding in right):
                        score.wrong_license += 1
                elif any(finding["upstream"].get("name") == record.project for finding in findings):
                    score.project_only += 1
                    root = upstream_roots[record.project]
                    if any(
                        finding["upstream"].get("name") == record.project
                        and near_duplicates(root / record.upstream_path, root / str(finding["upstream"].get("path")))
                        for finding in findings
                    ):
                        score.near_duplicate += 1
                        detail["near_duplicate"] = True
                elif findings:
                    score.found_other += 1
            similarity = peer.pairs.get((transformation, record.local)) if peer else None
            detail["copydetect"] = similarity
            if peer and similarity is not None:
                score.peer_n += 1
                if similarity >= display:
                    score.peer_found += 1
                elif len(score.peer_misses) < MISSES_SHOWN:
                    score.peer_misses.append(detail)
            if check and check.error is None and not right and len(score.misses) < MISSES_SHOWN:
                score.misses.append(detail)
            if record.renames:
                present = identifiers_in(record.file.read_text(encoding="utf-8"))
                truth = {(old, new) for old, new in record.renames.items() if new in present}
                detail["renames_true"] = len(truth)
                if right:
                    reported = {
                        (pair.get("from"), pair.get("to"))
                        for finding in right
                        for pair in finding["upstream"].get("renames") or []
                    }
                    score.rename_files += 1
                    score.rename_longest = max(
                        [score.rename_longest, *(len(finding["upstream"].get("renames") or []) for finding in right)]
                    )
                    score.rename_pairs.append((len(truth), len(truth & reported)))
                    score.rename_true += len(truth)
                    score.rename_correct += len(truth & reported)
                    score.rename_reported += len(reported)
                    score.rename_reported_true += len(reported & truth)
                    detail["renames_correct"] = len(truth & reported)
                    wrong = sorted(reported - truth)[:5]
                    missing = sorted(truth - reported)[:5]
                    if wrong or missing:
                        detail["renames_wrong_examples"] = [f"{old}->{new}" for old, new in wrong]
                        detail["renames_missing_examples"] = [f"{old}->{new}" for old, new in missing]
            details.append(detail)
        scores[transformation] = score
    return scores, details


def mostly_imports(source: str, findings: Sequence[dict[str, Any]]) -> bool:
    """Whether most of the code lines the findings name are import statements."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    imported = import_lines(tree)
    code = {
        line for line, text in enumerate(source.splitlines(), 1) if text.strip() and not text.strip().startswith("#")
    }
    named: set[int] = set()
    for finding in findings:
        for start, end in finding["upstream"].get("lines") or []:
            named.update(line for line in range(start, end + 1) if line in code)
    return bool(named) and len(named & imported) * 2 >= len(named)


@dataclass
class NegativeScore:
    files: int
    with_code: int  # at least MIN_TOKENS code tokens: those that could match anything at all
    lintml_fp: int | None
    lintml_examples: list[str]
    lintml_fp_imports: int  # false positives whose reported lines are mostly import statements
    lintml_fp_top_similarity: float | None
    peer_fp: int | None
    peer_files: int
    peer_examples: list[str]

    @staticmethod
    def per_1000(count: int | None, files: int) -> float | None:
        return None if count is None or not files else 1000 * count / files


def score_negatives(
    material: Material,
    negatives: Sequence[tuple[str, str]],
    check: CheckRun | None,
    peer: PeerResult | None,
    display: float,
) -> NegativeScore:
    with_code = 0
    for name, path in negatives:
        text = read_source(material.negative_roots[name] / path)
        if text is not None and len(code_tokens(text, limit=MIN_TOKENS)[0]) >= MIN_TOKENS:
            with_code += 1
    lintml_fp = None
    lintml_examples: list[str] = []
    imports = 0
    top_similarity: float | None = None
    if check is not None and check.error is None:
        lintml_fp = len(check.findings)
        for path, findings in sorted(check.findings.items())[:MISSES_SHOWN]:
            lintml_examples.append(f"`{path}` -> {describe_findings(findings)}")
        for path, findings in check.findings.items():
            name, _, relative = path.partition("/")
            text = read_source(material.negative_roots[name] / relative) if name in material.negative_roots else None
            similarities = [
                finding["upstream"]["similarity"]
                for finding in findings
                if isinstance(finding["upstream"].get("similarity"), int | float)
            ]
            if similarities:
                top_similarity = max([*similarities, top_similarity or 0.0])
            if text is not None and mostly_imports(text, findings):
                imports += 1
    peer_fp = None
    peer_examples: list[str] = []
    if peer is not None:
        hits = sorted((path, value) for path, value in peer.negatives.items() if value["similarity"] >= display)
        peer_fp = len(hits)
        for path, value in hits[:MISSES_SHOWN]:
            upstream = value["upstream"] or ""
            for name, root in material.upstream_roots.items():
                if upstream.startswith(str(root) + os.sep):
                    upstream = f"{name}:{upstream[len(str(root)) + 1 :]}"
            peer_examples.append(f"`{path}` -> {upstream} (similarity {value['similarity']:.2f})")
    return NegativeScore(
        len(negatives),
        with_code,
        lintml_fp,
        lintml_examples,
        imports,
        top_similarity,
        peer_fp,
        len(peer.negatives) if peer else 0,
        peer_examples,
    )


# ---------------------------------------------------------------------------------------
# Report


def machine() -> dict[str, str]:
    return dict(machine_facts())


def lintml_revision() -> str:
    import lintml

    return f"{lintml.__version__} ({checkout_revision()})"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def verdict(passed: bool | None) -> str:
    return "-" if passed is None else ("**pass**" if passed else "**FAIL**")


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f} s" if value < 100 else f"{value:.0f} s"


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "## Clone detection: lintml's code provenance vs copydetect",
        "",
        f"Written by `benchmarks/clones/bench_clones.py` on {results['date']} "
        "([benchmarks/clones/README.md](clones/README.md) says what it does). "
        "Times are wall clock around each subprocess.",
        "",
        "### Machine and command",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in results["machine"].items()),
        f"| lintml | {results['lintml']} |",
        f"| copydetect | {results['copydetect']['version'] or 'not run'} |",
        "",
        "```",
        results["command"],
        "```",
        "",
        *load_note(results["load_average"]),
        "### Material",
        "",
        "| role | project | version | license | .py files | used |",
        "|---|---|---|---|---:|---|",
    ]
    for project in results["projects"]:
        lines.append(
            f"| {project['role']} | {project['name']} | {project['version']} | {project['license']} | "
            f"{project['python_files']} | {project['used']} |"
        )
    sample = results["sample"]
    lines += [
        "",
        f"Sample: **{sample['files']} upstream files** (seed {results['seed']}), drawn from {sample['eligible']} "
        f"eligible library files (at least {MIN_TOKENS} code tokens and {MIN_LINES} lines of code, imports, "
        "comments and docstrings aside; tests, docs and examples left out; one file per distinct code). "
        "Per project: " + ", ".join(f"{name} {count}" for name, count in sample["per_project"].items()) + ". "
        "The same files go through every transformation; a transformation that cannot be applied to a file "
        "drops it (column *dropped*, reasons below). Every copy compiles (`compile()`, never run).",
        "",
        "### Recall per transformation",
        "",
        "A copy counts as found by lintml when a provenance finding on it names the right upstream project "
        "and file; by copydetect when its similarity to the true upstream file (copydetect's share of the copy) "
        f"is at least the display threshold {results['copydetect']['display_t']}. Some upstream files are "
        "near-duplicates of others in the same project (torchgeo's data modules, torchmetrics' metric classes: "
        f"at least {NEAR_DUPLICATE:.0%} of their normalised token 8-grams in common), so a renamed copy of one fits "
        "the other as well; the columns after copydetect's say how often lintml named such a twin instead of the "
        "true file (the targets are judged on the strict recall).",
        "",
        "| | transformation | n | dropped | lintml recall | target | | copydetect recall | lintml: right project, "
        "other file (of which near-duplicates) | lintml recall, near-duplicates counted | lintml: other upstream "
        "only | lintml check |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in results["transformations"].items():
        lines.append(
            f"| {name} | {DESCRIPTIONS[name]} | {row['n']} | {sum(row['dropped'].values())} | "
            f"{ratio(row['lintml_recall'])} | ≥ {TARGETS[name]:.2f} | {verdict(row['lintml_pass'])} | "
            f"{ratio(row['copydetect_recall'])} | {row['lintml_project_only']} ({row['lintml_near_duplicate']}) | "
            f"{ratio(row['lintml_recall_near_duplicates'])} | {row['lintml_other_upstream']} | "
            f"{seconds(row['lintml_seconds'])} |"
        )
    negatives = results["negatives"]
    renames = results["renames"]
    lines += [
        "",
        "### False positives and rename maps",
        "",
        f"Negatives: **{negatives['files']} Python files** of "
        + ", ".join(
            project["name"] + " " + project["version"]
            for project in results["projects"]
            if project["role"] == "negative"
        )
        + f" ({negatives['with_code']} of them with at least {MIN_TOKENS} code tokens), none of which copies from "
        "the upstreams. A negative counts as a false positive when lintml reports any provenance finding on it, "
        "or when its best copydetect similarity to any upstream file reaches the display threshold.",
        "",
        "| measure | lintml | copydetect | target | lintml |",
        "|---|---:|---:|---:|---|",
        f"| negatives with a finding | {negatives['lintml_fp'] if negatives['lintml_fp'] is not None else '-'} | "
        f"{negatives['copydetect_fp'] if negatives['copydetect_fp'] is not None else '-'} | | |",
        f"| false positives per 1,000 negatives | {ratio(negatives['lintml_per_1000'])} | "
        f"{ratio(negatives['copydetect_per_1000'])} | ≤ {TARGET_FP_PER_1000:.0f} | "
        f"{verdict(negatives['lintml_pass'])} |",
        f"| T3 rename map: true renames reported (micro-average over found T3 copies) | "
        f"{ratio(renames['T3']['accuracy'])} | n/a | ≥ {TARGET_RENAMES:.2f} | {verdict(renames['T3']['pass'])} |",
        "",
        *false_positive_notes(negatives),
        "Rename maps in detail. A true rename is an `{old: new}` pair the transformation applied whose new name "
        "occurs in the copy; *accuracy* is the share of true renames lintml reported, over the copies it found; "
        "*within the longest list* counts at most as many true renames per copy as the longest rename list lintml "
        "gave for any copy (it tells whether a cap on the list's length is what costs accuracy); *reported true* "
        "is the share of lintml's reported pairs that are true renames.",
        "",
        "| transformation | copies found | true renames | reported correctly | accuracy | over all copies "
        "(misses count 0) | longest list | within the longest list | reported pairs | reported true |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in renames.items():
        lines.append(
            f"| {name} | {row['files']} | {row['true']} | {row['correct']} | {ratio(row['accuracy'])} | "
            f"{ratio(row['accuracy_all'])} | {row['longest_list']} | {ratio(row['accuracy_within_longest'])} | "
            f"{row['reported']} | {ratio(row['precision'])} |"
        )
    timings = results["timings"]
    lines += [
        "",
        "### Timings",
        "",
        "| what | files | time |",
        "|---|---:|---:|",
    ]
    for row in timings["rows"]:
        lines.append(
            f"| {row['what']} | {row['files'] if row['files'] is not None else ''} | {seconds(row['seconds'])} |"
        )
    if timings.get("note"):
        lines += ["", timings["note"]]
    lines += ["", "### Dropped samples", ""]
    any_dropped = False
    for name, row in results["transformations"].items():
        for reason, count in sorted(row["dropped"].items()):
            lines.append(f"- {name}: {count} × {reason}")
            any_dropped = True
    if not any_dropped:
        lines.append("None.")
    lines += ["", "### Misses (up to five per transformation)", ""]
    any_miss = False
    for name, row in results["transformations"].items():
        for miss in row["lintml_misses"]:
            similarity = miss.get("copydetect")
            lines.append(
                f"- {name} `{miss['local']}` (from {miss['upstream']}): lintml reported {miss['lintml']}"
                + (f"; copydetect similarity {similarity:.2f}" if isinstance(similarity, float) else "")
            )
            any_miss = True
    if not any_miss:
        lines.append("lintml missed nothing.")
    lines += ["", "copydetect's misses, for comparison:", ""]
    for name, row in results["transformations"].items():
        for miss in row["copydetect_misses"][:2]:
            lines.append(f"- {name} `{miss['local']}` (from {miss['upstream']}): similarity {miss['copydetect']:.2f}")
    lines += ["", "False positives (up to five each):", ""]
    lines += [f"- lintml: {example}" for example in negatives["lintml_examples"]] or ["- lintml: none"]
    lines += [f"- copydetect: {example}" for example in negatives["copydetect_examples"]] or ["- copydetect: none"]
    if results.get("problems"):
        lines += ["", "### Problems seen in this run", ""]
        lines += [f"- {problem}" for problem in results["problems"]]
    lines += ["", "### Targets", ""]
    lines += [
        "| target | measured | result |",
        "|---|---|---|",
    ]
    for name, row in results["transformations"].items():
        lines.append(
            f"| {name} recall ≥ {TARGETS[name]:.2f} | {ratio(row['lintml_recall'])} | {verdict(row['lintml_pass'])} |"
        )
    lines.append(
        f"| ≤ {TARGET_FP_PER_1000:.0f} false positive per 1,000 negatives | {ratio(negatives['lintml_per_1000'])} | "
        f"{verdict(negatives['lintml_pass'])} |"
    )
    lines.append(
        f"| T3 rename map ≥ {TARGET_RENAMES:.0%} correct | {ratio(renames['T3']['accuracy'])} | "
        f"{verdict(renames['T3']['pass'])} |"
    )
    return "\n".join(lines) + "\n"


def load_note(loads: dict[str, float]) -> list[str]:
    if not loads:
        return []
    shown = "; ".join(f"before the {name} runs {value:.2f}" for name, value in loads.items())
    return [
        f"Load average (1 minute) {shown}: anything else running on the machine shows here, and slows what is timed.",
        "",
    ]


def false_positive_notes(negatives: dict[str, Any]) -> list[str]:
    if not negatives["lintml_fp"]:
        return []
    top = negatives["lintml_fp_top_similarity"]
    return [
        f"Of lintml's {negatives['lintml_fp']} false positives, {negatives['lintml_fp_imports']} name lines that "
        "are mostly import statements"
        + (f"; the largest similarity (share of the negative file) among them is {top:.2f}" if top is not None else "")
        + ".",
        "",
    ]


def write_section(
    path: Path, section: str, marks: tuple[str, str] = (MARK_START, MARK_END), after: str | None = None
) -> None:
    """Put ``section`` between its ``marks`` in ``path``, leaving everything else as it is; a new section
    goes right after the ``after`` mark when the file has it, else at the end."""
    mark_start, mark_end = marks
    block = f"{mark_start}\n{section.rstrip()}\n{mark_end}\n"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    start, end = text.find(mark_start), text.find(mark_end)
    if start != -1 and end > start:
        text = text[:start] + block + text[end + len(mark_end) :].lstrip("\n")
    elif after is not None and after in text:
        at = text.find(after) + len(after)
        text = text[:at] + "\n\n" + block + text[at:].lstrip("\n")
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------
# Main


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench_clones.py",
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Everything is downloaded to and written under benchmarks/.work/clones/ (gitignored).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_FILES} files per transformation and {QUICK_NEGATIVES} negatives; the report goes to "
        "benchmarks/.work/clones/RESULTS-quick.md, not benchmarks/RESULTS.md.",
    )
    parser.add_argument("--files", type=int, help=f"Upstream files in the sample (default {FULL_FILES}).")
    parser.add_argument(
        "--negatives", type=int, help="Negative files (default: all of them; a seeded sample if fewer)."
    )
    parser.add_argument("--seed", type=int, default=SEED, help=f"Seed of every random choice (default {SEED}).")
    parser.add_argument("--skip-lintml", action="store_true", help="Build the trees, run only copydetect.")
    parser.add_argument("--skip-copydetect", action="store_true", help="Do not run copydetect.")
    parser.add_argument(
        "--language",
        choices=("python", "c", "all"),
        default="all",
        help="Which part to run: the Python copies, the C/C++/CUDA/Objective-C/Metal copies (section "
        "clones-c of RESULTS.md), or both, Python first (default all).",
    )
    parser.add_argument(
        "--upstreams",
        type=Path,
        help="The C part's upstream snapshot folder (manifest.json and snapshots/*.tar.gz; default "
        "../shared/upstreams beside the main work tree).",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="Markdown file to put the results section in, between the clone markers; the rest of the file is "
        "kept (default benchmarks/RESULTS.md; with --quick, benchmarks/.work/clones/RESULTS-quick.md).",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(sys.argv[1:] if argv is None else list(argv))
    quick: bool = arguments.quick
    files = arguments.files or (QUICK_FILES if quick else FULL_FILES)
    seed: int = arguments.seed
    command = shlex.join(["python", "benchmarks/clones/bench_clones.py", *(sys.argv[1:] if argv is None else argv)])
    output = arguments.output or (QUICK_OUTPUT if quick else RESULTS_MD)
    results_json = WORK_DIR / ("results-quick.json" if quick else "results.json")
    problems: list[str] = []
    if arguments.language == "c":
        return c_part(arguments, command)

    run_lintml = not arguments.skip_lintml
    if run_lintml and not lintml_has_index():
        raise SystemExit(
            "this lintml has no `lintml index add` command yet: run with --skip-lintml to build the trees "
            "and run copydetect only"
        )
    pins = load_pins()
    material = gather(pins, seed)
    sample = material.eligible[:files]
    log(f"sample: {len(sample)} of {len(material.eligible)} eligible upstream files")
    wanted_negatives = arguments.negatives or (QUICK_NEGATIVES if quick else None)
    negatives = sampled_negatives(material.negatives, wanted_negatives, f"{seed}/negatives")
    log(f"negatives: {len(negatives)} files; fillers: {len(material.fillers)} files set aside")

    run_dir = fresh_run_dir(WORK_DIR, quick)
    start = time.perf_counter()
    copies = make_copies(sample, seed, material.fillers, MIN_TOKENS)
    transform_seconds = time.perf_counter() - start
    log(f"transformations: {transform_seconds:.1f} s")
    records, dropped = write_copy_trees(run_dir, sample, copies)
    negative_tree = write_negative_tree(run_dir, material.negative_roots, negatives)
    manifest = {
        name: [
            {
                "local": item.local,
                "upstream": f"{item.project}:{item.upstream_path}",
                "renames": item.renames,
                "note": item.note,
            }
            for item in items
        ]
        for name, items in records.items()
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    checks: dict[str, CheckRun] | None = None
    negative_check: CheckRun | None = None
    index_runs: list[CommandRun] = []
    index = run_dir / "index.sqlite"
    replacements = {str(run_dir / "trees") + "/": "TREES/", str(index): "INDEX", str(REPO_ROOT) + "/": ""}
    loads: dict[str, float] = {}
    if run_lintml:
        loads["lintml"] = os.getloadavg()[0]
        fingerprint = lintml_fingerprint()
        env = lintml_environment(run_dir)
        index_runs = build_index(pins, material, index, env)
        checks, negative_check = check_trees(run_dir, TRANSFORMATIONS, negative_tree, index, env, fingerprint, problems)
        for check in [*checks.values(), negative_check]:
            if check.error:
                problems.append(f"`{shown(check.run.command, replacements)}`: {check.error}")
            if check.other_findings:
                problems.append(f"lintml check {check.name}: {check.other_findings} findings without an `upstream`")

    peer: PeerResult | None = None
    if not arguments.skip_copydetect:
        loads["copydetect"] = os.getloadavg()[0]
        peer = run_peer(pins, run_dir, material, records, negative_tree, negatives)
    display = float(peer.settings["display_t"]) if peer else 0.33

    scores, details = score_copies(records, checks, peer, display, pins, material.upstream_roots)
    negative_score = score_negatives(material, negatives, negative_check, peer, display)
    (run_dir / "details.json").write_text(json.dumps(details, indent=1) + "\n", encoding="utf-8")

    transformations: dict[str, Any] = {}
    for name in TRANSFORMATIONS:
        score = scores[name]
        check = checks.get(name) if checks else None
        recall = score.recall if check and check.error is None else None
        transformations[name] = {
            "n": score.n,
            "dropped": dict(dropped[name]),
            "lintml_recall": recall,
            "lintml_found": score.found if recall is not None else None,
            "lintml_pass": None if recall is None else recall >= TARGETS[name],
            "lintml_project_only": score.project_only,
            "lintml_near_duplicate": score.near_duplicate,
            "lintml_recall_near_duplicates": (score.found + score.near_duplicate) / score.n
            if recall is not None and score.n
            else None,
            "lintml_other_upstream": score.found_other,
            "lintml_seconds": check.run.seconds if check else None,
            "lintml_misses": score.misses,
            "copydetect_recall": score.peer_recall,
            "copydetect_found": score.peer_found,
            "copydetect_misses": score.peer_misses,
        }
    renames: dict[str, Any] = {}
    for name in ("T3", "T4", "T7"):
        score = scores[name]
        all_true = sum(detail.get("renames_true", 0) for detail in details if detail["transformation"] == name)
        accuracy = score.rename_correct / score.rename_true if score.rename_true else None
        capped = sum(min(true, score.rename_longest) for true, _ in score.rename_pairs)
        renames[name] = {
            "longest_list": score.rename_longest,
            "accuracy_within_longest": score.rename_correct / capped if capped else None,
            "files": score.rename_files,
            "true": score.rename_true,
            "correct": score.rename_correct,
            "accuracy": accuracy,
            "accuracy_all": score.rename_correct / all_true
            if all_true and checks and checks[name].error is None
            else None,
            "reported": score.rename_reported,
            "precision": score.rename_reported_true / score.rename_reported if score.rename_reported else None,
            "pass": None if accuracy is None else accuracy >= TARGET_RENAMES,
        }
    for name in TRANSFORMATIONS:
        score = scores[name]
        if score.wrong_version:
            problems.append(f"{name}: {score.wrong_version} found copies name another version than the indexed one")
        if score.wrong_license:
            problems.append(f"{name}: {score.wrong_license} found copies name another license than the indexed one")
    lintml_per_1000 = NegativeScore.per_1000(negative_score.lintml_fp, negative_score.files)
    peer_per_1000 = NegativeScore.per_1000(negative_score.peer_fp, negative_score.peer_files)

    rows: list[dict[str, Any]] = [
        {"what": "making the copies (all transformations)", "files": len(sample), "seconds": transform_seconds}
    ]
    for project, run in zip(pins.upstreams, index_runs, strict=False):
        rows.append(
            {
                "what": f"`lintml index add {project.name}` ({project.label}, whole sdist){run.note}",
                "files": len(material.upstream_files[project.name]),
                "seconds": run.seconds,
            }
        )
    for name, check in (checks or {}).items():
        rows.append(
            {
                "what": f"`lintml check` on the {name} tree{check.run.note}",
                "files": len(records[name]),
                "seconds": check.run.seconds,
            }
        )
    if negative_check:
        rows.append(
            {
                "what": f"`lintml check` on the negatives{negative_check.run.note}",
                "files": len(negatives),
                "seconds": negative_check.run.seconds,
            }
        )
    note = ""
    if peer:
        copies_total = sum(len(items) for items in records.values())
        rows += [
            {
                "what": "copydetect: fingerprint the upstream files",
                "files": sum(map(len, material.upstream_files.values())),
                "seconds": peer.seconds["fingerprint_upstreams"],
            },
            {
                "what": "copydetect: the (copy, upstream file) pairs, fingerprints included",
                "files": copies_total,
                "seconds": peer.seconds["pairs"],
            },
            {
                "what": "copydetect: each negative against every upstream file, fingerprints included",
                "files": len(peer.negatives),
                "seconds": peer.seconds["negatives"],
            },
            {
                "what": "copydetect: the whole peer run (interpreter start and reading included)",
                "files": None,
                "seconds": peer.wall_seconds,
            },
        ]
        note = (
            f"copydetect compares every test file with every reference file; here each negative is compared only "
            f"with the upstream files that share at least one fingerprint with it ({peer.comparisons['made']:,} "
            f"comparisons instead of {peer.comparisons['all_pairs']:,}), which gives the same best similarity, "
            "since a pair without a shared fingerprint has similarity 0. Settings: "
            + ", ".join(f"{key} {value}" for key, value in sorted(peer.settings.items()))
            + " (copydetect's defaults)."
            + (f" Files copydetect could not read: {len(peer.skipped)}." if peer.skipped else "")
        )
    projects = []
    for project in pins.upstreams:
        projects.append(
            {
                "role": "upstream",
                "name": project.name,
                "version": project.version,
                "license": project.license,
                "sha256": project.sha256,
                "python_files": len(material.upstream_files[project.name]),
                "used": "whole sdist indexed; "
                f"{sum(1 for item in sample if item.project == project.name)} files sampled",
            }
        )
    for project in pins.negatives:
        root = material.negative_roots[project.name]
        projects.append(
            {
                "role": "negative",
                "name": project.name,
                "version": project.version,
                "license": project.license,
                "sha256": project.sha256,
                "python_files": len(python_files(root)),
                "used": f"{sum(1 for name, _ in negatives if name == project.name)} negatives, "
                f"{sum(1 for filler in material.fillers if filler.path.startswith(project.name + '/'))} fillers",
            }
        )
    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "command": command,
        "seed": seed,
        "quick": quick,
        "machine": machine(),
        "lintml": lintml_revision(),
        "copydetect": {
            "version": peer.version if peer else None,
            "display_t": display,
            "settings": peer.settings if peer else None,
        },
        "projects": projects,
        "sample": {
            "files": len(sample),
            "eligible": len(material.eligible),
            "ineligible": dict(material.ineligible),
            "per_project": dict(Counter(item.project for item in sample)),
        },
        "transformations": transformations,
        "negatives": {
            "files": negative_score.files,
            "with_code": negative_score.with_code,
            "undecodable": material.undecodable_negatives,
            "lintml_fp": negative_score.lintml_fp,
            "lintml_per_1000": lintml_per_1000,
            "lintml_pass": None if lintml_per_1000 is None else lintml_per_1000 <= TARGET_FP_PER_1000,
            "lintml_examples": negative_score.lintml_examples,
            "lintml_fp_imports": negative_score.lintml_fp_imports,
            "lintml_fp_top_similarity": negative_score.lintml_fp_top_similarity,
            "copydetect_fp": negative_score.peer_fp,
            "copydetect_files": negative_score.peer_files,
            "copydetect_per_1000": peer_per_1000,
            "copydetect_examples": negative_score.peer_examples,
        },
        "renames": renames,
        "timings": {"rows": rows, "note": note},
        "problems": problems,
        "load_average": loads,
        "run_dir": str(run_dir.relative_to(REPO_ROOT)),
    }
    results_json.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    output.parent.mkdir(parents=True, exist_ok=True)
    if output == QUICK_OUTPUT:
        output.write_text(markdown(results), encoding="utf-8")  # the script's own file, written whole
    else:
        write_section(output, markdown(results))
    log(f"wrote {output} and {results_json}")
    for problem in problems:
        log(f"problem: {problem}")
    if arguments.language == "all":
        return c_part(arguments, command)
    return 0


def c_part(arguments: argparse.Namespace, command: str) -> int:
    import c_clones  # here: it imports this module

    return c_clones.main(arguments, command)


if __name__ == "__main__":
    sys.exit(main())
