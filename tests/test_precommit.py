"""lintml installed as a pre-commit hook (by the real pre-commit package) in a temporary git repository."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import GPL3_HEADER, MIT_TEXT, ROOT


def pre_commit(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.setdefault("PRE_COMMIT_HOME", str(ROOT / ".cache" / "pre-commit"))
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=900,
    )


def test_hooks_run_through_pre_commit(make_repo: Callable[..., Path]) -> None:
    repo = make_repo({"LICENSE": MIT_TEXT, "clean.py": "x = 1\n"}, staged={"ops.py": GPL3_HEADER + "x = 1\n"})

    changed = pre_commit(repo, "lintml-changed", "--files", "ops.py", "--verbose")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "ops.py:3:" in changed.stdout and "license-conflict" in changed.stdout

    clean = pre_commit(repo, "lintml-changed", "--files", "clean.py")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    whole = pre_commit(repo, "lintml", "--all-files", "--verbose")
    assert whole.returncode == 1, whole.stdout + whole.stderr
    assert "license-conflict" in whole.stdout
