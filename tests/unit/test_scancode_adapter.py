"""Tests of the scancode adapter, with the real scancode-toolkit (its index loads once, ~8 s)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lintml.facts import scancode_adapter
from lintml.facts.notice_table import NoticeMatch, match_known_notices
from lintml.facts.scancode_adapter import Copyright, detect_copyrights, detect_licenses
from tests.helpers import GPL_NAMED_PROGRAM

ROOT = Path(__file__).resolve().parents[2]

# The GPL notice with the program's name where it usually says "This program": the exact
# table only knows it in pieces, scancode's approximate matcher reads it whole.

# A BSD-3-Clause text with its clauses reworded and shortened.
BSD_EDITED = """\
# Copyright (c) 2019, Example Labs
# Redistribution and use in source and binary forms, with or without modification,
# are permitted provided that the following conditions are met:
# 1. Redistributions of source code must retain the above copyright notice, this list of
#    conditions and the following disclaimer.
# 2. Redistributions in binary form must reproduce the above copyright notice, this list of
#    conditions and the following disclaimer in the documentation and/or other materials.
# 3. Neither the name of Example Labs nor the names of its contributors may be used to
#    endorse or promote products derived from this software without prior written permission.
# THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS
# OR IMPLIED WARRANTIES ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER BE LIABLE FOR ANY
# DAMAGES ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE.
"""

APACHE_HEADER = """\
# Copyright 2024 The HuggingFace Team. All rights reserved.
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


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_copyrights_alone_never_load_the_license_index(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SCANCODE_") and key != "LINTML_CACHE_DIR"  # the default location is under test
    }
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["HOME"] = str(tmp_path / "home")
    result = _run(
        """
        import os, sys
        from lintml.facts import scancode_adapter
        assert not [name for name in sys.modules if name.split(".")[0] in {"licensedcode", "cluecode", "scancode"}]
        found = scancode_adapter.detect_copyrights([(3, "# Copyright 2024 The HuggingFace Team. All rights reserved.")])
        print(found)
        print("index" if "licensedcode.cache" in sys.modules else "no index")
        print(os.environ["SCANCODE_CACHE"])
        print(os.environ["SCANCODE_TEMP"])
        """,
        env,
    )
    assert result.returncode == 0, result.stderr
    found, index, cache, temp = result.stdout.splitlines()
    assert "The HuggingFace Team" in found
    assert index == "no index"
    assert Path(cache).is_relative_to(tmp_path / "cache" / "lintml" / "scancode")
    assert Path(temp).is_relative_to(tmp_path / "cache" / "lintml" / "scancode")
    assert not (tmp_path / "home" / ".cache" / "scancode-tk").exists()
    assert list(Path(temp).iterdir()) == []  # scancode's per-process temporary folder is gone
    assert result.stderr == ""  # no index message: nothing slow happened


def test_user_set_scancode_folders_are_kept(tmp_path: Path) -> None:
    env = dict(os.environ, SCANCODE_CACHE=str(tmp_path / "c"), SCANCODE_TEMP=str(tmp_path / "t"))
    (tmp_path / "c").mkdir()
    (tmp_path / "t").mkdir()
    result = _run(
        """
        import os
        from lintml.facts.scancode_adapter import prepare_environment
        prepare_environment()
        print(os.environ["SCANCODE_CACHE"], os.environ["SCANCODE_TEMP"])
        """,
        env,
    )
    assert result.stdout.split() == [str(tmp_path / "c"), str(tmp_path / "t")]


def test_copyrights_with_holders_and_caller_line_numbers() -> None:
    lines = [
        (10, "# Copyright 2024 The HuggingFace Team. All rights reserved."),
        (11, "#"),
        (12, "# Copyright (c) 2018, NVIDIA CORPORATION.  All rights reserved."),
        (13, '# Licensed under the Apache License, Version 2.0 (the "License");'),
    ]
    assert detect_copyrights(lines) == (
        Copyright("Copyright 2024 The HuggingFace Team", "The HuggingFace Team", 10),
        Copyright("Copyright (c) 2018, NVIDIA CORPORATION.", "NVIDIA CORPORATION.", 12),
    )
    assert detect_copyrights([]) == ()
    assert detect_copyrights([(1, "import os")]) == ()


def test_announce_prints_one_line_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINTML_PROGRESS", raising=False)
    with scancode_adapter._announce("lintml: loading..."):
        pass
    assert capsys.readouterr().err == "lintml: loading...\n"


def test_announce_shows_an_erased_bar_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LINTML_NO_PROGRESS", raising=False)
    monkeypatch.setenv("LINTML_PROGRESS", "1")  # as on a terminal
    with scancode_adapter._announce("lintml: loading..."):
        pass
    shown = capsys.readouterr().err
    assert "loading [00:00]" in shown and "lintml:" not in shown
    assert shown.endswith("\r")  # erased when done


@pytest.fixture(scope="module")
def license_index() -> Iterator[None]:
    """Load scancode's license index once for the tests below (~8 s)."""
    scancode_adapter._license_cache()
    yield


@pytest.mark.usefixtures("license_index")
def test_scancode_reads_notices_the_table_cannot() -> None:
    table = match_known_notices(GPL_NAMED_PROGRAM)
    assert table.unexplained
    assert detect_licenses(GPL_NAMED_PROGRAM) == (NoticeMatch("GPL-3.0-or-later", 3, 14, "notice", "scancode"),)

    assert match_known_notices(BSD_EDITED).unexplained
    assert [(match.expression, match.start_line, match.end_line) for match in detect_licenses(BSD_EDITED)] == [
        ("BSD-3-Clause", 2, 12)
    ]


@pytest.mark.usefixtures("license_index")
def test_scancode_agrees_with_the_table_on_a_common_header() -> None:
    expected = (NoticeMatch("Apache-2.0", 3, 13, "notice", "scancode"),)
    assert detect_licenses(APACHE_HEADER) == expected
    assert detect_licenses(APACHE_HEADER, approximate=False) == expected
    assert [match.expression for match in match_known_notices(APACHE_HEADER).matches] == ["Apache-2.0"]
    # A notice lintml's own table entries teach (scripts/notice_table_extras.yaml) reads as scancode reads it.
    ultralytics = "# Ultralytics \U0001f680 AGPL-3.0 License - https://ultralytics.com/license\n"
    assert detect_licenses(ultralytics) == (NoticeMatch("AGPL-3.0-only", 1, 1, "reference", "scancode"),)
    assert match_known_notices(ultralytics).matches == (NoticeMatch("AGPL-3.0-only", 1, 1, "reference", "table"),)


@pytest.mark.usefixtures("license_index")
def test_scancode_keeps_individual_matches() -> None:
    text = "# Licensed under the Apache License, Version 2.0.\n# Parts are from X, MIT licensed (see LICENSE-MIT).\n"
    expressions = {match.expression for match in detect_licenses(text)}
    assert {"Apache-2.0", "MIT"} <= expressions
    assert detect_licenses("") == ()
    assert detect_licenses("import os\n") == ()
