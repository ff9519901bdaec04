"""Provenance end to end: real upstreams indexed with `lintml index add`, real copies found by `lintml check`.

Upstreams are real git repositories, archives and folders built in temporary folders from
standard-library modules; copies are renamed with libcst, stripped and reformatted with ast.
"""

from __future__ import annotations

import gc
import io
import json
import resource
import tarfile
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from lintml import api
from lintml.config import ConfigError
from lintml.engine import CheckResult, check_source
from lintml.facts.cache import FactCache
from lintml.provenance.index import UpstreamIndex
from lintml.provenance.scan import PARALLEL_FROM, ProvenanceResult, provenance
from lintml.repository import DiskSource
from lintml.targets import prepare
from tests.copying import rename, stdlib_source, strip_and_reformat, top_level_definitions
from tests.helpers import MIT_TEXT, invoke_lintml, write_tree

TEXTWRAP_RENAMES = {
    "TextWrapper": "LineFolder",
    "wrap": "fold",
    "fill": "pack",
    "width": "cols",
    "chunks": "pieces",
    "_split_chunks": "_cut",
    "cur_line": "current",
    "expand_tabs": "detab",
}


def textwrap_copy() -> str:
    return rename(strip_and_reformat(stdlib_source("textwrap")), TEXTWRAP_RENAMES)


@pytest.fixture
def upstream_repo(make_repo: Callable[..., Path]) -> Path:
    """An MIT-licensed upstream with two real modules, as a git repository."""
    return make_repo(
        {
            "LICENSE": MIT_TEXT,
            "NOTICE": "Textkit\nCopyright 2024 The Textkit Authors\n",
            "textkit/wrapping.py": stdlib_source("textwrap"),
            "textkit/queues.py": stdlib_source("heapq"),
            "textkit/__init__.py": "from .wrapping import TextWrapper\nfrom .queues import heappush\n",
        },
        name="upstream",
    )


def index_add(tmp_path: Path, *args: str) -> tuple[Path, str]:
    index = tmp_path / "shared" / "upstreams.sqlite3"
    result = invoke_lintml(tmp_path, "index", "add", *args, "--index", str(index))
    assert result.returncode == 0, result.stderr
    return index, result.stdout


def provenance_findings(root: Path, *args: str) -> list[dict]:
    result = invoke_lintml(root, "check", ".", "--no-catalog", "--select", "provenance", "--format", "json", *args)
    assert result.returncode == 0, result.stderr  # provenance is information: it never fails the run
    return json.loads(result.stdout)["findings"]


def test_a_renamed_stripped_reformatted_copy_is_found_with_its_rename_map(
    tmp_path: Path, upstream_repo: Path, make_repo: Callable[..., Path]
) -> None:
    index, added = index_add(tmp_path, "textkit", str(upstream_repo), "--version", "1.2.0")
    assert "added textkit 1.2.0 (MIT)" in added
    local = make_repo({"LICENSE": MIT_TEXT, "src/folding.py": textwrap_copy()}, name="local")

    (finding,) = provenance_findings(local, "--index", str(index))

    assert finding["path"] == "src/folding.py" and finding["severity"] == "info"
    upstream = finding["upstream"]
    assert (upstream["name"], upstream["version"], upstream["path"], upstream["license"]) == (
        "textkit",
        "1.2.0",
        "textkit/wrapping.py",
        "MIT",
    )
    assert upstream["similarity"] > 0.97 and upstream["taken"] > 0.97 and upstream["verbatim"] is False
    renames = {item["from"]: item["to"] for item in upstream["renames"]}
    for old, new in TEXTWRAP_RENAMES.items():
        assert renames.get(old) == new, old
    assert finding["line"] == upstream["lines"][0][0] and finding["end_line"] == upstream["lines"][-1][1]
    assert "textkit 1.2.0 (textkit/wrapping.py, MIT)" in finding["message"]
    assert "TextWrapper -> LineFolder" in finding["message"] or "renamed" in finding["message"]


def test_a_partial_reordered_copy_inside_new_code_reports_only_the_copied_lines(
    tmp_path: Path, upstream_repo: Path, make_repo: Callable[..., Path]
) -> None:
    index, _ = index_add(tmp_path, "textkit", str(upstream_repo), "--license", "MIT")
    heapq = stdlib_source("heapq")
    taken = top_level_definitions(heapq, ["_siftup", "heappushpop", "_siftdown"])  # reordered
    own = stdlib_source("fnmatch")
    local = make_repo({"LICENSE": MIT_TEXT, "mixed.py": own + "\n\n" + taken}, name="local")

    (finding,) = provenance_findings(local, "--index", str(index))

    upstream = finding["upstream"]
    assert upstream["path"] == "textkit/queues.py"
    assert 0.1 < upstream["similarity"] < 0.7 and upstream["taken"] < 0.5
    first_copied = own.count("\n") + 3
    assert all(first >= first_copied for first, _ in upstream["lines"])  # the file's own code is not claimed


def test_unrelated_code_tiny_files_and_reexports_match_nothing(
    tmp_path: Path, upstream_repo: Path, make_repo: Callable[..., Path]
) -> None:
    index, _ = index_add(tmp_path, "textkit", str(upstream_repo))
    local = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "matching.py": stdlib_source("fnmatch"),
            "colors.py": stdlib_source("colorsys"),
            "lexer.py": stdlib_source("shlex"),
            "textkit/__init__.py": "from .wrapping import TextWrapper\nfrom .queues import heappush\n",
            "tiny.py": "def wrap(text, width=70):\n    return TextWrapper(width=width).wrap(text)\n",
        },
        name="local",
    )
    assert provenance_findings(local, "--index", str(index)) == []


def test_boilerplate_shared_by_many_upstream_projects_is_not_evidence(tmp_path: Path) -> None:
    boilerplate = top_level_definitions(stdlib_source("bisect"), ["insort_right", "bisect_right"])
    sources = {}
    # Six different projects carry it (COMMON_PROJECTS): boilerplate, not code that two or three carry.
    for number, module in enumerate(["colorsys", "fnmatch", "shlex", "textwrap", "calendar", "heapq"]):
        folder = tmp_path / f"project{number}"
        write_tree(folder, {"LICENSE": MIT_TEXT, f"p{number}/core.py": stdlib_source(module) + "\n\n" + boilerplate})
        sources[f"project{number}"] = folder
    index = tmp_path / "index.sqlite3"
    api.index_add(
        [api.UpstreamSpec(name, str(folder), "MIT") for name, folder in sources.items()], index_path=index, jobs=1
    )
    local = tmp_path / "local"
    write_tree(local, {"LICENSE": MIT_TEXT, "common.py": boilerplate, "lexer.py": stdlib_source("shlex")})

    result = api.check([local], indexes=[index], use_catalog=False, select=["provenance"])

    assert [(finding.path, finding.upstream and finding.upstream.name) for finding in result.findings] == [
        ("lexer.py", "project2")
    ]


def test_sdists_wheels_and_git_refs_are_upstream_sources(tmp_path: Path, upstream_repo: Path) -> None:
    sdist = tmp_path / "textkit-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as bundle:
        for name in ("LICENSE", "NOTICE", "textkit/wrapping.py"):
            bundle.add(upstream_repo / name, arcname=f"textkit-1.0/{name}")
        info = tarfile.TarInfo("textkit-1.0/PKG-INFO")
        metadata = b"Metadata-Version: 2.1\nName: textkit\nVersion: 1.0\nHome-page: https://example.org/textkit\n\n"
        info.size = len(metadata)
        bundle.addfile(info, io.BytesIO(metadata))
    wheel = tmp_path / "queuekit-2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as bundle:
        bundle.writestr("queuekit/queues.py", stdlib_source("heapq"))
        bundle.writestr("queuekit-2.0.dist-info/METADATA", "Name: queuekit\nVersion: 2.0\n\n")
        bundle.writestr("queuekit-2.0.dist-info/LICENSE", MIT_TEXT)
    repo = git.Repo(upstream_repo)
    repo.create_tag("v1")
    (upstream_repo / "textkit" / "later.py").write_text(stdlib_source("graphlib"), encoding="utf-8")
    repo.index.add(["textkit/later.py"])
    repo.index.commit("add graphlib")

    index, _ = index_add(tmp_path, "textkit", str(sdist))
    index_add(tmp_path, "queuekit", str(wheel))
    index_add(tmp_path, "gitkit", f"{upstream_repo.as_uri()}@v1")

    listing = invoke_lintml(tmp_path, "index", "list", "--index", str(index))
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert any(line.split()[:3] == ["textkit", "1.0", "MIT"] for line in lines), listing.stdout
    assert any(line.split()[:3] == ["queuekit", "2.0", "MIT"] for line in lines), listing.stdout
    info = invoke_lintml(tmp_path, "index", "info", "textkit", "--files", "--index", str(index))
    assert "https://example.org/textkit" in info.stdout and "textkit/wrapping.py" in info.stdout
    assert "Copyright 2024 The Textkit Authors" in info.stdout  # the NOTICE text is recorded
    import hashlib

    assert hashlib.sha256(sdist.read_bytes()).hexdigest() in info.stdout
    tagged = invoke_lintml(tmp_path, "index", "info", "gitkit", "--files", "--index", str(index))
    assert "textkit/wrapping.py" in tagged.stdout and "later.py" not in tagged.stdout  # v1 predates it
    assert repo.tags["v1"].commit.hexsha[:12] in tagged.stdout

    removed = invoke_lintml(tmp_path, "index", "remove", "queuekit", "--index", str(index))
    assert removed.returncode == 0
    assert [project.name for project in UpstreamIndex(index).projects()] == ["gitkit", "textkit"]
    again = invoke_lintml(tmp_path, "index", "remove", "queuekit", "--index", str(index))
    assert again.returncode == 2 and "no upstream or model named 'queuekit'" in again.stderr


@pytest.mark.usefixtures("isolated_cache")  # counts what a cold run fingerprints
def test_a_warm_recheck_fingerprints_nothing_and_a_changed_index_refreshes(
    tmp_path: Path, upstream_repo: Path, make_repo: Callable[..., Path]
) -> None:
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("textkit", str(upstream_repo))], index_path=index, jobs=1)
    local = make_repo({"LICENSE": MIT_TEXT, "folding.py": textwrap_copy(), "own.py": stdlib_source("shlex")})

    cold = api.check([local], indexes=[index], use_catalog=False)
    warm = api.check([local], indexes=[index], use_catalog=False)
    assert cold.fingerprinted == 2 and warm.fingerprinted == 0
    assert warm.findings == cold.findings
    assert [finding.path for finding in cold.findings if finding.rule == "provenance"] == ["folding.py"]

    write_tree(tmp_path / "lexkit", {"lexkit/lexer.py": stdlib_source("shlex")})
    api.index_add([api.UpstreamSpec("lexkit", str(tmp_path / "lexkit"), "MIT")], index_path=index, jobs=1)
    refreshed = api.check([local], indexes=[index], use_catalog=False)
    assert refreshed.fingerprinted == 2
    assert {finding.upstream.name for finding in refreshed.findings if finding.upstream} == {"textkit", "lexkit"}


def test_cached_matches_get_their_upstream_projects_facts_back_from_the_index(
    tmp_path: Path, upstream_repo: Path
) -> None:
    """A cached match leaves out what it says of the upstream project as a whole (its copyright lines, NOTICE,
    README facts); read back, it is the match the cold run made, and a release two indexes hold is matched again."""
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("textkit", str(upstream_repo))], index_path=index, jobs=1)
    files = [("folding.py", textwrap_copy().encode()), ("own.py", stdlib_source("shlex").encode())]
    cache_dir = tmp_path / "cache"

    def run(*indexes: Path) -> ProvenanceResult:
        cache = FactCache(cache_dir)
        try:
            return provenance(files, list(indexes), cache, jobs=1)
        finally:
            cache.close()

    cold, warm = run(index), run(index)
    assert cold.fingerprinted == 2 and warm.fingerprinted == 0
    assert warm.matches == cold.matches
    [match] = cold.matches["folding.py"]
    assert match.project_copyrights and match.upstream_people == UpstreamIndex(index).projects()[0].people

    twin = tmp_path / "twin.sqlite3"
    api.index_add([api.UpstreamSpec("textkit", str(upstream_repo))], index_path=twin, jobs=1)
    both, both_warm = run(index, twin), run(index, twin)
    assert both_warm.fingerprinted == 1  # the copy's cached matches name a release both indexes hold: a miss
    assert both_warm.matches == both.matches


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended: it grows when a run starts and joins a process."""
    gc.collect()  # a finished git process an earlier test left to the collector is reaped now, not mid-run
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def test_code_matched_in_worker_processes_while_facts_are_read_finds_what_one_process_finds(
    tmp_path: Path, upstream_repo: Path
) -> None:
    """Enough code files miss the cache for worker processes to match them (fed as they are read, while this
    process extracts the facts of the rest): the findings are those of the run matching them one by one. A warm
    run of the same tree takes every match from the cache and starts no process at all."""
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("textkit", str(upstream_repo))], index_path=index, jobs=1)
    local = tmp_path / "local"
    own = {
        f"pkg/step_{n:02}.py": f"def step_{n}(value):\n    return value * {n} + {n * 7}\n" for n in range(PARALLEL_FROM)
    }
    write_tree(
        local,
        {
            "LICENSE": MIT_TEXT,
            "pyproject.toml": '[project]\nname = "stepkit"\nlicense = "MIT"\n',
            "folding.py": textwrap_copy(),
            **own,
            "pkg/zz_queues.py": stdlib_source("heapq"),  # in the last, shorter chunk handed to a worker
        },
    )
    prepared = prepare([local], None, None, None, (), (), None, [index], False)

    def run(jobs: int, cache: FactCache) -> CheckResult:
        source = DiskSource(prepared.top, use_git=False)
        return check_source(source, prepared.config, cache=cache, index_paths=prepared.index_paths, jobs=jobs)

    serial = run(1, FactCache(None))
    started = _children_cpu()
    cache = FactCache(tmp_path / "cache")
    pooled = run(2, cache)
    cache.close()
    assert _children_cpu() > started  # the workers ran (and were joined)
    assert pooled.fingerprinted == serial.fingerprinted == PARALLEL_FROM + 2
    assert pooled.findings == serial.findings
    copied = sorted(finding.path for finding in serial.findings if finding.rule == "provenance")
    assert copied == ["folding.py", "pkg/zz_queues.py"]

    before = _children_cpu()
    cache = FactCache(tmp_path / "cache")
    warm = run(2, cache)
    cache.close()
    assert _children_cpu() == before  # no process was started
    assert warm.fingerprinted == 0 and warm.findings == serial.findings


def test_copied_notebooks_and_cuda_sources_are_found(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    kernel = (
        "#include <cuda_runtime.h>\n"
        "// Fused bias + GELU\n"
        "__global__ void bias_gelu_kernel(const float* input, const float* bias, float* output, int rows, int cols) {\n"
        "  int index = blockIdx.x * blockDim.x + threadIdx.x;\n"
        "  if (index >= rows * cols) return;\n"
        "  float value = input[index] + bias[index % cols];\n"
        "  float cube = value * value * value;\n"
        "  output[index] = 0.5f * value * (1.0f + tanhf(0.7978845608f * (value + 0.044715f * cube)));\n"
        "}\n"
        "void launch_bias_gelu(const float* input, const float* bias, float* output, int rows, int cols) {\n"
        "  int threads = 256;\n"
        "  int blocks = (rows * cols + threads - 1) / threads;\n"
        "  bias_gelu_kernel<<<blocks, threads>>>(input, bias, output, rows, cols);\n"
        "}\n"
    )
    upstream = make_repo(
        {"LICENSE": MIT_TEXT, "kernels/gelu.cu": kernel, "textkit/queues.py": stdlib_source("heapq")}, name="up"
    )
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("kernels", str(upstream))], index_path=index, jobs=1)
    renamed_kernel = (
        kernel.replace("bias_gelu_kernel", "fused_act")
        .replace("launch_bias_gelu", "run_act")
        .replace("value", "v")
        .replace("// Fused bias + GELU\n", "")
    )
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Priority queues"]},
            {"cell_type": "code", "source": ["%load_ext autoreload\n", stdlib_source("heapq")]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    local = make_repo({"LICENSE": MIT_TEXT, "csrc/act.cu": renamed_kernel, "demo.ipynb": json.dumps(notebook)})

    findings = {finding["path"]: finding for finding in provenance_findings(local, "--index", str(index))}

    assert findings["csrc/act.cu"]["upstream"]["path"] == "kernels/gelu.cu"
    renames = {item["from"]: item["to"] for item in findings["csrc/act.cu"]["upstream"]["renames"]}
    assert renames["bias_gelu_kernel"] == "fused_act" and renames["value"] == "v"
    assert findings["demo.ipynb"]["upstream"]["path"] == "textkit/queues.py"
    assert findings["demo.ipynb"]["line"] is None  # lines of joined cells mean nothing in the JSON file


def test_sarif_carries_the_upstream_as_a_related_location_and_properties(
    tmp_path: Path, upstream_repo: Path, make_repo: Callable[..., Path]
) -> None:
    index, _ = index_add(tmp_path, "textkit", str(upstream_repo))
    local = make_repo({"LICENSE": MIT_TEXT, "folding.py": textwrap_copy()}, name="local")
    result = invoke_lintml(local, "check", ".", "--no-catalog", "--index", str(index), "--format", "sarif")
    (found,) = [item for item in json.loads(result.stdout)["runs"][0]["results"] if item["ruleId"] == "provenance"]
    assert found["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "textkit/wrapping.py"
    assert found["properties"]["upstream"]["renames"][0]["from"] in TEXTWRAP_RENAMES
    assert found["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1


def test_config_upstreams_and_vendored_folders(
    tmp_path: Path, upstream_repo: Path, make_repo: Callable[..., Path]
) -> None:
    config = (
        "upstreams: [tools/team.sqlite3]\n"
        "vendored:\n  third_party/llava:\n    upstream: llava\n    license: Apache-2.0\n"
        "    url: https://github.com/haotian-liu/LLaVA\n"
    )
    local = make_repo(
        {
            ".lintml.yaml": config,
            "LICENSE": MIT_TEXT,
            "folding.py": textwrap_copy(),
            "third_party/llava/conversation.py": stdlib_source("colorsys"),
        },
        name="local",
    )
    index = local / "tools" / "team.sqlite3"
    api.index_add([api.UpstreamSpec("textkit", str(upstream_repo))], index_path=index, jobs=1)
    findings = {finding["path"]: finding for finding in provenance_findings(local)}
    assert findings["folding.py"]["upstream"]["name"] == "textkit"
    vendored = findings["third_party/llava/conversation.py"]
    assert vendored["upstream"]["name"] == "llava" and vendored["license"] == "Apache-2.0"
    assert "declared in the lintml configuration" in vendored["message"]

    for bad, complaint in [
        ("vendored:\n  third_party/x: {license: MIT}\n", "'upstream' must name the project"),
        ("vendored:\n  third_party/x: {upstream: x, licence: MIT}\n", "unknown key 'licence'"),
        ("vendored:\n  ../outside: {upstream: x}\n", "must be a path inside the repository"),
        ("upstreams: [missing.sqlite3]\n", "missing.sqlite3: no such index file"),
        ("catalog: maybe\n", "must be true or false"),
    ]:
        (local / ".lintml.yaml").write_text(bad, encoding="utf-8")
        result = invoke_lintml(local, "check", ".")
        assert result.returncode == 2 and complaint in result.stderr, (bad, result.stderr)
        assert "Traceback" not in result.stderr


def test_vendored_config_is_validated_by_the_api(tmp_path: Path) -> None:
    write_tree(tmp_path, {".lintml.yaml": "vendored: [third_party]\n", "a.py": "x = 1\n"})
    with pytest.raises(ConfigError, match="vendored"):
        api.check([tmp_path])


# --- bad input ---------------------------------------------------------------------------


def test_corrupt_and_foreign_index_files_are_clear_errors(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    local = make_repo({"LICENSE": MIT_TEXT, "a.py": stdlib_source("colorsys")})
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"SQLite format 3\0" + bytes(range(256)) * 8)
    foreign = tmp_path / "foreign.sqlite3"
    import sqlite3

    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE notes (text TEXT)")
    connection.commit()
    connection.close()
    for path, complaint in [(corrupt, "not a lintml index"), (foreign, "not a lintml index")]:
        result = invoke_lintml(local, "check", ".", "--index", str(path))
        assert result.returncode == 2, result.stderr
        assert str(path) in result.stderr and complaint in result.stderr and "Traceback" not in result.stderr
        listed = invoke_lintml(local, "index", "list", "--index", str(path))
        assert listed.returncode == 2 and complaint in listed.stderr
    missing = invoke_lintml(local, "check", ".", "--index", str(tmp_path / "nope.sqlite3"))
    assert missing.returncode == 2 and "no such index file" in missing.stderr


def test_bad_sources_never_leave_a_half_written_index(tmp_path: Path, upstream_repo: Path) -> None:
    index, _ = index_add(tmp_path, "textkit", str(upstream_repo))
    before = index.read_bytes()
    broken_sdist = tmp_path / "broken-1.0.tar.gz"
    broken_sdist.write_bytes(b"\x1f\x8b\x08\x00 this is not a gzip stream")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ([str(broken_sdist)], "cannot unpack"),
        ([(tmp_path / "no-such-repo.git").as_uri()], "cannot clone"),
        ([f"{upstream_repo.as_uri()}@no-such-tag"], "cannot clone"),
        ([str(tmp_path / "missing-folder")], "no such folder, archive or git URL"),
        ([str(empty)], "no code files to index"),
        ([str(upstream_repo), "--license", "Not-A-License"], "not an SPDX license expression"),
    ]
    for arguments, complaint in cases:
        result = invoke_lintml(tmp_path, "index", "add", "other", *arguments, "--index", str(index))
        assert result.returncode == 2, (arguments, result.stderr)
        assert complaint in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert index.read_bytes() == before
    assert sorted(path.name for path in index.parent.iterdir()) == [index.name]  # no temporary files left


def test_an_upstream_without_a_license_is_indexed_with_a_warning(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    upstream = make_repo({"wrapping.py": stdlib_source("textwrap")}, name="unlicensed")
    index = tmp_path / "index.sqlite3"
    result = invoke_lintml(tmp_path, "index", "add", "nolicense", str(upstream), "--index", str(index))
    assert result.returncode == 0
    assert "(NONE)" in result.stdout and "nolicense has no license file" in result.stderr
    assert "grants no license" in result.stderr
    local = make_repo({"LICENSE": MIT_TEXT, "folding.py": textwrap_copy()}, name="local")
    (finding,) = provenance_findings(local, "--index", str(index))
    assert finding["upstream"]["license"] == "NONE"


def test_an_index_in_an_older_format_is_rebuilt_or_explained(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    import sqlite3

    upstream = make_repo({"LICENSE": MIT_TEXT, "wrapping.py": stdlib_source("textwrap")}, name="upstream")
    index = tmp_path / "old.sqlite3"
    assert invoke_lintml(tmp_path, "index", "add", "wrapkit", str(upstream), "--index", str(index)).returncode == 0
    with sqlite3.connect(index) as connection:
        connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")  # as an older lintml wrote it
    other = invoke_lintml(tmp_path, "index", "add", "other", str(upstream), "--index", str(index))
    assert other.returncode == 2
    assert "Move it aside and add its upstreams again" in other.stderr
    assert f"lintml index add wrapkit {upstream}" in other.stderr  # what it held, and how to get it back
    again = invoke_lintml(tmp_path, "index", "add", "wrapkit", str(upstream), "--index", str(index))
    assert again.returncode == 0, again.stderr  # replacing everything it held: rebuilt in the new format
    assert "wrapkit" in invoke_lintml(tmp_path, "index", "list", "--index", str(index)).stdout


SCALE = """def scale_box(box, factor):
    left, top, right, bottom = box
    return (left * factor, top * factor, right * factor, bottom)
"""
AREA = """def box_area(rect):
    width = rect[2] - rect[0]
    return width * (rect[3] - rect[1])
"""


def _filler(count: int) -> str:
    """Upstream code that no local file shares: ``count`` functions of different shapes."""
    return "\n\n".join(
        f"def step_{n}(state):\n"
        + "".join(f"    state = state.update{k}({k}, {'x, ' * k}None)\n" for k in range(n % 5 + 2))
        + "    return state\n"
        for n in range(count)
    )


@pytest.mark.parametrize(("between", "matched"), [(_filler(30), False), ("LIMIT = 3\n", True)])
def test_short_spans_count_together_only_when_they_lie_together_upstream_too(
    tmp_path: Path, between: str, matched: bool
) -> None:
    """Two short functions (under 40 tokens each, 60 together) side by side in a file. Side by side upstream
    too, they are an edited copy; thousands of tokens apart in a large upstream file, they are what chance
    and idiom produce (C++'s copy and move members, say) and make no match."""
    from lintml.provenance.match import Matcher
    from lintml.provenance.normalize import normalize
    from lintml.provenance.upstream import UpstreamSpec

    folder = tmp_path / "boxes"
    write_tree(folder, {"boxes/geometry.py": SCALE + "\n\n" + between + "\n\n" + AREA})
    index = tmp_path / "index.sqlite3"
    api.index_add([UpstreamSpec("boxes", str(folder), "Apache-2.0", version="1.0")], index_path=index)
    local = "import sys\n\n\n" + SCALE + "\n\nORIGIN = (0, 0)\n\n\n" + AREA + "\n\nprint(sys.argv)\n"
    opened = UpstreamIndex(index)
    try:
        matches = Matcher([opened]).match("src/shapes.py", normalize("src/shapes.py", local))
    finally:
        opened.close()
    assert [match.upstream_path for match in matches] == (["boxes/geometry.py"] if matched else [])
    if matched:
        assert matches[0].spans == 2 and matches[0].longest_span < 40 and matches[0].evidence_tokens >= 60


# ----------------------------------------------------------------------------- rename maps

# An upstream model file in the shape ML code takes (rotary embeddings, an embedding, a gated MLP).
ROTARY = """\
import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, position_ids=None, unsqueeze_dim=1):
    cos = cos.unsqueeze(unsqueeze_dim)
    sin = sin.unsqueeze(unsqueeze_dim)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


class RotaryEmbedding(nn.Module):
    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None):
        super().__init__()
        self.dim = dim
        self.max_position_embeddings = max_position_embeddings
        self.base = base
        inv_freq = 1.0 / (self.base ** (torch.arange(0, self.dim, 2, dtype=torch.int64).float().to(device) / self.dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    @torch.no_grad()
    def forward(self, x, position_ids):
        inv_freq_expanded = self.inv_freq[None, :, None].float().expand(position_ids.shape[0], -1, 1)
        position_ids_expanded = position_ids[:, None, :].float()
        freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos = emb.cos()
        sin = emb.sin()
        return cos.to(dtype=x.dtype), sin.to(dtype=x.dtype)


class TokenEmbedding(nn.Module):
    def __init__(self, vocab_size: int, hidden_size: int, padding_idx: Optional[int] = None):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab_size, hidden_size, padding_idx)
        self.scale = math.sqrt(hidden_size)

    def forward(self, input_ids: torch.LongTensor) -> torch.Tensor:
        return self.embed_tokens(input_ids) * self.scale


class GatedMLP(nn.Module):
    def __init__(self, hidden_size, intermediate_size):
        super().__init__()
        self.gate_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.up_proj = nn.Linear(hidden_size, intermediate_size, bias=False)
        self.down_proj = nn.Linear(intermediate_size, hidden_size, bias=False)

    def forward(self, hidden_states):
        gate = F.silu(self.gate_proj(hidden_states))
        hidden_states = gate * self.up_proj(hidden_states)
        hidden_states = self.down_proj(hidden_states)
        return hidden_states
"""

# The copy: the one thing it renamed is the MLP's ``hidden_states`` (seven uses). The rest are edits that
# tiling pairs name against name all the same: rotary applied to the queries alone (a parameter fewer,
# so the signature aligns one step off), the two rotary lines of ``forward`` in the other order, the
# module written ``torch.nn.`` where upstream imports ``nn``, another alias for ``functional``, and
# ``Optional`` dropped from an annotation.
ROTARY_COPY_EDITS = [
    ("import torch.nn.functional as F\nfrom torch import nn\n", "from torch.nn import functional as fn\n"),
    ("from typing import Optional\n", ""),
    ("apply_rotary_pos_emb(q, k, cos, sin,", "apply_rotary_pos_emb(q, cos, sin,"),
    ("    k_embed = (k * cos) + (rotate_half(k) * sin)\n    return q_embed, k_embed", "    return q_embed"),
    ("        cos = emb.cos()\n        sin = emb.sin()", "        sin = emb.sin()\n        cos = emb.cos()"),
    ("(nn.Module)", "(torch.nn.Module)"),
    ("nn.Embedding(", "torch.nn.Embedding("),
    ("nn.Linear(", "torch.nn.Linear("),
    ("padding_idx: Optional[int] = None", "padding_idx: int = None"),
    ("F.silu(", "fn.silu("),
    ("hidden_states", "feats"),
]


def _edited(source: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


def _aligned_pairs(
    path: str, upstream_source: str, local_source: str
) -> tuple[Counter[tuple[str, str]], tuple[tuple[str, str, int], ...]]:
    """How often tiling pairs each upstream name with a different local name, and the rename map reported."""
    from lintml.provenance.align import align
    from lintml.provenance.normalize import IDENTIFIER, normalize
    from lintml.provenance.renames import rename_map

    upstream, local = normalize(path, upstream_source), normalize(path, local_source)
    alignment = align(local, upstream)
    assert alignment.is_match
    pairs: Counter[tuple[str, str]] = Counter()
    for tile in alignment.tiles:
        for offset in range(tile.length):
            here, there = tile.local + offset, tile.upstream + offset
            if local.symbols[here] == IDENTIFIER and local.texts[here] != upstream.texts[there]:
                pairs[(upstream.texts[there], local.texts[here])] += 1
    return pairs, rename_map(local, upstream, alignment.tiles)


def test_the_rename_map_keeps_a_real_rename_and_none_of_the_names_alignment_pairs_by_shape() -> None:
    pairs, renames = _aligned_pairs("model.py", ROTARY, _edited(ROTARY, ROTARY_COPY_EDITS))

    confused = {
        ("k", "cos"),  # the signature one parameter off: each name beside its neighbour's
        ("cos", "sin"),
        ("sin", "position_ids"),
        ("sin", "cos"),  # two lines swapped: both names still on both sides
        ("nn", "torch"),  # ``nn.Linear`` beside ``torch.nn.Linear``: a module and an attribute of one
        ("Linear", "nn"),
        ("F", "fn"),  # an import alias: bound by an import, not by the code
        ("Optional", "int"),  # typing names
    }
    assert confused <= set(pairs)
    assert renames == (("hidden_states", "feats", 7),)


def test_a_function_tiled_against_its_twin_is_not_renamed_but_a_variable_is() -> None:
    """Model builders differ only in their numbers: a copy that keeps one of three has it tiled against
    another (a definition and a registry entry, two uses). A name used five times is renamed."""
    builders = """\
import torch

from .modeling import ImageEncoder, MaskDecoder, PromptEncoder, SegmentAnything


def build_vit_huge(checkpoint=None):
    return _build_model(embed_dim=1280, depth=32, num_heads=16, global_layers=[7, 15, 23, 31], checkpoint=checkpoint)


def build_vit_large(checkpoint=None):
    return _build_model(embed_dim=1024, depth=24, num_heads=16, global_layers=[5, 11, 17, 23], checkpoint=checkpoint)


def build_vit_base(checkpoint=None):
    return _build_model(embed_dim=768, depth=12, num_heads=12, global_layers=[2, 5, 8, 11], checkpoint=checkpoint)


model_registry = {
    "default": build_vit_huge,
    "vit_h": build_vit_huge,
    "vit_l": build_vit_large,
    "vit_b": build_vit_base,
}


def _build_model(embed_dim, depth, num_heads, global_layers, checkpoint=None):
    prompt_dim = 256
    image_size = 1024
    patch_size = 16
    grid_size = image_size // patch_size
    model = SegmentAnything(
        image_encoder=ImageEncoder(
            depth=depth,
            embed_dim=embed_dim,
            img_size=image_size,
            mlp_ratio=4,
            num_heads=num_heads,
            patch_size=patch_size,
            qkv_bias=True,
            global_attn_indexes=global_layers,
            window_size=14,
            out_chans=prompt_dim,
        ),
        prompt_encoder=PromptEncoder(
            embed_dim=prompt_dim,
            image_embedding_size=(grid_size, grid_size),
            input_image_size=(image_size, image_size),
            mask_in_chans=16,
        ),
        mask_decoder=MaskDecoder(num_multimask_outputs=3, transformer_dim=prompt_dim, iou_head_depth=3),
        pixel_mean=[123.675, 116.28, 103.53],
        pixel_std=[58.395, 57.12, 57.375],
    )
    model.eval()
    if checkpoint is not None:
        with open(checkpoint, "rb") as handle:
            state_dict = torch.load(handle)
        model.load_state_dict(state_dict)
    return model
"""
    huge = builders[builders.index("def build_vit_huge") : builders.index("def build_vit_large")]
    base = builders[builders.index("def build_vit_base") : builders.index("model_registry")]
    copy = _edited(
        builders,
        [
            (huge, ""),
            (base, ""),
            ('    "default": build_vit_huge,\n    "vit_h": build_vit_huge,\n', '    "default": build_vit_large,\n'),
            ('    "vit_b": build_vit_base,\n', ""),
            ("image_size", "resolution"),
            ("input_resolution", "input_image_size"),  # a keyword of the library's, which the copy keeps
        ],
    )

    pairs, renames = _aligned_pairs("build.py", builders, copy)

    assert pairs[("build_vit_base", "build_vit_large")] == 2
    assert renames == (("image_size", "resolution", 5),)


def test_a_name_used_once_is_renamed_only_where_what_follows_it_agrees() -> None:
    """A class defined once and used nowhere else, renamed: one use is all the evidence there can be. A
    method tiled against another that starts the same way is followed by other names: not a rename."""
    tokenizer = """\
import os
from typing import List, Optional, Tuple

from ...tokenization_utils import PreTrainedTokenizer

VOCAB_FILES_NAMES = {"vocab_file": "vocab.txt"}


class WordPieceTokenizer(PreTrainedTokenizer):
    vocab_files_names = VOCAB_FILES_NAMES
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(self, vocab_file, do_lower_case=True, unk_token="[UNK]", sep_token="[SEP]", **kwargs):
        self.vocab = load_vocab(vocab_file)
        self.ids_to_tokens = {ids: tok for tok, ids in self.vocab.items()}
        self.do_lower_case = do_lower_case
        super().__init__(do_lower_case=do_lower_case, unk_token=unk_token, sep_token=sep_token, **kwargs)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def _convert_token_to_id(self, token):
        return self.vocab.get(token, self.vocab.get(self.unk_token))

    def _convert_id_to_token(self, index):
        return self.ids_to_tokens.get(index, self.unk_token)

    def build_inputs_with_special_tokens(self, token_ids_0: List[int], token_ids_1: Optional[List[int]] = None):
        if token_ids_1 is None:
            return [self.cls_token_id] + token_ids_0 + [self.sep_token_id]
        cls = [self.cls_token_id]
        sep = [self.sep_token_id]
        return cls + token_ids_0 + sep + token_ids_1 + sep

    def save_vocabulary(self, save_directory: str, filename_prefix: Optional[str] = None) -> Tuple[str]:
        name = (filename_prefix + "-" if filename_prefix else "") + VOCAB_FILES_NAMES["vocab_file"]
        vocab_file = os.path.join(save_directory, name)
        with open(vocab_file, "w", encoding="utf-8") as writer:
            for token, token_index in sorted(self.vocab.items(), key=lambda kv: kv[1]):
                writer.write(token + "\\n")
        return (vocab_file,)


def load_vocab(vocab_file):
    vocab = {}
    with open(vocab_file, "r", encoding="utf-8") as reader:
        for index, line in enumerate(reader):
            vocab[line.rstrip("\\n")] = index
    return vocab
"""
    saving = tokenizer[tokenizer.index("    def save_vocabulary") : tokenizer.index("\n\ndef load_vocab")]
    lowering = (
        "    def prepare_for_tokenization(self, text, is_split_into_words=False, **kwargs):\n"
        "        if self.do_lower_case:\n"
        "            text = text.lower()\n"
        "        return (text, kwargs)"
    )
    copy = _edited(tokenizer, [("class WordPieceTokenizer(", "class SubwordTokenizer("), (saving, lowering)])

    pairs, renames = _aligned_pairs("tokenization.py", tokenizer, copy)

    assert pairs[("save_vocabulary", "prepare_for_tokenization")] == 1
    assert renames == (("WordPieceTokenizer", "SubwordTokenizer", 1),)


def test_a_leniently_lexed_copy_never_maps_the_names_its_imports_bind() -> None:
    """Python 2 code (backquotes) is lexed leniently, and keeps its import statements: ``np -> onp`` is
    consistent and used nine times, but an import alias is not a name the code chose."""
    loader = """\
import numpy as np
from scipy import ndimage


def load_batch(paths, size):
    images = np.zeros((len(paths), size, size, 3), dtype=np.float32)
    for index, path in enumerate(paths):
        image = np.load(path)
        images[index] = ndimage.zoom(image, (size / float(image.shape[0]), size / float(image.shape[1]), 1))
    print "loaded " + `len(paths)` + " images"
    return images


def normalize_batch(images, mean, std):
    images = np.asarray(images, dtype=np.float32)
    images = (images - np.array(mean)) / np.array(std)
    return np.clip(images, -3.0, 3.0)


def random_crop(images, crop, rng):
    top = rng.randint(0, images.shape[1] - crop + 1)
    left = rng.randint(0, images.shape[2] - crop + 1)
    return images[:, top : top + crop, left : left + crop, :]
"""
    from lintml.provenance.normalize import FALLBACK_LANGUAGE, normalize

    assert normalize("loader.py", loader).language == FALLBACK_LANGUAGE
    copy = _edited(loader, [("import numpy as np", "import numpy as onp"), ("np.", "onp."), ("images", "batch")])

    pairs, renames = _aligned_pairs("loader.py", loader, copy)

    assert pairs[("np", "onp")] >= 9
    assert renames == (("images", "batch", 13),)


def test_a_ported_copy_is_reported_with_its_real_renames_only(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """Through indexing and matching: the finding carries the rename the copy made, not the pairs of edits."""
    upstream = tmp_path / "tinyllm"
    write_tree(upstream, {"LICENSE": MIT_TEXT, "tinyllm/modeling.py": ROTARY})
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("tinyllm", str(upstream), "MIT")], index_path=index, jobs=1)
    local = make_repo({"LICENSE": MIT_TEXT, "model/layers.py": _edited(ROTARY, ROTARY_COPY_EDITS)}, name="local")

    result = api.check([local], indexes=[index], use_catalog=False, select=["provenance"])

    (finding,) = result.findings
    assert finding.upstream is not None and finding.upstream.path == "tinyllm/modeling.py"
    assert finding.upstream.renames == (("hidden_states", "feats"),)
    assert "hidden_states -> feats" in finding.message
