"""A library vendored as its license asks (its license file beside it, its files as they were) owes nothing more.

A small MIT C library is indexed as an upstream: most files carry no header (the copyright line lives
in its LICENSE, as MIT means it), one carries a third party's line of its own. An Apache-2.0 project
vendors it under ``vendor/tinyvec/`` with the LICENSE file beside it. Real git repositories, a real
index, the real command.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.helpers import MIT_TEXT, apache_text, c_file, index_upstream, invoke_lintml

LICENSE = MIT_TEXT.replace("Test Authors", "The tinyvec authors")
INTEL = "// Copyright (C) 2024 Intel Corporation\n// SPDX-License-Identifier: MIT\n\n"


FILES = {
    "src/vec.c": c_file("vec", 4),
    "src/norm.c": c_file("norm", 3),
    "src/sycl.c": INTEL + c_file("sycl", 3),
    "src/util.c": "// SPDX-License-Identifier: MIT\n" + c_file("util", 5),
}


def _errors(local: Path, index: Path) -> list[dict]:
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return [item for item in json.loads(result.stdout)["findings"] if item["severity"] != "info"]


def test_a_vendored_mit_library_with_its_license_beside_it_gets_no_finding(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    upstream = make_repo({"LICENSE": LICENSE, **FILES}, name="tinyvec")
    index = index_upstream(tmp_path, "tinyvec", upstream, "MIT")
    vendored = {f"vendor/tinyvec/{path}": text for path, text in FILES.items()}
    # A copy without the SPDX line of its upstream file: the license file beside it states the license.
    vendored["vendor/tinyvec/src/util.c"] = FILES["src/util.c"].split("\n", 1)[1]
    own = {"LICENSE": apache_text(), "pyproject.toml": '[project]\nname = "app"\nauthors = [{name = "Sam Roe"}]\n'}
    local = make_repo({**own, **vendored, "vendor/tinyvec/LICENSE": LICENSE}, name="app")
    assert _errors(local, index) == []
    # Without the license file beside it, the copies keep neither the MIT text nor its copyright line: the
    # headerless files owe the line of the upstream's LICENSE, not the Intel line of another of its files.
    (local / "vendor/tinyvec/LICENSE").unlink()
    found = _errors(local, index)
    lost = {
        path: item["evidence"]["missing_copyrights"]
        for item in found
        if item["rule"] == "copyright-notice"
        for path in (item["path"], *item["related"])
    }
    # One cause (the upstream's LICENSE is not beside the copies), one finding naming the files it leaves
    # without the same notices (util.c also lost its SPDX line).
    assert [item["rule"] for item in found].count("copyright-notice") == 2
    line = "Copyright (c) 2024 The tinyvec authors"
    assert lost == {f"vendor/tinyvec/src/{name}.c": line for name in ("norm", "util", "vec")}
    (util,) = [item for item in found if item["rule"] == "copyright-notice" and item["path"].endswith("util.c")]
    assert util["evidence"]["license_notice_missing"] == "yes"
    (text,) = [item for item in found if item["rule"] == "license-text"]  # one missing text, one finding
    assert text["license"] == "MIT" and len(text["related"]) == 3
