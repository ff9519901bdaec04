"""Precision of lintml's error-level findings on real projects that vendor and credit third-party code.

One run of this script:

1. reads the pinned releases in ``benchmarks/precision/projects.toml``, fetches each sdist with
   ``scripts/build_catalog.py``'s fetcher (PyPI simple index, sha256 checked; a verified file in
   ``benchmarks/.work/`` or ``benchmarks/.work/catalog/`` is reused), unpacks it into
   ``benchmarks/.work/precision/NAME-VERSION/`` (kept between runs; nothing in it is built or
   run) and commits it to a git repository of its own, so lintml walks it as a real checkout;
2. runs ``lintml check TREE --format json --no-cache`` on each tree (the venv's lintml, the
   catalog shipped with it), keeping the raw report in ``benchmarks/.work/precision/``;
3. joins every finding of severity ``error`` with the verdicts in
   ``benchmarks/precision/triage.toml`` (true or false positive, and why);
4. writes the ``precision`` section of ``benchmarks/RESULTS.md`` and prints a summary.

Run it from the repository root with the project's virtualenv::

    .venv/bin/python benchmarks/precision/bench_precision.py
    .venv/bin/python benchmarks/precision/bench_precision.py --projects vllm timm --no-fetch
    .venv/bin/python benchmarks/precision/bench_precision.py --strict   # exit 1 on untriaged findings
    .venv/bin/python benchmarks/precision/bench_precision.py --reuse --no-write  # re-join the last reports

A triage entry names a finding by ``project``, ``rule`` (or ``rules``, a list) and ``path`` (or ``path_glob``, an
``fnmatch`` pattern over the whole path, for one verdict that covers many files), and, where
one file has several findings of a rule, by ``upstream`` (the upstream project a
provenance-based finding names; ``""`` for a finding that names none), ``license`` and, last
resort, ``line``. Line numbers move when lintml changes; the other keys do not. The most specific
entry wins.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
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
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_catalog import INDEX_URL, CatalogError, Pin, fetch  # noqa: E402  (scripts/, put on sys.path above)
from common import lintml_fingerprint, lintml_revision, logger, own  # noqa: E402
from common import machine as machine_of  # noqa: E402
from results_sections import write_section  # noqa: E402

HERE = ROOT / "benchmarks" / "precision"
PROJECTS_PATH = HERE / "projects.toml"
log = logger("precision")
TRIAGE_PATH = HERE / "triage.toml"
RESULTS_PATH = ROOT / "benchmarks" / "RESULTS.md"
SECTION = "precision"
WORK = ROOT / "benchmarks" / ".work" / "precision"
DOWNLOADS = WORK / "sdists"
# Where the other benchmarks keep the sdists they fetched: a verified file there is reused.
SHARED_DOWNLOADS = (ROOT / "benchmarks" / ".work", ROOT / "benchmarks" / ".work" / "catalog")
STAMP = "precision-sdist-sha256"  # kept inside the tree's .git, so lintml never sees it
LEVEL = "error"

_PROJECT_KEYS = {"name", "version", "sdist", "sha256", "url", "license", "why"}
_TRIAGE_KEYS = {"project", "rule", "rules", "path", "path_glob", "upstream", "license", "line", "verdict", "reason"}
_VERDICTS = ("true", "false")


class BenchError(Exception):
    """The benchmark cannot go on; the message says what and where."""


# ---------------------------------------------------------------------------------------
# The pinned projects


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    sdist: str
    sha256: str
    url: str
    license: str
    why: str

    @property
    def tree_name(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def pin(self) -> Pin:
        """The project as ``build_catalog.fetch`` takes it."""
        return Pin(self.name, self.version, self.sdist, self.sha256, self.license, self.url, ())


def load_projects(path: Path) -> list[Project]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BenchError(f"{path}: cannot read the projects ({error})") from None
    projects = []
    for number, entry in enumerate(data.get("project", []), start=1):
        where = f"{path}: project {number} ({entry.get('name', '?')})"
        unknown = sorted(set(entry) - _PROJECT_KEYS)
        if unknown:
            raise BenchError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_PROJECT_KEYS))})")
        missing = sorted(_PROJECT_KEYS - set(entry))
        if missing:
            raise BenchError(f"{where}: missing {', '.join(missing)}")
        projects.append(Project(**{key: str(entry[key]) for key in _PROJECT_KEYS}))
    names = [project.name for project in projects]
    if len(set(names)) != len(names):
        raise BenchError(f"{path}: a project is pinned twice")
    if not projects:
        raise BenchError(f"{path}: no [[project]]")
    return projects


# ---------------------------------------------------------------------------------------
# Fetching and unpacking


def sdist_path(project: Project, *, download: bool) -> Path:
    """The verified sdist: one another benchmark already fetched, else ours, else downloaded."""
    for folder in (DOWNLOADS, *SHARED_DOWNLOADS):
        if (folder / project.sdist).is_file():
            path, _ = fetch(project.pin, folder, INDEX_URL)  # a file there is only checked
            return path
    if not download:
        raise BenchError(f"{project.sdist}: not downloaded yet, and --no-fetch was given")
    log(f"downloading {project.sdist}")
    path, _ = fetch(project.pin, DOWNLOADS, INDEX_URL)
    return path


def git(tree: Path, *arguments: str) -> None:
    identity = ["-c", "user.name=lintml-bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *arguments], cwd=tree, check=True, stdout=subprocess.DEVNULL)


def drop_git_metadata(tree: Path) -> list[str]:
    """Remove every ``.git`` folder or file the sdist ships; return their paths, relative to ``tree``.

    Some sdists are packed from a CI checkout and carry its ``.git`` (llama-cpp-python's holds the
    submodule's repository, and ``vendor/llama.cpp/.git`` points into it). Left in place, ``git init``
    would reuse that repository and its config, and ``git add`` would record the submodule as one
    gitlink instead of its files. They are the packer's metadata, not source the sdist distributes.
    """
    dropped = []
    for folder, subfolders, files in os.walk(tree):
        if ".git" not in subfolders and ".git" not in files:
            continue
        if ".git" in subfolders:
            subfolders.remove(".git")  # not walked into
        path = Path(folder) / ".git"
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        dropped.append(path.relative_to(tree).as_posix())
    return sorted(dropped)


def unpacked_tree(project: Project, tarball: Path) -> Path:
    """``WORK/NAME-VERSION``, a git repository holding every file of the sdist; reused when it is this sdist's."""
    tree = WORK / project.tree_name
    stamp = tree / ".git" / STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == project.sha256:
        return tree
    log(f"unpacking {tarball.name} into {tree.relative_to(ROOT)}")
    if tree.exists():
        shutil.rmtree(tree)
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{project.tree_name}.", dir=WORK) as scratch:
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        tops = list(Path(scratch).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise BenchError(f"{tarball}: expected one top folder, found {sorted(top.name for top in tops)}")
        os.replace(tops[0], tree)
    dropped = drop_git_metadata(tree)
    if dropped:
        log(f"{project.sdist} ships git metadata, left out: {', '.join(dropped)}")
    own(tree)  # unpacked as root, files keep the archive's owner and git refuses the tree
    git(tree, "init", "-q")
    # -f: every file the sdist ships is checked, also one its own .gitignore names.
    git(tree, "add", "-A", "-f")
    git(tree, "commit", "-q", "--no-verify", "-m", f"{project.tree_name} sdist")
    stamp.write_text(project.sha256 + "\n", encoding="utf-8")
    return tree


def pinned_tree(name: str) -> Path:
    """The git tree of the pinned project ``name`` (``WORK/NAME-VERSION``): reused as it is when it holds that
    sdist, else fetched (or a verified download reused) and unpacked. Other benchmarks take their trees here."""
    project = next((item for item in load_projects(PROJECTS_PATH) if item.name == name), None)
    if project is None:
        raise BenchError(f"{PROJECTS_PATH}: no project {name!r}")
    tree = WORK / project.tree_name
    stamp = tree / ".git" / STAMP
    if stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == project.sha256:
        log(f"reusing {tree.relative_to(ROOT)}")
        return tree
    return unpacked_tree(project, sdist_path(project, download=True))


# ---------------------------------------------------------------------------------------
# Checking


@dataclass(frozen=True)
class Finding:
    project: str
    rule: str
    path: str
    line: int | None
    license: str | None
    upstream: str | None
    message: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Run:
    project: Project
    seconds: float
    files: int
    findings: tuple[Finding, ...]  # error level only
    by_severity: dict[str, int]


def lintml_executable() -> Path:
    candidate = Path(sys.executable).parent / "lintml"
    if not candidate.is_file():
        raise BenchError(f"no lintml beside {sys.executable}; run with the project's virtualenv (.venv/bin/python)")
    return candidate


def check_command(tree: Path, output: Path) -> list[str]:
    return [str(lintml_executable()), "check", str(tree), "--format", "json", "--output", str(output), "--no-cache"]


def check(project: Project, tree: Path, *, reuse: bool = False) -> Run:
    """Run ``lintml check`` on ``tree`` (or, with ``reuse``, read the report the last run left)."""
    output = WORK / f"{project.tree_name}.json"
    timing = WORK / f"{project.tree_name}.seconds"
    if reuse:
        if not (output.is_file() and timing.is_file()):
            raise BenchError(f"--reuse: no earlier report {output.relative_to(ROOT)}; run once without --reuse")
        seconds = float(timing.read_text(encoding="utf-8"))
    else:
        log(f"lintml check {tree.relative_to(ROOT)}")
        started = time.perf_counter()
        completed = subprocess.run(check_command(tree, output), capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if completed.returncode not in (0, 1):  # 1: findings at or above --fail-on
            raise BenchError(f"lintml check {tree} exited {completed.returncode}:\n{completed.stderr.strip()}")
        timing.write_text(f"{seconds:.3f}\n", encoding="utf-8")
    report = json.loads(output.read_text(encoding="utf-8"))
    findings = tuple(
        Finding(
            project=project.name,
            rule=item["rule"],
            path=item["path"],
            line=item["line"],
            license=item["license"],
            upstream=(item["upstream"] or {}).get("name"),
            message=item["message"],
        )
        for item in report["findings"]
        if item["severity"] == LEVEL
    )
    summary = report["summary"]
    return Run(project, seconds, int(summary["files_checked"]), findings, dict(summary["by_severity"]))


# ---------------------------------------------------------------------------------------
# Triage


@dataclass(frozen=True)
class Verdict:
    number: int  # the entry's place in triage.toml, from 1
    project: str
    rules: tuple[str, ...]  # one entry may give the same verdict to the findings of several rules
    path: str | None
    path_glob: str | None
    upstream: str | None
    license: str | None
    line: int | None
    verdict: str
    reason: str

    def matches(self, finding: Finding) -> bool:
        if self.project != finding.project or finding.rule not in self.rules:
            return False
        if self.path is not None and self.path != finding.path:
            return False
        if self.path_glob is not None and not fnmatch.fnmatchcase(finding.path, self.path_glob):
            return False
        if self.upstream == "" and finding.upstream is not None:  # "": a finding that names no upstream
            return False
        return all(
            wanted is None or wanted == actual
            for wanted, actual in (
                (self.upstream or None, finding.upstream),
                (self.license, finding.license),
                (self.line, finding.line),
            )
        )

    @property
    def specificity(self) -> tuple[bool, int, int]:
        """Exact path over pattern, then more keys, then the pattern with more literal characters."""
        narrowing = sum(value is not None for value in (self.upstream, self.license, self.line))
        literal = len(self.path_glob.replace("*", "").replace("?", "")) if self.path_glob else 0
        return (self.path is not None, narrowing, literal)

    @property
    def label(self) -> str:
        rules = "/".join(self.rules)
        return f"{TRIAGE_PATH.name} entry {self.number} ({self.project} {rules} {self.path or self.path_glob})"


def load_triage(path: Path) -> list[Verdict]:
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BenchError(f"{path}: cannot read the triage ({error})") from None
    verdicts = []
    for number, entry in enumerate(data.get("finding", []), start=1):
        where = f"{path}: finding {number}"
        unknown = sorted(set(entry) - _TRIAGE_KEYS)
        if unknown:
            raise BenchError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_TRIAGE_KEYS))})")
        missing = sorted({"project", "verdict", "reason"} - set(entry))
        if missing:
            raise BenchError(f"{where}: missing {', '.join(missing)}")
        if ("rule" in entry) == ("rules" in entry):
            raise BenchError(f"{where}: give exactly one of rule and rules")
        if ("path" in entry) == ("path_glob" in entry):
            raise BenchError(f"{where}: give exactly one of path and path_glob")
        if entry["verdict"] not in _VERDICTS:
            raise BenchError(f'{where}: verdict must be "true" or "false", not {entry["verdict"]!r}')
        if not str(entry["reason"]).strip():
            raise BenchError(f"{where}: the reason is empty")
        verdicts.append(
            Verdict(
                number=number,
                project=entry["project"],
                rules=tuple(entry["rules"]) if "rules" in entry else (entry["rule"],),
                path=entry.get("path"),
                path_glob=entry.get("path_glob"),
                upstream=entry.get("upstream"),
                license=entry.get("license"),
                line=entry.get("line"),
                verdict=entry["verdict"],
                reason=" ".join(str(entry["reason"]).split()),
            )
        )
    return verdicts


@dataclass(frozen=True)
class Triaged:
    finding: Finding
    verdict: Verdict | None  # None: untriaged
    ambiguous: bool = False  # two equally specific entries disagree

    @property
    def outcome(self) -> str:
        return self.verdict.verdict if self.verdict else "untriaged"


def triage(findings: Sequence[Finding], verdicts: Sequence[Verdict]) -> list[Triaged]:
    joined = []
    for finding in findings:
        candidates = [verdict for verdict in verdicts if verdict.matches(finding)]
        if not candidates:
            joined.append(Triaged(finding, None))
            continue
        best = max(verdict.specificity for verdict in candidates)
        top = [verdict for verdict in candidates if verdict.specificity == best]
        joined.append(Triaged(finding, top[0], ambiguous=len({verdict.verdict for verdict in top}) > 1))
    return joined


# ---------------------------------------------------------------------------------------
# Report


def machine() -> list[tuple[str, str]]:
    return machine_of(lintml_revision())


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    runs: Sequence[Run],
    joined: dict[str, list[Triaged]],
    stale: Sequence[Verdict],
    argv: Sequence[str],
    *,
    changed: bool,
) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Precision of error-level findings on real projects",
        "",
        f"Written by `benchmarks/precision/bench_precision.py` on {when}. Every finding of severity"
        " `error` that `lintml check` reports on the pinned source releases of"
        " `benchmarks/precision/projects.toml` is triaged by hand as a true or a false positive in"
        " `benchmarks/precision/triage.toml`, by reading the file in the unpacked tree. Goal: no false"
        " positive at error level.",
        "",
        "| machine | |",
        "|---|---|",
    ]
    lines += [f"| {key} | {cell(value)} |" for key, value in machine()]
    if changed:
        lines += [
            "",
            "**lintml's code or rules changed during this run: the projects were not all checked by one lintml.**",
        ]
    lines += [
        "",
        "Command (from the repository root), and what it runs for each project:",
        "",
        "```",
        "python " + " ".join(argv),
        "lintml check TREE --format json --output benchmarks/.work/precision/NAME-VERSION.json --no-cache",
        "```",
        "",
        "Each TREE is the sdist unpacked (nothing built or run) and committed to a git repository of its own;"
        " the default catalog is used (a project is never matched against its own catalog entry);"
        " seconds are wall clock around the subprocess, facts cache off.",
        "",
        "| project | version | license | files | error findings | true | false | untriaged | check seconds |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    totals: Counter[str] = Counter()
    for run in runs:
        outcomes = Counter(item.outcome for item in joined[run.project.name])
        totals.update(outcomes)
        totals["files"] += run.files
        totals["errors"] += len(run.findings)
        lines.append(
            f"| [{run.project.name}](https://pypi.org/project/{run.project.name}/{run.project.version}/) |"
            f" {run.project.version} | {run.project.license} | {run.files:,} | {len(run.findings)} |"
            f" {outcomes['true']} | {outcomes['false']} | {outcomes['untriaged']} | {run.seconds:.1f} |"
        )
    lines.append(
        f"| **all** | | | **{totals['files']:,}** | **{totals['errors']}** | **{totals['true']}** |"
        f" **{totals['false']}** | **{totals['untriaged']}** | **{sum(run.seconds for run in runs):.1f}** |"
    )
    everything = [item for run in runs for item in joined[run.project.name]]
    by_rule: dict[str, Counter[str]] = {}
    for item in everything:
        by_rule.setdefault(item.finding.rule, Counter())[item.outcome] += 1
    lines += [
        "",
        "### Per rule",
        "",
        "| rule | error findings | true | false | untriaged |",
        "|---|---:|---:|---:|---:|",
    ]
    for rule, outcomes in sorted(by_rule.items()):
        counts = " | ".join(str(outcomes[outcome]) for outcome in ("true", "false", "untriaged"))
        lines.append(f"| `{rule}` | {sum(outcomes.values())} | {counts} |")
    if not by_rule:
        lines.append("| (none) | 0 | 0 | 0 | 0 |")
    lines += ["", "### Triage", ""]
    patterns = Counter(item.verdict.number for item in everything if item.verdict and item.verdict.path_glob)
    if patterns:
        by_number = {item.verdict.number: item.verdict for item in everything if item.verdict}
        lines += [
            "Verdicts given by pattern (one `path_glob` entry of `triage.toml` for many files of one kind),"
            " referred to below by their entry number:",
            "",
            "| entry | project | rules | path pattern | upstream | findings | verdict | reason |",
            "|---:|---|---|---|---|---:|---|---|",
        ]
        for number, count in sorted(patterns.items()):
            verdict = by_number[number]
            rules = ", ".join(f"`{rule}`" for rule in verdict.rules)
            lines.append(
                f"| {number} | {verdict.project} | {rules} | `{verdict.path_glob}` | {verdict.upstream or ''} |"
                f" {count} | **{verdict.verdict}** | {cell(verdict.reason)} |"
            )
        lines.append("")
    if everything:
        lines += [
            "Every finding:",
            "",
            "| project | rule | where | upstream | verdict | reason |",
            "|---|---|---|---|---|---|",
        ]
        for item in everything:
            finding = item.finding
            if item.verdict is None:
                reason = f"(lintml's message) {finding.message}"
            elif item.verdict.path_glob:
                reason = f"pattern, entry {item.verdict.number}"
            else:
                reason = item.verdict.reason
            verdict = item.outcome + (" (ambiguous)" if item.ambiguous else "")
            lines.append(
                f"| {finding.project} | `{finding.rule}` | `{finding.where}` | {finding.upstream or ''} |"
                f" **{verdict}** | {cell(reason)} |"
            )
    else:
        lines.append("No error-level findings.")
    if stale:
        lines += ["", "Triage entries that matched no finding in this run (the finding is gone, or moved):", ""]
        lines += [f"- {verdict.label}: {verdict.verdict}, {cell(verdict.reason)}" for verdict in stale]
    return "\n".join(lines) + "\n"


def summary(runs: Sequence[Run], joined: dict[str, list[Triaged]], stale: Sequence[Verdict]) -> str:
    lines = [f"{'project':<18} {'files':>6} {'errors':>6} {'true':>5} {'false':>5} {'untriaged':>9} {'seconds':>8}"]
    for run in runs:
        outcomes = Counter(item.outcome for item in joined[run.project.name])
        lines.append(
            f"{run.project.name:<18} {run.files:>6} {len(run.findings):>6} {outcomes['true']:>5}"
            f" {outcomes['false']:>5} {outcomes['untriaged']:>9} {run.seconds:>8.1f}"
        )
    for item in (item for run in runs for item in joined[run.project.name]):
        if item.outcome == "untriaged" or item.ambiguous:
            finding = item.finding
            lines.append(f"  {item.outcome:<9} {finding.project} {finding.rule} {finding.where}: {finding.message}")
    for verdict in stale:
        lines.append(f"  stale     {verdict.label}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", nargs="+", metavar="NAME", help="run only these projects (default: all)")
    parser.add_argument("--no-fetch", action="store_true", help="never download: use the sdists already fetched")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a finding is untriaged or ambiguous")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH, help="the RESULTS.md to write the section into")
    parser.add_argument("--no-write", action="store_true", help="print the summary only; leave RESULTS.md alone")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="do not run lintml: triage the reports the last run left (for editing triage.toml)",
    )
    arguments = parser.parse_args(argv)
    try:
        projects = load_projects(PROJECTS_PATH)
        if arguments.projects:
            known = {project.name for project in projects}
            unknown = sorted(set(arguments.projects) - known)
            if unknown:
                raise BenchError(
                    f"--projects: {', '.join(unknown)} not in {PROJECTS_PATH.name} ({', '.join(sorted(known))})"
                )
            projects = [project for project in projects if project.name in arguments.projects]
        verdicts = load_triage(TRIAGE_PATH)
        fingerprint = lintml_fingerprint()
        runs = []
        for project in projects:
            tree = WORK / project.tree_name
            if not arguments.reuse:
                tree = unpacked_tree(project, sdist_path(project, download=not arguments.no_fetch))
            runs.append(check(project, tree, reuse=arguments.reuse))
    except (BenchError, CatalogError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    joined = {run.project.name: triage(run.findings, verdicts) for run in runs}
    used = {item.verdict.number for items in joined.values() for item in items if item.verdict}
    ran = {project.name for project in projects}
    stale = [verdict for verdict in verdicts if verdict.project in ran and verdict.number not in used]
    changed = not arguments.reuse and lintml_fingerprint() != fingerprint
    if changed:
        log("lintml's code or rules changed during the run: the projects were checked by different code")
    if not arguments.no_write:
        command = [
            Path(sys.argv[0]).resolve().relative_to(ROOT).as_posix(),
            *(argv if argv is not None else sys.argv[1:]),
        ]
        write_section(arguments.output, SECTION, render(runs, joined, stale, command, changed=changed))
        log(f"wrote the {SECTION} section of {arguments.output}")
    print(summary(runs, joined, stale))
    unsettled = sum(item.outcome == "untriaged" or item.ambiguous for items in joined.values() for item in items)
    if arguments.strict and unsettled:
        print(f"--strict: {unsettled} finding(s) untriaged or ambiguous", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
