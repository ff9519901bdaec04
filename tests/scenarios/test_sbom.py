"""`lintml sbom`: CycloneDX 1.6 and SPDX 2.3 documents of what a check finds, validated with each format's own
tools (the official CycloneDX 1.6 JSON schema shipped in cyclonedx-python-lib, spdx-tools' validator), parsed
back with each library, deterministic, and listing exactly the upstreams the provenance of the same run found."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from safetensors.numpy import save_file
from spdx_tools.spdx.model import RelationshipType
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from lintml import api
from lintml.cli import main
from lintml.sbom import TracedUpstream
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "vision-adapter"
MINIVLM = ROOT / "examples" / "upstreams" / "minivlm"
COPIED = {"src/vision_adapter/tiling.py", "src/vision_adapter/projection.py", "src/vision_adapter/preprocess.py"}
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def minivlm_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index = tmp_path_factory.mktemp("sbom-index") / "upstreams.sqlite3"
    api.index_add([api.UpstreamSpec("minivlm", str(MINIVLM))], index_path=index, jobs=1)
    return index


def _cyclonedx(path: Path, index: Path | None, **options: Any) -> dict[str, Any]:
    text = api.sbom(path, format="cyclonedx", indexes=[index] if index else [], **options)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    return json.loads(text)


def _by_ref(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    stack = list(document.get("components", []))
    while stack:
        component = stack.pop()
        found[component["bom-ref"]] = component
        stack.extend(component.get("components", []))
    return found


def test_cyclonedx_of_the_example_validates_lists_the_copies_and_the_llama_base(
    minivlm_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    document = _cyclonedx(EXAMPLE, minivlm_index)
    assert document["specVersion"] == "1.6"
    assert document["metadata"]["timestamp"].startswith("2026-01-01T00:00:00")
    project = document["metadata"]["component"]
    assert project["name"] == "vision-adapter" and project["version"] == "0.3.0"
    # declared by pyproject.toml, detected in LICENSE: the example's own contradiction, both shown
    assert project["licenses"] == [{"expression": "Apache-2.0", "acknowledgement": "declared"}]
    assert project["evidence"]["licenses"] == [{"expression": "MIT", "acknowledgement": "concluded"}]
    assert "Copyright (c) 2025 Vision Adapter" in project["copyright"]
    components = _by_ref(document)
    minivlm = components["upstream:minivlm 2.5.0"]
    assert minivlm["licenses"][0]["expression"] == "Apache-2.0"
    assert minivlm["copyright"] == "Copyright 2024 The MiniVLM Authors."
    occurrences = minivlm["evidence"]["occurrences"]
    # renamed, header-stripped copies: found by their code, with lines and grade
    assert {item["location"] for item in occurrences} == COPIED
    tiling = next(item for item in occurrences if item["location"] == "src/vision_adapter/tiling.py")
    assert tiling["line"] == 5 and tiling["additionalContext"].startswith("lines 5-67 from minivlm/image_slicing.py")
    assert "evidence strong" in tiling["additionalContext"]
    partial = next(item for item in occurrences if item["location"] == "src/vision_adapter/preprocess.py")
    assert "evidence moderate" in partial["additionalContext"]
    model = components["model-folder:models/chat"]
    assert model["type"] == "machine-learning-model" and model["name"] == "vision-adapter-chat"
    card = model["modelCard"]["modelParameters"]
    assert card == {
        "task": "image-text-to-text",
        "architectureFamily": "llama",
        "modelArchitecture": "VisionAdapterChatModel",
    }
    base = components["model:meta-llama/Llama-3-8B"]
    assert base["type"] == "machine-learning-model" and base["purl"] == "pkg:huggingface/meta-llama/Llama-3-8B"
    assert base["licenses"][0]["expression"] == "LicenseRef-llama3"
    methods = base["evidence"]["identity"][0]["methods"]
    assert any(method["value"].startswith("config identical (models/chat/config.json)") for method in methods)
    assert any(method["value"] == "base_model in the card" for method in methods)
    graph = {entry["ref"]: set(entry.get("dependsOn", ())) for entry in document["dependencies"]}
    assert "model:meta-llama/Llama-3-8B" in graph["model-folder:models/chat"]
    assert {"model-folder:models/chat", "requirement:torch"} <= graph["project"]
    assert components["requirement:torch"]["purl"] == "pkg:pypi/torch"
    # parsed back by the library: the same components, the same graph
    parsed = Bom.from_json(document)  # type: ignore[attr-defined]
    assert {str(component.bom_ref) for component in parsed.components} >= {
        "upstream:minivlm 2.5.0",
        "model-folder:models/chat",
        "model:meta-llama/Llama-3-8B",
        "requirement:torch",
    }
    assert parsed.metadata.component.name == "vision-adapter"
    parsed_minivlm = next(item for item in parsed.components if str(item.bom_ref) == "upstream:minivlm 2.5.0")
    assert {item.location for item in parsed_minivlm.evidence.occurrences} == COPIED


def test_spdx_json_and_tagvalue_of_the_example_validate_and_parse_back(
    minivlm_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    for name, suffix in (("spdx", ".spdx.json"), ("spdx-tagvalue", ".spdx")):
        written = tmp_path / f"example{suffix}"
        written.write_text(api.sbom(EXAMPLE, format=name, indexes=[minivlm_index]), encoding="utf-8")
        document = parse_file(str(written))
        assert validate_full_spdx_document(document) == []
        assert document.creation_info.spdx_version == "SPDX-2.3"
        packages = {package.spdx_id: package for package in document.packages}
        project = packages["SPDXRef-Package-project"]
        assert (str(project.license_declared), str(project.license_concluded)) == ("Apache-2.0", "MIT")
        minivlm = packages["SPDXRef-Upstream-minivlm-2.5.0"]
        assert (minivlm.version, str(minivlm.license_declared)) == ("2.5.0", "Apache-2.0")
        assert minivlm.copyright_text == "Copyright 2024 The MiniVLM Authors."
        files = {file.spdx_id: file.name for file in document.files}
        snippets = {(files[snippet.file_spdx_id], snippet.line_range) for snippet in document.snippets}
        assert snippets == {
            ("./src/vision_adapter/tiling.py", (5, 67)),
            ("./src/vision_adapter/projection.py", (6, 48)),
            ("./src/vision_adapter/preprocess.py", (42, 64)),
        }
        tiling = (EXAMPLE / "src/vision_adapter/tiling.py").read_bytes()
        snippet = next(item for item in document.snippets if files[item.file_spdx_id].endswith("tiling.py"))
        first, last = snippet.byte_range
        assert tiling[first - 1 : last].decode().splitlines() == tiling.decode().splitlines()[4:67]
        relations = {
            (item.spdx_element_id, item.relationship_type, item.related_spdx_element_id)
            for item in document.relationships
        }
        assert ("SPDXRef-Package-project", RelationshipType.CONTAINS, "SPDXRef-Upstream-minivlm-2.5.0") in relations
        assert ("SPDXRef-Model-models-chat", RelationshipType.DESCENDANT_OF, "SPDXRef-Model-meta-llama-Llama-3-8B") in (
            relations
        )
        assert packages["SPDXRef-Model-meta-llama-Llama-3-8B"].name == "meta-llama/Llama-3-8B"
        refs = {info.license_id: info.license_name for info in document.extracted_licensing_info}
        assert refs == {"LicenseRef-llama3": "Meta Llama 3 Community License Agreement"}


def test_same_tree_same_document(minivlm_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH["SOURCE_DATE_EPOCH"])
    for name in ("cyclonedx", "spdx", "spdx-tagvalue"):
        first = api.sbom(EXAMPLE, format=name, indexes=[minivlm_index])
        again = api.sbom(EXAMPLE, format=name, indexes=[minivlm_index], use_cache=False)
        assert first == again
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")  # a day later: only the time changes
    later = json.loads(api.sbom(EXAMPLE, format="cyclonedx", indexes=[minivlm_index]))
    earlier = json.loads(first := api.sbom(EXAMPLE, format="cyclonedx", indexes=[minivlm_index]))
    assert later["serialNumber"] == earlier["serialNumber"]
    assert json.loads(first)["metadata"]["timestamp"].startswith("2026-01-02")


def test_the_sbom_lists_every_traced_upstream_and_invents_none(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """A real git tree that copies from two indexed upstreams, and keeps a third's code out: the SBOM's
    upstreams and occurrences are exactly the provenance findings of a check of the same tree."""
    other = tmp_path / "ops-kit"  # a git snapshot holding the slicing code; minivlm is indexed without it
    other.mkdir()
    shutil.copy(MINIVLM / "minivlm" / "image_slicing.py", other / "slicing.py")
    unused = tmp_path / "unused"
    (unused / "unused").mkdir(parents=True)
    (unused / "unused" / "blocks.py").write_text(
        "\n".join(
            f"def block_{n}(values, scale):\n    total = 0\n    for value in values:\n"
            f"        total += value * scale + {n}\n    return total * {n} - len(values)\n"
            for n in range(12)
        )
    )
    index = tmp_path / "index.sqlite3"
    api.index_add(
        [
            api.UpstreamSpec(
                "minivlm",
                str(MINIVLM),
                exclude=("minivlm/image_slicing.py",),
                recorded_source="https://pypi.org/project/minivlm/2.5.0/",
            ),
            api.UpstreamSpec(
                "acme/ops-kit",
                str(other),
                license="MIT",
                url="https://github.com/acme/ops-kit",
                version="0123456789abcdef0123456789abcdef01234567",
                recorded_source="https://github.com/acme/ops-kit@0123456789abcdef0123456789abcdef01234567",
            ),
            api.UpstreamSpec("unused", str(unused), license="MIT", version="1.0"),
        ],
        index_path=index,
        jobs=1,
    )
    files = {path.relative_to(EXAMPLE).as_posix(): path.read_bytes() for path in EXAMPLE.rglob("*") if path.is_file()}
    root = make_repo(files)
    result = api.check([root], indexes=[index], use_catalog=False)
    traced = {
        (finding.upstream.name, finding.upstream.version, finding.path, finding.line)
        for finding in result.findings
        if finding.rule == "provenance" and finding.upstream is not None
    }
    assert {(name, path) for name, _, path, _ in traced} == {
        ("minivlm", "src/vision_adapter/projection.py"),
        ("acme/ops-kit", "src/vision_adapter/tiling.py"),
        ("acme/ops-kit", "src/vision_adapter/preprocess.py"),
    }
    document = _cyclonedx(root, index, use_catalog=False)
    listed = {
        (component["name"], component.get("version"), occurrence["location"], occurrence.get("line"))
        for component in document["components"]
        if component["bom-ref"].startswith("upstream:")
        for occurrence in component["evidence"]["occurrences"]
    }
    assert listed == traced
    upstreams = {item["name"]: item for item in document["components"] if item["bom-ref"].startswith("upstream:")}
    assert set(upstreams) == {"minivlm", "acme/ops-kit"}  # not "unused", whose code is indexed but not here
    assert upstreams["minivlm"]["purl"] == "pkg:pypi/minivlm@2.5.0"
    assert upstreams["acme/ops-kit"]["purl"] == "pkg:github/acme/ops-kit@0123456789abcdef0123456789abcdef01234567"
    vcs = [ref for ref in upstreams["acme/ops-kit"]["externalReferences"] if ref["type"] == "vcs"]
    assert vcs == [{"type": "vcs", "url": "https://github.com/acme/ops-kit@0123456789abcdef0123456789abcdef01234567"}]
    spdx_path = tmp_path / "tree.spdx.json"
    spdx_path.write_text(api.sbom(root, format="spdx", indexes=[index], use_catalog=False), encoding="utf-8")
    spdx = parse_file(str(spdx_path))
    assert validate_full_spdx_document(spdx) == []
    names = {package.spdx_id: (package.name, package.version) for package in spdx.packages}
    files_by_id = {file.spdx_id: file.name.removeprefix("./") for file in spdx.files}
    from_snippets = {
        (*names[relation.related_spdx_element_id], files_by_id[snippet.file_spdx_id], snippet.line_range[0])
        for relation in spdx.relationships
        for snippet in spdx.snippets
        if relation.spdx_element_id == snippet.spdx_id
    }
    assert from_snippets == traced


def test_carriers_are_named_beside_the_origin(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """Two indexed releases hold the copied code: the older is the origin, the later one carries it."""
    index = tmp_path / "index.sqlite3"
    api.index_add(
        [
            api.UpstreamSpec("minivlm", str(MINIVLM), released="2024-03-01T00:00:00Z"),
            api.UpstreamSpec("vlm-suite", str(MINIVLM), version="9.0", released="2025-09-01T00:00:00Z"),
        ],
        index_path=index,
        jobs=1,
    )
    root = make_repo({"tiling.py": (EXAMPLE / "src/vision_adapter/tiling.py").read_text(encoding="utf-8")})
    upstreams = [item for item in _cyclonedx(root, index, use_catalog=False)["components"] if item["type"] == "library"]
    assert [(item["name"], item["properties"]) for item in upstreams] == [
        ("minivlm", [{"name": "lintml:carrier", "value": "vlm-suite 9.0"}])
    ]
    spdx_path = tmp_path / "carried.spdx.json"
    spdx_path.write_text(api.sbom(root, format="spdx", indexes=[index], use_catalog=False), encoding="utf-8")
    packages = {package.name: package for package in parse_file(str(spdx_path)).packages}
    assert packages["minivlm"].comment == "also carried by: vlm-suite 9.0" and "vlm-suite" not in packages


def test_code_copied_into_a_notebook_is_carried_by_the_whole_file(
    minivlm_index: Path, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """A notebook's lines are those of its joined cells, not of its JSON: the file as a whole carries the code."""
    code = (EXAMPLE / "src/vision_adapter/tiling.py").read_text(encoding="utf-8")
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "source": code.splitlines(keepends=True), "outputs": []}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    root = make_repo({"demo.ipynb": json.dumps(notebook, indent=1)})
    upstream = next(
        item for item in _cyclonedx(root, minivlm_index, use_catalog=False)["components"] if item["name"] == "minivlm"
    )
    assert [(item["location"], item.get("line")) for item in upstream["evidence"]["occurrences"]] == [
        ("demo.ipynb", None)
    ]
    spdx_path = tmp_path / "notebook.spdx.json"
    spdx_path.write_text(api.sbom(root, format="spdx", indexes=[minivlm_index], use_catalog=False), encoding="utf-8")
    spdx = parse_file(str(spdx_path))
    assert validate_full_spdx_document(spdx) == [] and spdx.snippets == []
    assert any(
        relation.spdx_element_id == "SPDXRef-File-demo.ipynb"
        and relation.relationship_type == RelationshipType.DESCENDANT_OF
        and relation.related_spdx_element_id == "SPDXRef-Upstream-minivlm-2.5.0"
        for relation in spdx.relationships
    )


def test_a_model_folder_with_weights_a_card_and_datasets(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    weights_file = tmp_path / "model.safetensors"
    save_file({"layer.weight": np.arange(64, dtype=np.float32).reshape(8, 8)}, str(weights_file))
    weights = weights_file.read_bytes()
    root = make_repo(
        {
            "LICENSE": (ROOT / "LICENSE").read_text(encoding="utf-8"),
            "pyproject.toml": '[project]\nname = "tiny"\nversion = "1.2.3"\nlicense = "Apache-2.0"\n'
            'dependencies = ["numpy>=1.24", "Safe_Tensors"]\n',
            "requirements.txt": "# pinned\nrequests==2.32.0\n-r other.txt\ngit+https://example.invalid/x.git\n",
            "models/tiny/README.md": "---\nlicense: apache-2.0\ndatasets:\n- acme/tiny-corpus\npipeline_tag: "
            "text-generation\n---\n\n# tiny-model\n",
            "models/tiny/config.json": json.dumps({"architectures": ["TinyForCausalLM"], "model_type": "tiny"}),
            "models/tiny/model.safetensors": weights,
        }
    )
    document = _cyclonedx(root, None, use_catalog=False)
    components = _by_ref(document)
    model = components["model-folder:models/tiny"]
    assert model["name"] == "tiny-model"
    assert model["licenses"] == [{"expression": "Apache-2.0", "acknowledgement": "declared"}]
    assert model["modelCard"]["modelParameters"] == {
        "task": "text-generation",
        "architectureFamily": "tiny",
        "modelArchitecture": "TinyForCausalLM",
        "datasets": [{"ref": "dataset:acme/tiny-corpus"}],
    }
    assert components["dataset:acme/tiny-corpus"]["type"] == "data"
    hashed = components["file:models/tiny/model.safetensors"]
    assert hashed["hashes"] == [{"alg": "SHA-256", "content": hashlib.sha256(weights).hexdigest()}]
    requirements = {ref.removeprefix("requirement:") for ref in components if ref.startswith("requirement:")}
    assert requirements == {"numpy", "safe-tensors", "requests"}
    assert not [ref for ref in components if ref.startswith("upstream:")]  # nothing was traced: nothing invented
    spdx_path = tmp_path / "tiny.spdx.json"
    spdx_path.write_text(api.sbom(root, format="spdx", use_catalog=False), encoding="utf-8")
    spdx = parse_file(str(spdx_path))
    assert validate_full_spdx_document(spdx) == []
    weights_entry = next(file for file in spdx.files if file.name == "./models/tiny/model.safetensors")
    assert {checksum.algorithm.name: checksum.value for checksum in weights_entry.checksums} == {
        "SHA1": hashlib.sha1(weights).hexdigest(),
        "SHA256": hashlib.sha256(weights).hexdigest(),
    }


@pytest.mark.parametrize(
    ("source", "version", "purl"),
    [
        ("https://pypi.org/project/Open_Clip-Torch/2.24.0/", "2.24.0", "pkg:pypi/open-clip-torch@2.24.0"),
        (
            "https://github.com/openai/CLIP@dcba3cb2e2827b402d2701e7e1c7d9fed8a20ef1",
            "dcba3cb2e2",
            "pkg:github/openai/clip@dcba3cb2e2827b402d2701e7e1c7d9fed8a20ef1",
        ),
        (
            "https://gitlab.com/acme/kit.git@0123456789abcdef0123456789abcdef01234567",
            "0123456789",
            "pkg:generic/minivlm@0123456789abcdef0123456789abcdef01234567"
            "?vcs_url=git%2Bhttps://gitlab.com/acme/kit.git%400123456789abcdef0123456789abcdef01234567",
        ),
        (None, "2.5.0", "pkg:generic/minivlm@2.5.0"),
    ],
)
def test_the_origin_of_an_upstream(source: str | None, version: str, purl: str) -> None:
    name = "Open_Clip-Torch" if source and "pypi" in source else "minivlm"
    upstream = TracedUpstream(name, version, "MIT", None, source, (), (), ())
    assert upstream.purl.replace("%2B", "+").replace("%40", "@") == purl.replace("%2B", "+").replace("%40", "@")


def test_the_command_writes_a_file_and_says_user_errors_in_one_line(minivlm_index: Path, tmp_path: Path) -> None:
    output = tmp_path / "bom.cdx.json"
    result = CliRunner().invoke(
        main, ["sbom", str(EXAMPLE), "--index", str(minivlm_index), "-o", str(output)], env=EPOCH
    )
    assert result.exit_code == 0, result.output
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(output.read_text(encoding="utf-8")) is None
    spdx = CliRunner().invoke(
        main, ["sbom", str(EXAMPLE), "--index", str(minivlm_index), "--format", "spdx"], env=EPOCH
    )
    assert spdx.exit_code == 0 and json.loads(spdx.stdout)["spdxVersion"] == "SPDX-2.3"
    missing = CliRunner().invoke(main, ["sbom", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    assert missing.stderr.strip().splitlines() == [f"lintml: error: {tmp_path / 'nowhere'}: no such file or directory"]
    wrong = CliRunner().invoke(main, ["sbom", str(EXAMPLE), "--format", "xml"])
    assert wrong.exit_code == 2 and "'xml' is not one of 'cyclonedx', 'spdx', 'spdx-tagvalue'" in wrong.stderr
    with pytest.raises(api.UsageError, match="unknown format 'xml'"):
        api.sbom(EXAMPLE, format="xml")


def test_only_the_sbom_command_imports_the_format_libraries() -> None:
    code = (
        "import sys, lintml.cli, lintml.api, lintml.report;"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('cyclonedx', 'spdx_tools')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"
