"""Shared fixtures: real git repositories in temporary folders and an isolated facts cache."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import git
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own lintml cache, so results never depend on an earlier test."""
    directory = tmp_path_factory.mktemp("lintml-cache")
    monkeypatch.setenv("LINTML_CACHE_DIR", str(directory))
    # The user's own upstream index must not leak into tests either.
    monkeypatch.setenv("LINTML_INDEX", str(directory / "user-index.sqlite3"))
    # A slow run off a terminal says how far it got every few seconds (lintml.progress): tests that read
    # stderr must not depend on how busy the machine is. tests/test_progress.py turns it back on.
    monkeypatch.setenv("LINTML_NO_PROGRESS", "1")
    yield directory


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def run_lintml(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    text: bool = True,
    **popen: Any,
) -> subprocess.CompletedProcess[Any]:
    """The real command in a fresh interpreter, from ``cwd``, as a hook or a shell would run it.

    ``env`` adds to the environment; ``timeout`` bounds the process, so a hang fails the test
    rather than the run; ``text=False`` gives the output as bytes; ``popen`` goes to subprocess
    (``preexec_fn`` to cap the child's resources, ``stdin``...)."""
    return subprocess.run(
        [sys.executable, "-m", "lintml.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=text,
        timeout=timeout,
        check=False,
        **popen,
    )


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a real git repository: ``make_repo({path: content}, commit=True, staged={...})``."""

    def build(
        files: dict[str, str | bytes],
        *,
        commit: bool = True,
        staged: dict[str, str | bytes] | None = None,
        untracked: dict[str, str | bytes] | None = None,
        name: str = "repo",
    ) -> Path:
        root = tmp_path / name
        root.mkdir()
        repo = git.Repo.init(root)
        with repo.config_writer() as config:
            config.set_value("user", "name", "lintml tests")
            config.set_value("user", "email", "tests@lintml.invalid")
            config.set_value("commit", "gpgsign", "false")
        write_tree(root, files)
        repo.index.add(list(files))
        if commit:
            repo.index.commit("initial")
        if staged:
            write_tree(root, staged)
            repo.index.add(list(staged))
        if untracked:
            write_tree(root, untracked)
        return root

    return build


MIT_TEXT = """MIT License

Copyright (c) 2024 Test Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

APACHE_HEADER = """# Copyright 2020 The HuggingFace Team. All rights reserved.
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""

GPL3_HEADER = """# Copyright (C) 2021 Someone Else
#
# This program is free software: you can redistribute it and/or modify
# it under the terms of the GNU General Public License as published by
# the Free Software Foundation, either version 3 of the License, or
# (at your option) any later version.
#
# This program is distributed in the hope that it will be useful,
# but WITHOUT ANY WARRANTY; without even the implied warranty of
# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
# GNU General Public License for more details.
#
# You should have received a copy of the GNU General Public License
# along with this program.  If not, see <https://www.gnu.org/licenses/>.
"""
