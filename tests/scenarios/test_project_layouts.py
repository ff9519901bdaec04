"""Real project layouts: where the root is, which files declare the license, and where findings land."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from lintml.api import check
from lintml.cli import main
from tests.helpers import APACHE_HEADER, GPL3_HEADER, MIT_TEXT, invoke_lintml


def rules_at(result: object) -> set[tuple[str, str]]:
    return {(finding.rule, finding.path) for finding in result.findings}  # type: ignore[attr-defined]


def test_checking_a_subfolder_uses_the_repository_root(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "src/a.py": GPL3_HEADER, "other/b.py": GPL3_HEADER})
    result = check([root / "src"])
    assert ("license-missing", "pyproject.toml") not in rules_at(result)
    assert {path for _, path in rules_at(result)} == {"src/a.py"}
    completed = invoke_lintml(root / "src", "check", "--format", "json")
    assert {item["path"] for item in json.loads(completed.stdout)["findings"]} == {"src/a.py"}


def test_header_line_numbers_survive_blank_lines(make_repo: Callable[..., Path]) -> None:
    text = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\n\n\n" + GPL3_HEADER
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": text})
    conflict = next(f for f in check([root]).findings if f.rule == "license-conflict")
    assert conflict.line == 8  # "# This program is free software..." is the 8th line


def test_one_line_copyright_and_license(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "a.py": "# Copyright (c) 2024 Foo Inc. Licensed under the Apache License, Version 2.0.\nx = 1\n",
        }
    )
    assert ("license-text", "a.py") in rules_at(check([root]))


def test_dual_license_files_agree_with_an_or_expression(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE-MIT": MIT_TEXT,
            "LICENSE-APACHE": APACHE_HEADER.replace("# ", "").replace("#", ""),
            "pyproject.toml": "[project]\nname = 'x'\nlicense = 'MIT OR Apache-2.0'\n",
            "a.py": "# SPDX-License-Identifier: MIT OR Apache-2.0\nx = 1\n",
        }
    )
    result = check([root])
    assert not [f for f in result.findings if f.rule == "license-mismatch"], result.findings


def test_setup_py_is_read_without_running_it(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    setup = f"import pathlib\npathlib.Path({str(marker)!r}).touch()\nsetup(name='x', license='GPL-3.0-only')\n"
    root = make_repo({"LICENSE": MIT_TEXT, "setup.py": setup})
    assert ("license-mismatch", "setup.py") in rules_at(check([root]))
    assert not marker.exists()


def test_umbrella_classifier_is_not_a_mismatch(make_repo: Callable[..., Path]) -> None:
    cfg = "[metadata]\nname = x\nclassifiers =\n    License :: OSI Approved :: BSD License\n"
    root = make_repo({"LICENSE": MIT_TEXT, "setup.cfg": cfg})
    assert not [f for f in check([root]).findings if f.rule == "license-mismatch"]


def test_code_files_named_like_licenses_are_code(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"license_utils.py": "# SPDX-License-Identifier: MIT\nx = 1\n", "gpl.py": GPL3_HEADER})
    assert ("license-missing", "gpl.py") in rules_at(check([root]))


def test_suppressions_work_in_manifests(make_repo: Callable[..., Path]) -> None:
    pyproject = "[project]\nname = 'x'\nlicense = 'Apache-2.0'  # lintml: ignore[license-mismatch]\n"
    root = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": pyproject})
    assert not [f for f in check([root]).findings if f.rule == "license-mismatch"]


def test_rule_id_typos_are_usage_errors(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT})
    result = CliRunner().invoke(main, ["check", str(root), "--select", "licnese-conflict"])
    assert result.exit_code == 2 and "'licnese-conflict' names no rule" in result.stderr
    (root / ".lintml.yaml").write_text("severity:\n  license-txt: warning\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 2 and ".lintml.yaml" in result.stderr and "license-txt" in result.stderr


def test_an_untracked_file_named_explicitly_is_checked(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT}, untracked={"new_gpl.py": GPL3_HEADER})
    assert ("license-conflict", "new_gpl.py") in rules_at(check([root / "new_gpl.py"]))


def test_github_paths_are_relative_to_the_working_folder(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "src/b.py": GPL3_HEADER})
    completed = invoke_lintml(root, "check", "--format", "github", "src/b.py")
    assert "file=src/b.py," in completed.stdout and "src/b.py/" not in completed.stdout


def test_gitignore_negation_in_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".gitignore").write_text("*.py\n", encoding="utf-8")
    (tmp_path / "sub" / ".gitignore").write_text("!keep.py\n", encoding="utf-8")
    for name in ("a.py", "sub/keep.py", "sub/drop.py"):
        (tmp_path / name).write_text(GPL3_HEADER, encoding="utf-8")
    (tmp_path / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    assert {path for _, path in rules_at(check([tmp_path]))} == {"sub/keep.py"}


def test_model_card_with_a_byte_order_mark_and_a_folder_link(make_repo: Callable[..., Path]) -> None:
    card = "\ufeff---\nlicense: other\nlicense_name: acme\nlicense_link: ./docs\n---\n"
    root = make_repo({"README.md": card, "docs/terms.md": "terms\n"})
    assert ("model-card-license-link", "README.md") in rules_at(check([root]))
