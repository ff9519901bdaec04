"""The acceptance scenarios of the obligations work, each a real git repository built from real upstream code.

The upstream is commoncode, an Apache-2.0 project that ships a NOTICE file, as installed with
scancode-toolkit (its sources, its NOTICE and its license text come from the installed
distribution); the model repository of scenario 4 is the example upstream shipped in
``examples/upstreams/minivlm``. Scenario 2 (GPL code renamed into an MIT project) is
``test_obligations.test_renamed_copy_of_gpl_code_in_an_mit_project_is_a_conflict``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import commoncode
import git
import pytest

from tests.copying import rename, strip_and_reformat
from tests.helpers import MIT_TEXT, invoke_lintml

ROOT = Path(__file__).resolve().parents[2]
COMMONCODE = Path(commoncode.__file__).parent
VENDORED = ("text.py", "urn.py", "fileset.py")
CONFIG = (
    "vendored:\n"
    "  third_party/otherlib: {upstream: otherlib, license: Apache-2.0, url: 'https://example.org/otherlib'}\n"
)
OTHERLIB = (
    "# Copyright 2023 The Otherlib Authors\n"
    "# SPDX-License-Identifier: Apache-2.0\n"
    "def scale(values, factor):\n"
    "    return [value * factor for value in values]\n"
)


def _distribution_file(name: str) -> str:
    found = [item for item in metadata.distribution("commoncode").files or () if item.name == name]
    assert found, f"commoncode's distribution has no {name}"
    return found[0].read_text(encoding="utf-8")


@pytest.fixture
def upstream_index(tmp_path: Path, make_repo: Callable[..., Path]) -> Path:
    """commoncode indexed as an upstream: three real modules, its NOTICE and its license text."""
    files = {f"commoncode/{name}": (COMMONCODE / name).read_text(encoding="utf-8") for name in VENDORED}
    files["NOTICE"] = _distribution_file("NOTICE")
    files["LICENSE"] = _distribution_file("apache-2.0.LICENSE")
    upstream = make_repo(files, name="commoncode")
    index = tmp_path / "index.sqlite3"
    arguments = ["index", "add", "commoncode", str(upstream), "--license", "Apache-2.0", "--version", "33.0.0"]
    added = invoke_lintml(tmp_path, *arguments, "--url", "https://github.com/nexB/commoncode", "--index", str(index))
    assert added.returncode == 0, added.stderr
    return index


def _modified_text_module() -> str:
    """commoncode/text.py with its header stripped, its helpers renamed and one function changed."""
    source = (COMMONCODE / "text.py").read_text(encoding="utf-8")
    body = source[source.index("import logging") :]
    renamed = rename(body, {"toascii": "to_ascii", "python_safe_name": "safe_identifier"})
    return renamed + "\n\ndef shout(text):\n    return to_ascii(text).upper() + '!'\n"


def _check(local: Path, index: Path) -> list[dict]:
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return [item for item in json.loads(result.stdout)["findings"] if item["rule"] != "provenance"]


def _by_rule(found: list[dict]) -> dict[str, list[str]]:
    """Rule -> the files its findings are about, those a finding names as owing the same (related) included."""
    grouped: dict[str, list[str]] = {}
    for item in found:
        grouped.setdefault(item["rule"], []).extend([item["path"], *item["related"]])
    return {rule: sorted(paths) for rule, paths in sorted(grouped.items())}


def _vendor_badly(make_repo: Callable[..., Path]) -> tuple[Path, str]:
    files = {
        "LICENSE": MIT_TEXT,
        "README.md": "# tool\n\nA small text tool.\n",
        ".lintml.yaml": CONFIG,
        "third_party/commoncode/text.py": _modified_text_module(),
        "third_party/commoncode/urn.py": (COMMONCODE / "urn.py").read_text(encoding="utf-8"),
        "third_party/commoncode/fileset.py": (COMMONCODE / "fileset.py").read_text(encoding="utf-8"),
        "third_party/otherlib/ops.py": OTHERLIB,
    }
    local = make_repo(files, name="local")
    repo = git.Repo(local)
    (local / "third_party/otherlib/ops.py").write_text(OTHERLIB + "\n\ndef shift(values, by):\n    return values\n")
    repo.index.add(["third_party/otherlib/ops.py"])
    changed = repo.index.commit("otherlib: add shift()")
    return local, changed.hexsha


def test_scenario_1_vendored_apache_project_then_fix(
    tmp_path: Path, make_repo: Callable[..., Path], upstream_index: Path
) -> None:
    """Apache-2.0 code with a NOTICE vendored into an MIT project, one file modified and stripped, no NOTICE."""
    local, changing_commit = _vendor_badly(make_repo)
    found = _check(local, upstream_index)
    assert _by_rule(found) == {
        "attribution": ["README.md", "README.md"],  # neither commoncode nor otherlib is credited
        "change-notice": ["third_party/commoncode/text.py", "third_party/otherlib/ops.py"],  # §4(b)
        "copyright-notice": ["third_party/commoncode/text.py"],  # §4(c): its header was stripped
        "license-text": [  # §4(a): the Apache-2.0 text is shipped nowhere
            "third_party/commoncode/fileset.py",
            "third_party/commoncode/text.py",
            "third_party/commoncode/urn.py",
            "third_party/otherlib/ops.py",
        ],
        "notice-file": ["NOTICE"],  # §4(d)
    }
    # One missing license text is one cause: one finding, at the first file, naming the others.
    (text,) = [item for item in found if item["rule"] == "license-text"]
    assert text["path"] == "third_party/commoncode/fileset.py" and len(text["related"]) == 3
    assert "the same holds for 3 more files" in text["message"]
    notices = {item["path"]: item for item in found if item["rule"] == "change-notice"}
    by_history = notices["third_party/otherlib/ops.py"]
    assert dict(by_history["evidence"])["commits"] == changing_commit  # named from git history
    assert "otherlib: add shift()" in by_history["message"]
    by_content = notices["third_party/commoncode/text.py"]
    assert "toascii -> to_ascii" in by_content["message"] and "§4(b)" in by_content["message"]
    (stripped,) = [item for item in found if item["rule"] == "copyright-notice"]
    assert "Copyright (c) nexB Inc. and others. All rights reserved." in stripped["message"]
    assert "ScanCode is a trademark of nexB Inc." in stripped["message"]  # trademark notices are kept too
    assert "the Apache-2.0 license notice" in stripped["message"]

    fixed = invoke_lintml(local, "fix", "--no-catalog", "--index", str(upstream_index), "--date", "2026-11-21")
    assert fixed.returncode == 0, fixed.stderr
    assert "+++ b/NOTICE" in fixed.stdout and "+++ b/LICENSES/Apache-2.0.txt" in fixed.stdout
    text = (local / "third_party/commoncode/text.py").read_text(encoding="utf-8")
    assert text.startswith(
        "# Copyright (c) nexB Inc. and others. All rights reserved.\n"
        "# ScanCode is a trademark of nexB Inc.\n"
        "# SPDX-License-Identifier: Apache-2.0\n"
        "#\n"
        "# This file was modified from commoncode 33.0.0 (commoncode/text.py), licensed under Apache-2.0.\n"
        "# Upstream: https://github.com/nexB/commoncode\n"
        "# Changed in this repository; notice added on 2026-11-21.\n"
    )
    compile(text, "text.py", "exec")  # still Python
    ops = (local / "third_party/otherlib/ops.py").read_text(encoding="utf-8")
    assert ops.startswith("# Copyright 2023 The Otherlib Authors\n# SPDX-License-Identifier: Apache-2.0\n#\n")
    assert "modified from otherlib" in ops
    notice = (local / "NOTICE").read_text(encoding="utf-8")
    assert "commoncode 33.0.0 (https://github.com/nexB/commoncode)" in notice
    assert _distribution_file("NOTICE").strip() in notice
    assert "Apache License" in (local / "LICENSES/Apache-2.0.txt").read_text(encoding="utf-8")
    for untouched in ("LICENSE", "README.md", "third_party/commoncode/urn.py", "third_party/commoncode/fileset.py"):
        assert not git.Repo(local).index.diff(None, paths=[untouched]), f"{untouched} was changed"

    # Nothing here needed a person: the NOTICE now credits commoncode, the change notice otherlib.
    assert _check(local, upstream_index) == []
    assert "left for a person" not in fixed.stderr

    # A second run changes nothing.
    before = {path: path.read_bytes() for path in local.rglob("*") if path.is_file() and ".git" not in path.parts}
    again = invoke_lintml(local, "fix", "--no-catalog", "--index", str(upstream_index), "--date", "2026-11-22")
    assert again.returncode == 0 and again.stdout == ""
    assert "0 findings repaired; changed 0 files" in again.stderr
    after = {path: path.read_bytes() for path in local.rglob("*") if path.is_file() and ".git" not in path.parts}
    assert after == before


def test_scenario_3_a_correct_copy_has_no_findings(
    tmp_path: Path, make_repo: Callable[..., Path], upstream_index: Path
) -> None:
    """License kept, change notice present, NOTICE carried, upstream credited: nothing to report."""
    source = (COMMONCODE / "text.py").read_text(encoding="utf-8")
    header_end = source.index("import logging")
    modified = source[:header_end] + "# Modified from commoncode 33.0.0 on 2025-02-01: renamed two helpers.\n"
    modified += _modified_text_module()
    files = {
        "LICENSE": MIT_TEXT,
        "LICENSES/Apache-2.0.txt": _distribution_file("apache-2.0.LICENSE"),
        "NOTICE": "Parts of third_party/commoncode come from commoncode:\n\n" + _distribution_file("NOTICE"),
        "README.md": "# tool\n\nBuilt on [commoncode](https://github.com/nexB/commoncode).\n",
        "third_party/commoncode/text.py": modified,
        "third_party/commoncode/urn.py": (COMMONCODE / "urn.py").read_text(encoding="utf-8"),
    }
    local = make_repo(files, name="local")
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(upstream_index), "--format", "json")
    assert result.returncode == 0, result.stdout
    report = json.loads(result.stdout)["findings"]
    assert {item["path"] for item in report if item["rule"] == "provenance"} == {
        "third_party/commoncode/text.py",
        "third_party/commoncode/urn.py",
    }  # the copies were found ...
    assert [item for item in report if item["rule"] != "provenance"] == []  # ... and nothing is owed


def test_scenario_4_renamed_fork_of_a_model_repository_is_flagged_file_by_file(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """An Apache-2.0 model package reformatted with classes and functions renamed; no LICENSE, no NOTICE."""
    upstream = ROOT / "examples/upstreams/minivlm"
    index = tmp_path / "index.sqlite3"
    added = invoke_lintml(
        tmp_path, "index", "add", "minivlm", str(upstream), "--license", "auto", "--index", str(index)
    )
    assert added.returncode == 0, added.stderr
    renames = {
        "Resampler": "Bridge",
        "get_refine_size": "refined_size",
        "slice_image": "cut",
        "ensure_divide": "round_to",
        "find_best_resize": "best_size",
    }
    files = {}
    for module in sorted((upstream / "minivlm").glob("*.py")):
        if module.name == "__init__.py":
            continue
        text = module.read_text(encoding="utf-8")
        files[f"bridge/{module.name}"] = rename(strip_and_reformat(text), renames)
    files["config.json"] = '{"architectures": ["BridgeModel"], "hidden_size": 64}\n'
    files["README.md"] = "---\nlicense: apache-2.0\n---\n# bridge\n\nOur own vision-language bridge.\n"
    local = make_repo(files, name="fork")
    found = _check(local, index)
    copied = sorted(path for path in files if path.endswith(".py"))
    assert len(copied) >= 2
    grouped = _by_rule(found)
    for rule in ("license-text", "change-notice", "copyright-notice"):
        assert grouped.get(rule) == copied, rule  # every copied file, named
    # Change and copyright notices are owed file by file; the one missing license text is reported once.
    assert [item["rule"] for item in found].count("change-notice") == len(copied)
    assert [item["rule"] for item in found].count("license-text") == 1
    assert grouped.get("notice-file") == ["NOTICE"]
    assert grouped.get("license-missing") is not None
    for item in found:
        if item["path"] in copied:
            assert item["upstream"]["name"] == "minivlm"
            assert re.search(r"minivlm/\w+\.py", item["message"])
