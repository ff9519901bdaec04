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
