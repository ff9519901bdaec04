"""Bad input never crashes the scan, is reported with the file's name, and nothing is written."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from lintml.api import check
from tests.helpers import GPL3_HEADER, MIT_TEXT


def snapshot(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def test_bad_files_are_reported_and_the_rest_is_checked(make_repo: Callable[..., Path]) -> None:
    root = make_repo(
        {
            "LICENSE": MIT_TEXT,
            "broken.py": "def broken(:\n    return\n",
            "binary.py": b"\x00\x01\x02 not python \xff",
            "latin.py": "# Auteur: Fran\xe7ois\nx = 1\n".encode("latin-1"),
            "nb.ipynb": "{ this is not json",
            "README.md": "---\nlicense: [apache-2.0\n---\n",
            "pyproject.toml": "[project\nname = 1\n",
            "gpl.py": GPL3_HEADER + "def ok():\n    return 1\n",
        }
    )
    before = snapshot(root)
    result = check([root])
    by_path = {(finding.path, finding.rule): finding for finding in result.findings}
    assert ("binary.py", "unreadable-input") in by_path
    assert "binary content" in by_path[("binary.py", "unreadable-input")].message
    assert ("latin.py", "unreadable-input") in by_path
    assert by_path[("latin.py", "unreadable-input")].line == 1
    assert ("nb.ipynb", "unreadable-input") in by_path
    assert ("README.md", "model-card-front-matter") in by_path
    assert by_path[("README.md", "model-card-front-matter")].line is not None
    assert ("pyproject.toml", "unreadable-input") in by_path
    # Unparsable Python is still read for its header; nothing to report about it here.
    assert not any(path == "broken.py" for path, _ in by_path)
    # And the rest of the scan went on: the GPL file in the MIT project is found.
    assert ("gpl.py", "license-conflict") in by_path
    assert snapshot(root) == before


def test_oversized_files_are_skipped_not_read(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "big.py": GPL3_HEADER + "x = 1\n" * 2000})
    (root / ".lintml.yaml").write_text("max-file-size: 1KB\n", encoding="utf-8")
    result = check([root])
    size = (root / "big.py").stat().st_size
    assert ("big.py", f"larger than max-file-size ({size} > 1024 bytes)") in result.skipped
    assert not [finding for finding in result.findings if finding.path == "big.py"]
