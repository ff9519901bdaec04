"""Input a scanned repository controls can neither crash lintml, hang it, nor make it run anything."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import git
from click.testing import CliRunner

from lintml.api import check
from lintml.cli import main
from lintml.facts.headers import spdx_copyrights, spdx_tags
from lintml.facts.model_card import parse_model_card
from tests.helpers import GPL3_HEADER, MIT_TEXT


def test_repository_git_config_cannot_run_commands(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": "x = 1\n"})
    with git.Repo(root).config_writer() as config:
        config.set_value("core", "fsmonitor", f"touch {marker}; echo")
    check([root])
    assert not marker.exists()


def test_odd_license_expressions_do_not_crash(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "a.py": "# SPDX-License-Identifier: ()\nx = 1\n",
            "b.py": "# SPDX-License-Identifier: ( OR +\nx = 1\n",
            "pyproject.toml": "[project]\nname = 'x'\nlicense = 'MIT OR ()'\n",
            "README.md": '---\nlicense: "()"\n---\n',
        }
    )
    result = check([root])
    assert ("README.md", "model-card-license-unknown") in {(f.path, f.rule) for f in result.findings}


def test_yaml_alias_bombs_are_refused_quickly() -> None:
    recursive = parse_model_card("---\nlicense: mit\na: &a [*a]\n---\n")
    assert recursive.metadata is None and "aliases" in (recursive.problem or "")
    bomb = "---\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    bomb += "".join(f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]\n" for n in range(1, 12)) + "---\n"
    tracemalloc.start()
    try:
        card = parse_model_card(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert card.metadata is None and card.problem and "aliases" in card.problem
    assert peak < 4 * 1024 * 1024  # refused at the first alias: the 37 million items were never built


def test_deeply_nested_front_matter_is_a_problem_not_a_crash() -> None:
    card = parse_model_card("---\nlicense: " + "[" * 5000 + "]" * 5000 + "\n---\n")
    assert card.metadata is None and card.problem


def test_notebook_with_non_string_sources(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "a.ipynb": '{"cells": [{"cell_type": "code", "source": [1, 2]}]}',
            "b.ipynb": '{"metadata": {}}',
        }
    )
    result = check([root])
    messages = {f.path: f.message for f in result.findings if f.rule == "unreadable-input"}
    assert "a.ipynb" not in messages
    assert messages["b.ipynb"] == "notebook has no list of cells"


def test_symlink_loops_are_skipped(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "ok.py": GPL3_HEADER})
    os.symlink(root / "b.py", root / "a.py")
    os.symlink(root / "a.py", root / "b.py")
    git.Repo(root).index.add(["a.py", "b.py"])
    result = check([root])
    assert [f.path for f in result.findings if f.rule == "license-conflict"] == ["ok.py"]


def test_spdx_scans_are_linear() -> None:
    # 200,000 spaces: a scan that backtracked over them would take 10^10 steps and never finish
    # (a hang, not a flaky timing); benchmarks/bench_micro.py measures the linear one.
    assert [tag.expression for tag in spdx_tags("# SPDX-License-Identifier: MIT" + " " * 200_000 + "x")] == ["MIT x"]
    assert [line for _, line in spdx_copyrights("# SPDX-FileCopyrightText: a" + " " * 200_000 + "x")] == [1]


def test_spdx_tags_in_string_literals_are_not_tags() -> None:
    assert spdx_tags('TEXT = "# SPDX-License-Identifier: GPL-3.0-only"\n') == ()
    assert [tag.expression for tag in spdx_tags("    # SPDX-License-Identifier: MIT\n")] == ["MIT"]


def test_utf16_files_are_read(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "gpl.py": GPL3_HEADER.encode("utf-16")})
    assert [f.rule for f in check([root]).findings if f.path == "gpl.py"] == ["license-conflict", "license-text"]


def test_unwritable_output_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT})
    result = CliRunner().invoke(main, ["check", str(root), "--output", "/proc/version"])
    assert result.exit_code == 2
    assert result.stderr.startswith("lintml: error: ") and "Traceback" not in result.output
