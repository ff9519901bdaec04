"""Tag a release: ``v<version>`` (lintml.__version__) and the moving major tag ``v<major>``.

The pre-commit snippet in README.md names ``rev: v<version>`` and the Action's ``uses: lintml/lintml@v<major>``;
this script is the step that makes those refs exist. It refuses a dirty work tree, a version tag that already
points elsewhere, and a README whose snippet names another version, then tags HEAD and prints the push command
(it pushes nothing itself):

    python scripts/release.py            # tag HEAD of this repository
    python scripts/release.py --repo DIR # tag another checkout (the tests use a temporary clone)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ReleaseError(Exception):
    """Why the release cannot be tagged, in one line."""


def _git(repo: Path, *arguments: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-C", str(repo), *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise ReleaseError(f"git {' '.join(arguments)}: {completed.stderr.strip() or completed.returncode}")
    return completed.stdout.strip()


def version_of(repo: Path) -> str:
    """The version lintml/__init__.py declares (pyproject.toml reads it from there)."""
    found = re.search(r'^__version__ = "([^"]*)"', (repo / "lintml" / "__init__.py").read_text(encoding="utf-8"), re.M)
    version = found.group(1) if found else None
    if version is None or not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ReleaseError(f"lintml/__init__.py: __version__ {version!r} is not MAJOR.MINOR.PATCH")
    return version


def snippet_refs(readme: str) -> tuple[list[str], list[str]]:
    """The ``rev:`` of the README's pre-commit snippet and the refs its ``uses: lintml/lintml@`` lines name."""
    return re.findall(r"^\s*rev:\s*(\S+)", readme, re.M), re.findall(r"uses:\s*lintml/lintml@([\w.\-]+)", readme)


def release(repo: Path) -> tuple[str, str]:
    """Tag HEAD of ``repo`` as ``v<version>`` and move ``v<major>`` to it; the two tags."""
    version = version_of(repo)
    tag, major = f"v{version}", f"v{version.split('.')[0]}"
    revs, uses = snippet_refs((repo / "README.md").read_text(encoding="utf-8"))
    if revs != [tag]:
        raise ReleaseError(f"README.md: the pre-commit snippet says rev: {', '.join(revs) or 'nothing'}, not {tag}")
    if any(ref != major for ref in uses):
        raise ReleaseError(f"README.md: the Action is named @{', @'.join(uses)}, not @{major}")
    if _git(repo, "status", "--porcelain", "--untracked-files=no"):
        raise ReleaseError("the work tree has uncommitted changes: commit them before tagging a release")
    head = _git(repo, "rev-parse", "HEAD")
    existing = _git(repo, "tag", "--list", tag)
    if existing and _git(repo, "rev-list", "-n", "1", tag) != head:
        raise ReleaseError(f"{tag} already tags another commit: raise __version__ in lintml/__init__.py")
    if not existing:
        _git(repo, "tag", "-a", tag, "-m", f"lintml {version}")
    _git(repo, "tag", "-f", major, head)
    return tag, major


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to tag (default: this one)")
    options = parser.parse_args(argv)
    try:
        tag, major = release(options.repo.resolve())
    except (ReleaseError, OSError) as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    print(f"tagged {tag} and {major}; publish with: git push origin {tag} && git push -f origin {major}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
