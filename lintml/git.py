"""The git adapter: the one place lintml talks to git (through gitpython; the file list, which every
check needs, straight from `git ls-files`, which is quicker to start).

Besides listing and cloning, it reads a file's history: which commit added it and which later
commits changed its code (not only its comments), the evidence Apache-2.0 §4(b) asks for.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lintml.facts.headers import CommentSyntax, comment_syntax, opens_block


def tracked_files(root: Path) -> list[str] | None:
    """Paths under ``root`` (relative to it) that git tracks, has staged, or would add (untracked and
    not ignored: a NOTICE that `lintml fix` just wrote counts before it is committed); None outside a
    work tree."""
    if not (root / ".git").exists() and not _inside_work_tree(root):
        return None
    # git itself, not through gitpython: this runs on every check, and importing gitpython costs a
    # pre-commit run ~40 ms for what is one `git ls-files`. Run in ``root``, git lists the files
    # under it relative to it. --cached lists the index (tracked and staged files), --others the
    # rest of the work tree less what .gitignore excludes. The scanned repository's own config
    # must not make git run anything (core.fsmonitor is a command). A bare repository, a folder
    # git refuses ("dubious ownership") or no git at all give None.
    import subprocess

    command = ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        listed = subprocess.run([*command, "--", "."], cwd=root, capture_output=True, check=False)
    except OSError:  # no git executable, or root vanished
        return None
    if listed.returncode != 0:
        return None
    return [os.fsdecode(path) for path in listed.stdout.split(b"\0") if path]


def _inside_work_tree(root: Path) -> bool:
    return any((parent / ".git").exists() for parent in root.resolve().parents)


class RevisionError(Exception):
    """A revision git cannot use: unknown, no common history, or no git work tree at all; the message says which."""


def changed_since(root: Path, ref: str) -> list[str]:
    """The files under ``root`` (relative to it) changed since ``ref``, sorted: what a pull request or
    commit would bring in.

    That is every file that differs between the merge base of ``ref`` and HEAD and the work tree
    (committed since, staged or not), plus the untracked files git does not ignore. A renamed file
    counts by its new path; a deleted one is left out, and so is anything that is not a file now (a
    submodule). Raises :class:`RevisionError` outside a git work tree, for a ``ref`` that names no
    commit, or when ``ref`` and HEAD share no history (a shallow clone).
    """
    if not (root / ".git").exists() and not _inside_work_tree(root):
        raise RevisionError(f"{root}: not in a git work tree (--diff-base compares with git history)")
    try:
        import git
    except ImportError as error:  # no git executable: gitpython refuses to import
        raise RevisionError(f"--diff-base needs git, which is not installed ({error})") from None
    try:
        repo = git.Repo(root, search_parent_directories=True)
        if repo.bare or repo.working_tree_dir is None:
            raise RevisionError(f"{root}: not in a git work tree (--diff-base compares with git history)")
        top = Path(repo.working_tree_dir).resolve()
        prefix = root.resolve().relative_to(top).as_posix()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError, ValueError):
        raise RevisionError(f"{root}: not in a git work tree (--diff-base compares with git history)") from None
    if ref.startswith("-") or not ref.strip():  # an option, not a revision
        raise RevisionError(f"{ref!r}: no such commit, branch or tag")

    def run(command: str, *arguments: str) -> str:
        # Options given to repo.git(...) last one call only, so each call sets them again.
        git_command = getattr(repo.git(c=_SAFE_SETTINGS, literal_pathspecs=True), command)
        return str(git_command(*arguments, env={"GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0"}))

    try:
        base = run("rev_parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except git.GitCommandError:
        raise RevisionError(f"{ref}: no such commit, branch or tag") from None
    try:
        head = run("rev_parse", "--verify", "--quiet", "HEAD^{commit}")
    except git.GitCommandError:
        raise RevisionError(f"{ref}: HEAD has no commit yet to compare with") from None
    try:
        merge_base = run("merge_base", base, head)
    except git.GitCommandError:
        hint = ""
        if _shallow_boundary(Path(repo.common_dir)):
            hint = " (this is a shallow clone: fetch the whole history, e.g. actions/checkout with fetch-depth: 0)"
        raise RevisionError(f"{ref}: no common history with HEAD{hint}") from None
    try:
        # Against the work tree, so staged and unstaged edits count too. Without rename detection
        # a rename is a deletion (which the filter drops) and an addition under the new path.
        changed = run(
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=d",
            "--no-ext-diff",
            "--no-textconv",
            "--ignore-submodules=all",
            merge_base,
            "--",
        )
        untracked = run("ls_files", "-z", "--others", "--exclude-standard", "--full-name")
    except git.GitCommandError as error:
        detail = (error.stderr or str(error)).strip().splitlines()
        reason = detail[-1].strip().removeprefix("stderr: ").strip("' ") if detail else "git failed"
        raise RevisionError(f"{ref}: cannot list the files changed since it: {reason}") from None
    paths = set()
    for path in (*changed.split("\0"), *untracked.split("\0")):
        if not path:
            continue
        if prefix not in ("", "."):
            if not path.startswith(prefix + "/"):
                continue
            path = path[len(prefix) + 1 :]
        located = root / path
        if located.is_symlink() or located.is_file():
            paths.add(path)
    return sorted(paths)


class CloneError(Exception):
    """A git URL that could not be cloned or a ref that does not exist; the message says which."""


def clone(url: str, ref: str | None, destination: Path) -> str:
    """Clone ``url`` into ``destination`` (or update an earlier clone there), check ``ref`` out; the commit."""
    try:
        import git
    except ImportError as error:  # no git executable
        raise CloneError(f"cannot clone {url}: git is not installed ({error})") from None
    # No hooks, no fsmonitor, no credential prompt: a clone never runs the upstream's code nor waits.
    settings = {"core.fsmonitor": "false", "core.hooksPath": "/dev/null"}
    environment = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_COUNT": str(len(settings))}
    for number, (key, value) in enumerate(settings.items()):
        environment[f"GIT_CONFIG_KEY_{number}"] = key
        environment[f"GIT_CONFIG_VALUE_{number}"] = value
    try:
        if (destination / ".git").is_dir():
            repo = git.Repo(destination)
            repo.git.update_environment(**environment)
            repo.git.fetch("--tags", "--force", "origin")
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.clone_from(url, destination, env=environment, no_checkout=True)
            repo.git.update_environment(**environment)
        target = ref or "origin/HEAD"
        try:
            commit = repo.git.rev_parse("--verify", "--quiet", f"{target}^{{commit}}")
        except git.GitCommandError:
            commit = repo.git.rev_parse("--verify", "--quiet", f"origin/{target}^{{commit}}")
        repo.git.checkout("--force", "--detach", commit)
        return str(commit)
    except git.GitCommandError as error:
        detail = (error.stderr or str(error)).strip().splitlines()
        reason = detail[-1].strip() if detail else "git failed"
        reason = reason.removeprefix("stderr: ").strip("' ")
        what = f"{url}@{ref}" if ref else url
        raise CloneError(f"cannot clone {what}: {reason}") from None
    except (git.InvalidGitRepositoryError, OSError) as error:
        raise CloneError(f"cannot clone {url}: {error}") from None


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


PATHS_PER_CALL = 200

# Settings that keep the scanned repository's own config from running a program (an external
# diff, a textconv filter, gpg, an fsmonitor hook, a lazy fetch over some transport) or from
# changing the output this parser reads (prefixes, relative paths, hidden root commits, follow).
_SAFE_SETTINGS = [
    "core.fsmonitor=false",
    "core.quotePath=true",
    "diff.external=",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "log.follow=false",
    "log.showRoot=true",
    "log.showSignature=false",
    "protocol.allow=never",
]
# Both passes over the log: which commits, in a form the parsers read, whatever the repository's config.
_COMMIT_OPTIONS = [
    "--no-merges",
    "--no-renames",
    "--no-color",
    "--no-show-signature",
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


def changed_after_added(root: Path, paths: Sequence[str]) -> dict[str, FileHistory]:
    """The history of each of ``paths`` (relative to ``root``) that git has committed, by path.

    A later commit counts as a change only when it adds or removes a line of code; one that only
    adds a license header or a "Modified from" note does not. Paths git has no history for, binary
    files and any trouble with git (no work tree, no git, a failing command) give no entry.
    """
    if not paths or (not (root / ".git").exists() and not _inside_work_tree(root)):
        return {}
    try:
        import git
    except ImportError:  # git executable missing: gitpython refuses to import
        return {}
    try:
        repo = git.Repo(root, search_parent_directories=True)
        if repo.bare or repo.working_tree_dir is None:
            return {}
        prefix = root.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
        shallow = _shallow_boundary(Path(repo.common_dir))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError, ValueError):
        return {}
    wanted: dict[str, str] = {}  # path from the work tree's top -> the path as asked
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts:
            continue
        full = pure.as_posix() if prefix in ("", ".") else f"{prefix}/{pure.as_posix()}"
        wanted.setdefault(full, path)
    names = list(wanted)
    histories: dict[str, FileHistory] = {}
    for start in range(0, len(names), PATHS_PER_CALL):
        chunk = names[start : start + PATHS_PER_CALL]
        try:
            # gitpython runs git from the work tree's top, so the paths are given from there.
            # A first pass without patches finds the files committed once (most of a vendored
            # tree): added and never changed, they need no diff read.
            listing = repo.git(c=_SAFE_SETTINGS, literal_pathspecs=True).log(
                *_LIST_OPTIONS, "--", *chunk, env={"GIT_NO_LAZY_FETCH": "1"}, stdout_as_string=False
            )
            once = _committed_once(listing, set(chunk))
            changed = [name for name in chunk if name not in once]
            output = (
                repo.git(c=_SAFE_SETTINGS, literal_pathspecs=True).log(
                    *_LOG_OPTIONS, "--", *changed, env={"GIT_NO_LAZY_FETCH": "1"}, stdout_as_string=False
                )
                if changed
                else b""
            )
        except (git.GitCommandError, OSError, ValueError):
            continue  # an unborn branch, a corrupt object, ...: these paths get no entry
        found = _histories(output, set(changed)) if changed else {}
        found.update({full: FileHistory(full, commit, ()) for full, commit in once.items()})
        for full, history in found.items():
            if history.added.sha in shallow:
                continue  # a shallow clone's oldest commit seems to add everything: no evidence
            path = wanted[full]
            histories[path] = FileHistory(path=path, added=history.added, changes=history.changes)
    return histories


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


def _shallow_boundary(common_dir: Path) -> set[str]:
    try:
        return set((common_dir / "shallow").read_text(encoding="ascii", errors="replace").split())
    except OSError:
        return set()


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
