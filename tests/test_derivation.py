"""When shared code makes a file a derivative of an upstream, and when it does not.

Real git repositories, real indexes: an upstream that depends on the checked project, a file
that credits another origin, code its own author moved between projects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from lintml.derivation import holder_keys
from lintml.facts.declared import authors, requirements
from tests.conftest import MIT_TEXT, run_lintml
from tests.copying import rename, stdlib_source, strip_and_reformat
from tests.test_obligations import index_upstream

CODE = strip_and_reformat(stdlib_source("textwrap"))
COPY = rename(CODE, {"TextWrapper": "Folder", "wrap": "fold"})
APACHE = "Apache License\nVersion 2.0, January 2004\n"


def _report(local: Path, index: Path) -> list[dict]:
    result = run_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["findings"]


def _rules(report: list[dict]) -> set[str]:
    return {item["rule"] for item in report}


def test_an_upstream_that_depends_on_the_checked_project_took_the_code_from_it(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    metadata = "Metadata-Version: 2.1\nName: plugin\nVersion: 1.0\nRequires-Dist: wraplib>=2; extra == 'all'\n\n"
    upstream = make_repo({"PKG-INFO": metadata, "LICENSE": APACHE, "plugin/fold.py": COPY}, name="plugin")
    index = index_upstream(tmp_path, "plugin", upstream, "Apache-2.0")
    local = make_repo(
        {"LICENSE": MIT_TEXT, "pyproject.toml": '[project]\nname = "wraplib"\n', "wraplib/wrap.py": CODE},
        name="local",
    )
    # plugin took the code from here: it is not where wraplib/wrap.py came from, and nothing is reported.
    assert _report(local, index) == []
    # Without the dependency, the same shared code is a copy of plugin's.
    (local / "pyproject.toml").write_text('[project]\nname = "otherlib"\n', encoding="utf-8")
    assert {"license-text", "change-notice"} <= _rules(_report(local, index))


def test_a_file_that_credits_another_origin_is_taken_at_its_word(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    upstream = make_repo({"LICENSE": APACHE, "wrapkit/fold.py": CODE}, name="wrapkit")
    index = tmp_path / "index.sqlite3"
    added = run_lintml(
        tmp_path, "index", "add", "wrapkit", str(upstream), "--license", "Apache-2.0",
        "--url", "https://github.com/example/wrapkit", "--index", str(index),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    elsewhere = "# Adapted from https://github.com/python/cpython/blob/3.11/Lib/textwrap.py\n" + COPY
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": elsewhere}, name="local")
    report = _report(local, index)
    assert _rules(report) == {"provenance"}
    assert "a shared ancestor" in report[0]["message"]
    # Crediting this upstream (by its address) makes it the origin: its obligations apply.
    named = "# Adapted from https://github.com/example/wrapkit/blob/main/wrapkit/fold.py\n" + COPY
    (local / "fold.py").write_text(named, encoding="utf-8")
    rules = _rules(_report(local, index))
    assert "license-text" in rules and "change-notice" not in rules  # the note is its change notice


def test_an_author_reusing_their_own_code_owes_themselves_nothing(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    header = "# Copyright 2020 Jane Doe\n# SPDX-License-Identifier: Apache-2.0\n"
    upstream = make_repo({"LICENSE": APACHE, "janekit/fold.py": header + CODE}, name="janekit")
    index = index_upstream(tmp_path, "janekit", upstream, "Apache-2.0")
    manifest = '[project]\nname = "tool"\nauthors = [{name = "Jane Doe"}, {name = "Sam Roe"}]\n'
    local = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "tool/fold.py": COPY}, name="local")
    assert _rules(_report(local, index)) == {"provenance"}  # relicensed by its owner: nothing owed
    (local / "pyproject.toml").write_text('[project]\nname = "tool"\nauthors = [{name = "Sam Roe"}]\n')
    assert {"license-text", "change-notice", "copyright-notice"} <= _rules(_report(local, index))


def test_holders_are_read_one_by_one() -> None:
    assert holder_keys("Copyright 2018 Google AI, Google Brain and the HuggingFace Inc. team.") == {
        "googleai",
        "googlebrain",
        "huggingface",
    }
    assert holder_keys("Copyright 2023-present the HuggingFace Inc. team.") == {"huggingface"}


def test_manifest_requirements_and_authors() -> None:
    metadata = (
        "Name: x\nRequires-Dist: Torch>=2\nRequires-Dist: open_clip_torch; extra == 'clip'\n\nRequires-Dist: no\n"
    )
    assert requirements("PKG-INFO", metadata) == {"torch", "open-clip-torch"}
    pyproject = '[project]\ndependencies = ["numpy>=1"]\n[project.optional-dependencies]\ndev = ["Ruff"]\n'
    assert requirements("pyproject.toml", pyproject) == {"numpy", "ruff"}
    assert requirements("setup.cfg", "[options]\ninstall_requires =\n    pyyaml\n") == {"pyyaml"}
    assert authors("setup.py", "setup(name='x', author='Ross Wightman, Jane Doe')") == ["Ross Wightman", "Jane Doe"]
    assert authors("PKG-INFO", "Author-email: Jane Doe <jane@example.org>\n") == ["Jane Doe"]


def test_a_few_lines_in_common_show_provenance_but_carry_no_obligation(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    from tests.copying import top_level_definitions

    upstream = make_repo({"LICENSE": APACHE, "wrapkit/fold.py": CODE}, name="wrapkit")
    index = index_upstream(tmp_path, "wrapkit", upstream, "Apache-2.0")
    small = top_level_definitions(CODE, ["indent"])  # one short function: about 80 tokens aligned
    local = make_repo({"LICENSE": MIT_TEXT, "helpers.py": small + "\n\ndef extra():\n    return 1\n"}, name="local")
    report = _report(local, index)
    assert _rules(report) == {"provenance"}
    assert "too few to tell copying from code written alike" in report[0]["message"]
    assert report[0]["fix"] is None  # no obligation follows: nothing to fix
    (local / "helpers.py").write_text(top_level_definitions(CODE, ["indent", "fill"]), encoding="utf-8")
    report = _report(local, index)
    assert "license-text" in _rules(report)  # two functions: enough to hold it to Apache-2.0
    (shown,) = [finding for finding in report if finding["rule"] == "provenance"]
    assert shown["fix"].startswith("keep the upstream's license and notices")


def test_the_main_holder_does_not_depend_on_the_hash_seed() -> None:
    """Two holders named equally often: the one chosen is the same in every process (string hashes are
    salted per process, and a set's order with them; a run must not report differently from the last)."""
    script = (
        "from lintml.derivation import _main_holder;"
        "print(_main_holder(('Copyright 2021 Zeta Labs and Alpha Works',) * 2, ('pkg',)))"
    )
    chosen = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(8)
    }
    assert chosen == {"alphaworks"}


def test_the_evidence_grade_bounds_the_severity(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """Two functions of an upstream in a large file of other code are moderate evidence: the obligations
    show as warnings, saying why; the same functions as most of a file, or the whole file, are errors."""
    from tests.copying import top_level_definitions

    upstream = make_repo({"LICENSE": APACHE, "wrapkit/fold.py": CODE}, name="wrapkit")
    index = index_upstream(tmp_path, "wrapkit", upstream, "Apache-2.0")
    two = top_level_definitions(CODE, ["indent", "fill"])
    own = strip_and_reformat(stdlib_source("shlex"))  # a large body of code the index does not hold
    local = make_repo({"LICENSE": MIT_TEXT, "helpers.py": own + "\n\n" + two, "whole.py": COPY}, name="local")
    report = _report(local, index)
    graded = {(item["path"], item["rule"]): item for item in report if item["grade"] is not None}
    partial = graded[("helpers.py", "change-notice")]
    assert partial["severity"] == "warning" and partial["grade"]["level"] == "moderate"
    assert "tokens of code aligned" in partial["grade"]["why"]
    whole = graded[("whole.py", "change-notice")]
    assert whole["severity"] == "error" and whole["grade"]["level"] == "strong"
    assert graded[("helpers.py", "provenance")]["severity"] == "info"
    # The same two functions as most of a file are strong evidence.
    (local / "helpers.py").write_text(two, encoding="utf-8")
    report = _report(local, index)
    (notice,) = [item for item in report if item["path"] == "helpers.py" and item["rule"] == "change-notice"]
    assert notice["severity"] == "error" and notice["grade"]["level"] == "strong"
