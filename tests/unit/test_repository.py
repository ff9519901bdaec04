"""The walk: git-tracked and staged files in a work tree, a .gitignore-aware walk elsewhere, kinds."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import repository
from lintml.repository import DiskSource, classify
from tests.helpers import write_tree


@pytest.mark.parametrize(
    ("path", "head", "kind"),
    [
        ("model.py", b"", repository.PYTHON),
        ("stubs/x.pyi", b"", repository.PYTHON),
        ("kernels/attn.cu", b"", repository.CODE),
        ("scripts/run.sh", b"", repository.CODE),
        ("LICENSE", b"", repository.LICENSE),
        ("LICENCE.md", b"", repository.LICENSE),
        ("COPYING.LESSER", b"", repository.LICENSE),
        ("NOTICE", b"", repository.LICENSE),
        ("LICENSES/Apache-2.0.txt", b"", repository.LICENSE),
        ("third_party/llava/LICENSE", b"", repository.LICENSE),
        ("README.md", b"---", repository.MODEL_CARD),
        ("README.md", b"# T", repository.DOCUMENT),
        ("MODEL_CARD.md", b"", repository.MODEL_CARD),
        ("config.json", b"", repository.MODEL_CONFIG),
        ("generation_config.json", b"", repository.MODEL_CONFIG),
        ("tokenizer_config.json", b"", repository.TOKENIZER),
        ("tokenizer.model", b"", repository.TOKENIZER),
        ("merges.txt", b"", repository.TOKENIZER),
        ("model-00001-of-00002.safetensors", b"", repository.WEIGHTS),
        ("pytorch_model.bin", b"", repository.WEIGHTS),
        ("model.gguf", b"", repository.WEIGHTS),
        ("notebooks/demo.ipynb", b"", repository.NOTEBOOK),
        ("pyproject.toml", b"", repository.MANIFEST),
        ("data/train.csv", b"", repository.DATA),
    ],
)
def test_classify(path: str, head: bytes, kind: str) -> None:
    assert classify(path, head) == kind


def test_git_work_tree_lists_tracked_staged_and_unignored_files(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        # build/kept.py is tracked although .gitignore names its folder: git lists it, a walk of the folder would not.
        {"a.py": "x = 1\n", "LICENSE": "MIT\n", ".gitignore": "build/\n", "build/kept.py": "v = 0\n"},
        staged={"new.py": "y = 2\n"},
        untracked={"scratch.py": "z = 3\n", "build/gen.py": "w = 4\n"},
    )
    source = DiskSource(root)
    paths = [item.path for item in source.files()]
    assert paths == [".gitignore", "LICENSE", "a.py", "build/kept.py", "new.py", "scratch.py"]


def test_subfolder_of_a_work_tree_lists_paths_relative_to_it(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"pkg/a.py": "x = 1\n", "other/b.py": "y = 2\n"})
    assert [item.path for item in DiskSource(root / "pkg").files()] == ["a.py"]


def test_plain_folder_walk_honours_gitignore(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".gitignore": "build/\n*.log\n",
            "a.py": "",
            "build/gen.py": "",
            "run.log": "",
            "sub/.gitignore": "secret.py\n",
            "sub/secret.py": "",
            "sub/kept.py": "",
        },
    )
    source = DiskSource(tmp_path)
    assert [item.path for item in source.files()] == [".gitignore", "a.py", "sub/.gitignore", "sub/kept.py"]


def test_symlinks_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write_tree(outside, {"secret.py": "x = 1\n", "dir/inner.py": ""})
    tree = tmp_path / "tree"
    write_tree(tree, {"a.py": ""})
    os.symlink(outside / "secret.py", tree / "link.py")
    os.symlink(outside / "dir", tree / "linkdir")
    os.symlink(tree / "a.py", tree / "inside.py")
    assert [item.path for item in DiskSource(tree).files()] == ["a.py", "inside.py"]
