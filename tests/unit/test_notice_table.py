"""Tests of the exact license-notice table, on the shipped table and real header texts."""

from __future__ import annotations

import gzip
import importlib.metadata
import importlib.util
import json
from pathlib import Path

import pytest

from lintml.facts import notice_table
from lintml.facts.notice_table import NoticeMatch, TextLicenses, match_known_notices
from tests.helpers import notice_table_build_script

ROOT = Path(__file__).resolve().parents[2]

APACHE_HF = """\
# coding=utf-8
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
\"\"\"PyTorch BERT model.\"\"\"
"""

MIT_MICROSOFT = """\
# Copyright (c) Microsoft Corporation.
# Licensed under the MIT License.
"""

MIT_META = """\
# Copyright (c) Meta Platforms, Inc. and affiliates.
#
# This source code is licensed under the MIT license found in the
# LICENSE file in the root directory of this source tree.
"""

GPL3_OR_LATER = """\
# Copyright (C) 2020 Jane Doe
#
# This program is free software: you can redistribute it and/or modify
# it under the terms of the GNU General Public License as published by
# the Free Software Foundation, either version 3 of the License, or
# (at your option) any later version.
#
# This program is distributed in the hope that it will be useful,
# but WITHOUT ANY WARRANTY; without even the implied warranty of
# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
# GNU General Public License for more details.
#
# You should have received a copy of the GNU General Public License
# along with this program.  If not, see <https://www.gnu.org/licenses/>.
"""

GPL2_ONLY = """\
/*
 * Copyright (C) 2010 John Smith
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License version 2 as
 * published by the Free Software Foundation.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 */
"""

AGPL3 = """\
# Copyright (C) 2021 Example Org
#
# This program is free software: you can redistribute it and/or modify
# it under the terms of the GNU Affero General Public License as published
# by the Free Software Foundation, either version 3 of the License, or
# (at your option) any later version.
#
# This program is distributed in the hope that it will be useful,
# but WITHOUT ANY WARRANTY; without even the implied warranty of
# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
# GNU Affero General Public License for more details.
#
# You should have received a copy of the GNU Affero General Public License
# along with this program.  If not, see <https://www.gnu.org/licenses/>.
"""

BSD3 = """\
# Copyright (c) 2015, Some Person
# All rights reserved.
#
# Redistribution and use in source and binary forms, with or without
# modification, are permitted provided that the following conditions are met:
#
# 1. Redistributions of source code must retain the above copyright notice, this
#    list of conditions and the following disclaimer.
#
# 2. Redistributions in binary form must reproduce the above copyright notice,
#    this list of conditions and the following disclaimer in the documentation
#    and/or other materials provided with the distribution.
#
# 3. Neither the name of the copyright holder nor the names of its
#    contributors may be used to endorse or promote products derived from
#    this software without specific prior written permission.
#
# THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
# AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
# IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
# DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
# FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
# DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
# SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
# CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
# OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
# OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

LGPL21 = """\
/*
 * Copyright (C) 2005 Foo Bar
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin Street, Fifth Floor, Boston, MA  02110-1301  USA
 */
"""

MPL2 = """\
/* This Source Code Form is subject to the terms of the Mozilla Public
 * License, v. 2.0. If a copy of the MPL was not distributed with this
 * file, You can obtain one at http://mozilla.org/MPL/2.0/. */
"""

COPYRIGHT_ONLY = "# Copyright 2024 The HuggingFace Team. All rights reserved.\n"

CUSTOM_LICENSE = """\
# Copyright 2023 Acme Robotics Inc.
#
# This file may be used only by Acme licensees for internal evaluation. Any
# redistribution, in whole or in part, requires our prior written consent.
"""


def _summary(result: TextLicenses) -> list[tuple[str, int, int]]:
    return [(match.expression, match.start_line, match.end_line) for match in result.matches]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(APACHE_HF, [("Apache-2.0", 4, 14)], id="apache-2.0-huggingface"),
        pytest.param(MIT_MICROSOFT, [("MIT", 2, 2)], id="mit-one-line"),
        pytest.param(MIT_META, [("MIT", 3, 4)], id="mit-see-license-file"),
        pytest.param(GPL3_OR_LATER, [("GPL-3.0-or-later", 3, 14)], id="gpl-3.0-or-later"),
        pytest.param(GPL2_ONLY, [("GPL-2.0-only", 4, 11)], id="gpl-2.0-only"),
        pytest.param(AGPL3, [("AGPL-3.0-or-later", 3, 14)], id="agpl-3.0-or-later"),
        pytest.param(BSD3, [("BSD-3-Clause", 4, 27)], id="bsd-3-clause-text"),
        pytest.param(LGPL21, [("LGPL-2.1-or-later", 4, 16)], id="lgpl-2.1-or-later"),
        pytest.param(MPL2, [("MPL-2.0", 1, 3)], id="mpl-2.0"),
    ],
)
def test_common_headers_are_matched_exactly(text: str, expected: list[tuple[str, int, int]]) -> None:
    result = match_known_notices(text)
    assert _summary(result) == expected
    assert not result.unexplained
    assert all(match.source == "table" for match in result.matches)


def test_match_kinds() -> None:
    assert [match.kind for match in match_known_notices(APACHE_HF).matches] == ["notice"]
    assert [match.kind for match in match_known_notices(BSD3).matches] == ["text"]


def test_copyright_only_header_is_explained() -> None:
    assert match_known_notices(COPYRIGHT_ONLY) == TextLicenses((), unexplained=False)
    plain = '# Copyright (c) 2018, NVIDIA CORPORATION.  All rights reserved.\n"""Training loop utilities."""\n'
    assert not match_known_notices(plain).unexplained


def test_custom_license_paragraph_is_unexplained() -> None:
    result = match_known_notices(CUSTOM_LICENSE)
    assert result.matches == ()
    assert result.unexplained


def test_empty_text() -> None:
    assert match_known_notices("") == TextLicenses((), unexplained=False)


def test_spdx_tag_lines_are_read_as_tags() -> None:
    text = "# SPDX-FileCopyrightText: 2024 Jane Doe <jane@example.org>\n# SPDX-License-Identifier: apache-2.0 OR mit\n"
    result = match_known_notices(text)
    assert result.matches == (NoticeMatch("Apache-2.0 OR MIT", 2, 2, "tag", "table"),)
    assert not result.unexplained
    block = "/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) */\n"
    assert _summary(match_known_notices(block)) == [("(GPL-2.0-only WITH Linux-syscall-note)", 1, 1)]


def test_short_match_followed_by_a_version_does_not_count() -> None:
    # "Licensed under the Apache License" alone is scancode's Apache-2.0 notice; not when 1.1 follows.
    result = match_known_notices("# Licensed under the Apache License, Version 1.1\n")
    assert "Apache-2.0" not in {match.expression for match in result.matches}


def test_lead_in_before_a_match_is_explained() -> None:
    result = match_known_notices("# This file is licensed under the GNU GPL v3 or later.\n")
    assert _summary(result) == [("GPL-3.0-or-later", 1, 1)]
    assert not result.unexplained


def test_dual_license_sentence_is_left_to_scancode() -> None:
    result = match_known_notices(
        "# Licensed under the MIT license or the Apache License, Version 2.0, at your option.\n"
    )
    assert result.unexplained


def test_edited_notice_is_unexplained() -> None:
    # The program's name in place of "This program": the table knows the notice only in
    # pieces (GPL-3.0-or-later, then generic GPL sentences), so scancode must read it whole.
    edited = GPL3_OR_LATER.replace("This program is", "Foo is")
    assert match_known_notices(edited).unexplained


def test_pieces_of_one_license_join_up() -> None:
    text = "# This code and the model weights are released under the Creative Commons\n"
    text += "# Attribution-NonCommercial 4.0 International License (CC BY-NC 4.0).\n"
    result = match_known_notices(text)
    assert _summary(result) == [("CC-BY-NC-4.0", 1, 2)]
    assert not result.unexplained


def test_notice_inside_a_longer_text_keeps_its_lines() -> None:
    text = '"""Module docstring."""\n\n' + MIT_MICROSOFT + "\nimport os\n"
    assert _summary(match_known_notices(text)) == [("MIT", 4, 4)]


META_ROOT_REFERENCE = """\
# Copyright (c) Meta Platforms, Inc. and affiliates.
# All rights reserved.
#
# This source code is licensed under the license found in the
# LICENSE file in the root directory of this source tree.
"""


def test_metas_reference_to_the_root_license_file_is_known() -> None:
    from lintml.facts.extract import ROOT_LICENSE_REFERENCE

    result = match_known_notices(META_ROOT_REFERENCE)
    assert result == TextLicenses((NoticeMatch(ROOT_LICENSE_REFERENCE, 4, 5, "reference", "table"),), False)
    # Reflowed, or in a docstring with other lines after it: the same words, the same answer.
    reflowed = '"""\nThis source code is licensed under the license found in the LICENSE file in the root\n'
    reflowed += 'directory of this source tree.\n\nReferences:\n  https://github.com/facebookresearch/dino\n"""\n'
    assert _summary(match_known_notices(reflowed)) == [(ROOT_LICENSE_REFERENCE, 2, 3)]
    # Named licenses in the same sentence stay what they are; another directory is not the root.
    assert _summary(match_known_notices(META_ROOT_REFERENCE.replace("under the license", "under the MIT license"))) == [
        ("MIT", 4, 5)
    ]
    elsewhere = META_ROOT_REFERENCE.replace("root directory", "sav_dataset directory")
    assert ROOT_LICENSE_REFERENCE not in {match.expression for match in match_known_notices(elsewhere).matches}


def test_the_ultralytics_header_is_known() -> None:
    # The first line of every Ultralytics file; the next line (a module docstring) differs from file to file.
    header = '# Ultralytics \U0001f680 AGPL-3.0 License - https://ultralytics.com/license\n"""Block modules."""\n'
    assert match_known_notices(header) == TextLicenses(
        (NoticeMatch("AGPL-3.0-only", 1, 1, "reference", "table"),), False
    )


def test_metas_header_naming_the_bsd_license_is_known() -> None:
    # xformers' header: the BSD license, found in the root LICENSE file; no words are left for scancode.
    header = META_ROOT_REFERENCE.replace("under the license", "under the BSD license")
    assert match_known_notices(header) == TextLicenses((NoticeMatch("BSD-3-Clause", 4, 5, "notice", "table"),), False)


def test_full_license_file_from_scancode_data() -> None:
    from lintml.facts.license_texts import license_text

    for spdx_id in ("Apache-2.0", "MIT", "GPL-3.0-only"):
        text = license_text(spdx_id)
        assert text is not None
        result = match_known_notices("Copyright 2020 Someone\n\n" + text)
        assert [(match.expression, match.kind) for match in result.matches] == [(spdx_id, "text")]
        assert result.matches[0].start_line == 3
        assert not result.unexplained


def test_key_and_spdx_id_mappings() -> None:
    assert notice_table.spdx_id_for_key("gpl-2.0-plus") == "GPL-2.0-or-later"
    assert notice_table.spdx_id_for_key("no-such-key") == "LicenseRef-scancode-no-such-key"
    assert notice_table.license_key_for_spdx_id("apache-2.0") == "apache-2.0"
    assert notice_table.license_key_for_spdx_id("GPL-2.0") == "gpl-2.0"  # a deprecated SPDX id
    assert notice_table.license_key_for_spdx_id("GPL-2.0-or-later") == "gpl-2.0-plus"
    assert notice_table.license_key_for_spdx_id("No-Such-License") is None


def test_table_file_is_compact_and_hash_only() -> None:
    assert notice_table.DATA_PATH.stat().st_size < 5_000_000
    with gzip.open(notice_table.DATA_PATH, "rb") as handle:
        document = json.loads(handle.read())
    assert document["prefix_tokens"] == notice_table.PREFIX_TOKENS
    assert document["entries"]["count"] > 20_000
    # Hashes, not scancode's prose.
    assert b"hereby granted" not in gzip.decompress(notice_table.DATA_PATH.read_bytes())


def test_table_records_the_scancode_version_it_was_built_from() -> None:
    version = notice_table.load_table().scancode_version
    assert version
    installed = importlib.metadata.version("scancode-toolkit")  # a hard dependency of lintml
    # When scancode is upgraded, rebuild: .venv/bin/python scripts/build_notice_table.py
    assert version == installed


def test_tokenize_is_shared_with_the_build() -> None:
    assert notice_table.tokenize("GPL-2.0+ <a href='https://x'>", frozenset({"a", "href"})) == [
        "gpl",
        "2",
        "0+",
        "http",
        "x",
    ]


def test_build_converts_scancode_expressions_to_spdx() -> None:
    build = notice_table_build_script()
    spdx_by_key = {"gpl-2.0-plus": "GPL-2.0-or-later", "classpath-exception-2.0": "Classpath-exception-2.0"}
    used: set[str] = set()
    converted = build.spdx_expression("(gpl-2.0-plus with classpath-exception-2.0) or my-key", spdx_by_key, used)
    assert converted == "(GPL-2.0-or-later WITH Classpath-exception-2.0) OR LicenseRef-scancode-my-key"
    assert used == {"gpl-2.0-plus", "classpath-exception-2.0", "my-key"}


def test_the_table_is_loaded_once_and_a_long_header_is_read_from_its_word_cache() -> None:
    """What keeps the fast path fast, asserted without a clock (benchmarks/bench_micro.py times it):
    the table is loaded once per process, and a header read again hashes no word twice."""
    notice_table._TABLE = None
    table = notice_table.load_table()
    assert notice_table.load_table() is table
    header = APACHE_HF + "".join(
        f"# step {n}: attention over the input sequence returns hidden states\n" for n in range(45)
    )
    first = match_known_notices(header)
    assert first == TextLicenses((NoticeMatch("Apache-2.0", 4, 14, "notice", "table"),), False)
    words = dict(table.words)
    assert match_known_notices(header) == first
    assert table.words == words  # every word of the second reading came from the cache


def test_the_facts_cache_key_hashes_the_table_file_itself() -> None:
    from lintml.facts import extract

    assert extract.NOTICE_TABLE_PATH == notice_table.DATA_PATH
