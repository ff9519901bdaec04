"""The benchmarks' one toolbox: machine facts, logging, lintml's revision, pinned downloads.

Every benchmark imports this module (``benchmarks/`` on ``sys.path``, as each script puts it)
instead of another benchmark, and reaches lintml only through its public modules, so the
benchmarks keep working when lintml's inside changes.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "benchmarks" / ".work"


def logger(tag: str) -> Callable[[str], None]:
    """``log(message)`` writing ``[tag] message`` to stderr at once, so a long run shows where it is."""

    def log(message: str) -> None:
        print(f"[{tag}] {message}", file=sys.stderr, flush=True)

    return log


# ---------------------------------------------------------------------------------------------
# The machine and the code measured


def _proc_value(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cores() -> int:
    """The cores this process may run on (its affinity), else the machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine(revision: str | None = None) -> list[tuple[str, str]]:
    """What a result was measured on, as (name, value) rows: CPU, cores, RAM, OS, Python, and with a
    ``revision`` lintml, scancode-toolkit and git too."""
    memory = _proc_value("/proc/meminfo", "MemTotal:")
    rows = [
        ("CPU", _proc_value("/proc/cpuinfo", "model name") or "unknown"),
        ("cores", str(cores())),
        ("RAM", f"{int(memory.split()[0]) / 1024 / 1024:.1f} GiB" if memory else "unknown"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
    ]
    if revision is not None:
        from importlib.metadata import version

        import lintml

        git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False).stdout.strip()
        rows += [
            ("lintml", f"{lintml.__version__} ({revision})"),
            ("scancode-toolkit", version("scancode-toolkit")),
            ("git", git.removeprefix("git version ")),
        ]
    return rows


def machine_line() -> str:
    """The machine in one line: ``CPU, N cores, X GiB, Python V``."""
    facts = dict(machine())
    return f"{facts['CPU']}, {facts['cores']} cores, {facts['RAM']}, Python {facts['Python']}"


def lintml_revision() -> str:
    """The commit lintml's checkout is at, and whether its code or rules have local changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--", "lintml", "rules"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {commit}" + (", with local changes to lintml/ or rules/" if changes else "")


def lintml_fingerprint() -> str:
    """A hash of lintml's code, data and rules, to notice when they change in the middle of a run."""
    import lintml

    digest = hashlib.sha256()
    for top in (Path(lintml.__file__).resolve().parent, ROOT / "rules"):
        for path in sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(path.relative_to(top).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Pinned downloads


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_pinned(path: Path, sha256: str) -> Path:
    """``path`` when its sha256 is the pinned one; otherwise the run stops, saying so."""
    actual = sha256_of(path)
    if actual != sha256:
        raise SystemExit(f"{path}: sha256 {actual} is not the pinned {sha256}; remove it and run again")
    return path


def pinned_sdist(name: str, version: str, sha256: str, folder: Path, log: Callable[[str], None]) -> Path:
    """The sdist tarball of ``name==version`` in ``folder``, downloaded with pip unless it is there, checked
    against its pinned sha256."""

    def normal(text: str) -> str:
        return text.lower().replace("_", "-")

    def present() -> Path | None:
        for candidate in sorted(folder.glob("*.tar.gz")):
            stem_name, _, stem_version = candidate.name.removesuffix(".tar.gz").rpartition("-")
            if normal(stem_name) == normal(name) and stem_version == version:
                return candidate
        return None

    tarball = present() if folder.is_dir() else None
    if tarball is None:
        log(f"downloading {name}=={version} sdist with pip")
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*command, f"{name}=={version}", "--dest", str(folder)], check=True)
        tarball = present()
        if tarball is None:
            raise SystemExit(f"pip download {name}=={version} gave no .tar.gz in {folder}")
    else:
        log(f"reusing {tarball}")
    return check_pinned(tarball, sha256)


def unpack_one_folder(tarball: Path, destination: Path) -> Path:
    """The archive's single top folder, unpacked (``filter="data"``) and moved to ``destination``,
    which is replaced; the files are made the current user's (git refuses a tree of another owner)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".unpack-") as scratch:
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch, filter="data")
        tops = list(Path(scratch).iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise SystemExit(f"{tarball}: expected one top folder, found {sorted(top.name for top in tops)}")
        if destination.exists():
            shutil.rmtree(destination)
        os.replace(tops[0], destination)
    own(destination)
    return destination


def own(tree: Path) -> None:
    """Make the current user own every file of ``tree`` (an archive unpacked as root keeps its owner)."""
    uid, gid = os.getuid(), os.getgid()
    for folder, subfolders, files in os.walk(tree):
        os.chown(folder, uid, gid)
        for name in subfolders + files:
            os.chown(os.path.join(folder, name), uid, gid, follow_symlinks=False)


# ---------------------------------------------------------------------------------------------
# Timing a process


@dataclass(frozen=True)
class Run:
    seconds: float
    exit_code: int
    peak_rss_mb: float  # largest resident set of the command or of any process it waited for
    cpu_seconds: float = 0.0  # user + system time of the command and of every process it waited for


TIME_PROGRAM = Path("/usr/bin/time")  # GNU time: each command's own peak RSS, whatever the caller's size


def run_timed(command: Sequence[str], *, cwd: Path, env: dict[str, str], log_file: Path) -> Run:
    """Wall-clock time (start to exit), CPU time and peak RSS of one subprocess, its output sent to ``log_file``.

    The peak RSS is that command's own. ``ru_maxrss`` of a child counts the memory of the process it was
    forked from (a child starts as a copy of its parent, and exec records that copy's high-water mark), so
    the figure of a child of this Python process would never be below this process's size; when GNU time
    is there (``/usr/bin/time``) the command runs under it and its figure, taken from a child of that small
    program, is used. The CPU time includes every process the command waited for (its worker pool).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    stats = log_file.with_name(log_file.name + ".time")
    timed = TIME_PROGRAM.is_file()
    full = [str(TIME_PROGRAM), "-f", "%M %x", "-o", str(stats), *command] if timed else list(command)
    with log_file.open("wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(full, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    peak_kb = float(usage.ru_maxrss)
    if timed:
        # "Command exited with non-zero status N" comes first when it did; the figures are the last line.
        last = stats.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        words = last[0].split() if last else []
        if len(words) != 2 or not words[0].isdigit():
            raise SystemExit(f"{TIME_PROGRAM} said {last!r} for {' '.join(command)}; see {log_file}")
        peak_kb = float(words[0])
        stats.unlink()
    return Run(seconds, process.returncode, peak_kb / 1024, usage.ru_utime + usage.ru_stime)


def require_exit(run: Run, allowed: Iterable[int], what: str, log_file: Path) -> None:
    if run.exit_code not in set(allowed):
        tail = log_file.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{what} exited with {run.exit_code}; end of {log_file}:\n{tail}")


def compile_lintml(package: Path | None = None) -> None:
    """Byte-compile lintml's modules, as ``pip install`` leaves them: with ``PYTHONDONTWRITEBYTECODE`` set (as in
    some containers) an editable install would otherwise compile every module from source on every run."""
    if package is None:
        import lintml

        package = Path(lintml.__file__).resolve().parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def lintml_environment(work: Path, *, cache: str = "xdg-cache") -> dict[str, str]:
    """This process's environment without lintml's settings (``CI``, progress, cache and index variables), with
    the user cache and data folders (where lintml's cache and user index live) under ``work/cache`` and
    ``work/xdg-data``: a run measures lintml's defaults, not the caller's setup."""
    dropped = ("CI", "GITHUB_ACTIONS", "LINTML_PROGRESS", "LINTML_NO_PROGRESS", "LINTML_CACHE_DIR")
    env = {key: value for key, value in os.environ.items() if key not in dropped and not key.startswith("LINTML_INDEX")}
    env["XDG_CACHE_HOME"] = str(work / cache)
    env["XDG_DATA_HOME"] = str(work / "xdg-data")
    return env


def reuse_executable(given: str | None) -> str | None:
    """REUSE's ``reuse`` to compare with: ``given``, else on PATH, else the throwaway ``/tmp/reusevenv``'s."""
    fallback = Path("/tmp/reusevenv/bin/reuse")
    return given or shutil.which("reuse") or (str(fallback) if fallback.is_file() else None)


def reuse_version_of(reuse: str) -> str:
    first_line = subprocess.run([reuse, "--version"], capture_output=True, text=True).stdout.partition("\n")[0]
    return first_line.rpartition(" ")[2]  # "reuse, version 6.2.0"


def executable(name: str) -> Path:
    """A console script of the running interpreter's environment (the virtualenv's)."""
    found = Path(sys.executable).parent / name
    if not found.is_file():
        raise SystemExit(f"{found} not found: run this script with the virtualenv's python (lintml and scancode)")
    return found
