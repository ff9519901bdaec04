"""lintml installed as a pre-commit hook (by the real pre-commit package) in a temporary git repository.

The hooks come from this repository's committed HEAD, as a user's ``rev:`` would pin them;
pre-commit installs lintml into its own environment once and both hooks share it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import git

from tests.helpers import GPL3_HEADER, MIT_TEXT, ROOT


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.setdefault("PRE_COMMIT_HOME", str(ROOT / ".cache" / "pre-commit"))
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=900,
    )


def test_hooks_run_through_pre_commit(make_repo: Callable[..., Path]) -> None:
    head = git.Repo(ROOT).head.commit.hexsha
    config = f"repos:\n  - repo: {ROOT}\n    rev: {head}\n    hooks:\n      - id: lintml\n      - id: lintml-changed\n"
    repo = make_repo(
        {"LICENSE": MIT_TEXT, "clean.py": "x = 1\n", ".pre-commit-config.yaml": config},
        staged={"ops.py": GPL3_HEADER + "x = 1\n"},
    )

    changed = pre_commit(repo, "run", "lintml-changed", "--files", "ops.py", "--verbose")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "ops.py:3:" in changed.stdout and "license-conflict" in changed.stdout

    clean = pre_commit(repo, "run", "lintml-changed", "--files", "clean.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    whole = pre_commit(repo, "run", "lintml", "--all-files", "--verbose")
    assert whole.returncode == 1, whole.stdout + whole.stderr
    assert "license-conflict" in whole.stdout

    (repo / "ops.py").write_text("x = 1\n", encoding="utf-8")
    git.Repo(repo).index.add(["ops.py"])
    fixed = pre_commit(repo, "run", "--all-files")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
