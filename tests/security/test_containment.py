"""Nothing outside the scanned tree is read: links out of it are refused and reported by the link's name."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from lintml.api import check
from lintml.containment import OutsideTree, Tree
from tests.helpers import GPL3_HEADER, MIT_TEXT

SECRET_HOLDER = "Copyright (C) 2021 Someone Else"  # the outside file's copyright line (GPL3_HEADER's)


def _outside(tmp_path: Path) -> Path:
    """A folder beside the repository holding a GPL file that must never be read."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "ops.py").write_text(GPL3_HEADER + "def op():\n    return 1\n", encoding="utf-8")
    return folder


def _said(result: object) -> str:
    return json.dumps([finding.message for finding in result.findings])  # type: ignore[attr-defined]


def test_a_tracked_folder_replaced_by_a_link_out_is_not_read(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_repo({"LICENSE": MIT_TEXT, "vendor/ops.py": "def op():\n    return 1\n", "main.py": "x = 1\n"})
    shutil.rmtree(root / "vendor")
    (root / "vendor").symlink_to(outside, target_is_directory=True)
    for asked in ([root], [root / "vendor" / "ops.py"], [root / "vendor"]):
        result = check(asked)
        assert SECRET_HOLDER not in _said(result)
        assert not any(finding.rule == "license-conflict" for finding in result.findings)
        refused = [finding for finding in result.findings if finding.rule == "path-refused"]
        assert [finding.path for finding in refused] == ["vendor"]
        assert f"vendor is a symbolic link to {outside}" in refused[0].message
        assert result.root == root.resolve()


def test_a_file_linked_out_of_the_tree_is_not_read(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = make_repo({"LICENSE": MIT_TEXT, "main.py": "x = 1\n"})
    (root / "copied.py").symlink_to(outside / "ops.py")
    (root / "up.py").symlink_to(Path("..") / "elsewhere" / "ops.py")
    git.Repo(root).index.add(["copied.py", "up.py"])
    result = check([root])
    assert SECRET_HOLDER not in _said(result)
    assert sorted(finding.path for finding in result.findings if finding.rule == "path-refused") == [
        "copied.py",
        "up.py",
    ]
    # Named on the command line (as pre-commit names staged files), it is refused all the same.
    named = check([root / "copied.py"])
    assert [finding.path for finding in named.findings] == ["copied.py"]
    assert named.findings[0].rule == "path-refused"


def test_links_that_stay_inside_are_followed(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "src/gpl.py": GPL3_HEADER + "x = 1\n"})
    (root / "lib").symlink_to("src", target_is_directory=True)
    (root / "alias.py").symlink_to(Path("src") / "gpl.py")
    git.Repo(root).index.add(["lib", "alias.py"])
    result = check([root])
    assert not [finding for finding in result.findings if finding.rule == "path-refused"]
    conflicts = sorted(
        path
        for finding in result.findings
        if finding.rule == "license-conflict"
        for path in (finding.path, *finding.related)  # one license from one holder: one finding, both files
    )
    assert conflicts == ["alias.py", "src/gpl.py"]


def test_outside_git_a_linked_folder_is_reported_not_walked(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = tmp_path / "plain"
    root.mkdir()
    (root / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    (root / "vendor").symlink_to(outside, target_is_directory=True)
    result = check([root])
    assert SECRET_HOLDER not in _said(result)
    assert [(finding.path, finding.rule) for finding in result.findings] == [("vendor", "path-refused")]


def test_deeply_nested_folders_are_walked_without_recursion(tmp_path: Path) -> None:
    root = tmp_path / "deep"
    root.mkdir()
    (root / "LICENSE").write_text(MIT_TEXT, encoding="utf-8")
    # 1,500 levels: deeper than Python's recursion limit, still within PATH_MAX ("d/" a level).
    descriptor = os.open(root, os.O_RDONLY)
    try:
        for level in range(1500):
            os.mkdir("d", dir_fd=descriptor)
            inner = os.open("d", os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = inner
            if level == 9:
                with open(os.open("gpl.py", os.O_WRONLY | os.O_CREAT, dir_fd=descriptor), "w") as handle:
                    handle.write(GPL3_HEADER + "x = 1\n")
    finally:
        os.close(descriptor)
    try:
        result = check([root])
    finally:
        _remove_nested(root, "d")  # pytest's own clean-up of old temporary folders recurses, and would fail on it
    shallow = "/".join(["d"] * 10) + "/gpl.py"
    assert (shallow, "license-conflict") in {(finding.path, finding.rule) for finding in result.findings}
    refused = [finding for finding in result.findings if finding.rule == "path-refused"]
    assert len(refused) == 1 and "nested more than 256 deep" in refused[0].message
    assert refused[0].path.count("/") == 256


def _remove_nested(root: Path, name: str) -> None:
    """Remove the chain of folders ``root/name/name/...`` and their files bottom up, without recursion."""
    chain = [os.open(root, os.O_RDONLY)]
    try:
        while True:
            try:
                chain.append(os.open(name, os.O_RDONLY, dir_fd=chain[-1]))
            except FileNotFoundError:
                break
        while len(chain) > 1:
            inner = chain.pop()
            for entry in os.listdir(inner):
                os.unlink(entry, dir_fd=inner)
            os.close(inner)
            os.rmdir(name, dir_fd=chain[-1])
    finally:
        for descriptor in chain:
            os.close(descriptor)


def test_the_tree_refuses_paths_out_and_names_the_link(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "out").symlink_to(outside, target_is_directory=True)
    (root / "a" / "in").symlink_to("b", target_is_directory=True)
    (root / "a" / "b" / "f.py").write_text("x = 1\n", encoding="utf-8")
    tree = Tree(root)
    assert tree.locate("a/in/f.py") == str((root / "a" / "b" / "f.py").resolve())
    with pytest.raises(OutsideTree) as refused:
        tree.locate("a/in/out/ops.py")
    assert refused.value.escape.link == "a/in/out"
    assert refused.value.escape.target == str(outside)
    assert isinstance(refused.value, OSError)  # readers that handle OSError handle it
    with pytest.raises(ValueError):
        tree.locate("../elsewhere/ops.py")
    with pytest.raises(OutsideTree):
        tree.inside(outside / "ops.py")
    assert tree.inside(root / "a" / "in" / "f.py") == (root / "a" / "b" / "f.py").resolve()


def _without_file_permission_override() -> list[str]:
    """A command prefix under which even root cannot read a file whose mode forbids it."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def test_a_model_card_that_cannot_be_read_is_reported_as_unreadable(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "model/README.md": "---\nlicense: mit\n---\n# A model\n",
            "model/model.safetensors": b"",  # its bytes do not matter here: the card does
        }
    )
    (root / "model" / "README.md").chmod(0)
    cache = tmp_path / "cache"
    completed = subprocess.run(
        [*_without_file_permission_override(), sys.executable, "-m", "lintml.cli", "check", "--format", "json", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LINTML_CACHE_DIR": str(cache), "LINTML_INDEX": str(cache / "index.sqlite3")},
    )
    assert "Traceback" not in completed.stderr
    findings = json.loads(completed.stdout)["findings"]
    unreadable = [item for item in findings if item["path"] == "model/README.md" and item["rule"] == "unreadable-input"]
    assert unreadable and unreadable[0]["message"] == "cannot read: Permission denied"
    said = " ".join(item["message"] for item in findings)
    assert "has no YAML front matter" not in said
