"""Origins and carriers: code several upstreams hold is blamed on the oldest that does not credit another.

Each test indexes real upstream folders (stdlib modules standing in for research code) with
:func:`lintml.api.index_add`, dated as the catalog dates its entries, and checks a real git
repository that copied the code renamed and reformatted.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lintml import api
from lintml.provenance.index import UpstreamIndex
from lintml.provenance.upstream import UpstreamSpec
from tests.copying import rename, stdlib_source, strip_and_reformat
from tests.helpers import MIT_TEXT, write_tree

TEXTWRAP = stdlib_source("textwrap")
SHLEX = stdlib_source("shlex")
COPY = rename(strip_and_reformat(TEXTWRAP), {"TextWrapper": "Folder", "dedent": "unindent"})
APACHE_NOTICE = "BigPack\nCopyright 2024 The BigPack Authors\n"


def _add(index: Path, tmp_path: Path, name: str, files: dict[str, str], *, released: str | None, **spec: str) -> None:
    folder = tmp_path / "upstreams" / f"{name}-{spec.get('version', '1')}"
    write_tree(folder, files)
    api.index_add(
        [UpstreamSpec(name, str(folder), spec.get("license", "MIT"), version=spec.get("version"), released=released)],
        index_path=index,
    )


def _provenance(root: Path, index: Path) -> list:
    result = api.check([root], indexes=[index], use_catalog=False, use_cache=False)
    return [finding for finding in result.findings if finding.rule == "provenance"]


def _all_findings(root: Path, index: Path) -> list:
    return list(api.check([root], indexes=[index], use_catalog=False, use_cache=False).findings)


def test_code_held_by_several_upstreams_is_blamed_on_the_oldest(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """OpenAI's CLIP code in diffusers and transformers: the copy came from the origin; the later
    projects that carry it are named, and their obligations (an Apache NOTICE) are not owed."""
    index = tmp_path / "index.sqlite3"
    _add(
        index, tmp_path, "origin-clip", {"LICENSE": MIT_TEXT, "clip/wrap.py": TEXTWRAP}, released="2021-01-05T00:00:00Z"
    )
    _add(
        index,
        tmp_path,
        "bigpack",
        {"NOTICE": APACHE_NOTICE, "bigpack/models/clip/wrap.py": TEXTWRAP, "bigpack/lex.py": SHLEX},
        released="2024-11-18T00:00:00Z",
        license="Apache-2.0",
        version="4.46.3",
    )
    _add(index, tmp_path, "midpack", {"midpack/wrap.py": TEXTWRAP}, released="2023-03-01T00:00:00Z", version="0.9")
    root = make_repo({"LICENSE": MIT_TEXT, "src/fold.py": COPY})
    (finding,) = _provenance(root, index)
    assert finding.upstream is not None
    assert finding.upstream.name == "origin-clip" and finding.upstream.path == "clip/wrap.py"
    assert finding.upstream.carriers == ("midpack 0.9", "bigpack 4.46.3")
    assert "also in midpack 0.9, bigpack 4.46.3, which carry it" in finding.message
    owed = {(item.rule, item.upstream.name) for item in _all_findings(root, index) if item.upstream is not None}
    assert not any(name == "bigpack" for _, name in owed), owed  # no NOTICE, no Apache text owed to a carrier


def test_an_older_upstream_that_credits_another_is_a_carrier(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """A file saying its code was copied from elsewhere did not write it, however old it is."""
    index = tmp_path / "index.sqlite3"
    credited = "# Copied from origin-clip (https://example.org/origin-clip)\n" + TEXTWRAP
    _add(index, tmp_path, "early-fork", {"fork/wrap.py": credited}, released="2019-06-01T00:00:00Z")
    _add(index, tmp_path, "origin-clip", {"clip/wrap.py": TEXTWRAP}, released="2021-01-05T00:00:00Z")
    root = make_repo({"LICENSE": MIT_TEXT, "src/fold.py": COPY})
    (finding,) = _provenance(root, index)
    assert finding.upstream is not None
    assert finding.upstream.name == "origin-clip"
    assert finding.upstream.carriers == ("early-fork",)


def test_the_best_aligning_version_of_an_upstream_is_named(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    """Two versions of one upstream in one index: a copy of the old code names the old version, a copy
    of code only the new version has names the new one, and neither version is a carrier of the other."""
    index = tmp_path / "index.sqlite3"
    folder_old = tmp_path / "up-old"
    folder_new = tmp_path / "up-new"
    write_tree(folder_old, {"pkg/wrap.py": TEXTWRAP, "pkg/lex.py": SHLEX})
    write_tree(folder_new, {"pkg/wrap.py": TEXTWRAP + "\n\n" + SHLEX, "pkg/lex.py": SHLEX})
    api.index_add(
        [
            UpstreamSpec("pkg", str(folder_old), "MIT", version="1.0", released="2020-01-01T00:00:00Z"),
            UpstreamSpec("pkg", str(folder_new), "MIT", version="2.0", released="2023-01-01T00:00:00Z"),
        ],
        index_path=index,
    )
    opened = UpstreamIndex(index)
    try:
        assert [(project.name, project.version, project.released) for project in opened.projects()] == [
            ("pkg", "1.0", "2020-01-01T00:00:00Z"),
            ("pkg", "2.0", "2023-01-01T00:00:00Z"),
        ]
        newest = opened.project("pkg")
        assert newest is not None and newest.version == "2.0"
        # A file both versions hold unchanged is kept once, in the newest, dated by the oldest.
        assert opened.file_paths("pkg", "1.0") == ["pkg/wrap.py"]
        assert opened.file_paths("pkg", "2.0") == ["pkg/lex.py", "pkg/wrap.py"]
    finally:
        opened.close()
    old_copy = make_repo({"LICENSE": MIT_TEXT, "src/fold.py": COPY}, name="old")
    (finding,) = _provenance(old_copy, index)
    assert finding.upstream is not None and finding.upstream.version == "1.0" and finding.upstream.carriers == ()
    new_copy = make_repo(
        {"LICENSE": MIT_TEXT, "src/both.py": strip_and_reformat(TEXTWRAP + "\n\n" + SHLEX)}, name="new"
    )
    (finding,) = _provenance(new_copy, index)
    assert finding.upstream is not None and finding.upstream.version == "2.0" and finding.upstream.carriers == ()
    lexer = make_repo({"LICENSE": MIT_TEXT, "src/lexer.py": strip_and_reformat(SHLEX)}, name="lexer")
    (finding,) = _provenance(lexer, index)
    assert finding.upstream is not None and finding.upstream.path == "pkg/lex.py"
    assert (finding.upstream.version, finding.upstream.released) == ("2.0", "2020-01-01T00:00:00Z")
    # Adding the name again replaces every version it had.
    api.index_add([UpstreamSpec("pkg", str(folder_new), "MIT", version="3.0")], index_path=index)
    _, projects = api.index_projects(index_path=index)
    assert [(project.name, project.version) for project in projects] == [("pkg", "3.0")]


def _repo_dated(root: Path, files: dict[str, str], date: str) -> Path:
    write_tree(root, files)
    environment = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *command], cwd=root, env=environment, check=True)
    return root


def _index_later_pkg(tmp_path: Path) -> Path:
    """An index of an upstream whose version of 2023 lacks the code (textwrap) its 2025 version holds."""
    index = tmp_path / "index.sqlite3"
    lacking, holding = tmp_path / "v1", tmp_path / "v2"
    write_tree(lacking, {"later/lex.py": SHLEX})
    write_tree(holding, {"later/lex.py": SHLEX, "later/wrap.py": TEXTWRAP})
    api.index_add(
        [
            UpstreamSpec("later-pkg", str(lacking), "Apache-2.0", version="1.0", released="2023-03-01T00:00:00Z"),
            UpstreamSpec("later-pkg", str(holding), "Apache-2.0", version="2.0", released="2025-03-01T00:00:00Z"),
        ],
        index_path=index,
    )
    return index


def test_an_upstream_that_took_the_code_up_after_this_file_existed_is_not_its_source(tmp_path: Path) -> None:
    """The upstream's version of 2023 lacks the code its 2025 version has; this file was committed here in
    2022: the code went from here to the upstream (or both took it from elsewhere), so nothing is owed.
    Committed in 2024, after the version that lacked it, the file may have been copied, though not from the
    2025 release: obligations apply, as warnings that say so. Committed after that release, as errors."""
    index = _index_later_pkg(tmp_path)
    files = {"LICENSE": MIT_TEXT, "src/fold.py": COPY}
    before = _repo_dated(tmp_path / "before", files, "2022-01-10T12:00:00+00:00")
    assert _all_findings(before, index) == []  # later-pkg is not a source of this file: not reported
    after = _repo_dated(tmp_path / "after", files, "2024-06-10T12:00:00+00:00")
    (finding,) = _provenance(after, index)
    assert finding.upstream is not None and finding.upstream.version == "2.0"
    assert "no obligations follow" not in finding.message
    owed = [item for item in _all_findings(after, index) if item.rule != "provenance"]
    assert owed and {item.severity for item in owed} == {"warning"}
    assert all(item.grade and "added here on 2024-06-10, before later-pkg 2.0" in item.grade.why for item in owed)
    later = _repo_dated(tmp_path / "later", files, "2025-06-10T12:00:00+00:00")
    assert any(item.severity == "error" for item in _all_findings(later, index))


def test_a_catalogued_release_of_this_project_dates_its_code(tmp_path: Path) -> None:
    """open_clip checked from its sdist (no git history): research repositories carry its code. The
    catalog holds an open_clip release of 2022 with the code and a research repository's version of 2023
    without it: the repository took the code up later, so nothing is owed to it. A release of 2024 dates
    nothing (the upstream lacked the code in 2023, and may have had it before that release)."""
    index = _index_later_pkg(tmp_path)
    manifest = '[project]\nname = "fold-kit"\nversion = "3.0"\n'
    files = {"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "src/fold.py": COPY}
    root = tmp_path / "sdist"  # an unpacked release: no git history
    write_tree(root, files)
    released = tmp_path / "fold-kit-1.0"
    write_tree(released, {"LICENSE": MIT_TEXT, "src/fold.py": COPY})
    spec = UpstreamSpec("fold-kit", str(released), "MIT", version="1.0", released="2022-05-01T00:00:00Z")
    api.index_add([spec], index_path=index)
    assert _all_findings(root, index) == []  # later-pkg took the code up after this project had it
    # The same release dated after the upstream's version that lacked the code proves nothing.
    api.index_add([replace(spec, released="2024-05-01T00:00:00Z")], index_path=index)
    (finding,) = _provenance(root, index)
    assert finding.upstream is not None and (finding.upstream.name, finding.upstream.version) == ("later-pkg", "2.0")
    assert "no obligations follow" not in finding.message
    assert any(item.severity == "error" for item in _all_findings(root, index))


def _interleave_files(index: Path) -> None:
    """Swap the ids of the first and the last file (of two projects) in an index, postings included: a valid
    index whose projects' files are no longer each one run of ids, as lintml writes them."""
    connection = sqlite3.connect(index)
    try:
        first, last = connection.execute("SELECT min(id), max(id) FROM files").fetchone()
        for table, column in (("files", "id"), ("postings", "file")):
            connection.execute(f"UPDATE {table} SET {column} = -1 WHERE {column} = ?", (first,))
            connection.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (first, last))
            connection.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = -1", (last,))
        connection.commit()
    finally:
        connection.close()


def test_the_checked_projects_own_files_are_left_out_however_the_index_stores_them(tmp_path: Path) -> None:
    """The catalogued releases of the checked project are left out of matching: in an index lintml wrote, by
    the run of file ids each project holds (SQLite skips their postings); in one whose files are interleaved,
    file by file. Both give the same findings, and the release still dates the code (as in the test above)."""
    index = _index_later_pkg(tmp_path)
    released = tmp_path / "fold-kit-1.0"
    write_tree(released, {"LICENSE": MIT_TEXT, "src/fold.py": COPY})
    spec = UpstreamSpec("fold-kit", str(released), "MIT", version="1.0", released="2024-05-01T00:00:00Z")
    api.index_add([spec], index_path=index)
    root = tmp_path / "sdist"
    manifest = '[project]\nname = "fold-kit"\nversion = "3.0"\n'
    write_tree(root, {"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "src/fold.py": COPY})
    interleaved = tmp_path / "interleaved.sqlite3"
    interleaved.write_bytes(index.read_bytes())
    _interleave_files(interleaved)
    for path, stored_in_runs in ((index, True), (interleaved, False)):
        opened = UpstreamIndex(path)
        try:
            own = opened.project_ids_of(frozenset({"fold-kit"}))
            assert (opened.file_ranges(own) is not None) == stored_in_runs
        finally:
            opened.close()
    findings = [_provenance(root, path) for path in (index, interleaved)]
    assert [[(item.upstream.name, item.upstream.version) for item in found] for found in findings] == [
        [("later-pkg", "2.0")],
        [("later-pkg", "2.0")],
    ]


def test_an_upstream_folder_that_says_its_code_came_from_here_is_not_its_source(tmp_path: Path) -> None:
    """A research repository vendors this project's code in a folder and says so once, in one file of it
    ("Based on" this project's repository, as LAVIS's clip_models/model.py says of open_clip); the file
    that matches carries no credit of its own. The folder's word tells the direction: nothing is owed to
    the repository. Without that word, the repository is reported as where the code came from."""
    manifest = '[project]\nname = "fold-kit"\n\n[project.urls]\nRepository = "https://github.com/folders/fold-kit"\n'
    root = tmp_path / "fold-kit"
    write_tree(root, {"LICENSE": MIT_TEXT, "pyproject.toml": manifest, "src/fold.py": TEXTWRAP})
    credit = "# Based on https://github.com/folders/fold-kit\n"
    for said, expected in ((True, []), (False, ["bigvision"])):
        index = tmp_path / f"index-{said}.sqlite3"
        model = (credit if said else "") + SHLEX
        files = {"LICENSE": MIT_TEXT, "bigvision/fold_models/model.py": model, "bigvision/fold_models/loss.py": COPY}
        _add(index, tmp_path, f"bigvision-{said}", files, released="2024-01-01T00:00:00Z", version="1.0")
        opened = UpstreamIndex(index)
        try:
            upstream = next(
                opened.file(number)[1] for number in (1, 2) if opened.file(number)[1].path.endswith("loss.py")
            )
            assert upstream.credits == ()
            assert opened.credits_of(upstream.credited_beside) == ((credit.strip(),) if said else ())
        finally:
            opened.close()
        found = [item.upstream.name.split("-")[0] for item in _all_findings(root, index) if item.upstream]
        assert sorted(set(found)) == expected


def test_an_upstream_file_that_imports_this_project_is_not_held_as_its_source(tmp_path: Path) -> None:
    """An adapter repository builds on this project: its file imports it and copies a class of it (as
    IP-Adapter's pipelines subclass diffusers' and copy their __call__). The match is shown, with no
    obligation. The same file without the import is held as the source, and so is the importing one when
    this project's file says it came from that repository."""
    root = tmp_path / "fold-kit"
    tree = {"LICENSE": MIT_TEXT, "pyproject.toml": '[project]\nname = "fold-kit"\n', "fold_kit/__init__.py": ""}
    cases = (
        ("import fold_kit\n", "", False),
        ("", "", True),
        ("import fold_kit\n", "# Adapted from the adapter-kit-2 repository\n", True),
    )
    for number, (imports, credit, owed) in enumerate(cases):
        write_tree(root, {**tree, "fold_kit/fold.py": credit + strip_and_reformat(TEXTWRAP)})
        index = tmp_path / f"index-{number}.sqlite3"
        _add(
            index,
            tmp_path,
            f"adapter-kit-{number}",
            {"adapter/fold.py": imports + COPY},
            released=None,
            license="Apache-2.0",
        )
        findings = _all_findings(root, index)
        (shown,) = [item for item in findings if item.rule == "provenance"]
        assert ("imports fold_kit (this project)" in shown.message) == (not owed), shown.message
        assert any(item.severity == "error" for item in findings) == owed


def test_a_project_that_holds_part_of_the_copied_code_is_named_as_a_carrier_of_part(
    tmp_path: Path, make_repo: Callable[..., Path]
) -> None:
    """diffusers carries OpenAI's attention pool, not the whole ResNet file open_clip took: a later project
    holding only part of the copied code is named beside the origin as carrying part of it, and is
    neither the origin nor a source of its own."""
    from tests.copying import top_level_definitions

    index = tmp_path / "index.sqlite3"
    _add(index, tmp_path, "origin-clip", {"clip/wrap.py": TEXTWRAP}, released="2021-01-05T00:00:00Z")
    part = top_level_definitions(TEXTWRAP, ["TextWrapper"])
    _add(index, tmp_path, "bigpack", {"bigpack/wrap.py": part}, released="2024-11-18T00:00:00Z", version="0.31.0")
    root = make_repo({"LICENSE": MIT_TEXT, "src/fold.py": COPY})
    (finding,) = _provenance(root, index)
    assert finding.upstream is not None and finding.upstream.name == "origin-clip"
    assert finding.upstream.carriers == ("bigpack 0.31.0 (part of it)",)
    assert "also in bigpack 0.31.0 (part of it), which carry it" in finding.message


def test_a_release_newer_than_the_copy_is_not_its_source(tmp_path: Path) -> None:
    """A file committed in 2020 that matches a release of 2024 did not come from that release: the finding
    says so, and the duties of a version lintml does not hold are warnings, not errors."""
    index = tmp_path / "index.sqlite3"
    _add(index, tmp_path, "yolokit", {"yolokit/wrap.py": TEXTWRAP}, released="2024-06-01T00:00:00Z", license="AGPL-3.0")
    files = {"LICENSE": MIT_TEXT, "detect/wrap.py": COPY}
    old = _repo_dated(tmp_path / "old", files, "2020-05-01T12:00:00Z")
    findings = _all_findings(old, index)
    (shown,) = [finding for finding in findings if finding.rule == "provenance"]
    assert shown.grade is not None and "added here on 2020-05-01, before yolokit" in shown.grade.why
    owed = [finding for finding in findings if finding.grade is not None and finding.rule != "provenance"]
    assert {finding.rule for finding in owed} >= {"license-conflict", "license-text"}
    assert {finding.severity for finding in owed} == {"warning"}
    # The same copy made after the release is held to it.
    new = _repo_dated(tmp_path / "new", files, "2025-01-10T12:00:00Z")
    owed = [finding for finding in _all_findings(new, index) if finding.rule in ("license-conflict", "license-text")]
    assert owed and {finding.severity for finding in owed} == {"error"}
