"""The catalog shipped with lintml: it opens, it matches its manifest and the current fingerprint settings, and
it is used by default (but never against the project that is itself in it)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import api
from lintml.provenance import catalog
from lintml.provenance.catalog import CATALOG_PATH, MANIFEST_PATH
from lintml.provenance.index import UpstreamIndex, build_settings
from lintml.provenance.normalize import NORMALIZER_VERSION
from tests.copying import rename, stdlib_source, strip_and_reformat
from tests.helpers import MIT_TEXT, invoke_lintml, write_tree

REQUIRED = {
    "transformers",
    "diffusers",
    "timm",
    "peft",
    "accelerate",
    "trl",
    "sentence-transformers",
    "open_clip_torch",
}


def test_the_shipped_catalog_opens_and_agrees_with_its_manifest() -> None:
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    index = UpstreamIndex(CATALOG_PATH)
    try:
        projects = {(project.name, project.version): project for project in index.projects()}
        names = {name for name, _ in projects}
        # Rebuild the catalog (python scripts/build_catalog.py) when the fingerprint settings change.
        assert index.meta["normalizer"] == NORMALIZER_VERSION
        assert {key: index.meta[key] for key in build_settings()} == build_settings()
    finally:
        index.close()
    assert names >= REQUIRED
    assert len(names) >= 100  # distinct upstream projects (issue 13)
    assert CATALOG_PATH.stat().st_size <= 80_000_000
    assert manifest["index"]["sha256"] == hashlib.sha256(CATALOG_PATH.read_bytes()).hexdigest()
    for entry in manifest["projects"]:
        project = projects[(entry["name"], entry["version"])]
        assert (project.license, project.files, project.released) == (
            entry["license"],
            entry["files"],
            entry["released"],
        )
        assert project.source_sha256 == entry["sha256"] and len(entry["sha256"]) == 64
        assert project.released and project.released[:2] == "20"  # every version carries its date
        if entry["kind"] == "git":
            assert project.source == f"{entry['url']}@{entry['commit']}" and len(entry["commit"]) == 40
    assert projects[("transformers", "4.46.3")].notice is None and projects[("sentence-transformers", "3.3.1")].notice


def program_from_stream(symbols: tuple[str, ...], texts: tuple[str, ...], names: dict[str, str]) -> str:
    """Python source of the shape a catalog stream records, every identifier renamed through ``names``.

    The catalog keeps no upstream source, only its normalised stream; writing the stream back out
    with new names gives what a renamed, reformatted, comment-stripped copy would look like.
    """
    lines, current, depth = [], [], 0
    for symbol, text in zip(symbols, texts, strict=True):
        if symbol == ";":
            lines.append("    " * depth + " ".join(current))
            current = []
        elif symbol == "{":
            depth += 1
        elif symbol == "}":
            depth -= 1
        elif symbol == "V":
            current.append(names.setdefault(text, f"name{len(names)}"))
        else:
            current.append({"S": "'text'", "N": "1"}.get(symbol, symbol))
    lines.append("    " * depth + " ".join(current))
    return "\n".join(lines) + "\n"


def test_the_catalog_is_used_by_default(make_repo: Callable[..., Path]) -> None:
    """A renamed copy of transformers' Llama modelling code is found with no index named at all."""
    index = UpstreamIndex(CATALOG_PATH)
    try:
        (file_id,) = [
            row[0]
            for row in index._connection.execute(
                "SELECT files.id FROM files JOIN projects ON projects.id = files.project"
                " WHERE projects.name = 'transformers' AND files.path LIKE '%/models/llama/modeling_llama.py'"
            )
        ]
        _, upstream = index.file(file_id)
    finally:
        index.close()
    names = {"LlamaAttention": "GroupedAttention", "repeat_kv": "expand_heads", "hidden_states": "h"}
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "model/attention.py": program_from_stream(upstream.stream.symbols, upstream.stream.texts, dict(names)),
        }
    )

    result = api.check([root], select=["provenance"])

    (finding,) = result.findings
    assert finding.upstream is not None
    assert (finding.upstream.name, finding.upstream.version, finding.upstream.license) == (
        "transformers",
        "4.46.3",
        "Apache-2.0",
    )
    assert finding.upstream.path == upstream.path and finding.upstream.similarity > 0.95
    assert set(names.items()) <= set(finding.upstream.renames)


def test_a_project_in_the_catalog_is_not_reported_as_a_copy_of_itself(tmp_path: Path) -> None:
    source = stdlib_source("textwrap")
    upstream = tmp_path / "upstream"
    write_tree(upstream, {"LICENSE": MIT_TEXT, "textkit/wrapping.py": source})
    index = tmp_path / "index.sqlite3"
    api.index_add([api.UpstreamSpec("text-kit", str(upstream))], index_path=index, jobs=1)
    copy = rename(strip_and_reformat(source), {"TextWrapper": "Folder"})
    for name, expected in [("Text_Kit", []), ("someone-else", ["text-kit"])]:
        local = tmp_path / name
        write_tree(local, {"LICENSE": MIT_TEXT, "pyproject.toml": f'[project]\nname = "{name}"\n', "w.py": copy})
        result = api.check([local], indexes=[index], use_catalog=False, select=["provenance"])
        assert [finding.upstream.name for finding in result.findings if finding.upstream] == expected, name


def test_an_unusable_catalog_is_a_warning_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "catalog.sqlite3"
    broken.write_bytes(b"not an index at all")
    monkeypatch.setattr(catalog, "CATALOG_PATH", broken)
    write_tree(tmp_path / "repo", {"LICENSE": MIT_TEXT, "a.py": stdlib_source("colorsys")})
    result = api.check([tmp_path / "repo"])
    assert result.findings == ()
    assert "the catalog shipped with lintml cannot be used" in capsys.readouterr().err


def test_index_list_shows_the_catalog() -> None:
    result = invoke_lintml(Path.cwd(), "index", "list", "--index", "catalog")
    assert result.returncode == 0
    assert "transformers" in result.stdout and "4.46.3" in result.stdout and "Apache-2.0" in result.stdout
