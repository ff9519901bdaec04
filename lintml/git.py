"""The git adapter: the one place lintml talks to git (through gitpython)."""

from __future__ import annotations

from pathlib import Path


def tracked_files(root: Path) -> list[str] | None:
    """Paths git tracks or has staged under ``root`` (relative to it), or None outside a work tree."""
    if not (root / ".git").exists() and not _inside_work_tree(root):
        return None
    try:
        import git
    except ImportError:  # git executable missing: gitpython refuses to import
        return None
    try:
        repo = git.Repo(root, search_parent_directories=True)
        if repo.bare or repo.working_tree_dir is None:
            return None
        # --cached lists the index: tracked files plus new files that are staged. The scanned
        # repository's own config must not make git run anything (core.fsmonitor is a command).
        output = repo.git(c="core.fsmonitor=false").ls_files("-z", "--cached", "--full-name", "--", str(root))
    except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError, OSError):
        return None
    top = Path(repo.working_tree_dir).resolve()
    prefix = root.resolve().relative_to(top).as_posix()
    paths = []
    for path in output.split("\0"):
        if not path:
            continue
        if prefix not in ("", "."):
            if not path.startswith(prefix + "/"):
                continue
            path = path[len(prefix) + 1 :]
        paths.append(path)
    return paths


def _inside_work_tree(root: Path) -> bool:
    return any((parent / ".git").exists() for parent in root.resolve().parents)


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
