"""Licenses that come with widely copied ML code (issue 13): known, detected, and judged.

The NVIDIA Source Code License (NVlabs StyleGAN code), the SDXL 0.9 research license, CreativeML
Open RAIL-M, the Llama community licenses and the "Modified MIT" variants. Their texts are not kept
here: the real files were read once (scripts/notice_table_extras.yaml says where), and these tests
check what lintml keeps of them (fingerprints in the notice table, aliases of scancode's ids) and
run whole checks on short headers that name them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from types import ModuleType

import pytest

from lintml import api
from lintml.facts.cache import FactCache
from lintml.facts.extract import ROOT_LICENSE_REFERENCE, FactExtractor
from lintml.facts.notice_table import KINDS, load_table
from lintml.licenses import compatible, shipped_knowledge
from lintml.provenance.upstream import UpstreamSpec
from lintml.repository import LICENSE, PYTHON, RepoFile
from tests.copying import rename, stdlib_source, strip_and_reformat
from tests.helpers import MIT_TEXT, write_tree

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE = shipped_knowledge()
NVIDIA_NC = "LicenseRef-nvidia-source-code-nc"

# Headers as the upstreams write them: StyleGAN2's (2019) names the license; Meta's llama repository's
# names its agreement.
STYLEGAN2_HEADER = """\
# Copyright (c) 2019, NVIDIA Corporation. All rights reserved.
#
# This work is made available under the Nvidia Source Code License-NC.
# To view a copy of this license, visit
# https://nvlabs.github.io/stylegan2/license.html
"""
LLAMA2_HEADER = """\
# Copyright (c) Meta Platforms, Inc. and affiliates.
# This software may be used and distributed according to the terms of the Llama 2 Community License Agreement.
"""
APACHE_TEXT_START = "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n"
OP = "def upfirdn2d(x, kernel, up=1, down=1):\n    return x\n"


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_notice_table", ROOT / "scripts" / "build_notice_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _notices(path: str, kind: str, text: str) -> list[tuple[str, str]]:
    data = text.encode()
    facts = FactExtractor(FactCache(None)).facts(RepoFile(path, kind, len(data)), data)
    return [
        (KNOWLEDGE.normalize_expression(notice.expression) or notice.expression, notice.kind)
        for notice in facts.notices
    ]


# ----------------------------------------------------------------------------- knowledge


@pytest.mark.parametrize(
    ("spelling", "lintml_id", "family"),
    [
        ("NVIDIA Source Code License-NC", NVIDIA_NC, "non-commercial"),
        ("LicenseRef-NVIDIA-Source-Code-License-NC", NVIDIA_NC, "non-commercial"),  # the snapshot manifest's
        ("LicenseRef-NvidiaProprietary", "LicenseRef-nvidia-proprietary", "proprietary"),  # EG3D's SPDX tags
        ("LicenseRef-SDXL-0.9-Research-License", "LicenseRef-sdxl-0.9-research", "non-commercial"),
        ("SDXL 0.9 Research License", "LicenseRef-sdxl-0.9-research", "non-commercial"),
        ("LicenseRef-scancode-stable-diffusion-2022-08-22", "LicenseRef-creativeml-openrail-m", "use-restricted"),
        ("creativeml-openrail-m", "LicenseRef-creativeml-openrail-m", "use-restricted"),  # the Hub's id
        ("CreativeML OpenRAIL-M", "LicenseRef-creativeml-openrail-m", "use-restricted"),
        ("LicenseRef-scancode-bigscience-open-rail-m2", "LicenseRef-openrail-plus-plus", "use-restricted"),
        ("LicenseRef-scancode-llama-2-license-2023", "LicenseRef-llama2", "use-restricted"),
        ("LicenseRef-Llama-2-Community", "LicenseRef-llama2", "use-restricted"),
        ("Meta Llama 3 Community License", "LicenseRef-llama3", "use-restricted"),
        ("LicenseRef-Llama-3-Community", "LicenseRef-llama3", "use-restricted"),
        ("LicenseRef-scancode-llama-3.1-license-2024", "LicenseRef-llama3.1", "use-restricted"),
        ("LicenseRef-scancode-tongyi-qianwen-2023", "LicenseRef-tongyi-qianwen", "use-restricted"),
        ("LicenseRef-OpenAI-GPT-2-Modified-MIT", "LicenseRef-openai-gpt-2-modified-mit", "permissive"),
        ("LicenseRef-scancode-moonshot-ai-modified-mit-2025", "LicenseRef-moonshot-ai-modified-mit", "permissive"),
    ],
)
def test_ml_code_licenses_are_known_by_their_names_and_scancode_ids(spelling: str, lintml_id: str, family: str) -> None:
    assert KNOWLEDGE.normalize_expression(spelling) == lintml_id
    assert KNOWLEDGE.family(lintml_id) == family
    assert KNOWLEDGE.name(lintml_id) != lintml_id  # a readable name for messages


@pytest.mark.parametrize(
    ("project", "inbound", "verdict"),
    [
        # Non-commercial and research-only code goes nowhere but into a project under the same terms.
        ("MIT", NVIDIA_NC, False),
        ("Apache-2.0", NVIDIA_NC, False),
        ("BSD-3-Clause", NVIDIA_NC, False),
        ("GPL-3.0-only", NVIDIA_NC, False),
        (NVIDIA_NC, NVIDIA_NC, True),
        (NVIDIA_NC, "MIT", True),  # permissive code may go into it
        ("MIT", "LicenseRef-nvidia-proprietary", False),
        (NVIDIA_NC, "LicenseRef-nvidia-proprietary", True),
        ("Apache-2.0", "LicenseRef-sdxl-0.9-research", False),
        ("MIT", "CC-BY-NC-4.0", False),
        ("CC-BY-NC-SA-4.0", "CC-BY-NC-4.0", True),
        # Use restrictions that must travel with the code: a conflict too, not a warning.
        ("Apache-2.0", "LicenseRef-llama2", False),
        ("Apache-2.0", "LicenseRef-llama3", False),
        ("MIT", "LicenseRef-creativeml-openrail-m", False),
        ("GPL-3.0-or-later", "LicenseRef-openrail-plus-plus", False),
        ("LicenseRef-llama2", "LicenseRef-llama2", True),
        ("LicenseRef-llama3", "LicenseRef-llama2", False),  # another agreement
        ("LicenseRef-creativeml-openrail-m", "Apache-2.0", True),
        # Modified MIT: GPT-2's goes where MIT goes; Moonshot's condition only into permissive projects.
        ("Apache-2.0", "LicenseRef-openai-gpt-2-modified-mit", True),
        ("GPL-2.0-only", "LicenseRef-openai-gpt-2-modified-mit", True),
        ("LicenseRef-openai-gpt-2-modified-mit", "Apache-2.0", True),
        ("MIT", "LicenseRef-moonshot-ai-modified-mit", True),
        ("GPL-3.0-only", "LicenseRef-moonshot-ai-modified-mit", False),
    ],
)
def test_compatibility_of_ml_code_licenses(project: str, inbound: str, verdict: bool) -> None:
    assert compatible(KNOWLEDGE, project, inbound) is verdict


# ----------------------------------------------------------------------------- detection


def test_every_passage_read_from_a_real_license_file_is_in_the_shipped_table() -> None:
    """The real files (NVlabs LICENSE.txt, meta-llama/llama3 LICENSE, SDXL 0.9, GPT-2) were fingerprinted
    into scripts/notice_table_extras.yaml; the shipped table must answer each with its lintml id."""
    from licensedcode.stopwords import STOPWORDS

    build = _build_script()
    passages = build.extra_entries(build.EXTRAS_PATH, frozenset(STOPWORDS))
    table = load_table()
    seen = set()
    for passage in passages:
        payload = table.full.get(passage.full)
        assert payload is not None, passage.source
        assert (table.expressions[payload >> 3], KINDS[payload & 7]) == (passage.expression, passage.kind)
        # Every id the table gives is in licenses.yaml, but the reference to the root license file, which
        # the checked project reads as its own root license.
        assert passage.expression in KNOWLEDGE.licenses or passage.expression == ROOT_LICENSE_REFERENCE
        seen.add(passage.expression)
    assert {
        NVIDIA_NC,
        "LicenseRef-nvidia-proprietary",
        "LicenseRef-llama3",
        "LicenseRef-sdxl-0.9-research",
        "LicenseRef-openai-gpt-2-modified-mit",
    } <= seen


def test_extras_name_passages_are_hashed_and_bad_entries_refused(tmp_path: Path) -> None:
    build = _build_script()
    extras = tmp_path / "extras.yaml"
    extras.write_text("passages:\n  - {expression: LicenseRef-x, kind: reference, name: 'The X Source License v1'}\n")
    (entry,) = build.extra_entries(extras, frozenset())
    assert (entry.expression, entry.kind, entry.length) == ("LicenseRef-x", "reference", 5)
    assert build.fingerprint("The X Source License v1", frozenset())["full"] == entry.full
    assert build.fingerprint("1. The X Source License v1", frozenset(), skip=1)["full"] == entry.full
    extras.write_text("passages:\n  - {expression: LicenseRef-x, kind: reference, name: 'X License'}\n")
    with pytest.raises(ValueError, match="at least 5 words"):
        build.extra_entries(extras, frozenset())
    extras.write_text("passages:\n  - {expression: LicenseRef-x, kind: text, name: 'The X Source License v1', x: 1}\n")
    with pytest.raises(ValueError, match="unknown"):
        build.extra_entries(extras, frozenset())


def test_extras_names_are_in_the_shipped_table_and_a_name_of_two_licenses_refused(tmp_path: Path) -> None:
    from licensedcode.stopwords import STOPWORDS

    build = _build_script()
    names = build.extra_names(build.EXTRAS_PATH, frozenset(STOPWORDS))
    assert names["mit license"] == "MIT" and names["bsd 3 clause license"] == "BSD-3-Clause"
    shipped, extra = load_table().names, {tuple(words.split()): expression for words, expression in names.items()}
    assert extra.items() <= shipped.items()
    # The table's other names are scancode's short public-domain rules ("100% public domain").
    assert all(("public", "domain") in pairwise(words) for words in shipped.keys() - extra.keys())
    extras = tmp_path / "extras.yaml"
    extras.write_text("names:\n  MIT: [MIT License]\n  Apache-2.0: [mit license]\n")
    with pytest.raises(ValueError, match=r"names both MIT and Apache-2\.0"):
        build.extra_names(extras, frozenset())
    extras.write_text("names:\n  MIT: [The Most Permissive Licence Ever Written Here]\n")
    with pytest.raises(ValueError, match="1 to 6 words"):
        build.extra_names(extras, frozenset())


@pytest.mark.parametrize(
    ("header", "lintml_id"),
    [
        (STYLEGAN2_HEADER, NVIDIA_NC),
        (
            "# Copyright (c) 2021, NVIDIA Corporation. All rights reserved.\n# NVIDIA Source Code License for MyGAN\n",
            NVIDIA_NC,
        ),
        (LLAMA2_HEADER, "LicenseRef-llama2"),
        ("# Licensed under the Meta Llama 3 Community License Agreement.\n", "LicenseRef-llama3"),
        (
            "# This software may be used and distributed in accordance with the terms of the Llama 3 Community"
            " License Agreement.\n",
            "LicenseRef-llama3",
        ),
        ("# SPDX-License-Identifier: LicenseRef-NvidiaProprietary\n", "LicenseRef-nvidia-proprietary"),
        ("# This file is licensed under the SDXL 0.9 Research License.\n", "LicenseRef-sdxl-0.9-research"),
        ("# Licensed under the CreativeML Open RAIL++-M License.\n", "LicenseRef-openrail-plus-plus"),
    ],
)
def test_headers_naming_ml_code_licenses_are_read(header: str, lintml_id: str) -> None:
    found = _notices("ops.py", PYTHON, header + OP)
    assert found and {expression for expression, _ in found} == {lintml_id}


def test_a_license_file_naming_the_nvidia_license_is_not_taken_for_another() -> None:
    found = _notices("third_party/stylegan/LICENSE.txt", LICENSE, "NVIDIA Source Code License for MyGAN\n")
    assert found == [(NVIDIA_NC, "reference")]


# ----------------------------------------------------------------------------- whole checks


def _conflicts(root: Path, **options: object) -> list:
    result = api.check([root], use_catalog=False, select=["license-conflict"], **options)  # type: ignore[arg-type]
    return [finding for finding in result.findings if finding.rule == "license-conflict"]


def test_nvidia_nc_header_in_an_mit_project_is_a_license_conflict(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "gan/ops/upfirdn2d.py": STYLEGAN2_HEADER + OP, "gan/train.py": "print(1)\n"})

    (finding,) = _conflicts(root)

    assert (finding.path, finding.line, finding.severity) == ("gan/ops/upfirdn2d.py", 3, "error")
    assert finding.license == NVIDIA_NC
    assert "(non-commercial)" in finding.message and "distributed under MIT" in finding.message


def test_the_same_header_in_a_project_under_the_nvidia_license_is_fine(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "pyproject.toml": (
                '[project]\nname = "gan"\nversion = "1"\nlicense = {text = "NVIDIA Source Code License-NC"}\n'
            ),
            "gan/ops/upfirdn2d.py": STYLEGAN2_HEADER + OP,
        }
    )
    assert _conflicts(root) == []


def test_llama_2_code_in_an_apache_project_is_a_license_conflict(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": APACHE_TEXT_START, "model/rope.py": LLAMA2_HEADER + OP})

    (finding,) = _conflicts(root)

    assert finding.path == "model/rope.py" and finding.license == "LicenseRef-llama2"
    assert "(use-restricted)" in finding.message and "Apache-2.0" in finding.message


def test_stylegan_code_copied_without_its_header_is_still_a_conflict(tmp_path: Path) -> None:
    """An upstream indexed under the manifest's spelling of the NVIDIA license; the copy renamed and stripped."""
    upstream = tmp_path / "stylegan"
    write_tree(upstream, {"dnnlib/wrapping.py": stdlib_source("textwrap")})
    index = tmp_path / "index.sqlite3"
    (project,) = api.index_add(
        [UpstreamSpec("stylegan", str(upstream), "LicenseRef-NVIDIA-Source-Code-License-NC")], index_path=index, jobs=1
    )
    assert project.license == NVIDIA_NC
    local = tmp_path / "local"
    copy = rename(strip_and_reformat(stdlib_source("textwrap")), {"TextWrapper": "Folder", "wrap": "fold"})
    write_tree(local, {"LICENSE": MIT_TEXT, "src/fold.py": copy})

    (finding,) = _conflicts(local, indexes=[index])

    assert finding.path == "src/fold.py" and finding.license == NVIDIA_NC
    assert finding.upstream is not None and finding.upstream.name == "stylegan"
    assert "came from stylegan" in finding.message
