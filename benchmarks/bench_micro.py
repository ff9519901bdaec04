"""Hot paths timed in-process: the measurements the test suite used to assert, and no longer does.

Tests assert behaviour (a cap's error, a memory peak, a cache hit, every pair found); how long
that behaviour takes is measured here, on a quiet machine, and written to the ``micro`` section
of ``benchmarks/RESULTS.md``:

* the notice table loaded from its file, and one exact-match read of a 60-line file header;
* SPDX tags and copyright tags read from a line of 200,000 blanks (a linear scan);
* a YAML alias bomb in a model card's front matter, refused;
* a comparison of two weight sketches of 1,000 same-shape tensors, renamed;
* a pickle that builds three million lists, stopped by the container cap;
* a safetensors header that claims 2^80 elements, refused.

    python benchmarks/bench_micro.py             # about a minute on 2 cores; writes RESULTS.md
    python benchmarks/bench_micro.py --runs 1 --no-write
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, lintml_revision, logger, machine
from results_sections import write_section

log = logger("micro")

APACHE_HEADER = (
    "# coding=utf-8\n# Copyright 2024 The HuggingFace Team. All rights reserved.\n#\n"
    '# Licensed under the Apache License, Version 2.0 (the "License");\n'
    "# you may not use this file except in compliance with the License.\n"
    "# You may obtain a copy of the License at\n#\n#     http://www.apache.org/licenses/LICENSE-2.0\n#\n"
    "# Unless required by applicable law or agreed to in writing, software\n"
    '# distributed under the License is distributed on an "AS IS" BASIS,\n'
    "# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.\n"
    "# See the License for the specific language governing permissions and\n# limitations under the License.\n"
)


def timed(function: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls, in seconds."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def notice_table_cases(runs: int) -> list[tuple[str, float, str]]:
    from lintml.facts import notice_table

    def load() -> None:
        notice_table._TABLE = None  # the benchmark reloads it; lintml loads it once a process
        notice_table.load_table()

    header = APACHE_HEADER + "".join(
        f"# step {n}: attention over the input sequence returns hidden states\n" for n in range(45)
    )
    notice_table.match_known_notices(header)
    match = timed(lambda: [notice_table.match_known_notices(header) for _ in range(100)], runs) / 100
    return [
        ("notice table loaded", timed(load, runs), "once a process"),
        ("exact notice match, 60-line header", match, "warm word cache"),
    ]


def text_cases(runs: int) -> list[tuple[str, float, str]]:
    from lintml.facts.headers import spdx_copyrights, spdx_tags
    from lintml.facts.model_card import parse_model_card

    tag = "# SPDX-License-Identifier: MIT" + " " * 200_000 + "x"
    copyright_tag = "# SPDX-FileCopyrightText: a" + " " * 200_000 + "x"
    bomb = "---\n" + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    bomb += "".join(f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}]\n" for n in range(1, 12)) + "---\n"
    return [
        ("SPDX tags over 200,000 blanks", timed(lambda: (spdx_tags(tag), spdx_copyrights(copyright_tag)), runs), ""),
        ("YAML alias bomb refused", timed(lambda: parse_model_card(bomb), runs), "11 levels, 4 aliases each"),
    ]


def sketch_cases(runs: int, scratch: Path) -> list[tuple[str, float, str]]:
    from safetensors.numpy import save_file

    from lintml.models.sketch import compare_sketches, sketch_model

    rng = np.random.default_rng(22)
    model = {f"layers.{index}.w": rng.standard_normal((32, 48)).astype(np.float32) for index in range(1000)}
    noise = np.random.default_rng(23)
    order = np.random.default_rng(24).permutation(len(model))
    copy = {
        f"copy.t{order[index]:03d}": (values + noise.standard_normal(values.shape) * values.std()).astype(np.float32)
        for index, (_, values) in enumerate(sorted(model.items()))
    }
    save_file(model, str(scratch / "a.safetensors"))
    save_file(copy, str(scratch / "b.safetensors"))
    left, right = sketch_model(scratch / "a.safetensors"), sketch_model(scratch / "b.safetensors")
    verdict = compare_sketches(left, right).verdict
    return [("sketch comparison, 1,000 renamed tensors", timed(lambda: compare_sketches(left, right), runs), verdict)]


def weights_cases(runs: int, scratch: Path) -> list[tuple[str, float, str]]:
    from lintml.models.weights import WeightsError, read_tensors

    payload = b"\x80\x02" + b"]0" * 3_000_000 + b"N."  # three million empty lists, each dropped
    lists = scratch / "lists.pt"
    with zipfile.ZipFile(lists, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
    header = json.dumps({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 48]}}).encode()
    lying = scratch / "lying.safetensors"
    lying.write_bytes(struct.pack("<Q", len(header)) + header + bytes(48))

    def refused(path: Path) -> Callable[[], None]:
        def read() -> None:
            try:
                read_tensors(path)
            except WeightsError:
                return
            raise SystemExit(f"{path}: expected a WeightsError")

        return read

    return [
        ("pickle of 3 million lists, capped", timed(refused(lists), max(1, runs // 3)), "2,000,000 containers"),
        ("safetensors claiming 2^80 elements, refused", timed(refused(lying), runs), ""),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="Runs of each case; the median is reported (default 5).")
    parser.add_argument("--no-write", action="store_true", help="Print the table; leave RESULTS.md alone.")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lintml-micro-") as folder:
        scratch = Path(folder)
        cases = []
        for name, measure in (
            ("notice table", lambda: notice_table_cases(arguments.runs)),
            ("text scans", lambda: text_cases(arguments.runs)),
            ("weight sketches", lambda: sketch_cases(arguments.runs, scratch)),
            ("weights files", lambda: weights_cases(arguments.runs, scratch)),
        ):
            log(f"timing {name}")
            cases += measure()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = [
        "## Hot paths (`bench_micro.py`)",
        "",
        f"Measured {stamp}, median of {arguments.runs} runs in one process "
        "(the test suite asserts what these paths do, not how long they take).",
        "",
        "| case | time | note |",
        "|---|---:|---|",
        *(f"| {name} | {seconds * 1000:.2f} ms | {note} |" for name, seconds, note in cases),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in machine(lintml_revision())),
    ]
    body = "\n".join(lines)
    print(body)
    if not arguments.no_write:
        write_section(ROOT / "benchmarks" / "RESULTS.md", "micro", body)
        log("wrote the micro section of benchmarks/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
