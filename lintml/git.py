"""The git adapter: the one place lintml runs git, and the settings every git command runs with.

The repositories lintml reads are not trusted: their own ``.git/config``, ``.gitattributes`` and
hooks may name programs (a clean filter, an fsmonitor hook, a pager, an external diff, gpg) that
git would run, or include a FIFO that makes git wait forever. So every git command goes through
:func:`_run`: no system or global config, ``-c`` settings that override what the repository's
config could name, no prompts, stdin closed, optional locks off (the repository's index is never
written), and a timeout that kills git and whatever it started. git never reads work-tree content
(which is where attribute filters and textconv drivers run, and git 2.39 cannot turn those off):
``--diff-base`` hashes the work tree in-process instead.

Besides listing and cloning, it reads a file's history: which commit added it and which later
commits changed its code (not only its comments), the evidence Apache-2.0 §4(b) asks for.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from lintml.facts.headers import CommentSyntax, comment_syntax, opens_block

if TYPE_CHECKING:
    import subprocess

# ----------------------------------------------------------------------------- running git

TIMEOUT_VARIABLE = "LINTML_GIT_TIMEOUT"  # seconds, for every git command (tests set a few)
COMMAND_TIMEOUT = 60.0
CLONE_TIMEOUT = 600.0

# What a repository's own config could make git run, or do, overridden from the command line (which
# git reads last). Empty values reset: credential.helper= empties the list of helpers.
_LOCKED_SETTINGS = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.editor=false",
    "sequence.editor=false",
    "core.askPass=",
    "core.sshCommand=false",
    "core.attributesFile=/dev/null",
    "core.untrackedCache=false",
    "diff.external=",
    "credential.helper=",
    "gpg.program=false",
    "gpg.openpgp.program=false",
    "gpg.x509.program=false",
    "gpg.ssh.program=false",
    "log.showSignature=false",
    "submodule.recurse=false",
    "gc.auto=0",
    "maintenance.auto=false",
    # A bare repository inside the scanned tree is not picked up by walking up from a folder:
    # only a --git-dir given explicitly (the audit's own scratch repository) opens one.
    "safe.bareRepository=explicit",
    "protocol.allow=never",  # no fetch of any kind, lazy fetches of a partial clone included
)
_LOCKED_ENVIRONMENT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ASKPASS": "",  # set and empty: core.askPass and SSH_ASKPASS are not consulted
    "SSH_ASKPASS": "",
    "SSH_ASKPASS_REQUIRE": "never",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_PROXY_COMMAND": "",  # set and empty: a core.gitProxy in the repository's config is ignored
    "GIT_PROTOCOL_FROM_USER": "0",
}
# Variables that would point git at another repository, index or object store than the folder it is
# run in (a git hook's environment has several), or run an external diff.
_DROPPED_ENVIRONMENT = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_SHALLOW_FILE",
    "GIT_CONFIG",
    "GIT_EXTERNAL_DIFF",
    "GIT_REPLACE_REF_BASE",
)
# A clone keeps the user's own config (credential helpers, proxies, url rewrites for a private
# upstream) but no hooks or fsmonitor, and speaks only these transports: never ext:: (which runs a
# command) nor fd::.
_CLONE_PROTOCOLS = ("https", "http", "ssh", "git", "file")
_CLONE_SETTINGS = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "submodule.recurse=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "protocol.allow=never",
    *(f"protocol.{name}.allow=always" for name in _CLONE_PROTOCOLS),
)
_CLONE_ENVIRONMENT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GCM_INTERACTIVE": "never",  # Git Credential Manager: stored credentials only, no sign-in window
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "SSH_ASKPASS_REQUIRE": "never",
    "GIT_PAGER": "cat",
    "GIT_PROTOCOL_FROM_USER": "0",
}


class GitTimeoutError(Exception):
    """git did not answer in time (a FIFO or a slow device in the repository's config or git folder); the
    message names the repository."""


@dataclass(frozen=True)
class _Answer:
    ok: bool
    output: bytes
    complaint: str  # the last line git wrote to stderr, for a one-line message


def _timeout(default: float) -> float:
    given = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    try:
        seconds = float(given) if given else default
    except ValueError:
        return default
    return seconds if seconds > 0 and math.isfinite(seconds) else default


def _environment(overrides: Mapping[str, str]) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in _DROPPED_ENVIRONMENT}
    environment.update(overrides)
    return environment


def _settings(pairs: Iterable[str]) -> list[str]:
    return [argument for pair in pairs for argument in ("-c", pair)]


def _run(
    where: Path,
    arguments: Sequence[str],
    *,
    settings: Iterable[str] = _LOCKED_SETTINGS,
    environment: Mapping[str, str] = _LOCKED_ENVIRONMENT,
    timeout: float = COMMAND_TIMEOUT,
    about: Path | str | None = None,
    memory_cap: bool = True,
) -> _Answer:
    """Run ``git <arguments>`` in the folder ``where``: the one way lintml starts git.

    ``about`` names the repository in a timeout's message (default: ``where``). ``memory_cap``
    bounds the memory git may allocate (on Linux), for commands on a repository lintml did not make.
    Raises :class:`GitTimeoutError` when git does not finish within the timeout (``LINTML_GIT_TIMEOUT``
    seconds when set); git and every process it started are killed first.
    """
    import subprocess

    command = ["git", "--no-pager", *_settings(settings), *arguments]
    seconds = _timeout(timeout)
    try:
        # A session of its own: no terminal for ssh or a credential helper to prompt on, and a
        # process group to kill whole (an upload-pack or ssh that git started, blocked on a FIFO).
        process = subprocess.Popen(
            command,
            cwd=where,
            env=_environment(environment),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:  # no git executable, or the folder vanished
        return _Answer(False, b"", f"cannot run git: {error.strerror or error}")
    if memory_cap:
        _cap_memory(process.pid)
    try:
        output, errors = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise GitTimeoutError(
            f"{about or where}: git did not answer within {seconds:g} s;"
            " its configuration or git folder may include a FIFO or a slow device"
        ) from None
    except BaseException:  # Ctrl-C: git must not outlive lintml
        _kill(process)
        raise
    return _Answer(process.returncode == 0, output, _complaint(errors, process.returncode))


def _complaint(errors: bytes, status: int) -> str:
    """git's own reason in one line: its first fatal or error line (the rest of a message is advice)."""
    lines = [line.strip() for line in errors.decode("utf-8", "replace").splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("fatal: ", "error: ")):
            return line.split(": ", 1)[1]
    return lines[-1] if lines else f"git exited with status {status}"


# git reads some files of a repository's git folder whole (objects/info/alternates, commondir, shallow):
# one that is a link to /dev/zero would have it allocate memory until the machine runs out. Pack files
# are mapped read-only, which RLIMIT_DATA does not count, so large repositories stay well under it.
_MEMORY_CAP = 2 << 30


def _cap_memory(pid: int) -> None:
    """Lower the data limit of a git just started (a microsecond after exec, long before it could matter)."""
    try:
        import resource

        limits = resource.prlimit(pid, resource.RLIMIT_DATA)
        capped = tuple(_MEMORY_CAP if limit == resource.RLIM_INFINITY else min(limit, _MEMORY_CAP) for limit in limits)
        resource.prlimit(pid, resource.RLIMIT_DATA, capped)
    except (ImportError, AttributeError, OSError, ValueError):  # not Linux, or not allowed: git runs uncapped
        pass


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill git and everything it started (its process group), and reap it."""
    import signal

    try:
        if hasattr(os, "killpg"):
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


# ----------------------------------------------------------------------------- the file list


def tracked_files(root: Path) -> list[str] | None:
    """Paths under ``root`` (relative to it) that git tracks, has staged, or would add (untracked and
    not ignored: a NOTICE that `lintml fix` just wrote counts before it is committed); None outside a
    work tree. Raises :class:`GitTimeoutError` when git does not answer in time."""
    if not (root / ".git").exists() and not _inside_work_tree(root):
        return None
    # git itself, not gitpython: this runs on every check, and importing gitpython costs a pre-commit
    # run ~40 ms for what is one `git ls-files`. Run in ``root``, git lists the files under it
    # relative to it. --cached lists the index (tracked and staged files), --others the rest of the
    # work tree less what .gitignore excludes; neither reads a file's content. A bare repository, a
    # folder git refuses ("dubious ownership") or no git at all give None.
    listed = _run(root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."])
    if not listed.ok:
        return None
    return [os.fsdecode(path) for path in listed.output.split(b"\0") if path]


def _inside_work_tree(root: Path) -> bool:
    return any((parent / ".git").exists() for parent in root.resolve().parents)


# ----------------------------------------------------------------------------- --diff-base


class RevisionError(Exception):
    """A revision git cannot use: unknown, no common history, or no git work tree at all; the message says which."""


def changed_since(root: Path, ref: str) -> list[str]:
    """The files under ``root`` (relative to it) changed since ``ref``, sorted: what a pull request or
    commit would bring in.

    That is every file that differs between the merge base of ``ref`` and HEAD and the work tree
    (committed since, staged or not), plus the untracked files git does not ignore. A renamed file
    counts by its new path; a deleted one is left out, and so is anything that is not a file now (a
    submodule). Raises :class:`RevisionError` outside a git work tree, for a ``ref`` that names no
    commit, or when ``ref`` and HEAD share no history (a shallow clone); :class:`GitTimeoutError`
    when git does not answer in time.
    """
    outside = RevisionError(f"{root}: not in a git work tree (--diff-base compares with git history)")
    if not (root / ".git").exists() and not _inside_work_tree(root):
        raise outside
    # Absolute paths: git prints them one a line, so a path with a line break in it reads as
    # missing (no shallow hint, every file hashed), never as another path.
    layout = _run(root, ["rev-parse", "--path-format=absolute", "--is-inside-work-tree", "--git-common-dir"])
    lines = layout.output.decode("utf-8", "surrogateescape").splitlines()
    if not layout.ok or not lines or lines[0] != "true":
        raise outside  # a bare repository, inside .git, or a core.worktree elsewhere
    common_dir = Path(lines[1]) if len(lines) > 1 else root / ".git"
    if ref.startswith("-") or not ref.strip():  # an option, not a revision
        raise RevisionError(f"{ref!r}: no such commit, branch or tag")
    base = _commit(root, ref)
    if base is None:
        raise RevisionError(f"{ref}: no such commit, branch or tag")
    head = _commit(root, "HEAD")
    if head is None:
        raise RevisionError(f"{ref}: HEAD has no commit yet to compare with")
    found = _run(root, ["merge-base", base, head])
    if not found.ok:
        hint = ""
        if _shallow_boundary(common_dir):
            hint = " (this is a shallow clone: fetch the whole history, e.g. actions/checkout with fetch-depth: 0)"
        raise RevisionError(f"{ref}: no common history with HEAD{hint}")
    merge_base = found.output.decode("ascii", "replace").strip()
    # git is not asked to compare with the work tree: `git diff` would run the repository's clean
    # filters on every file whose stat data changed, and refresh (write) its index. It lists the
    # merge base's tree and the index (object ids only); the work tree is hashed here.
    tree = _run(root, ["ls-tree", "-r", "-z", "--end-of-options", merge_base])
    index = _run(root, ["ls-files", "-z", "--cached", "--stage", "--debug", "--", "."])
    untracked = _run(root, ["ls-files", "-z", "--others", "--exclude-standard", "--", "."])
    for answer in (tree, index, untracked):
        if not answer.ok:
            raise RevisionError(f"{ref}: cannot list the files changed since it: {answer.complaint}")
    before = _tree_blobs(tree.output)
    work_tree = _WorkTree(root, common_dir / "index")
    paths = {path for path in (os.fsdecode(raw) for raw in untracked.output.split(b"\0") if raw) if _plain(path)}
    for path, entry in _index_entries(index.output).items():
        if entry.mode == "160000" or not _plain(path):  # a submodule, or a path git would never write
            continue
        now = work_tree.blob_id(path, entry)
        if now is not None and now != before.get(path):
            paths.add(path)
    return sorted(path for path in paths if (root / path).is_symlink() or (root / path).is_file())


def _commit(root: Path, revision: str) -> str | None:
    found = _run(root, ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"])
    return found.output.decode("ascii", "replace").strip() if found.ok else None


def _plain(path: str) -> bool:
    """A relative path that stays inside the folder (a crafted index or tree may hold ``../x``)."""
    return bool(path) and not path.startswith("/") and ".." not in path.split("/")


def _tree_blobs(listing: bytes) -> dict[str, str]:
    """``git ls-tree -r -z`` output -> path: object id (files and symlinks; submodules too, never compared)."""
    blobs = {}
    for record in listing.split(b"\0"):
        header, tab, name = record.partition(b"\t")
        fields = header.split(b" ")
        if tab and len(fields) == 3:
            blobs[os.fsdecode(name)] = fields[2].decode("ascii", "replace")
    return blobs


@dataclass(frozen=True)
class _IndexEntry:
    mode: str
    object_id: str
    stage: int
    # (ctime s, ctime ns, mtime s, mtime ns, inode, size) as git recorded them (32-bit), when --debug showed them
    recorded: tuple[int, ...] | None


_DEBUG_FIELD = re.compile(rb"(ctime|mtime): (\d+):(\d+)|(ino|size): (\d+)")


# git 2.39's --debug record, whole: mode, id, stage, path, then ctime, mtime, inode and size among the rest.
_DEBUG_RECORD = re.compile(
    rb"(\d{6}) ([0-9a-f]+) (\d)\t([^\0]+)\0"
    rb"  ctime: (\d+):(\d+)\n  mtime: (\d+):(\d+)\n  dev: \d+\tino: (\d+)\n  uid: \d+\tgid: \d+\n"
    rb"  size: (\d+)\tflags: [0-9a-f]+\n"
)


def _index_entries(listing: bytes) -> dict[str, _IndexEntry]:
    """``git ls-files -z --stage --debug`` output -> path: entry (an unmerged path keeps its last stage).

    --debug follows each ``<mode> <id> <stage>\\t<path>\\0`` record with lines that start with two
    spaces (the stat data). Their format is not promised to stay: when the records are not all in the
    form git 2.39 writes, they are read one by one, and one whose stat data cannot be read keeps none
    (its file is hashed)."""
    entries: dict[str, _IndexEntry] = {}
    end = 0
    for match in _DEBUG_RECORD.finditer(listing):
        if match.start() != end:
            break
        end = match.end()
        mode, object_id, stage, name = match.group(1, 2, 3, 4)
        recorded = tuple(int(number) for number in match.group(5, 6, 7, 8, 9, 10))
        entries[os.fsdecode(name)] = _IndexEntry(mode.decode(), object_id.decode(), int(stage), recorded)
    if end == len(listing):
        return entries
    entries = {}
    for record, details in _debug_records(listing):
        header, _, name = record.partition(b"\t")
        fields = header.split(b" ")
        if len(fields) != 3 or not name:
            continue
        values: dict[bytes, tuple[int, ...]] = {}
        for found in _DEBUG_FIELD.finditer(b"\n".join(details)):
            values[found[1] or found[4]] = (int(found[2]), int(found[3])) if found[1] else (int(found[5]),)
        wanted = (b"ctime", b"mtime", b"ino", b"size")
        stat_data = tuple(number for key in wanted for number in values[key]) if set(wanted) <= set(values) else None
        stage = int(fields[2]) if fields[2].isdigit() else 0
        mode, object_id = fields[0].decode("ascii", "replace"), fields[1].decode("ascii", "replace")
        entries[os.fsdecode(name)] = _IndexEntry(mode, object_id, stage, stat_data)
    return entries


def _debug_records(listing: bytes) -> Iterator[tuple[bytes, list[bytes]]]:
    """(record, its debug lines) from ``ls-files -z --debug`` output. After each NUL come the previous
    record's debug lines, then the next record (whose path may hold a line break of its own)."""
    record: bytes | None = None
    for chunk in listing.split(b"\0"):
        lines = chunk.split(b"\n")
        count = 0
        while count < len(lines) and lines[count].startswith(b"  "):
            count += 1
        if record is not None:
            yield record, lines[:count]
        record = b"\n".join(lines[count:]) or None


class _WorkTree:
    """Object ids of work-tree files, as git would compute them, without git (so no filter runs)."""

    def __init__(self, root: Path, index_file: Path) -> None:
        self.root = os.path.realpath(root)
        try:
            self.index_written = os.stat(index_file).st_mtime_ns
        except OSError:
            self.index_written = 0  # every file counts as possibly changed since: all are hashed
        self.folders: dict[str, bool] = {}

    def blob_id(self, path: str, entry: _IndexEntry) -> str | None:
        """The id of the blob the file at ``path`` would be stored as; None when it is not a file or a
        symlink inside the folder now (deleted, a folder, beyond a symlinked folder, unreadable).

        When the file's stat data are what the index recorded, and the file was not written in the
        same instant as the index (git's "racy" case), its content is the index's blob, as git itself
        assumes; otherwise the file is hashed. A file whose bytes went through an autocrlf or filter
        conversion when it was stored hashes differently from its blob: it counts as changed, which
        only means one more file checked.
        """
        parent = path.rpartition("/")[0]
        if parent and not self._inside(parent):
            return None
        location = f"{self.root}/{path}"
        try:
            status = os.lstat(location)
        except (OSError, ValueError):
            return None
        if not (stat.S_ISREG(status.st_mode) or stat.S_ISLNK(status.st_mode)):
            return None
        if entry.stage == 0 and entry.recorded is not None and status.st_mtime_ns < self.index_written:
            mask = 0xFFFFFFFF
            observed = (
                (status.st_ctime_ns // 10**9) & mask,
                status.st_ctime_ns % 10**9,
                (status.st_mtime_ns // 10**9) & mask,
                status.st_mtime_ns % 10**9,
                status.st_ino & mask,
                status.st_size & mask,
            )
            if observed == entry.recorded:
                return entry.object_id
        # The object format follows the repository's: 64 hex digits are sha256.
        algorithm = "sha256" if len(entry.object_id) == 64 else "sha1"
        return _hash_file(location, status, algorithm)

    def _inside(self, folder: str) -> bool:
        known = self.folders.get(folder)
        if known is None:
            expected = os.path.join(self.root, folder)
            known = self.folders[folder] = os.path.realpath(expected) == expected
        return known


_READ_CHUNK = 1 << 20


def _hash_file(location: str, status: os.stat_result, algorithm: str) -> str | None:
    """git's blob id of a file (its bytes) or a symlink (its target's text); None if it cannot be read."""
    digest = hashlib.new(algorithm)
    if stat.S_ISLNK(status.st_mode):
        try:
            target = os.readlink(os.fsencode(location))
        except OSError:
            return None
        digest.update(b"blob %d\0" % len(target) + target)
        return digest.hexdigest()
    try:
        # O_NONBLOCK: if the file turned into a FIFO since the lstat, opening it does not wait for a writer.
        descriptor = os.open(location, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):
            return None
        digest.update(b"blob %d\0" % opened.st_size)
        read = 0
        while chunk := handle.read(_READ_CHUNK):
            digest.update(chunk)
            read += len(chunk)
    if read != opened.st_size:  # written to while read: changed, whatever it holds
        return "changing"
    return digest.hexdigest()


# ----------------------------------------------------------------------------- cloning


class CloneError(Exception):
    """A git URL that could not be cloned or a ref that does not exist; the message says which."""


_TRANSPORT = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)::")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SSH_SCHEMES = ("git+ssh", "ssh+git")


def _refused(url: str) -> str | None:
    """Why lintml will not hand ``url`` to git, or None: only https, http, ssh, git and local repositories."""
    allowed = ", ".join(_CLONE_PROTOCOLS)
    if url.startswith("-"):
        return "a URL cannot start with '-'"
    if any(ord(character) < 32 for character in url):
        return "a URL cannot hold control characters"
    transport = _TRANSPORT.match(url)
    if transport:
        return f"the {transport[1]}:: transport is not allowed (only {allowed})"
    scheme = _SCHEME.match(url)
    if scheme and scheme[1].lower() not in (*_CLONE_PROTOCOLS, *_SSH_SCHEMES):
        return f"the {scheme[1]}:// transport is not allowed (only {allowed})"
    return None


def clone(url: str, ref: str | None, destination: Path) -> str:
    """Clone ``url`` into ``destination`` (or update an earlier clone there), check ``ref`` out; the commit.

    No hook, fsmonitor or prompt runs, only the transports https, http, ssh, git and file are spoken,
    and each git command is killed after ``LINTML_GIT_TIMEOUT`` seconds (default 600).
    """
    what = f"{url}@{ref}" if ref else url
    refused = _refused(url)
    if refused is not None:
        raise CloneError(f"cannot clone {url}: {refused}")

    def run(where: Path, *arguments: str) -> _Answer:
        try:
            return _run(
                where,
                arguments,
                settings=_CLONE_SETTINGS,
                environment=_CLONE_ENVIRONMENT,
                timeout=CLONE_TIMEOUT,
                about=f"cannot clone {what}",
                memory_cap=False,  # index-pack of a large upstream needs more; the clone's git folder is git's own
            )
        except GitTimeoutError:
            raise CloneError(f"cannot clone {what}: git did not answer within {_timeout(CLONE_TIMEOUT):g} s") from None

    def failed(answer: _Answer) -> CloneError:
        return CloneError(f"cannot clone {what}: {answer.complaint}")

    if (destination / ".git").is_dir():
        fetched = run(destination, "fetch", "--tags", "--force", "origin")
        if not fetched.ok:
            raise failed(fetched)
    else:
        import shutil

        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CloneError(f"cannot clone {url}: {error}") from None
        try:
            cloned = run(destination.parent, "clone", "--quiet", "--no-checkout", "--", url, str(destination))
        except CloneError:
            shutil.rmtree(destination, ignore_errors=True)  # a half-made clone would pass for a whole one
            raise
        if not cloned.ok:
            shutil.rmtree(destination, ignore_errors=True)
            raise failed(cloned)
    target = ref or "origin/HEAD"
    commit = None
    for candidate in (target, f"origin/{target}"):
        found = run(destination, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{candidate}^{{commit}}")
        if found.ok:
            commit = found.output.decode("ascii", "replace").strip()
            break
    if commit is None:
        raise CloneError(f"cannot clone {what}: no commit, branch or tag {target!r} there")
    checked_out = run(destination, "checkout", "--quiet", "--force", "--detach", commit)
    if not checked_out.ok:
        raise failed(checked_out)
    return commit


# ----------------------------------------------------------------------------- shared history (the audit)


def head_commit(root: Path) -> str | None:
    """The commit checked out in the git work tree at ``root``; None if it is not one or has none."""
    if not (root / ".git").exists():
        return None
    return _commit(root, "HEAD")


def _objects_folder(root: Path) -> Path | None:
    found = _run(root, ["rev-parse", "--path-format=absolute", "--git-path", "objects"])
    text = found.output.decode("utf-8", "surrogateescape").strip()
    return Path(text) if found.ok and text else None


def merge_base_across(fork: Path, fork_commit: str, upstream: Path, upstream_commit: str, scratch: Path) -> str | None:
    """The merge base of two commits of two repositories, or None when they share no history.

    It is read in a bare repository of lintml's own under the folder ``scratch`` that borrows both
    object stores (git alternates), so neither repository is written to.
    """
    fork_objects, upstream_objects = _objects_folder(fork), _objects_folder(upstream)
    if fork_objects is None or upstream_objects is None:
        return None
    borrower = scratch / hashlib.sha256(f"{fork_objects}\0{upstream_objects}".encode()).hexdigest()[:24]
    try:
        if not (borrower / "objects").is_dir():
            borrower.mkdir(parents=True, exist_ok=True)
            if not _run(borrower, ["init", "--bare", "--quiet", "--template=", "--", str(borrower)]).ok:
                return None
        alternates = borrower / "objects" / "info" / "alternates"
        alternates.parent.mkdir(parents=True, exist_ok=True)
        alternates.write_text(f"{fork_objects}\n{upstream_objects}\n", encoding="utf-8")
    except OSError:
        return None
    found = _run(borrower, [f"--git-dir={borrower}", "merge-base", fork_commit, upstream_commit])
    return found.output.decode("ascii", "replace").strip() if found.ok else None


@dataclass(frozen=True)
class AuthoredCommit:
    short: str  # git's abbreviation of the sha
    date: str  # author date, ISO 8601 date only
    author: str
    subject: str  # first line of the message


def commits_by_path(root: Path, base: str, tip: str) -> dict[str, list[AuthoredCommit]]:
    """path (from the top of the work tree) -> the commits after ``base`` up to ``tip`` that changed it,
    newest first; renames count as a deletion and an addition. Empty when git cannot tell."""
    answer = _run(
        root,
        [
            "log",
            "--no-color",
            "--no-renames",
            "--no-ext-diff",
            "--no-textconv",
            "--no-show-signature",
            "--no-notes",
            "--encoding=UTF-8",
            "--name-only",
            "--format=%x00%h%x09%ad%x09%an%x09%s",
            "--date=short",
            "--end-of-options",
            f"{base}..{tip}",
        ],
        settings=(*_LOCKED_SETTINGS, "core.quotePath=false"),
    )
    found: dict[str, list[AuthoredCommit]] = {}
    if not answer.ok:
        return found
    for block in answer.output.split(b"\x00")[1:]:
        lines = block.strip(b"\n").split(b"\n")
        sha, date, author, subject = [*lines[0].decode("utf-8", "replace").split("\t", 3), "", "", ""][:4]
        for raw in lines[1:]:
            if raw.startswith(b'"'):  # a name with a line break, a quote or a backslash in it
                unquoted = _unquote(raw)
                raw = unquoted[0] if unquoted else b""
            path = raw.decode("utf-8", "surrogateescape").strip()
            if path:
                found.setdefault(path, []).append(AuthoredCommit(sha, date, author, subject))
    return found


# ----------------------------------------------------------------------------- a file's history


@dataclass(frozen=True)
class Commit:
    sha: str  # full 40-hex sha
    date: str  # author date, ISO 8601 date only: "2026-03-01"
    subject: str  # first line of the message

    @property
    def short(self) -> str:
        return self.sha[:7]


@dataclass(frozen=True)
class FileHistory:
    """A file's commit history: the commit that added it and the later ones that changed its code."""

    path: str  # relative to the root it was asked about, posix
    added: Commit
    changes: tuple[Commit, ...]  # oldest first; commits that touched only comments or blank lines are left out

    def as_record(self) -> list[list[str]]:
        """The commits as plain JSON data: the one that added the file, then the changes."""
        return [[commit.sha, commit.date, commit.subject] for commit in (self.added, *self.changes)]

    @classmethod
    def from_record(cls, path: str, record: object) -> FileHistory:
        """The history :meth:`as_record` gave; ValueError for anything else."""
        if not isinstance(record, list) or not record:
            raise ValueError("not a history")
        commits = []
        for item in record:
            if not (isinstance(item, list) and len(item) == 3 and all(isinstance(field, str) for field in item)):
                raise ValueError("not a commit")
            commits.append(Commit(*item))
        return cls(path, commits[0], tuple(commits[1:]))


# Bump when what a history holds, or how it is read from git's output, changes: remembered ones are then asked again.
HISTORY_VERSION = "2"


class HistoryMemo(Protocol):
    """Where :func:`changed_after_added` keeps its answers, by question: the commit it read history from and all
    else that shapes git's answer (see :func:`_question`). A history read from commit C is the same whenever it
    is read from C the same way: commit ids name their parents."""

    def recall(self, question: str) -> dict[str, FileHistory] | None:
        """The answer given to ``question`` (histories by path from the work tree's top), or None."""
        ...

    def remember(self, question: str, answer: Mapping[str, FileHistory]) -> None: ...


PATHS_PER_CALL = 200

# On top of the locked settings: what the repository's config could change in the output these parsers
# read (prefixes, quoting, relative paths, hidden root commits, following renames).
_LOG_SETTINGS = (
    *_LOCKED_SETTINGS,
    "core.quotePath=true",
    "diff.algorithm=myers",
    "diff.indentHeuristic=true",
    "diff.suppressBlankEmpty=false",
    "core.bigFileThreshold=512m",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "log.follow=false",
    "log.showRoot=true",
)
# How both passes run git: the settings above, and replace refs off (the history is the commits' own, which
# their ids name; see _question).
_LOG_RUN: dict[str, Any] = {
    "settings": _LOG_SETTINGS,
    "environment": {**_LOCKED_ENVIRONMENT, "GIT_NO_REPLACE_OBJECTS": "1"},
}
# Both passes over the log: which commits, in a form the parsers read, whatever the repository's config.
_COMMIT_OPTIONS = [
    "--no-merges",
    "--no-renames",
    "--no-color",
    "--no-show-signature",
    "--no-notes",
    "--encoding=UTF-8",
    "--format=%x1e%H%x1f%ad%x1f%s",
    "--date=short",
]
_LIST_OPTIONS = [*_COMMIT_OPTIONS, "--name-status"]
_LOG_OPTIONS = [
    *_COMMIT_OPTIONS,
    "--no-ext-diff",
    "--no-textconv",
    "--submodule=short",
    "--patch",
    "--unified=0",
    "--inter-hunk-context=0",
    "--src-prefix=a/",
    "--dst-prefix=b/",
]


def changed_after_added(root: Path, paths: Sequence[str], memo: HistoryMemo | None = None) -> dict[str, FileHistory]:
    """The history of each of ``paths`` (relative to ``root``) that git has committed, by path.

    A later commit counts as a change only when it adds or removes a line of code; one that only
    adds a license header or a "Modified from" note does not. Paths git has no history for, binary
    files and any trouble with git (no work tree, no git, a failing command) give no entry; git not
    answering in time raises :class:`GitTimeoutError`. With a ``memo``, what an earlier run learnt
    from the same commit is not asked of git again.
    """
    if not paths or (not (root / ".git").exists() and not _inside_work_tree(root)):
        return {}
    layout = _run(root, ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir", "HEAD"])
    lines = layout.output.decode("utf-8", "surrogateescape").splitlines()
    if not layout.ok or len(lines) != 3:
        return {}  # a bare repository, inside .git, a folder git refuses, an unborn branch
    top, common_dir, head = Path(lines[0]), Path(lines[1]), lines[2]
    try:
        prefix = root.resolve().relative_to(top.resolve()).as_posix()
    except (OSError, ValueError):  # a core.worktree that does not hold root
        return {}
    shallow = _shallow_boundary(common_dir)
    wanted: dict[str, str] = {}  # path from the work tree's top -> the path as asked
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            continue
        full = pure.as_posix() if prefix in ("", ".") else f"{prefix}/{pure.as_posix()}"
        wanted.setdefault(full, path)
    names = list(wanted)
    question = _question(head, common_dir, shallow, names) if memo is not None else None
    if question is not None and memo is not None:
        known = memo.recall(question)
        if known is not None:
            return {wanted[full]: _as_asked(history, wanted[full]) for full, history in known.items() if full in wanted}
    learnt: dict[str, FileHistory] = {}
    complete = True  # every path asked got git's answer (none, or a history)
    for start in range(0, len(names), PATHS_PER_CALL):
        chunk = names[start : start + PATHS_PER_CALL]
        # git runs from the work tree's top, so the paths are given from there. A first pass without
        # patches finds the files committed once (most of a vendored tree): added and never changed,
        # they need no diff read.
        listing = _run(top, ["--literal-pathspecs", "log", *_LIST_OPTIONS, "--", *chunk], **_LOG_RUN)
        if not listing.ok:
            complete = False
            continue  # an unborn branch, a corrupt object, ...: these paths get no entry
        once = _committed_once(listing.output, set(chunk))
        changed = [name for name in chunk if name not in once]
        output = b""
        if changed:
            patches = _run(top, ["--literal-pathspecs", "log", *_LOG_OPTIONS, "--", *changed], **_LOG_RUN)
            if not patches.ok:
                complete = False
                continue
            output = patches.output
        found = _histories(output, set(changed)) if changed else {}
        found.update({full: FileHistory(full, commit, ()) for full, commit in once.items()})
        for full, history in found.items():
            if history.added.sha not in shallow:  # a shallow clone's oldest commit seems to add everything
                learnt[full] = history
    if question is not None and memo is not None and complete:
        memo.remember(question, learnt)
    return {wanted[full]: _as_asked(history, wanted[full]) for full, history in learnt.items()}


def _as_asked(history: FileHistory, path: str) -> FileHistory:
    return FileHistory(path=path, added=history.added, changes=history.changes)


def _question(head: str, common_dir: Path, shallow: set[str], names: Sequence[str]) -> str | None:
    """What git's answer to a history question depends on, as a digest: the commit, the shallow boundary, the
    repository's own attributes file (a ``-diff`` there hides a file's changes) and the paths asked together
    (git simplifies history over all of them at once). None when it cannot be told: not a commit id, a grafts
    file (history rewritten), an attributes file that is not a plain readable file. Replace refs do not count:
    history is read with them off. The work tree's .gitattributes files are the caller's to add (they are
    among the files it lists)."""
    if not _HEX40.fullmatch(head) or _exists(common_dir / "info" / "grafts") is not False:
        return None
    attributes = _git_folder_file(common_dir / "info" / "attributes", _ATTRIBUTES_CAP + 1)
    if attributes is None or len(attributes) > _ATTRIBUTES_CAP:
        return None
    digest = hashlib.sha256()
    for part in (head, " ".join(sorted(shallow)), *names):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    digest.update(attributes)
    return digest.hexdigest()


_HEX40 = re.compile(r"[0-9a-f]{40}")


def _exists(path: Path) -> bool | None:
    """Whether anything is at ``path`` (a link included); None when that cannot be told."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    return True


_ATTRIBUTES_CAP = 1024 * 1024


def _git_folder_file(path: Path, most: int) -> bytes | None:
    """Up to ``most`` bytes of the plain file at ``path`` in a git folder (b"" when there is none); None for anything
    else (a link, a FIFO, which is never waited on, an error). A FIFO there would block this process, where no
    timeout reaches, and a link to /dev/zero would never end."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return b""
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read(most)


def _committed_once(listing: bytes, wanted: set[str]) -> dict[str, Commit]:
    """From ``git log --name-status`` output: the paths added by the only commit that touches them."""
    seen: dict[str, list[tuple[Commit | None, str]]] = {}
    commit: Commit | None = None
    for raw in listing.split(b"\n"):
        if raw.startswith(b"\x1e"):
            fields = raw[1:].decode("utf-8", errors="replace").split("\x1f", 2)
            commit = Commit(*fields) if len(fields) == 3 else None
            continue
        status, _, name = raw.partition(b"\t")
        if name.startswith(b'"'):
            unquoted = _unquote(name)
            name = unquoted[0] if unquoted else b""
        path = name.decode("utf-8", errors="replace")
        if status and path in wanted:
            seen.setdefault(path, []).append((commit, status[:1].decode("ascii", errors="replace")))
    return {
        path: events[0][0]
        for path, events in seen.items()
        if len(events) == 1 and events[0][1] == "A" and events[0][0] is not None
    }


_SHALLOW_CAP = 16 * 1024 * 1024  # a shallow file lists commit ids, one a line: even a huge one is far smaller


def _shallow_boundary(common_dir: Path) -> set[str]:
    """The commits a shallow clone was cut at (``shallow`` in the git folder); empty if it is not one (or that
    is not a plain file)."""
    listed = _git_folder_file(common_dir / "shallow", _SHALLOW_CAP) or b""
    return set(listed.decode("ascii", errors="replace").split())


@dataclass
class _Event:
    commit: Commit
    number: int  # which commit of the log it comes from: 0 is the newest
    kind: str = "modified"  # or "added", "deleted", "binary"
    code: bool = False  # a changed line that is code, not comment or blank


def _histories(output: bytes, wanted: set[str]) -> dict[str, FileHistory]:
    """Parse ``git log --patch --unified=0`` output (newest commit first) into histories, by path."""
    events: dict[str, list[_Event]] = {}
    commit: Commit | None = None
    commits = 0
    event: _Event | None = None
    syntax = comment_syntax("")
    in_hunk = False
    run: list[str] = []
    run_sign = b""

    def close_run() -> None:
        nonlocal run
        if event is not None and run and not event.code:
            event.code = _touches_code(run, syntax)
        run = []

    for line in output.split(b"\n"):
        if line.startswith(b"\x1e"):  # the --format line that opens a commit
            close_run()
            fields = line[1:].decode("utf-8", errors="replace").split("\x1f", 2)
            commit = Commit(*fields) if len(fields) == 3 else None
            commits += 1
            event, in_hunk = None, False
        elif line.startswith(b"diff --git "):
            close_run()
            event, in_hunk = None, False
            path = _diff_path(line[len(b"diff --git ") :])
            if commit is not None and path in wanted:
                event = _Event(commit, commits)
                events.setdefault(path, []).append(event)
                syntax = comment_syntax(path)
        elif event is None:
            continue
        elif line.startswith(b"@@"):
            close_run()
            in_hunk = True
        elif not in_hunk:
            if line.startswith(b"new file mode"):
                event.kind = "added"
            elif line.startswith(b"deleted file mode"):
                event.kind = "deleted"
            elif line.startswith(b"Binary files "):
                event.kind = "binary"
        elif line[:1] in (b"+", b"-"):
            if line[:1] != run_sign:
                close_run()
                run_sign = line[:1]
            run.append(line[1:].decode("utf-8", errors="replace"))
        else:  # a context line or "\ No newline at end of file": the run of changed lines ends
            close_run()
    close_run()
    # Oldest commit first, but a commit's own sections (a deletion, then an addition when a file
    # turns into a symlink) keep their order: the sort is stable.
    return {
        path: history
        for path, found in events.items()
        if (history := _history(path, sorted(found, key=lambda event: -event.number)))
    }


def _history(path: str, events: Iterable[_Event]) -> FileHistory | None:
    """The history of the file as it stands now: from its last addition on, oldest first."""
    added: Commit | None = None
    changes: list[Commit] = []
    for event in events:
        if event.kind == "binary":
            return None
        if event.kind == "added":
            added, changes = event.commit, []
        elif event.kind == "deleted":
            added, changes = None, []
        elif added is not None and event.code:
            changes.append(event.commit)
    return FileHistory(path=path, added=added, changes=tuple(changes)) if added is not None else None


def _diff_path(names: bytes) -> str | None:
    """The path in ``a/<path> b/<path>`` (from a ``diff --git`` line); both sides agree without renames."""
    if names.startswith(b'"'):
        quoted = _unquote(names)
        raw = quoted[0] if quoted else None
    else:  # unquoted, so "a/P b/P": the halves are the same length whatever spaces P holds
        length = (len(names) - 5) // 2
        raw = names[: length + 2] if names[length + 2 : length + 5] == b" b/" else None
        if raw is not None and raw[2:] != names[length + 5 :]:
            raw = None
    if raw is None or not raw.startswith(b"a/"):
        return None
    return raw[2:].decode("utf-8", errors="surrogateescape")  # as Python names files it cannot decode


_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


def _unquote(text: bytes) -> tuple[bytes, int] | None:
    """A C-style quoted name at the start of ``text`` (as git quotes odd paths) and where it ends."""
    value = bytearray()
    index = 1
    while index < len(text):
        char = text[index : index + 1]
        if char == b'"':
            return bytes(value), index + 1
        if char != b"\\":
            value += char
            index += 1
            continue
        escape = text[index + 1 : index + 2]
        if escape in _ESCAPES:
            value.append(_ESCAPES[escape])
            index += 2
        elif re.fullmatch(rb"[0-3][0-7]{2}", text[index + 1 : index + 4]):
            value.append(int(text[index + 1 : index + 4], 8))
            index += 4
        else:
            return None
    return None


def _touches_code(lines: Sequence[str], syntax: CommentSyntax) -> bool:
    """Whether a run of added (or removed) lines holds a line of code, not only comments and blanks.

    The lines are read without the rest of the file, so a comment or docstring is recognised only
    from what the run itself shows: a line-comment marker; a block comment or Python docstring that
    opens in the run (the lines up to its close count as comment); a C block's inside (``* text``)
    or last line (``... */``). Anything else, such as one edited line in the middle of a docstring,
    counts as code: better to report a change that was only prose than to miss one to the code.
    """
    closing: str | None = None  # inside a block comment or docstring opened in this run
    c_block = ("/*", "*/") in syntax.block
    for raw in lines:
        stripped = raw.strip()
        if closing is not None:
            if closing in stripped:
                after = stripped.split(closing, 1)[1].strip()
                closing = None
                if after:
                    return True
            continue
        if not stripped or any(_starts_line_comment(raw, marker) for marker in syntax.line):
            continue
        opened = opens_block(stripped, syntax)
        if opened is not None:
            opening, closer = opened
            rest = stripped[len(opening) :]
            if closer not in rest:
                closing = closer
            elif rest.split(closer, 1)[1].strip():
                return True  # code after a comment that closes on the same line
            continue
        if c_block and stripped.startswith("*/"):
            if stripped[2:].strip():
                return True
            continue
        if c_block and (stripped == "*" or stripped.startswith(("* ", "*\t"))):
            continue  # inside a C block comment; "*p = 1;" has no space and stays code
        if c_block and stripped.endswith("*/") and "/*" not in stripped:
            continue  # the last line of a block comment
        return True
    return False


def _starts_line_comment(raw: str, marker: str) -> bool:
    # A marker that is a letter (Fortran's "c ") only counts in the first column.
    if marker[:1].isalnum():
        return raw.startswith(marker)
    return raw.lstrip().startswith(marker)
