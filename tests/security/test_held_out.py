"""Attacks found by red-teaming the finished defences: one test per hole, each failing without its fix.

Every repository here is hostile in one more way than the other security tests try: the entry points
(the Action's install step, the pre-commit hook), the configuration files, the upstreams that are
indexed and audited, and the regular expressions that read a file's text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import ROOT

# ----------------------------------------------------------------------------- entry points


def test_the_action_install_step_never_imports_the_checked_out_repository(tmp_path: Path) -> None:
    """`python -m` puts the current folder first on sys.path, and a step runs in the workspace: a pull
    request adding lintml/ or pip/ must not have its code run by the install step."""
    workspace = tmp_path / "workspace"
    marker = tmp_path / "PWNED"
    for package in ("lintml", "pip"):
        (workspace / package).mkdir(parents=True)
        (workspace / package / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('{package}')\n")
        (workspace / package / "cli.py").write_text("")
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    (install,) = [step for step in steps if step.get("name") == "Install lintml"]
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_ACTION_PATH": str(ROOT),
        "INPUT_VERSION": "none",
    }
    done = subprocess.run(
        ["bash", "-c", install["run"]], cwd=workspace, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "lintml, version" in done.stdout
    assert not marker.exists()
