"""License facts agree with themselves: a bare GNU text fits both "-only" and "-or-later", and a notice
reads the same wherever it appears ("the LICENSE file in the root directory" is the root license)."""

from __future__ import annotations

import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import api
from lintml.api import check
from lintml.facts.cache import FactCache
from lintml.facts.extract import ROOT_LICENSE_REFERENCE, ROOT_LICENSE_SOURCE, FactExtractor, FileFacts, Notice
from lintml.facts.license_texts import license_text
from lintml.facts.notice_table import match_known_notices
from lintml.licenses import shipped_knowledge
from lintml.project import Project
from lintml.provenance.admin import detected_license
from lintml.provenance.upstream import UpstreamSpec, read_upstream
from lintml.repository import PYTHON, DiskSource, RepoFile

META_NOTICE = (
    "# Copyright (c) Meta Platforms, Inc. and affiliates.\n"
    "# All rights reserved.\n"
    "#\n"
    "# This source code is licensed under the license found in the\n"
    "# LICENSE file in the root directory of this source tree.\n"
)
# What follows the notice in three of kornia 0.7.3's files copied from DINOv2 (kornia/feature/dedode/
# transformer/layers/): a list of references, a line saying where the code was modified from, nothing.
TRAILING = {
    "layers/mlp.py": (
        "\n# References:\n"
        "#   https://github.com/facebookresearch/dino/blob/master/vision_transformer.py\n"
        "#   https://github.com/rwightman/pytorch-image-models/tree/master/timm/layers/mlp.py\n"
        "\n\nfrom typing import Callable, Optional\n"
    ),
    "layers/layer_scale.py": (
        "\n# Modified from: https://github.com/huggingface/pytorch-image-models/blob/main/timm/models/"
        "vision_transformer.py#L103-L110\n\nfrom typing import Union\n"
    ),
    "layers/swiglu_ffn.py": "\nfrom typing import Callable, Optional\n\nimport torch.nn.functional as F\n",
}
NOTICE_LINES = (4, 5)


def read_project(root: Path) -> Project:
    """The project as checks see it, its facts extracted from the files on disk."""
    source = DiskSource(root)
    files = list(source.files())
    extractor = FactExtractor(FactCache(None))
    facts = {item.path: extractor.facts(item, source.read(item.path)) for item in files}
    return Project(files=files, facts=facts, knowledge=shipped_knowledge())


def root_reference(expression: str) -> tuple[Notice, ...]:
    return (Notice(expression, *NOTICE_LINES, "reference", ROOT_LICENSE_SOURCE),)


def text_of(spdx_id: str) -> str:
    text = license_text(spdx_id)
    assert text is not None, spdx_id
    return text


# ----------------------------------------------------------------------------- the root LICENSE reference


def test_the_same_meta_notice_reads_the_same_whatever_comments_follow(make_repo: Callable[..., Path]) -> None:
    files = {path: META_NOTICE + rest for path, rest in TRAILING.items()}
    root = make_repo({"LICENSE": text_of("Apache-2.0"), **files})
    extractor = FactExtractor(FactCache(None))
    for path, text in files.items():
        data = text.encode()
        raw = extractor.facts(RepoFile(path, PYTHON, len(data)), data)
        # The notice table answers it, as a reference to the root license file; nothing is left for scancode.
        assert raw.notices == (Notice(ROOT_LICENSE_REFERENCE, *NOTICE_LINES, "reference", "table"),), path
        assert not match_known_notices(text).unexplained
    # Only the notice's paragraph was analysed, once for the three headers.
    assert len(extractor._license_memo) == 1

    project = read_project(root)
    for path in files:
        assert project.facts_of(path).notices == root_reference("Apache-2.0"), path
    findings = check([root]).findings
    assert not [finding for finding in findings if "unknown" in (finding.license or "")], findings
    assert not [finding for finding in findings if finding.rule == "license-reference-missing"], findings


def test_the_reference_is_the_root_license_whichever_it_is(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": text_of("MIT"), "layers/mlp.py": META_NOTICE + TRAILING["layers/mlp.py"]})
    assert read_project(root).facts_of("layers/mlp.py").notices == root_reference("MIT")


def test_other_license_words_beside_the_notice_leave_its_answer_alone(make_repo: Callable[..., Path]) -> None:
    # A paragraph the table does not know sends the header to scancode, which reads that paragraph (ISC)
    # and nothing in the notice's; the notice's paragraph keeps the table's answer, as in every other file.
    # (The table names MIT, Apache-2.0 and the BSD licenses itself: "The MIT License applies" needs no scancode.)
    text = META_NOTICE + "#\n# The ISC License applies to the tokenizer code.\n\nimport torch\n"
    root = make_repo({"LICENSE": text_of("Apache-2.0"), "layers/attention.py": text})
    notices = read_project(root).facts_of("layers/attention.py").notices
    assert notices == (*root_reference("Apache-2.0"), Notice("ISC", 7, 7, "reference", "scancode"))


def test_a_license_text_whose_lines_begin_with_copyright_words_is_matched_whole() -> None:
    # protobuf's header (75 files of sentencepiece 0.2.0): two lines of its BSD text begin "copyright notice,
    # ...". Only the statement line is blanked for the analysis, so the table reads the whole text and the
    # header needs no scancode; headers differing only in holder or year still share one analysis.
    bsd = [
        "// Redistribution and use in source and binary forms, with or without",
        "// modification, are permitted provided that the following conditions are",
        "// met:",
        "//",
        "//     * Redistributions of source code must retain the above copyright",
        "// notice, this list of conditions and the following disclaimer.",
        "//     * Redistributions in binary form must reproduce the above",
        "// copyright notice, this list of conditions and the following disclaimer",
        "// in the documentation and/or other materials provided with the",
        "// distribution.",
        "//     * Neither the name of Google Inc. nor the names of its",
        "// contributors may be used to endorse or promote products derived from",
        "// this software without specific prior written permission.",
        "//",
        "// THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS",
        '// "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT',
        "// LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR",
        "// A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT",
        "// OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,",
        "// SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT",
        "// LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,",
        "// DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY",
        "// THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT",
        "// (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE",
        "// OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.",
    ]
    extractor = FactExtractor(FactCache(None))
    for year in (2008, 2015):
        text = "\n".join([f"// Copyright {year} Google Inc.  All rights reserved.", "//", *bsd, "", "int x;", ""])
        data = text.encode()
        facts = extractor.facts(RepoFile("arena.cc", "code", len(data)), data)
        assert facts.notices == (Notice("BSD-3-Clause", 3, 27, "text", "table"),)
    assert len(extractor._license_memo) == 1


def test_a_reference_to_a_missing_root_license_file_is_reported(make_repo: Callable[..., Path]) -> None:
    files = {path: META_NOTICE + rest for path, rest in TRAILING.items()}
    root = make_repo(files)
    project = read_project(root)
    for path in files:  # nothing to resolve it to: the reference stays what it is
        assert project.facts_of(path).notices[0].expression == ROOT_LICENSE_REFERENCE
    findings = check([root]).findings
    missing = sorted(
        (finding.path, finding.line) for finding in findings if finding.rule == "license-reference-missing"
    )
    assert missing == sorted((path, NOTICE_LINES[0]) for path in files)
    message = next(finding.message for finding in findings if finding.rule == "license-reference-missing")
    assert "LICENSE file in the root directory" in message and "no LICENSE" in message


def test_an_upstream_reads_the_reference_as_its_own_license(tmp_path: Path) -> None:
    folder = tmp_path / "dinov2"
    (folder / "layers").mkdir(parents=True)
    (folder / "LICENSE").write_text(text_of("Apache-2.0"), encoding="utf-8")
    code = "\n".join(f"def block_{number}(x):\n    return x * {number} + {number}\n" for number in range(20))
    (folder / "layers" / "mlp.py").write_text(META_NOTICE + TRAILING["layers/mlp.py"] + code, encoding="utf-8")
    project, files = read_upstream(UpstreamSpec("dinov2", str(folder)), detect_license=detected_license)
    assert project.license == "Apache-2.0"
    assert [item.notices for item in files] == [("Apache-2.0",)]


# ----------------------------------------------------------------------------- bare GNU license texts

GNU_LICENSES = ["GPL-2.0", "GPL-3.0", "LGPL-2.1", "LGPL-3.0", "AGPL-3.0"]


@pytest.mark.parametrize("base", GNU_LICENSES)
@pytest.mark.parametrize("choice", ["only", "or-later"])
def test_a_bare_gnu_text_agrees_with_only_and_or_later(make_repo: Callable[..., Path], base: str, choice: str) -> None:
    root = make_repo(
        {
            "LICENSE": text_of(f"{base}-only"),
            "pyproject.toml": f"[project]\nname = 'demo'\nversion = '0.1'\nlicense = '{base}-{choice}'\n",
        }
    )
    project = read_project(root)
    declared = project.license_file_declaration
    assert declared is not None and declared.open_versions == frozenset({base})
    assert project.project_license == f"{base}-{choice}"  # the declaration that chooses says which
    assert not [finding for finding in check([root]).findings if finding.rule == "license-mismatch"]


def test_ultralytics_bare_agpl_text_and_its_or_later_classifier(make_repo: Callable[..., Path]) -> None:
    # ultralytics 8.3.150: the AGPL-3.0 text as LICENSE, `license = { "text" = "AGPL-3.0" }` and the
    # "AGPLv3+" classifier in pyproject.toml. Before, the classifier was an error against the LICENSE file.
    pyproject = (
        '[project]\nname = "ultralytics"\nversion = "8.3.150"\nlicense = { "text" = "AGPL-3.0" }\n'
        "classifiers = [\n"
        '    "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",\n]\n'
    )
    root = make_repo({"LICENSE": text_of("AGPL-3.0-only"), "pyproject.toml": pyproject})
    assert not [finding for finding in check([root]).findings if finding.rule == "license-mismatch"]


def test_a_bare_agpl_text_still_disagrees_with_mit(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": text_of("AGPL-3.0-only"),
            "pyproject.toml": "[project]\nname = 'demo'\nversion = '0.1'\nlicense = 'MIT'\n",
        }
    )
    (finding,) = [finding for finding in check([root]).findings if finding.rule == "license-mismatch"]
    assert (finding.path, finding.line, finding.license) == ("pyproject.toml", 4, "MIT")
    assert "LICENSE declares AGPL-3.0-only or AGPL-3.0-or-later (a bare AGPL-3.0 text" in finding.message
    assert finding.fix is not None and "change this one to AGPL-3.0-only or AGPL-3.0-or-later" in finding.fix


def test_two_manifests_that_choose_differently_still_disagree(make_repo: Callable[..., Path]) -> None:
    # The bare text fits either choice; a manifest that says -only against the LICENSE file is fine, but
    # the LICENSE file is what each declaration is compared with, so only a different license is reported.
    root = make_repo(
        {
            "LICENSE": text_of("GPL-3.0-only"),
            "pyproject.toml": "[project]\nname = 'demo'\nversion = '0.1'\nlicense = 'GPL-3.0-or-later'\n",
            "setup.cfg": "[metadata]\nname = demo\nlicense = Apache-2.0\n",
        }
    )
    mismatches = [
        (finding.path, finding.license) for finding in check([root]).findings if finding.rule == "license-mismatch"
    ]
    assert mismatches == [("setup.cfg", "Apache-2.0")]


OR_LATER_NOTICE = (
    "\n\nThis program is free software: you can redistribute it and/or modify it under the terms of the GNU\n"
    "General Public License as published by the Free Software Foundation, either version 3 of the License,\n"
    "or (at your option) any later version.\n"
)


def test_a_notice_beside_the_text_chooses(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": text_of("GPL-3.0-only") + OR_LATER_NOTICE,
            "pyproject.toml": "[project]\nname = 'demo'\nversion = '0.1'\nlicense = 'GPL-3.0-only'\n",
        }
    )
    declared = read_project(root).license_file_declaration
    assert declared is not None and (declared.expression, declared.open_versions) == ("GPL-3.0-or-later", frozenset())
    mismatches = [finding.path for finding in check([root]).findings if finding.rule == "license-mismatch"]
    assert mismatches == ["pyproject.toml"]  # the LICENSE file chose "or later"; pyproject says "only"


APACHE_FILE = (
    '# Licensed under the Apache License, Version 2.0 (the "License");\n'
    "# you may not use this file except in compliance with the License.\n"
    "# You may obtain a copy of the License at\n#\n#     http://www.apache.org/licenses/LICENSE-2.0\n#\n"
    "# Unless required by applicable law or agreed to in writing, software\n"
    '# distributed under the License is distributed on an "AS IS" BASIS,\n'
    "# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\n"
    "# See the License for the specific language governing permissions and\n"
    "# limitations under the License.\n\nx = 1\n"
)


def test_the_assumed_version_is_named_where_it_decides_a_conflict(make_repo: Callable[..., Path]) -> None:
    # Apache-2.0 code cannot go into a GPL-2.0-only project, but can into GPL-2.0-or-later (through GPLv3).
    root = make_repo({"LICENSE": text_of("GPL-2.0-only"), "apache.py": APACHE_FILE})
    (conflict,) = [finding for finding in check([root]).findings if finding.rule == "license-conflict"]
    assert 'LICENSE, a bare GPL-2.0 text read as GPL-2.0-only since no notice adds "or (at your option)' in (
        conflict.message
    )
    chosen = make_repo(
        {
            "LICENSE": text_of("GPL-2.0-only"),
            "apache.py": APACHE_FILE,
            "pyproject.toml": "[project]\nname = 'demo'\nversion = '0.1'\nlicense = 'GPL-2.0-or-later'\n",
        },
        name="chosen",
    )
    assert not [finding for finding in check([chosen]).findings if finding.rule == "license-conflict"]


def test_facts_without_a_reference_are_left_as_they_are(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": text_of("MIT"), "apache.py": APACHE_FILE})
    project = read_project(root)
    assert project.facts_of("apache.py") is project.facts["apache.py"]
    assert project.facts_of("nowhere.py") == FileFacts()


def test_an_audit_sees_the_reference_kept_in_a_fork(tmp_path: Path) -> None:
    # DINOv2-like upstream (Apache-2.0), a fork that changed both files: one keeps Meta's notice, one lost it.
    code = (Path(sysconfig.get_paths()["stdlib"]) / "colorsys.py").read_text(encoding="utf-8")
    other = (Path(sysconfig.get_paths()["stdlib"]) / "bisect.py").read_text(encoding="utf-8")
    upstream, fork = tmp_path / "dinov2", tmp_path / "fork"
    for root in (upstream, fork):
        (root / "layers").mkdir(parents=True)
        (root / "LICENSE").write_text(text_of("Apache-2.0"), encoding="utf-8")
    (upstream / "layers" / "kept.py").write_text(META_NOTICE + "\n" + code, encoding="utf-8")
    (upstream / "layers" / "lost.py").write_text(META_NOTICE + "\n" + other, encoding="utf-8")
    (fork / "layers" / "kept.py").write_text(META_NOTICE + "\n" + code + "\n\nEXTRA = 1\n", encoding="utf-8")
    (fork / "layers" / "lost.py").write_text(other + "\n\nEXTRA = 1\n", encoding="utf-8")
    report = api.audit(fork, [upstream], obligations=False).report
    stripped = {pair.path: pair.stripped_notices for pair in report.files}
    assert stripped["layers/kept.py"] == ()
    assert "license notice: Apache-2.0" in stripped["layers/lost.py"]
