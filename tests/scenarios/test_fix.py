"""`lintml fix` and the judgements it rests on: what counts as a change notice, a holder, a modified copy.

Every repository here is a real git repository; upstreams are real folders indexed with the
real `lintml index add`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from lintml.derivation import holder_key, same_holder
from lintml.facts.headers import C_LIKE, PYTHON, change_notes
from tests.copying import rename, stdlib_source, strip_and_reformat
from tests.helpers import MIT_TEXT, RENAMED_SLICING, commit, findings, index_upstream, invoke_lintml

ROOT = Path(__file__).resolve().parents[2]


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


def _fix(local: Path, index: Path, *args: str) -> tuple[int, str, str]:
    result = invoke_lintml(local, "fix", "--no-catalog", "--index", str(index), "--date", "2026-11-21", *args)
    return result.returncode, result.stdout, result.stderr


def test_dry_run_prints_the_diff_and_writes_nothing(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    local = make_repo({"LICENSE": MIT_TEXT, "vision/slicing.py": RENAMED_SLICING}, name="local")
    before = _files(local)
    code, out, err = _fix(local, minivlm_index, "--dry-run")
    assert code == 1  # changes are pending
    assert _files(local) == before
    assert "--- a/vision/slicing.py\n+++ b/vision/slicing.py\n" in out
    assert "+# This file was modified from minivlm 2.5.0 (minivlm/image_slicing.py), licensed under Apache-2.0." in out
    assert "--- /dev/null\n+++ b/NOTICE\n" in out and "--- /dev/null\n+++ b/LICENSES/Apache-2.0.txt\n" in out
    assert "would change 3 files" in err
    # The diff is a patch git can apply, and applying it gives what `lintml fix` writes.
    (tmp_path / "fix.patch").write_text(out, encoding="utf-8")
    git.Repo(local).git.apply(str(tmp_path / "fix.patch"))
    applied = _files(local)
    shutil.rmtree(local / "LICENSES")
    (local / "NOTICE").unlink()
    (local / "vision/slicing.py").write_bytes(before["vision/slicing.py"])
    code, _, _ = _fix(local, minivlm_index)
    assert code == 0
    assert _files(local) == applied


def test_fix_keeps_shebang_encoding_and_line_endings(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    text = "#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n" + RENAMED_SLICING
    crlf = text.replace("\n", "\r\n").encode("utf-8")
    local = make_repo({"LICENSE": MIT_TEXT, "slicing.py": crlf}, name="local")
    code, _, err = _fix(local, minivlm_index)
    assert code == 0, err
    fixed = (local / "slicing.py").read_bytes()
    lines = fixed.split(b"\r\n")
    assert lines[:4] == [
        b"#!/usr/bin/env python3",
        b"# -*- coding: utf-8 -*-",
        b"# Copyright 2024 The MiniVLM Authors.",
        b"# SPDX-License-Identifier: Apache-2.0",
    ]
    assert b"\n" not in fixed.replace(b"\r\n", b"")  # every line still ends in CRLF
    assert fixed.endswith(crlf[-40:])  # the code is untouched
    compile(fixed, "slicing.py", "exec")


def test_a_file_fix_cannot_rewrite_is_left_for_a_person(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    latin1 = ("# Übernommen: Zerlegung\n" + RENAMED_SLICING).encode("latin-1")
    local = make_repo({"LICENSE": MIT_TEXT, "slicing.py": latin1}, name="local")
    code, _, err = _fix(local, minivlm_index)
    assert code == 1
    assert (local / "slicing.py").read_bytes() == latin1  # never rewritten, never damaged
    assert "slicing.py: not UTF-8 text; lintml does not rewrite it" in err
    assert (local / "NOTICE").is_file()  # what could be repaired was


def test_fix_of_named_files_touches_only_them(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    local = make_repo(
        {"LICENSE": MIT_TEXT, "a/slicing.py": RENAMED_SLICING, "b/slicing.py": RENAMED_SLICING}, name="local"
    )
    code, _, err = _fix(local, minivlm_index, "a/slicing.py", "--select", "change-notice")
    assert code == 0, err
    assert "modified from minivlm" in (local / "a/slicing.py").read_text(encoding="utf-8")
    assert (local / "b/slicing.py").read_text(encoding="utf-8") == RENAMED_SLICING
    assert not (local / "NOTICE").exists()  # --select kept to change notices


def test_code_from_an_upstream_without_any_license_is_a_conflict_fix_leaves(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    upstream = make_repo({"snippets/wrap.py": stdlib_source("textwrap")}, name="upstream")
    index = index_upstream(tmp_path, "snippets", upstream, "auto")
    shown = invoke_lintml(tmp_path, "index", "info", "snippets", "--index", str(index))
    assert "license:   NONE" in shown.stdout
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": stdlib_source("textwrap")}, name="local")
    (conflict,) = findings(local, index, "license-conflict")
    assert conflict["path"] == "fold.py" and conflict["license"] == "NONE"
    assert "no license" in conflict["message"] and "gives no one the right to copy it" in conflict["message"]
    code, _, err = _fix(local, index)
    assert code == 1 and "license-conflict" in err and "left for a person" in err
    assert (local / "fold.py").read_text(encoding="utf-8") == stdlib_source("textwrap")


def test_code_copied_by_its_own_holder_owes_no_notices(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    ours = "# Copyright 2024 ACME Corp.\n# SPDX-License-Identifier: Apache-2.0\n"
    code = strip_and_reformat(stdlib_source("textwrap"))  # without the module's own copyright lines
    upstream = make_repo({"LICENSE": "Apache License\nVersion 2.0\n", "acme/wrap.py": ours + code}, name="upstream")
    index = index_upstream(tmp_path, "acme-text", upstream, "Apache-2.0")
    copy = "# Copyright 2025 ACME Corporation\n# SPDX-License-Identifier: Apache-2.0\n"
    copy += rename(code, {"TextWrapper": "Wrapper"})
    files = {
        "LICENSES/Apache-2.0.txt": "Apache License\nVersion 2.0\n",
        "pyproject.toml": '[project]\nname = "tools"\nauthors = [{name = "ACME Corp"}]\n',
        "README.md": "# tools\n",
        "tools/fold.py": copy,
        "tools/a.py": "# Copyright 2025 ACME Corp\nA = 1\n",
        "tools/b.py": "# Copyright 2025 ACME Corp\nB = 2\n",
    }
    local = make_repo(files, name="local")
    assert {item["rule"] for item in findings(local, index)} == {"provenance"}
    # The same copy in a project of someone else's owes them the notices.
    commit(local, "pyproject.toml", '[project]\nname = "tools"\nauthors = [{name = "Someone Else"}]\n')
    assert {"change-notice", "attribution"} <= {item["rule"] for item in findings(local, index)}


def test_a_third_party_header_file_changed_in_git_needs_a_change_notice(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    vendored = "# Copyright 2019 Google LLC\n# SPDX-License-Identifier: Apache-2.0\ndef gelu(x):\n    return x\n"
    files = {
        "LICENSES/Apache-2.0.txt": "Apache License\nVersion 2.0\n",
        "LICENSE": MIT_TEXT,
        "ours/a.py": "# Copyright 2025 Jane Doe\nA = 1\n",
        "ours/b.py": "# Copyright 2025 Jane Doe\nB = 2\n",
        "ops/gelu.py": vendored,
    }
    local = make_repo(files, name="local")

    def change_notices() -> list[dict]:
        result = invoke_lintml(local, "check", ".", "--no-catalog", "--format", "json")
        return [item for item in json.loads(result.stdout)["findings"] if item["rule"] == "change-notice"]

    assert change_notices() == []  # unchanged since it was added
    commit(local, "ops/gelu.py", vendored.replace("# SPDX", "# Note: vendored.\n# SPDX"))
    assert change_notices() == []  # only a comment changed
    commit(local, "ops/gelu.py", vendored.replace("return x", "return x * 0.5"))
    (finding,) = change_notices()
    assert finding["path"] == "ops/gelu.py" and finding["upstream"]["name"] == "Copyright 2019 Google LLC"
    assert "git history shows it added in" in finding["message"] and "add ops/gelu.py" in finding["message"]


@pytest.mark.parametrize(
    "text",
    [
        "# Modified from https://github.com/openai/CLIP/blob/main/clip/model.py\nx = 1\n",
        "# Copyright 2020 Google\n# Adapted from the T5 codebase.\nx = 1\n",
        '"""Helpers.\n\nThis file has been modified by ACME.\n"""\nx = 1\n',
        "# Modifications copyright (C) 2023 ACME Inc.\nx = 1\n",
        "# Changes made by ACME: added caching.\nx = 1\n",
        "# Copied from timm with modifications\nx = 1\n",
        "# CHANGES:\n# - faster\nx = 1\n",
        "x = 1\n\n\n# Ported from the reference implementation\ndef f():\n    pass\n",
    ],
)
def test_change_notes_people_write_are_recognised(text: str) -> None:
    assert change_notes(text, PYTHON)


@pytest.mark.parametrize(
    "text",
    [
        'def name(s):\n    """Return a name derived from string s."""\n    return s\n',
        'def f():\n    """Changed in version 3.2: accepts bytes."""\n',
        "x = values  # modified in place by the optimizer\n",
        "# Based on the paper by Smith et al.\nx = 1\n",
        "# Copied from transformers.models.bert.modeling_bert.BertSelfOutput\nx = 1\n",
    ],
)
def test_words_that_are_not_change_notes(text: str) -> None:
    assert change_notes(text, PYTHON) == ()


def test_change_notes_in_c_comments() -> None:
    text = "/*\n * Adapted from PyTorch's Dropout kernel, 2024-03-01.\n */\nint x;\n"
    ((line, words),) = change_notes(text, C_LIKE)
    assert line == 2 and "2024" in words


def test_holders_compare_by_name_not_spelling() -> None:
    assert holder_key("Copyright 2018- The Hugging Face team. All rights reserved.") == "huggingface"
    assert same_holder("Copyright 2020 The HuggingFace Inc. team.", "(c) 2024 The HuggingFace Team")
    assert same_holder("Copyright (c) Meta Platforms, Inc. and affiliates.", "Copyright Meta Platforms")
    assert not same_holder("Copyright 2020 Google LLC", "Copyright 2020 The HuggingFace Team")
    assert not same_holder("Copyright (c) 2020", "Copyright (c) 2021")  # no holder at all: never the same


def test_fix_refuses_to_write_through_a_symbolic_link(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    local = make_repo({"LICENSE": MIT_TEXT, "vision/slicing.py": RENAMED_SLICING}, name="local")
    (local / "LICENSES").symlink_to(outside, target_is_directory=True)
    code, _, err = _fix(local, minivlm_index)
    assert code == 1
    assert "a symbolic link is in the way" in err
    assert list(outside.iterdir()) == []  # nothing written outside the repository


def test_json_report_names_the_commits_of_a_modified_vendored_file(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    config = "vendored:\n  third_party/fmt: {upstream: fmtlib, license: MIT}\n"
    local = make_repo(
        {".lintml.yaml": config, "LICENSE": MIT_TEXT, "third_party/fmt/wrap.py": "def f():\n    return 1\n"},
        name="local",
    )
    commit(local, "third_party/fmt/wrap.py", "def f():\n    return 2\n")
    sha = git.Repo(local).head.commit.hexsha
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--format", "json")
    report = json.loads(result.stdout)["findings"]
    assert not [item for item in report if item["rule"] == "change-notice"]  # MIT asks for no change notice
    config = "vendored:\n  third_party/fmt: {upstream: fmtlib, license: Apache-2.0}\n"
    commit(local, ".lintml.yaml", config)
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--format", "json")
    (notice,) = [item for item in json.loads(result.stdout)["findings"] if item["rule"] == "change-notice"]
    assert dict(notice["evidence"])["commits"] == sha
    assert dict(notice["evidence"])["found_by"] == "vendored"


def test_a_partial_copy_gets_its_notice_beside_the_copied_code_not_a_new_label(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """Two functions of an Apache-2.0 file in a larger MIT file: the fix notes the copied lines, their origin,
    the upstream's copyright line and license, and the date above the code they came in, and adds no SPDX tag
    or copyright line at the top that would relabel the whole file. The check is then satisfied, and a second
    fix changes nothing."""
    from tests.copying import top_level_definitions

    code = strip_and_reformat(stdlib_source("textwrap"))
    header = "# Copyright 2021 The Wrapkit Authors\n# SPDX-License-Identifier: Apache-2.0\n"
    upstream = make_repo({"LICENSE": "Apache License\nVersion 2.0, January 2004\n", "wrapkit/fold.py": header + code})
    index = index_upstream(tmp_path, "wrapkit", upstream, "Apache-2.0")
    own = strip_and_reformat(stdlib_source("colorsys"))
    copied = rename(top_level_definitions(code, ["fill", "shorten", "dedent"]), {"dedent": "unindent"})
    text = "# Copyright 2024 Sam Roe\n# SPDX-License-Identifier: MIT\n\n" + own + "\n\n" + copied
    manifest = '[project]\nname = "tool"\nauthors = [{name = "Sam Roe"}]\n'
    local = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "tool/mix.py": text}, name="local")
    owed = {item["rule"] for item in findings(local, index) if item["path"] == "tool/mix.py"}
    assert {"copyright-notice", "change-notice"} <= owed
    code_run, _, err = _fix(local, index)
    assert code_run in (0, 1), err
    fixed = (local / "tool/mix.py").read_text(encoding="utf-8")
    assert fixed.startswith("# Copyright 2024 Sam Roe\n# SPDX-License-Identifier: MIT\n\n")  # the top is untouched
    assert fixed.count("SPDX-License-Identifier") == 1 and "Wrapkit" not in fixed.split("\n\n", 1)[0]
    note = fixed.split("# Adapted from wrapkit", 1)[1].split("\n")
    assert note[0].startswith(" (wrapkit/fold.py), with changes: lines ")
    assert note[1:4] == [
        "# Copyright 2021 The Wrapkit Authors",
        "# Licensed under Apache-2.0.",
        "# Notice added on 2026-11-21.",
    ]
    span = note[0].rsplit("lines ", 1)[1].removesuffix(" of this file.")
    first, last = (int(number) for number in span.split("-"))
    lines = fixed.splitlines()
    assert lines[first - 1].startswith("def ") and lines[first - 2] == "# Notice added on 2026-11-21."
    assert last >= first and last <= len(lines)
    left = {item["rule"] for item in findings(local, index) if item["path"] == "tool/mix.py"}
    assert not left & {"copyright-notice", "change-notice"}
    before = _files(local)
    _fix(local, index)
    assert _files(local) == before


def test_a_partial_copy_in_c_is_noted_in_the_third_party_notices_file(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """Where lintml cannot tell a safe place for a comment beside the code (C), the note names the file and
    lines in THIRD_PARTY_NOTICES.md; the check reads it back, and a second fix adds nothing."""
    from tests.helpers import c_file

    library = "// Copyright 2022 The Tinyvec Authors\n// SPDX-License-Identifier: Apache-2.0\n\n" + c_file("vec", 6)
    upstream = make_repo({"LICENSE": "Apache License\nVersion 2.0, January 2004\n", "src/vec.c": library})
    index = index_upstream(tmp_path, "tinyvec", upstream, "Apache-2.0")
    own = "\n".join(f"int own_{number}(int x) {{ return x * {number} + {number * 3}; }}" for number in range(60))
    text = "// Copyright 2024 Sam Roe\n// SPDX-License-Identifier: MIT\n\n" + own + "\n" + c_file("vec", 3)
    manifest = '[project]\nname = "tool"\nauthors = [{name = "Sam Roe"}]\n'
    local = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "csrc/mix.c": text}, name="local")
    owed = {item["rule"] for item in findings(local, index) if item["path"] == "csrc/mix.c"}
    assert {"copyright-notice", "change-notice"} <= owed
    _fix(local, index)
    assert (local / "csrc/mix.c").read_text(encoding="utf-8") == text  # the file itself is not relabelled
    notices = (local / "THIRD_PARTY_NOTICES.md").read_text(encoding="utf-8")
    assert "csrc/mix.c: lines " in notices and "adapted from tinyvec (src/vec.c), with changes" in notices
    assert "Copyright 2022 The Tinyvec Authors\nLicensed under Apache-2.0." in notices
    left = {item["rule"] for item in findings(local, index) if item["path"] == "csrc/mix.c"}
    assert not left & {"copyright-notice", "change-notice"}
    _fix(local, index)
    assert (local / "THIRD_PARTY_NOTICES.md").read_text(encoding="utf-8") == notices
