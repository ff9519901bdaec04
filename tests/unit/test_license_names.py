"""License names and pointers read without scancode: a title above a license text, a name in a credit, a line
that points to a license stated elsewhere; and the neighbours that leave a name to scancode (issue 16, item 1).

Facts come from the real extractor with no cache; a notice scancode answered would say so in its source."""

from __future__ import annotations

from lintml.facts.cache import FactCache
from lintml.facts.extract import FactExtractor, Notice, needs_scancode
from lintml.repository import CODE, PYTHON, RepoFile
from tests.helpers import MIT_TEXT as HELPERS_MIT_TEXT

MIT_TEXT = HELPERS_MIT_TEXT.split("\n\n", 2)[2]  # the permission text alone, no title or copyright line
APACHE_HEADER = """\
Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
"""


def commented(text: str, marker: str = "#") -> str:
    return "".join(f"{marker} {line}".rstrip() + "\n" for line in text.splitlines())


def notices_of(text: str, path: str = "model.py") -> tuple[Notice, ...]:
    kind = PYTHON if path.endswith(".py") else CODE
    data = text.encode()
    return FactExtractor(FactCache(None)).facts(RepoFile(path, kind, len(data)), data).notices


def table_only(notices: tuple[Notice, ...]) -> tuple[Notice, ...]:
    assert notices, "no notice read"
    assert {notice.source for notice in notices} == {"table"}, notices
    return notices


def test_a_title_above_the_mit_text_is_a_reference_and_the_text_a_text() -> None:
    # xformers' vendored composable_kernel cmake files, transformers' mobilebert: scancode read the same.
    text = commented("MIT License\n\nCopyright (c) 2020 Someone\n\n" + MIT_TEXT) + "\nimport os\n"
    assert table_only(notices_of(text)) == (
        Notice("MIT", 1, 1, "reference", "table"),
        Notice("MIT", 5, 21, "text", "table"),
    )


def test_the_mit_title_with_its_id_in_parentheses_is_one_reference() -> None:
    text = commented("The MIT License (MIT)\n\n" + MIT_TEXT, " *").replace(" * The", "/* The", 1) + " */\n"
    notices = table_only(notices_of(text, "kernel.hpp"))
    assert [(notice.expression, notice.kind) for notice in notices] == [("MIT", "reference"), ("MIT", "text")]


def test_a_license_named_on_the_copyright_line_above_the_apache_header() -> None:
    # diffusers' Würstchen files: the copyright line ends with the license of the code it credits.
    text = commented("Copyright (c) 2022 Dominic Rampas MIT License\n" + APACHE_HEADER) + "\nimport torch\n"
    assert table_only(notices_of(text)) == (
        Notice("MIT", 1, 1, "reference", "table"),
        Notice("Apache-2.0", 2, 12, "notice", "table"),
    )


def test_the_apache_header_the_mit_title_and_the_mit_text_one_after_the_other() -> None:
    # timm's optim/lamb.py: Apache-2.0 for the file, then the MIT text of the code it came from.
    text = commented(APACHE_HEADER + "\nMIT License\n\nCopyright (c) 2019 cybertronai\n\n" + MIT_TEXT)
    notices = table_only(notices_of(text + "\nimport math\n"))
    assert [(notice.expression, notice.kind) for notice in notices] == [
        ("Apache-2.0", "notice"),
        ("MIT", "reference"),
        ("MIT", "text"),
    ]


def test_a_license_named_in_a_credit_comment_is_a_reference() -> None:
    # "Sourced from X (MIT License)": scancode read these as references too, so they state the license as before.
    text = "# Sourced from https://github.com/Cadene/tensorflow-model-zoo.torch (MIT License)\nimport torch\n"
    assert table_only(notices_of(text)) == (Notice("MIT", 1, 1, "reference", "table"),)
    text = "# Code simplified from https://github.com/Z-T-WANG/LaProp-Optimizer, licensed Apache 2.0\nimport torch\n"
    assert table_only(notices_of(text)) == (Notice("Apache-2.0", 1, 1, "reference", "table"),)


def test_a_license_named_in_a_docstring_credit_is_prose_about_the_code() -> None:
    # The name is read without scancode, and as before a reference in a docstring is not the file's license.
    text = '"""Inception-V4.\nSourced from https://github.com/Cadene/x (MIT License) which is\nbased upon Y."""\n'
    assert not needs_scancode("Sourced from https://github.com/Cadene/x (MIT License) which is", whole_file=False)
    assert notices_of(text) == ()


def test_a_title_above_a_text_that_is_not_a_license_is_only_a_title() -> None:
    # The name is a reference; the description below it is not read as a license text.
    text = "# MIT License\n#\n# This module implements a byte-pair tokenizer for the encoder.\n\nimport re\n"
    assert table_only(notices_of(text)) == (Notice("MIT", 1, 1, "reference", "table"),)


def test_a_title_above_other_license_words_still_asks_scancode() -> None:
    # What the table cannot read under the title ("a license of its own") is not explained by the title.
    assert needs_scancode("# MIT License\n#\n# The weights come under a license of their own.\n", whole_file=False)
    assert needs_scancode("# MIT License\n#\n# Permission is granted to use this for research only.\n", False)


def test_a_name_whose_next_words_change_it_is_left_to_scancode() -> None:
    for text in (
        "# Apache 2.0 with LLVM exceptions",
        "# MIT License or Apache 2.0, at your option",
        "# Apache 2.0 or later",
        "# dual MIT License",
    ):
        assert needs_scancode(text, whole_file=False), text


def test_a_name_in_a_credit_followed_by_with_is_still_a_name() -> None:
    # timm's resnet.py: "a copy of torchvision's 'resnet.py' (BSD-3-Clause) with additional dropout".
    text = "# This started as a copy of https://github.com/pytorch/vision 'resnet.py' (BSD-3-Clause) with\n"
    assert table_only(notices_of(text + "# additional dropout.\nimport torch\n")) == (
        Notice("BSD-3-Clause", 1, 1, "reference", "table"),
    )


def test_mit_the_institute_is_no_license() -> None:
    # diffusers' autoencoder_dc.py, transformers' Audio Spectrogram Transformer: MIT is a copyright holder.
    text = commented("Copyright 2024 MIT, Tsinghua University, NVIDIA CORPORATION and The HuggingFace Team.\n")
    text += commented("All rights reserved.\n\n" + APACHE_HEADER) + "\nimport torch\n"
    assert table_only(notices_of(text)) == (Notice("Apache-2.0", 4, 14, "notice", "table"),)
    assert not needs_scancode("Adapted from https://github.com/mit-han-lab/llm-awq\n", whole_file=False)


def test_a_pointer_to_a_license_elsewhere_names_none() -> None:
    for text in (
        "# LICENSE: https://huggingface.co/Qwen/Qwen-7B/blob/main/LICENSE\n",
        "# Derived from BART implementation posted on HuggingFace; license below:\n",
        "# Code/weights from https://github.com/microsoft/Swin-Transformer, original copyright/license info below\n",
        "# For licensing see accompanying LICENSE file.\n",
    ):
        assert not needs_scancode(text, whole_file=False), text
        assert notices_of(text + "import torch\n") == (), text


def test_an_address_on_a_license_site_is_still_read() -> None:
    # opensource.org/licenses/MIT names a license: the table reads it, and one it does not know goes to scancode.
    text = "# License: https://opensource.org/licenses/MIT\nimport torch\n"
    assert table_only(notices_of(text)) == (Notice("MIT", 1, 1, "reference", "table"),)
    assert needs_scancode("# License: https://opensource.org/licenses/Frobnicate-2.1\n", whole_file=False)


def test_the_apache_style_header_naming_bsd_3_clause() -> None:
    # transformers' BLIP files (Salesforce): the Apache header's words with the BSD-3-Clause named.
    header = APACHE_HEADER.replace("the Apache License, Version 2.0", "the BSD-3-clause license").replace(
        "http://www.apache.org/licenses/LICENSE-2.0", "https://opensource.org/licenses/BSD-3-Clause"
    )
    text = commented("Copyright 2022 The Salesforce Team Authors. All rights reserved.\n\n" + header)
    assert table_only(notices_of(text + "\nimport torch\n")) == (Notice("BSD-3-Clause", 3, 13, "notice", "table"),)
