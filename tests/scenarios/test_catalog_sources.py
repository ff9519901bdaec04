"""The catalog's pinned sources: git pins are checked, and a commit's snapshot is the same bytes however it is made.

``scripts/snapshots.py`` cuts a forge's archive of a commit down to source, license, notice and
packaging files and writes it reproducibly; the sha256 of that result is what a git pin records.
The forge archives here are real .tar.gz files written in the test, with the disorder real ones
have (their own top folder, other file times and modes, links, big files, data files).
"""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import build_catalog  # noqa: E402  (scripts/ is put on sys.path above)
import snapshots  # noqa: E402

URL = "https://github.com/example/vision-kit"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
WHEN = 1_700_000_000
FILES = {
    "LICENSE": b"MIT License\n",
    "README.md": b"# vision kit\n",
    "setup.py": b"from setuptools import setup\nsetup()\n",
    "kit/__init__.py": b"",
    "kit/ops.cu": b"__global__ void k() {}\n",
    "kit/model.py": b"def forward(x):\n    return x\n",
    "kit/third_party/NOTICE.txt": b"Parts from elsewhere\n",
    "kit/README.md": b"a README below the top is not kept\n",
    "kit/weights.bin": b"\0" * 64,
    "kit/big.py": b"x = 1\n" * 200_000,
    "docs/requirements-docs.txt": b"sphinx\n",
}


def _forge_archive(order: list[str], mtime: int, top: str = "vision-kit-0123456") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        folder = tarfile.TarInfo(top)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o775, mtime
        archive.addfile(folder)
        for path in order:
            info = tarfile.TarInfo(f"{top}/{path}")
            info.size, info.mtime, info.mode = len(FILES[path]), mtime, 0o664
            info.uname = "forge"
            archive.addfile(info, io.BytesIO(FILES[path]))
        link = tarfile.TarInfo(f"{top}/kit/linked.py")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


def test_a_snapshot_keeps_source_license_and_packaging_files_only() -> None:
    snapshot = snapshots.repack(_forge_archive(sorted(FILES), 1), URL, COMMIT, WHEN)
    with tarfile.open(fileobj=io.BytesIO(snapshot)) as archive:
        members = archive.getmembers()
    top = "example+vision-kit@0123456789ab"
    files = sorted(member.name.removeprefix(top + "/") for member in members if member.isfile())
    assert files == [
        "LICENSE",
        "README.md",
        "docs/requirements-docs.txt",
        "kit/__init__.py",
        "kit/model.py",
        "kit/ops.cu",
        "kit/third_party/NOTICE.txt",
        "setup.py",
    ]
    assert all(member.mtime == WHEN and member.uid == 0 and member.uname == "" for member in members)
    assert [member.name for member in members][:2] == [top, f"{top}/LICENSE"]
    assert {member.mode for member in members if member.isdir()} == {0o755}


def test_the_same_commit_gives_the_same_bytes_however_the_forge_packed_it() -> None:
    first = snapshots.repack(_forge_archive(sorted(FILES), 1), URL, COMMIT, WHEN)
    second = snapshots.repack(_forge_archive(sorted(FILES, reverse=True), 99, "other-top"), URL, COMMIT, WHEN)
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()
    assert snapshots.repack(_forge_archive(sorted(FILES), 1), URL, COMMIT, WHEN + 1) != first


def _pins(tmp_path: Path, git_entry: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(f"[defaults]\nexclude = ['tests/']\n\n[[git]]\n{git_entry}\n", encoding="utf-8")
    return path


GOOD = f"""name = "example/vision-kit"
url = "{URL}"
commit = "{COMMIT}"
date = "2023-11-14T22:13:20Z"
archive = "example+vision-kit@0123456789ab.tar.gz"
sha256 = "{"a" * 64}"
hint = "MIT"
"""


def test_git_pins_are_read_and_checked(tmp_path: Path) -> None:
    (pin,) = build_catalog.load_pins(_pins(tmp_path, GOOD))
    assert isinstance(pin, build_catalog.GitPin)
    assert (pin.version, pin.license, pin.exclude) == ("0123456789", "auto", ("tests/",))
    assert pin.source == f"{URL}@{COMMIT}"
    for broken, message in (
        (GOOD.replace(COMMIT, "main"), "40 lowercase hex"),
        (GOOD.replace("2023-11-14T22:13:20Z", "yesterday"), "YYYY-MM-DD"),
        (GOOD.replace('"https://', '"http://'), "https://"),
        (GOOD + 'branch = "main"\n', "unknown key 'branch'"),
        (GOOD + f"\n[[git]]\n{GOOD}", "pinned twice"),
    ):
        with pytest.raises(build_catalog.CatalogError, match=message):
            build_catalog.load_pins(_pins(tmp_path, broken))


def test_a_snapshot_at_hand_is_used_only_with_its_pinned_sha256(tmp_path: Path) -> None:
    snapshot = snapshots.repack(_forge_archive(sorted(FILES), 1), URL, COMMIT, WHEN)
    folder = tmp_path / "upstreams" / "snapshots"
    folder.mkdir(parents=True)
    (folder / "example+vision-kit@0123456789ab.tar.gz").write_bytes(snapshot)
    digest = hashlib.sha256(snapshot).hexdigest()
    (pin,) = build_catalog.load_pins(_pins(tmp_path, GOOD.replace("a" * 64, digest)))
    assert isinstance(pin, build_catalog.GitPin)
    path, how = build_catalog.fetch_snapshot(pin, tmp_path / "upstreams", tmp_path / "downloads")
    assert how == "local" and path.read_bytes() == snapshot
    (wrong,) = build_catalog.load_pins(_pins(tmp_path, GOOD))
    assert isinstance(wrong, build_catalog.GitPin)
    with pytest.raises(build_catalog.CatalogError, match="is not the pinned"):
        build_catalog.fetch_snapshot(wrong, tmp_path / "upstreams", tmp_path / "downloads")
