"""The last headers of the catalog's ML projects that woke scancode, read without it (issue 16, item 1): license
names written loosely, "NAME licensed", a label before a name, "public domain" statements and clues, MIT the
institute, pointers that name no license (Caffe's contribution agreement among them), a paragraph about the
weights, and well-known texts the table now holds (PyTorch's and CUB's BSD-3-Clause texts, the Apache header
without its address, xxd's grant); a license file that only includes ``../LICENSE``.

Each test reads through the real extractor with no cache, or asks ``needs_scancode`` (the one place lintml
decides to load scancode's index) about the text itself: what the table answers, and that scancode is not
needed for it. Neighbours that change a reading still go to scancode."""

from __future__ import annotations

from pathlib import Path

import pytest

from lintml.facts.cache import FactCache
from lintml.facts.extract import FactExtractor, FileFacts, Notice, needs_scancode
from lintml.facts.notice_table import match_known_notices
from lintml.repository import CODE, LICENSE, PYTHON, RepoFile
from tests.helpers import MIT_TEXT as HELPERS_MIT_TEXT
from tests.helpers import notice_table_build_script

ROOT = Path(__file__).resolve().parents[2]
MIT_TEXT = HELPERS_MIT_TEXT.split("\n\n", 2)[2]  # the permission text alone
PUBLIC_DOMAIN = "LicenseRef-scancode-public-domain"

BSD_CONDITIONS_1_2 = """\
Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright
   notice, this list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright
   notice, this list of conditions and the following disclaimer in the
   documentation and/or other materials provided with the distribution.
"""
BSD_DISCLAIMER = """\
THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.
"""
# PyTorch's LICENSE ("From PyTorch"), as copies of PyTorch code carry it (flash-attention's xentropy kernel).
PYTORCH_BSD = f"""\
{BSD_CONDITIONS_1_2}
3. Neither the names of Facebook, Deepmind Technologies, NYU, NEC Laboratories America
   and IDIAP Research Institute nor the names of its contributors may be
   used to endorse or promote products derived from this software without
   specific prior written permission.

{BSD_DISCLAIMER}"""
# The header of NVIDIA's CUB and Thrust files (mamba_ssm's selective_scan).
CUB_BSD = """\
Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:
    * Redistributions of source code must retain the above copyright
      notice, this list of conditions and the following disclaimer.
    * Redistributions in binary form must reproduce the above copyright
      notice, this list of conditions and the following disclaimer in the
      documentation and/or other materials provided with the distribution.
    * Neither the name of the NVIDIA CORPORATION nor the
      names of its contributors may be used to endorse or promote products
      derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL NVIDIA CORPORATION BE LIABLE FOR ANY
DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES
(INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES;
LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND
ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""
APACHE_WITHOUT_ADDRESS = """\
Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""
CAFFE_AGREEMENT = """\
CONTRIBUTION AGREEMENT

By contributing to the BVLC/caffe repository through pull-request, comment,
or otherwise, the contributor releases their content to the
license and copyright terms herein.
"""


def commented(text: str, marker: str = "#") -> str:
    return "".join(f"{marker} {line}".rstrip() + "\n" for line in text.splitlines())


def facts_of(text: str, path: str = "model.py", kind: str | None = None) -> FileFacts:
    data = text.encode()
    kind = kind or (PYTHON if path.endswith(".py") else CODE)
    return FactExtractor(FactCache(None)).facts(RepoFile(path, kind, len(data)), data)


def answered(text: str) -> bool:
    """Whether the table answers this header text on its own."""
    return not needs_scancode(text, whole_file=False)


def read(notices: tuple[Notice, ...]) -> list[tuple[str, int, int, str]]:
    """The notices, each read by the table (none by scancode)."""
    assert {notice.source for notice in notices} <= {"table", "spdx"}, notices
    return [(notice.expression, notice.start_line, notice.end_line, notice.kind) for notice in notices]


# --------------------------------------------------------------------------- license names written loosely


@pytest.mark.parametrize(
    ("line", "expression"),
    [
        ("Licensed BSD-Clause 3 https://github.com/pytorch/vision/blob/master/LICENSE", "BSD-3-Clause"),
        ("Licensed under BSD-Clause 3 (ish), https://github.com/pytorch/pytorch/blob/master/LICENSE", "BSD-3-Clause"),
        ("Licensed under BSD-3", "BSD-3-Clause"),
        ("BSD-2 License", "BSD-2-Clause"),
        ("Released under a BSD-style license", "BSD-3-Clause"),
    ],
)
def test_a_loosely_written_name_is_read_as_the_license(line: str, expression: str) -> None:
    # timm's inception_v3.py and rmsprop_tf.py: scancode read nothing in "BSD-Clause 3"; the name says BSD-3-Clause.
    text = f"# {line}\nimport torch\n"
    assert answered(line)
    assert read(facts_of(text).notices) == [(expression, 1, 1, "reference")]


@pytest.mark.parametrize(
    "line",
    [
        "See the LICENSE file for licensing terms (BSD-style).",  # datasets' webdataset/_tenbin.py
        "Uses BSD-style sockets.",  # a flavour of an API
        "This code is BSD-style.",
        "BSD-style",
    ],
)
def test_bsd_style_alone_names_no_license(line: str) -> None:
    # No clause count, and no license word beside it: scancode reads no license in any of these, nor does the table.
    text = f"# {line}\nimport torch\n"
    assert answered(f"# {line}")
    assert read(facts_of(text).notices) == []


@pytest.mark.parametrize(
    "line",
    [
        "License: BSD-style",  # scancode: a BSD-3-Clause tag
        "Licensed BSD-style; see the LICENSE file.",
        "Copyright (c) 2020 Foo. BSD-style, see LICENSE.",  # scancode: a reference to an unknown license
    ],
)
def test_bsd_style_beside_a_license_word_is_left_to_scancode(line: str) -> None:
    assert not answered(f"# {line}")


def test_a_name_then_licensed_is_a_notice_and_stays_in_a_docstring() -> None:
    # timm's mvitv2.py: scancode reads "Apache 2.0 licensed" as a notice, which a docstring keeps.
    line = "Code adapted from original Apache 2.0 licensed impl at https://github.com/facebookresearch/mvit"
    assert answered(line)
    text = f'"""Multi-Scale Vision Transformer v2\n\n{line}\nOriginal copyright below.\n"""\nimport torch\n'
    assert read(facts_of(text).notices) == [("Apache-2.0", 3, 3, "notice")]
    assert read(facts_of("# Adapted from MIT-licensed code.\nimport os\n").notices) == [("MIT", 1, 1, "notice")]
    assert not answered("# MIT licensed, or Apache 2.0 at your option")


@pytest.mark.parametrize(
    ("line", "expression"),
    [
        ("Original licence: Under MIT License", "MIT"),  # mmcv's correlation kernels
        ("License: Apache 2.0", "Apache-2.0"),
        ("The license for this code release is Apache 2.0 with no commercial restrictions.", "Apache-2.0"),  # gcvit
    ],
)
def test_a_label_before_a_name_is_explained_by_it(line: str, expression: str) -> None:
    assert answered(line)
    assert read(facts_of(f"// {line}\nint x;\n", "kernel.cu").notices) == [(expression, 1, 1, "reference")]


def test_a_label_followed_by_other_words_still_asks_scancode() -> None:
    assert not answered("# Commercial license and the MIT license")
    assert not answered("# The license for this code is not Apache 2.0")
    assert not answered("# The license of the weights is CC BY-NC 4.0, see the model card")


# --------------------------------------------------------------------------- public domain


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # llama.cpp's vendored SHA-1: scancode's rule "100% Public Domain" is a license text.
        ("/*\nSHA-1 in C\nBy Steve Reid <steve@edmweb.com>\n100% Public Domain\n*/\n", [(PUBLIC_DOMAIN, 4, 4, "text")]),
        ("// Adapted from public domain code by Someone\n", [(PUBLIC_DOMAIN, 1, 1, "notice")]),
        ("// This is not public domain\n", [("LicenseRef-scancode-proprietary-license", 1, 1, "notice")]),
        # The bare words are only a clue to scancode, which it keeps apart from what it detects.
        ("/* Sha256.h -- SHA-256 Hash\n2010-06-11 : Igor Pavlov : Public domain */\n", []),
        (
            "/* stb_image - v2.30 - public domain image loader - http://nothings.org/stb\n"
            "   no warranty implied; use at your own risk */\n",
            [("LicenseRef-scancode-warranty-disclaimer", 2, 2, "text")],
        ),
    ],
)
def test_public_domain_reads_as_scancode_reads_it(header: str, expected: list[tuple[str, int, int, str]]) -> None:
    assert answered(header)
    assert read(facts_of(header + "int x;\n", "sha.c").notices) == expected


def test_public_domain_beside_a_choice_still_asks_scancode() -> None:
    assert not answered("// Public domain or MIT, at your option")
    assert not answered("// Dual licensed: public domain and Apache 2.0")


# --------------------------------------------------------------------------- MIT the institute, pointers


def test_mit_the_institute_in_a_docstring_is_no_license() -> None:
    # timm's efficientvit_mit.py.
    text = '""" EfficientViT (by MIT Song Han\'s Lab)\n\nAdapted from official impl at https://github.com/x/y\n"""\n'
    assert answered(text)
    assert facts_of(text + "import torch\n").notices == ()
    assert answered("# Developed at MIT's CSAIL.")


@pytest.mark.parametrize(
    "line",
    [
        "We retain the following license from the original files:",  # DeepSpeed's sharded_moe.py
        "See the LICENSE file for licensing terms.",
        "For full license text, see LICENSE.txt file in the repo root",
        "LICENSE",
    ],
)
def test_a_pointer_names_no_license(line: str) -> None:
    assert answered(line)
    assert facts_of(f"# {line}\nimport torch\n").notices == ()


def test_the_license_named_beside_a_pointer_is_read() -> None:
    # mmcv's StyleGAN2 kernel: the name, then "To view a copy of this license, visit" its address.
    text = "// This work is made available under the Nvidia Source Code License-NC.\n// To view a copy of this license,"
    text += " visit https://nvlabs.github.io/stylegan2/license.html\nint x;\n"
    assert answered(text)
    assert read(facts_of(text, "op.cu").notices) == [("LicenseRef-nvidia-source-code-nc", 1, 1, "reference")]
    # LAVIS's Q-Former: the address on a license site names the license.
    line = (
        "For full license text, see LICENSE.txt file in the repo root or https://opensource.org/licenses/BSD-3-Clause"
    )
    assert answered(line)
    assert read(facts_of(f"# {line}\nimport torch\n").notices) == [("BSD-3-Clause", 1, 1, "reference")]


def test_metas_sentence_with_a_creative_commons_name() -> None:
    # timm's convit.py: scancode read "licensed under the CC-by" as CC-BY-4.0 beside CC-BY-NC-4.0; NC is the license.
    header = "# This source code is licensed under the CC-by-NC license found in the\n"
    header += "# LICENSE file in the root directory of this source tree.\n"
    assert answered(header)
    assert read(facts_of(header + "import torch\n").notices) == [("CC-BY-NC-4.0", 1, 1, "reference")]
    # A version or ShareAlike after the short match leaves it alone.
    assert "CC-BY-4.0" not in {m.expression for m in match_known_notices("licensed under the CC-BY-SA 3.0").matches}


def test_a_paragraph_about_the_weights_license_is_not_read() -> None:
    # timm's convnext.py: the ConvNeXt-V2 paragraph states the weights' license; the file's is MIT.
    text = """\
# ConvNeXt
# Copyright (c) Meta Platforms, Inc. and affiliates.
# All rights reserved.
# This source code is licensed under the MIT license

# ConvNeXt-V2
# Copyright (c) Meta Platforms, Inc. and affiliates.
# This source code is licensed under the license found in the
# LICENSE file in the root directory of this source tree (Attribution-NonCommercial 4.0 International (CC BY-NC 4.0))
# No code was used directly from ConvNeXt-V2, however the weights are CC BY-NC 4.0 so beware if using commercially.

import torch
"""
    assert read(facts_of(text).notices) == [("MIT", 4, 4, "notice")]
    assert answered("# ConvNeXt\n#\n# All rights reserved.\n# This source code is licensed under the MIT license\n")


# --------------------------------------------------------------------------- well-known texts


def test_pytorchs_bsd_text_is_bsd_3_clause() -> None:
    # flash-attention's xentropy kernel in xformers (and xformers' own LICENSE): the table knew only its first
    # two clauses, as BSD-2-Clause, and left the rest to scancode.
    header = commented(PYTORCH_BSD, " *").replace(" * ", "/* ", 1) + " */\n"
    assert answered(header)
    assert read(facts_of(header + "#include <ATen/ATen.h>\n", "xentropy_kernel.cu").notices) == [
        ("BSD-3-Clause", 1, 26, "text")
    ]
    license_file = "BSD 3-Clause License\n\n" + PYTORCH_BSD
    assert read(facts_of(license_file, "LICENSE", LICENSE).notices)[-1] == ("BSD-3-Clause", 3, 28, "text")
    # Another holder in clause 3 is another text, left to scancode's approximate matcher.
    assert not answered(PYTORCH_BSD.replace("names of Facebook,", "names of Xilinx, Facebook,"))


def test_cubs_bsd_text_is_bsd_3_clause() -> None:
    header = "/" + "*" * 20 + "\n" + commented(CUB_BSD, " *") + " */\n"
    assert answered(header)
    assert read(facts_of(header + "#pragma once\n", "uninitialized_copy.cuh").notices) == [
        ("BSD-3-Clause", 2, 22, "text")
    ]


def test_the_apache_header_without_its_address_is_the_apache_notice() -> None:
    # datasets' arrow_writer.py.
    assert answered(APACHE_WITHOUT_ADDRESS)
    text = commented("Copyright 2020 The HuggingFace Datasets Authors.\n\n" + APACHE_WITHOUT_ADDRESS)
    assert read(facts_of(text + "\nimport json\n").notices) == [("Apache-2.0", 3, 11, "notice")]


def test_xxds_grant_above_the_mit_text() -> None:
    header = "/*\nAs indicated at https://lists.debian.org/debian-legal/2015/01/msg00037.html,\n"
    header += "the author has permitted redistribution of xxd under the MIT license, as follows:\n\n"
    header += MIT_TEXT + " */\n"
    assert answered(header)
    assert read(facts_of(header + "#include <stdio.h>\n", "xxd.c").notices) == [("MIT", 3, 21, "text")]


def test_caffes_contribution_agreement_points_to_the_text_above_it() -> None:
    # mmcv's and mmdet's deformable convolution kernels: "the license and copyright terms herein" are the BSD text's.
    # scancode read the agreement as a generic CLA notice; it states no license of the file.
    caffe = f"LICENSE\n\n{BSD_CONDITIONS_1_2}\n{BSD_DISCLAIMER}\n{CAFFE_AGREEMENT}\n"
    caffe += "***** END Caffe Copyright Notice and Disclaimer\n\nCopyright (c) 2018 Microsoft\n"
    header = "/*!\n" + commented(caffe + "Licensed under The MIT License [see LICENSE for details]", " *") + " */\n"
    assert answered(header)
    assert read(facts_of(header + "#include <cuda.h>\n", "deform_conv.cuh").notices) == [
        ("BSD-2-Clause", 2, 24, "text"),
        ("MIT", 35, 35, "notice"),
    ]


# --------------------------------------------------------------------------- license files


def test_a_page_that_includes_the_license_file_needs_no_scancode() -> None:
    # composable_kernel's docs/license.rst.
    page = ".. meta::\n  :description: Composable Kernel documentation\n\n.. _license:\n\n"
    page += "*" * 20 + "\nLicense\n" + "*" * 20 + "\n\n.. include:: ../LICENSE\n"
    assert not needs_scancode(page, whole_file=True)
    assert facts_of(page, "docs/license.rst", LICENSE).notices == ()


def test_a_license_file_with_words_the_table_cannot_read_still_asks_scancode() -> None:
    assert needs_scancode("Free for research use only; contact us for a commercial license.\n", whole_file=True)
    # A name and nothing else is answered, as a header would be.
    assert not needs_scancode("Apache License 2.0\n", whole_file=True)


# --------------------------------------------------------------------------- the build


def test_the_build_keeps_scancodes_short_public_domain_rules_as_names(tmp_path: Path) -> None:
    build = notice_table_build_script()
    (tmp_path / "licenses").mkdir()
    (tmp_path / "rules").mkdir()
    (tmp_path / "licenses" / "public-domain.LICENSE").write_text("---\nkey: public-domain\n---\n")
    rules = {
        "public-domain_125": ("is_license_text", "100% {{Public Domain}}"),
        "public-domain_311": ("is_license_notice", "{{public domain}} code"),
        "public-domain_bare_words": ("is_license_clue", "{{Public Domain}}"),
        "false-positive_public-domain_3": ("is_false_positive", "public domain string"),
        "public-domain_15": ("is_license_notice", "RELEASED INTO THE {{PUBLIC DOMAIN}} by its author"),
    }
    for name, (flag, text) in rules.items():
        expression = "" if flag == "is_false_positive" else "license_expression: public-domain\n"
        (tmp_path / "rules" / f"{name}.RULE").write_text(f"---\n{expression}{flag}: yes\n---\n\n{text}\n")
    document = build.build(tmp_path, min_tokens=5, extras=None)
    assert document["names"] == {"100 public domain": PUBLIC_DOMAIN, "public domain code": PUBLIC_DOMAIN}
    assert document["name_kinds"] == {"100 public domain": "text", "public domain code": "notice"}
    assert document["entries"]["count"] == 1  # the longer rule is hashed as before
