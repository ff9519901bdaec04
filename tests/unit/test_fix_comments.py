"""Tests of writing comment lines into file headers, as cases: path, text before, text after."""

from __future__ import annotations

import ast

import pytest

from lintml.fixes.comments import comment_block, insert_header_lines

LINES = ["SPDX-License-Identifier: Apache-2.0", "", "Modified by Example Corp., 2024"]
# LINES as rendered in each comment syntax.
HASH = "# SPDX-License-Identifier: Apache-2.0\n#\n# Modified by Example Corp., 2024\n"
SLASH = "// SPDX-License-Identifier: Apache-2.0\n//\n// Modified by Example Corp., 2024\n"
DASH = "-- SPDX-License-Identifier: Apache-2.0\n--\n-- Modified by Example Corp., 2024\n"
MARKUP = "<!--\nSPDX-License-Identifier: Apache-2.0\n\nModified by Example Corp., 2024\n-->\n"
CSS = "/*\n * SPDX-License-Identifier: Apache-2.0\n *\n * Modified by Example Corp., 2024\n */\n"


def has_lines(text: str, path: str, lines: list[str]) -> bool:
    """Whether `lines`, rendered as comments for `path`, stand consecutively in `text` (whitespace around each
    line aside): the oracle of these tests."""
    wanted = [line.strip() for line in comment_block(path, lines)]
    if not wanted:
        return True
    present = [line.strip() for line in text.removeprefix("\ufeff").split("\n")]
    first = wanted[0]
    return any(
        present[index : index + len(wanted)] == wanted
        for index, line in enumerate(present)
        if line == first and index + len(wanted) <= len(present)
    )


# (name, path, before, after) for insert_header_lines(before, path, LINES).
CASES = [
    (
        "python: shebang, encoding, license header, docstring, code",
        "pkg/train.py",
        "#!/usr/bin/env python\n"
        "# -*- coding: utf-8 -*-\n"
        "# Copyright 2023 The HuggingFace Team. All rights reserved.\n"
        "# Licensed under the Apache License, Version 2.0.\n"
        '"""Training loop."""\n'
        "from __future__ import annotations\n"
        "\n"
        "import os\n",
        "#!/usr/bin/env python\n"
        "# -*- coding: utf-8 -*-\n"
        "# Copyright 2023 The HuggingFace Team. All rights reserved.\n"
        "# Licensed under the Apache License, Version 2.0.\n"
        "#\n"
        f"{HASH}"
        '"""Training loop."""\n'
        "from __future__ import annotations\n"
        "\n"
        "import os\n",
    ),
    (
        "python: license header already ends with a bare comment line, then a blank line",
        "model.py",
        "# Copyright 2024 A\n#\n\nimport torch\n",
        f"# Copyright 2024 A\n#\n{HASH}\nimport torch\n",
    ),
    (
        "python: docstring only, lines go before it",
        "model.py",
        '"""A model.\n\nLong description.\n"""\n',
        f'{HASH}\n"""A model.\n\nLong description.\n"""\n',
    ),
    ("python: code on line 1", "model.py", "import torch\n", f"{HASH}\nimport torch\n"),
    (
        "python: a comment on the code is not a header; the lines go above it",
        "model.py",
        "# TODO: speed this up\nimport torch\n",
        f"{HASH}\n# TODO: speed this up\nimport torch\n",
    ),
    (
        "python: a provenance comment is a header",
        "model.py",
        "# Adapted from https://github.com/org/repo\nimport torch\n",
        f"# Adapted from https://github.com/org/repo\n#\n{HASH}import torch\n",
    ),
    (
        "python: CRLF newlines are kept",
        "model.py",
        "import torch\r\nx = 1\r\n",
        HASH.replace("\n", "\r\n") + "\r\nimport torch\r\nx = 1\r\n",
    ),
    ("python: no final newline stays without one", "model.py", "x = 1", f"{HASH}\nx = 1"),
    (
        "python: a header that is the whole file, without a final newline",
        "model.py",
        "# Copyright 2024 A",
        f"# Copyright 2024 A\n#\n{HASH}".removesuffix("\n"),
    ),
    ("empty file", "model.py", "", HASH),
    ("byte-order mark stays first", "model.py", "\ufeffimport torch\n", f"\ufeff{HASH}\nimport torch\n"),
    (
        "cuda: /* */ license header, lines go before it",
        "kernels/attention.cu",
        "/*\n * Copyright (c) 2024, NVIDIA CORPORATION.\n */\n#include <cuda_runtime.h>\n",
        f"{SLASH}\n/*\n * Copyright (c) 2024, NVIDIA CORPORATION.\n */\n#include <cuda_runtime.h>\n",
    ),
    (
        "c++: // license header",
        "csrc/ops.cpp",
        "// Copyright (c) Meta Platforms, Inc.\n// Licensed under the MIT license.\n\n#include <torch/extension.h>\n",
        "// Copyright (c) Meta Platforms, Inc.\n"
        "// Licensed under the MIT license.\n"
        "//\n"
        f"{SLASH}"
        "\n"
        "#include <torch/extension.h>\n",
    ),
    (
        "go: a package comment stays next to its package clause",
        "main.go",
        "// Package main serves the model.\npackage main\n",
        f"{SLASH}\n// Package main serves the model.\npackage main\n",
    ),
    (
        "shell: after the shebang",
        "scripts/train.sh",
        "#!/bin/bash\nset -euo pipefail\n",
        f"#!/bin/bash\n{HASH}\nset -euo pipefail\n",
    ),
    (
        "shell: after the shebang and its license header",
        "scripts/train.sh",
        "#!/bin/bash\n\n# Copyright 2024 A\n# SPDX-License-Identifier: MIT\n\nset -e\n",
        f"#!/bin/bash\n\n# Copyright 2024 A\n# SPDX-License-Identifier: MIT\n#\n{HASH}\nset -e\n",
    ),
    (
        "lua: --[[ opens a block comment, not a line comment",
        "init.lua",
        "--[[ Copyright 2024 A ]]\nprint(1)\n",
        f"{DASH}\n--[[ Copyright 2024 A ]]\nprint(1)\n",
    ),
    ("markdown: one block comment", "docs/usage.md", "# Usage\n\nRun it.\n", f"{MARKUP}\n# Usage\n\nRun it.\n"),
    (
        "markdown: a model card's metadata stays first",
        "README.md",
        "---\nlicense: apache-2.0\ntags:\n- vision\n---\n\n# Model card\n",
        f"---\nlicense: apache-2.0\ntags:\n- vision\n---\n{MARKUP}\n# Model card\n",
    ),
    (
        "xml: the declaration stays first",
        "config.xml",
        '<?xml version="1.0" encoding="UTF-8"?>\n<config/>\n',
        f'<?xml version="1.0" encoding="UTF-8"?>\n{MARKUP}\n<config/>\n',
    ),
    (
        "dockerfile: parser directives stay first",
        "docker/Dockerfile",
        "# syntax=docker/dockerfile:1\nFROM python:3.11\n",
        f"# syntax=docker/dockerfile:1\n{HASH}\nFROM python:3.11\n",
    ),
    ("css: block comments only", "static/style.css", "body { margin: 0; }\n", f"{CSS}\nbody {{ margin: 0; }}\n"),
]


@pytest.mark.parametrize(("path", "before", "after"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_insert_header_lines(path: str, before: str, after: str) -> None:
    assert insert_header_lines(before, path, LINES) == after
    assert not has_lines(before, path, LINES)
    assert has_lines(after, path, LINES)


PYTHON_FILES = {
    "docstring and future import": '"""Doc."""\nfrom __future__ import annotations\n\nx: int = 1\n',
    "shebang, encoding, header, docstring": (
        "#!/usr/bin/env python3\n# coding=utf-8\n# Copyright 2024 A\n# Licensed under MIT\n"
        '"""Doc."""\nfrom __future__ import annotations\n'
    ),
    "code first": "import os\nprint(os.sep)\n",
    "single-quoted docstring after blank lines": "\n\n'''Doc.'''\n",
    "header comment then class": "# Copyright A\nclass A:\n    '''Doc.'''\n",
    "no final newline": '"""Doc."""\nx = 1',
    "CRLF": '"""Doc."""\r\nx = 1\r\n',
    "empty": "",
    "form feed inside": "import os\n\x0c\ndef f():\n    return 1\n",
}


@pytest.mark.parametrize("before", PYTHON_FILES.values(), ids=PYTHON_FILES.keys())
def test_python_stays_valid_and_keeps_its_docstring(before: str) -> None:
    after = insert_header_lines(before, "pkg/module.py", LINES)
    tree = ast.parse(after)
    compile(after, "pkg/module.py", "exec")
    assert ast.get_docstring(tree) == ast.get_docstring(ast.parse(before))
    assert ast.dump(tree) == ast.dump(ast.parse(before))  # comments only: the same program
    assert has_lines(after, "pkg/module.py", LINES)


def test_encoding_declaration_stays_on_line_two() -> None:
    before = '#!/usr/bin/env python\n# -*- coding: latin-1 -*-\ns = "café"\n'
    after = insert_header_lines(before, "enc.py", LINES)
    assert after.splitlines()[1] == "# -*- coding: latin-1 -*-"
    namespace: dict[str, object] = {}
    exec(compile(after.encode("latin-1"), "enc.py", "exec"), namespace)  # bytes: the declaration decides
    assert namespace["s"] == "café"


def test_encoding_declaration_on_line_two_after_a_comment() -> None:
    before = "# Copyright A\n# vim: set fileencoding=utf-8 :\nimport os\n"
    after = insert_header_lines(before, "enc.py", ["SPDX-License-Identifier: MIT"])
    assert after.splitlines()[:3] == [
        "# Copyright A",
        "# vim: set fileencoding=utf-8 :",
        "# SPDX-License-Identifier: MIT",
    ]


@pytest.mark.parametrize("path", ["config.json", "data/train.jsonl", "notebooks/demo.ipynb", "CONFIG.JSON"])
def test_formats_without_comments_raise(path: str) -> None:
    with pytest.raises(ValueError, match="has no comments"):
        insert_header_lines("{}\n", path, LINES)
    with pytest.raises(ValueError, match="has no comments"):
        comment_block(path, LINES)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a.py", ["# x", "#", "# y"]),
        ("a.cu", ["// x", "//", "// y"]),
        ("a.sql", ["-- x", "--", "-- y"]),
        ("a.tex", ["% x", "%", "% y"]),
        ("a.el", ["; x", ";", "; y"]),
        ("Makefile", ["# x", "#", "# y"]),
        ("a.md", ["<!--", "x", "", "y", "-->"]),
        ("a.css", ["/*", " * x", " *", " * y", " */"]),
    ],
)
def test_comment_block(path: str, expected: list[str]) -> None:
    assert comment_block(path, ["x", "", "y  "]) == expected


def test_comment_block_edge_cases() -> None:
    assert comment_block("a.html", ["SPDX-License-Identifier: MIT"]) == ["<!-- SPDX-License-Identifier: MIT -->"]
    assert comment_block("a.py", []) == []
    assert comment_block("a.py", ["two\nlines"]) == ["# two", "# lines"]
    with pytest.raises(ValueError, match="end the comment early"):
        comment_block("a.md", ["a --> b"])


def test_no_lines_leave_the_text_alone() -> None:
    assert insert_header_lines("x = 1\n", "a.py", []) == "x = 1\n"


def test_inserting_twice_is_the_callers_business_but_has_lines_tells() -> None:
    once = insert_header_lines("import os\n", "a.py", LINES)
    assert has_lines(once, "a.py", LINES)
    twice = insert_header_lines(once, "a.py", LINES)
    assert twice.count("SPDX-License-Identifier: Apache-2.0") == 2
