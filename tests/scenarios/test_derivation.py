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

from lintml.derivation import holder_keys, same_holder
from lintml.facts.declared import authors, requirements
from tests.copying import rename, stdlib_source, strip_and_reformat, top_level_definitions
from tests.helpers import MIT_TEXT, index_upstream, invoke_lintml

CODE = strip_and_reformat(stdlib_source("textwrap"))
COPY = rename(CODE, {"TextWrapper": "Folder", "wrap": "fold"})
APACHE = "Apache License\nVersion 2.0, January 2004\n"


def _report(local: Path, index: Path) -> list[dict]:
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["findings"]


def _rules(report: list[dict]) -> set[str]:
    return {item["rule"] for item in report}


def _wrapkit_index(tmp_path: Path, make_repo: Callable[..., Path]) -> Path:
    """An index of wrapkit (Apache-2.0, at github.com/example/wrapkit), whose fold.py is textwrap."""
    upstream = make_repo({"LICENSE": APACHE, "wrapkit/fold.py": CODE}, name="wrapkit")
    index = tmp_path / "index.sqlite3"
    added = invoke_lintml(
        tmp_path, "index", "add", "wrapkit", str(upstream), "--license", "Apache-2.0",
        "--url", "https://github.com/example/wrapkit", "--index", str(index),
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    return index


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
    index = _wrapkit_index(tmp_path, make_repo)
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


def test_everyday_words_that_name_no_origin_waive_nothing(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """ultralytics' tal.py, renamed into an MIT project, says in a docstring that a score is "computed based
    on the given metrics": that names no origin, so the copy owes its upstream as any copy does. Nor does
    "taken from the original Transformer paper" (a paper is not where code came from), nor a BSD text's
    "products derived from this software". A credit with an address, a repository or module path, or a
    proper name does tell of another origin."""
    upstream = make_repo({"LICENSE": APACHE, "wrapkit/fold.py": CODE}, name="wrapkit")
    index = index_upstream(tmp_path, "wrapkit", upstream, "Apache-2.0")
    bsd = "# Neither the name of the copyright holder nor the names of its contributors may be used to endorse\n"
    bsd += "# or promote products derived from this software without specific prior written permission.\n"
    for words, waived in (
        ('"""Scores computed based on the given metrics."""\n', False),
        ("# The scaling below is taken from the original Transformer paper.\n", False),
        (bsd, False),
        ("# Adapted from the Textkit toolbox of Example Labs\n", True),
        ("# Copied from textkit.wrapping.TextWrapper\n", True),
    ):
        local = make_repo({"LICENSE": MIT_TEXT, "fold.py": words + COPY}, name=f"local-{len(words)}")
        report = _report(local, index)
        (shown,) = [finding for finding in report if finding["rule"] == "provenance"]
        assert ("a shared ancestor" in shown["message"]) == waived, (words, shown["message"])
        assert ("license-text" in _rules(report)) == (not waived), words


def test_a_credit_counts_only_where_it_speaks_for_the_copy_and_names_a_plausible_origin(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """A credit in a function far from the copied code speaks for that function, not for the copy; a credit
    naming a catalogued project that does not hold the code names no ancestor of it."""

    upstream = make_repo({"LICENSE": APACHE, "wrapkit/fold.py": CODE}, name="wrapkit")
    other = make_repo({"LICENSE": APACHE, "shellkit/lex.py": stdlib_source("shlex")}, name="shellkit")
    index = index_upstream(tmp_path, "wrapkit", upstream, "Apache-2.0")
    index_upstream(tmp_path, "shellkit", other, "Apache-2.0")
    copied = top_level_definitions(CODE, ["indent", "fill", "dedent", "shorten"])
    own = strip_and_reformat(stdlib_source("colorsys"))
    far = own + '\n\ndef mix():\n    """Adapted from the Painterly toolkit of Example Labs."""\n    return 1\n'
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": copied + "\n\n" + far}, name="local")
    report = _report(local, index)
    (shown,) = [finding for finding in report if finding["rule"] == "provenance"]
    assert "a shared ancestor" not in shown["message"] and "license-text" in _rules(report)
    # The same credit above the copied code speaks for it.
    (local / "fold.py").write_text("# Adapted from the Painterly toolkit of Example Labs\n" + copied, encoding="utf-8")
    (shown,) = [finding for finding in _report(local, index) if finding["rule"] == "provenance"]
    assert "a shared ancestor" in shown["message"]
    # Crediting shellkit, catalogued and holding none of this code, names no ancestor of it.
    (local / "fold.py").write_text("# Adapted from shellkit\n" + copied, encoding="utf-8")
    report = _report(local, index)
    shown = next(finding for finding in report if finding["rule"] == "provenance")
    assert shown["upstream"]["name"] == "wrapkit" and "a shared ancestor" not in shown["message"]
    assert "license-text" in _rules(report)


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
    # Facebook, Inc. became Meta Platforms, Inc.; its later lines often say just "Meta" (transformers' ESM port).
    assert holder_keys("Copyright 2022 Meta and The HuggingFace Inc. team.") == {"facebook", "huggingface"}
    assert same_holder("Copyright (c) Facebook, Inc. and its affiliates.", "Copyright (c) Meta Platforms, Inc.")


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


def test_ownership_comes_from_the_projects_own_word_not_from_copied_headers(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """A fork that restored the upstream's header in most of the copied files, and later changed them with no
    change notice, owes the notices: its manifest and license name who it is, and the upstream's header in
    three of its four files does not make the upstream's holder its own."""
    import git

    from tests.helpers import commit

    header = "# Copyright 2023 The Wrapkit Authors\n# SPDX-License-Identifier: Apache-2.0\n"
    parts = [top_level_definitions(CODE, [name]) for name in ("indent", "dedent", "shorten")]
    files = {f"tool/part{number}.py": header + part for number, part in enumerate(parts)}
    files["tool/own.py"] = "# Copyright 2024 Sam Roe\n# SPDX-License-Identifier: MIT\n\nVALUE = 1\n"
    files["LICENSE"] = MIT_TEXT.replace("Test Authors", "Sam Roe")
    files["pyproject.toml"] = '[project]\nname = "tool"\nauthors = [{name = "Sam Roe"}]\n'
    local = make_repo(files, name="fork")
    for number in range(2):
        path = f"tool/part{number}.py"
        commit(local, path, (local / path).read_text(encoding="utf-8") + "\n\nEXTRA = 2\n")
    assert git.Repo(local).head.commit.message.startswith("add tool/part1.py")
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--format", "json")
    report = json.loads(result.stdout)["findings"]
    owed = sorted(item["path"] for item in report if item["rule"] == "change-notice")
    assert owed == ["tool/part0.py", "tool/part1.py"]  # changed after they were added; part2.py was not
    (finding,) = [item for item in report if item["path"] == "tool/part0.py" and item["rule"] == "change-notice"]
    assert finding["grade"]["level"] == "moderate" and finding["severity"] == "warning"  # a header alone
    # With no word of its own (no authors, a license without a holder), the recurring holder is taken as its own.
    (local / "pyproject.toml").write_text('[project]\nname = "tool"\n', encoding="utf-8")
    (local / "LICENSE").write_text(APACHE, encoding="utf-8")
    report = json.loads(invoke_lintml(local, "check", ".", "--no-catalog", "--format", "json").stdout)["findings"]
    assert not [item for item in report if item["rule"] == "change-notice"]
    # An AUTHORS file is the project's word too.
    (local / "AUTHORS").write_text("# The people who wrote tool\nSam Roe <sam@example.org>\n", encoding="utf-8")
    report = json.loads(invoke_lintml(local, "check", ".", "--no-catalog", "--format", "json").stdout)["findings"]
    assert sorted(item["path"] for item in report if item["rule"] == "change-notice") == owed


def test_the_checked_project_is_a_catalogued_one_by_identity_not_by_name(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """A project named like a catalogued upstream is that upstream (and not matched against it) only when
    it is the same project: same repository, and licenses in common. A fork that keeps the name is traced."""
    from tests.helpers import apache_text

    index = _wrapkit_index(tmp_path, make_repo)

    def manifest(owner: str) -> str:
        return f'[project]\nname = "wrapkit"\n[project.urls]\nRepository = "https://github.com/{owner}/wrapkit"\n'

    itself = make_repo(
        {"LICENSE": apache_text(), "pyproject.toml": manifest("example"), "wrapkit/fold.py": COPY}, name="itself"
    )
    assert not [item for item in _report(itself, index) if item["rule"] == "provenance"]  # its own release
    # The same name in another repository: a fork, traced like any copy.
    (itself / "pyproject.toml").write_text(manifest("someone"), encoding="utf-8")
    report = _report(itself, index)
    assert [item["upstream"]["name"] for item in report if item["rule"] == "provenance"] == ["wrapkit"]
    # The same name and repository under another license: a fork that relicensed, traced and owing.
    fork = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": manifest("example"), "wrapkit/fold.py": COPY}, name="fork")
    assert {"provenance", "license-text", "change-notice"} <= _rules(_report(fork, index))


def test_errors_only_against_origins_a_carrier_of_credited_code_is_a_warning(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """An upstream file that says its code came from elsewhere carries it: a copy matching it may come from
    that origin instead, so its duties are warnings, unless the copy names the carrier as its source."""
    carried = "# Adapted from https://github.com/example-lab/textfold\n" + CODE
    upstream = make_repo({"LICENSE": APACHE, "carrier/fold.py": carried}, name="carrier")
    index = index_upstream(tmp_path, "carrierpkg", upstream, "Apache-2.0")
    local = make_repo({"LICENSE": MIT_TEXT, "fold.py": COPY}, name="local")
    (notice,) = [item for item in _report(local, index) if item["rule"] == "change-notice"]
    assert notice["severity"] == "warning" and notice["grade"]["level"] == "moderate"
    assert "says its code came from elsewhere" in notice["grade"]["why"]
    (local / "fold.py").write_text("# Taken from carrierpkg, with changes\n" + COPY, encoding="utf-8")
    report = _report(local, index)
    (text,) = [item for item in report if item["rule"] == "license-text"]
    assert text["severity"] == "error" and text["grade"]["level"] == "strong"


def test_code_from_another_repository_of_the_same_account_is_the_projects_own(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """ultralytics/ultralytics carries code from ultralytics/yolov5: an account's code moving between its
    repositories, under the same license, owes it nothing, though the old repository's files carry no copyright
    line to say so. Under another license it is a fork's inheritance, and owes as any copy."""
    from tests.helpers import apache_text

    index = _wrapkit_index(tmp_path, make_repo)  # at github.com/example/wrapkit, Apache-2.0
    manifest = '[project]\nname = "newkit"\n[project.urls]\nSource = "https://github.com/{}/newkit"\n'
    files = {"LICENSE": apache_text(), "pyproject.toml": manifest.format("example"), "newkit/fold.py": COPY}
    local = make_repo(files, name="local")
    assert _rules(_report(local, index)) == {"provenance"}
    (local / "pyproject.toml").write_text(manifest.format("someone"), encoding="utf-8")
    assert {"change-notice"} <= _rules(_report(local, index))
    (local / "pyproject.toml").write_text(manifest.format("example"), encoding="utf-8")
    (local / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    assert {"license-text", "change-notice"} <= _rules(_report(local, index))


def test_a_port_whose_header_names_the_upstreams_holder_with_this_project_owes_it_nothing(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """transformers' ViTMAE says "Copyright 2022 Facebook AI and The HuggingFace Inc. team": the holder of the
    MAE code made the port with the project, under its license. A header naming only the project does not."""
    header = "# Copyright 2020 Jane Doe\n# SPDX-License-Identifier: Apache-2.0\n"
    upstream = make_repo({"LICENSE": APACHE, "janekit/fold.py": header + CODE}, name="janekit")
    index = index_upstream(tmp_path, "janekit", upstream, "Apache-2.0")
    manifest = '[project]\nname = "tool"\nauthors = [{name = "Sam Roe"}]\n'
    joint = "# Copyright 2021 Jane Doe and Sam Roe\n" + COPY
    local = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "tool/fold.py": joint}, name="local")
    assert _rules(_report(local, index)) == {"provenance"}
    (local / "tool/fold.py").write_text("# Copyright 2021 Sam Roe\n" + COPY, encoding="utf-8")
    assert {"license-text", "change-notice", "copyright-notice"} <= _rules(_report(local, index))


def test_a_copy_claiming_its_own_holder_matched_to_a_file_opening_with_a_third_party_is_a_warning(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """xformers' kernels say "Copyright Meta"; DeepSpeed's copies of the same kernels open with NVIDIA's CUTLASS
    notice, then Microsoft's. Both may hold NVIDIA's code: the duties toward DeepSpeed are warnings."""
    nvidia = "# Copyright (c) 2017 NVIDIA Corporation\n# Copyright (c) Microsoft Corporation.\n"
    microsoft = "# Copyright (c) Microsoft Corporation.\n"
    files = {"LICENSE": APACHE, "deepkit/fold.py": nvidia + CODE, "deepkit/other.py": microsoft + "VALUE = 1\n"}
    files["deepkit/third.py"] = "# Copyright 2020 The Microsoft DeepKit Team\n" + "OTHER = 2\n"
    index = index_upstream(tmp_path, "deepkit", make_repo(files, name="deepkit"), "Apache-2.0")
    manifest = '[project]\nname = "tool"\nauthors = [{name = "Sam Roe"}]\n'
    own = "# Copyright 2021 Sam Roe\n" + COPY
    local = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "tool/fold.py": own}, name="local")
    (notice,) = [item for item in _report(local, index) if item["rule"] == "change-notice"]
    assert notice["severity"] == "warning" and "NVIDIA" in notice["grade"]["why"]
    (local / "tool/fold.py").write_text(COPY, encoding="utf-8")  # a header that claims nothing
    (notice,) = [item for item in _report(local, index) if item["rule"] == "change-notice"]
    assert notice["severity"] == "error" and notice["grade"]["level"] == "strong"
