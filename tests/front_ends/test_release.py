"""The refs the README's snippets name exist once the release step has run (scripts/release.py).

A real git repository in a temporary folder holding this repository's README.md and lintml/__init__.py.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import release  # noqa: E402


def _git(repo: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *arguments], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "lintml"
    repo.mkdir()
    (repo / "lintml").mkdir()
    for name in ("README.md", "lintml/__init__.py"):
        shutil.copy(ROOT / name, repo / name)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "release")
    return repo


def test_the_readme_names_the_refs_the_release_step_makes() -> None:
    version = release.version_of(ROOT)
    revs, uses = release.snippet_refs((ROOT / "README.md").read_text(encoding="utf-8"))
    assert revs == [f"v{version}"]
    assert uses and set(uses) == {f"v{version.split('.')[0]}"}


def test_the_release_step_tags_head_once_and_moves_the_major_tag(checkout: Path) -> None:
    tag, major = release.release(checkout)
    head = _git(checkout, "rev-parse", "HEAD").strip()
    assert _git(checkout, "rev-list", "-n", "1", tag).strip() == head
    assert _git(checkout, "rev-list", "-n", "1", major).strip() == head
    assert release.release(checkout) == (tag, major)  # again: nothing changes
    # A new commit under the same version is refused: the version tag already names another commit.
    (checkout / "NEWS").write_text("more\n", encoding="utf-8")
    _git(checkout, "add", "NEWS")
    _git(checkout, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "more")
    with pytest.raises(release.ReleaseError, match="already tags another commit"):
        release.release(checkout)


def test_the_release_step_refuses_a_readme_naming_another_version(checkout: Path) -> None:
    readme = checkout / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("rev: v", "rev: v9"), encoding="utf-8")
    with pytest.raises(release.ReleaseError, match="pre-commit snippet says rev: v9"):
        release.release(checkout)
    assert release.main(["--repo", str(checkout)]) == 2
