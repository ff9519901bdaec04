"""Archives an upstream comes as (sdist, wheel, zip, tar) are untrusted input: bombs, links, devices and names
that climb out of the folder.

Every archive here is real, made in the test with zipfile and tarfile; the bombs are small on disk because
their members are zeros. Going over a limit, or meeting an unsafe member, ends `lintml index add` and
`lintml audit` with one line naming the archive, and leaves nothing unpacked in the temporary folder.
"""

from __future__ import annotations

import io
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lintml import api
from lintml.provenance.archives import size_text
from lintml.provenance.upstream import (
    DEFAULT_MAX_UNPACKED_BYTES,
    DEFAULT_MAX_UNPACKED_FILES,
    UnpackLimits,
    UpstreamSpec,
)
from tests.copying import stdlib_source
from tests.helpers import MIT_TEXT

CODE = stdlib_source("textwrap")
ZEROS = 64 << 20  # what a bomb member unpacks to: 64 MB of zeros, some 64 KB packed
CAP = 8 << 20


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The temporary folder lintml unpacks into, here and in the processes the test starts."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder


def zeros_stream(size: int) -> io.RawIOBase:
    class Zeros(io.RawIOBase):
        left = size

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            count = min(len(buffer), self.left)
            buffer[:count] = bytes(count)
            self.left -= count
            return count

    return Zeros()


def zip_bomb(path: Path, *, size: int = ZEROS) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        bundle.writestr("pkg-1.0/pkg/wrapping.py", CODE)
        with bundle.open("pkg-1.0/pkg/weights.bin", "w", force_zip64=True) as member:
            source = zeros_stream(size)
            while chunk := source.read(1 << 20):
                member.write(chunk)
    return path


def tar_bomb(path: Path, mode: str, *, size: int = ZEROS) -> Path:
    with tarfile.open(path, mode) as bundle:
        add_text(bundle, "pkg-1.0/pkg/wrapping.py", CODE)
        member = tarfile.TarInfo("pkg-1.0/pkg/weights.bin")
        member.size = size
        bundle.addfile(member, zeros_stream(size))  # type: ignore[arg-type]
    return path


def add_text(bundle: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    member = tarfile.TarInfo(name)
    member.size = len(data)
    bundle.addfile(member, io.BytesIO(data))


def run_bounded(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lintml.cli", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("lintml: indexing ")]
    assert len(lines) == 1 and lines[0].startswith("lintml: error: "), result.stderr
    return lines[0]


# --- bombs ---------------------------------------------------------------------------------------------------

BOMBS: dict[str, Callable[[Path], Path]] = {
    "zip": lambda folder: zip_bomb(folder / "pkg-1.0.zip"),
    "wheel": lambda folder: zip_bomb(folder / "pkg-1.0-py3-none-any.whl"),
    "tar.gz": lambda folder: tar_bomb(folder / "pkg-1.0.tar.gz", "w:gz"),
    "tar.bz2": lambda folder: tar_bomb(folder / "pkg-1.0.tar.bz2", "w:bz2"),
    "tar.xz": lambda folder: tar_bomb(folder / "pkg-1.0.tar.xz", "w:xz"),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_an_archive_that_unpacks_past_the_size_limit_is_refused(tmp_path: Path, scratch: Path, kind: str) -> None:
    bomb = BOMBS[kind](tmp_path)
    assert bomb.stat().st_size < 1 << 20  # small on disk
    index = tmp_path / "index.sqlite3"

    limit = ("--max-unpacked-size", "8MB")
    result = run_bounded(tmp_path, "index", "add", "pkg", str(bomb), "--license", "MIT", "--index", str(index), *limit)

    line = one_error_line(result)
    assert line == (
        f"lintml: error: {bomb}: unpacks to more than 8MB, the limit (--max-unpacked-size); nothing of it was kept"
    )
    assert list(scratch.iterdir()) == []  # no partial tree left behind
    assert not index.exists()


def test_the_api_takes_the_limits_and_raises_a_usage_error(tmp_path: Path, scratch: Path) -> None:
    bomb = tar_bomb(tmp_path / "pkg-1.0.tar.gz", "w:gz")
    spec = UpstreamSpec("pkg", str(bomb), "MIT")
    with pytest.raises(api.UsageError, match="unpacks to more than 8MB"):
        api.index_add([spec], index_path=tmp_path / "i.sqlite3", unpack_limits=UnpackLimits(max_bytes=CAP))
    assert list(scratch.iterdir()) == []
    # The same archive within a limit it fits is indexed: the limit, not the archive, refused it.
    added = api.index_add([spec], index_path=tmp_path / "i.sqlite3", unpack_limits=UnpackLimits(max_bytes=ZEROS + CAP))
    assert added[0].files == 1
    assert list(scratch.iterdir()) == []


def test_an_archive_of_too_many_files_is_refused(tmp_path: Path, scratch: Path) -> None:
    archive = tmp_path / "many-1.0.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("many-1.0/wrapping.py", CODE)
        for number in range(300):
            bundle.writestr(f"many-1.0/empty/{number}.txt", "")
    limit = ("--max-unpacked-files", "100")
    result = run_bounded(tmp_path, "index", "add", "many", str(archive), "--index", str(tmp_path / "i.sqlite3"), *limit)
    line = one_error_line(result)
    assert str(archive) in line and "more than 100 files and folders" in line and "--max-unpacked-files" in line
    assert list(scratch.iterdir()) == []


def test_an_audit_of_a_bomb_is_refused(tmp_path: Path, scratch: Path, make_repo: Callable[..., Path]) -> None:
    fork = make_repo({"LICENSE": MIT_TEXT, "wrapping.py": CODE}, name="fork")
    bomb = tar_bomb(tmp_path / "pkg-1.0.tar.gz", "w:gz")
    result = run_bounded(tmp_path, "audit", str(fork), "--upstream", f"pkg={bomb}", "--max-unpacked-size", "8MB")
    line = one_error_line(result)
    assert str(bomb) in line and "unpacks to more than 8MB" in line
    assert list(scratch.iterdir()) == []


def test_an_extended_tar_header_may_not_ask_for_megabytes(tmp_path: Path, scratch: Path) -> None:
    """tarfile reads a pax header whole into memory: one that asks for 64 MB is refused before it is read."""
    archive = tmp_path / "pax-1.0.tar.gz"
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as bundle:
        data = CODE.encode()
        member = tarfile.TarInfo("pax-1.0/wrapping.py")
        member.size = len(data)
        member.pax_headers = {"comment": "z" * ZEROS}
        bundle.addfile(member, io.BytesIO(data))
    assert archive.stat().st_size < 1 << 20
    result = run_bounded(tmp_path, "index", "add", "pax", str(archive), "--index", str(tmp_path / "i.sqlite3"))
    line = one_error_line(result)
    assert str(archive) in line and "cannot unpack" in line and "extended header" in line
    assert list(scratch.iterdir()) == []


# --- unsafe members ---------------------------------------------------------------------------------------------


def _tar_with(member: tarfile.TarInfo) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / "evil-1.0.tar.gz"
        with tarfile.open(path, "w:gz") as bundle:
            add_text(bundle, "evil-1.0/wrapping.py", CODE)
            bundle.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
        return path

    return build


def _tar_member(name: str, kind: bytes, *, link: str = "", size: int = 0) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.linkname = link
    member.size = size
    return member


def _zip_with(name: str, data: str = "x = 1\n", mode: int | None = None) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / "evil-1.0.zip"
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("evil-1.0/wrapping.py", CODE)
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.create_system = 3  # Unix: the high bits of external_attr are its st_mode
                info.external_attr = mode << 16
            bundle.writestr(info, data)
        return path

    return build


UNSAFE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "tar: a name with ..": (
        _tar_with(_tar_member("evil-1.0/../../escaped.py", tarfile.REGTYPE, size=3)),
        "would unpack outside its folder",
    ),
    "tar: an absolute name": (_tar_with(_tar_member("/tmp/escaped.py", tarfile.REGTYPE, size=3)), "outside its folder"),
    "tar: a symbolic link inside": (
        _tar_with(_tar_member("evil-1.0/alias.py", tarfile.SYMTYPE, link="wrapping.py")),
        "is a link",
    ),
    "tar: a symbolic link out": (
        _tar_with(_tar_member("evil-1.0/passwd.py", tarfile.SYMTYPE, link="/etc/passwd")),
        "is a link",
    ),
    "tar: a hard link": (
        _tar_with(_tar_member("evil-1.0/hard.py", tarfile.LNKTYPE, link="evil-1.0/wrapping.py")),
        "is a link",
    ),
    "tar: a character device": (_tar_with(_tar_member("evil-1.0/null", tarfile.CHRTYPE)), "a device, pipe or socket"),
    "tar: a pipe": (_tar_with(_tar_member("evil-1.0/pipe", tarfile.FIFOTYPE)), "a device, pipe or socket"),
    "zip: a name with ..": (_zip_with("evil-1.0/../../escaped.py"), "would unpack outside its folder"),
    "zip: an absolute name": (_zip_with("/tmp/escaped.py"), "outside its folder"),
    "zip: a drive letter": (_zip_with("C:/escaped.py"), "outside its folder"),
    "zip: a symbolic link": (_zip_with("evil-1.0/alias.py", "/etc/passwd", stat.S_IFLNK | 0o777), "a symbolic link"),
    "zip: a device": (_zip_with("evil-1.0/null", "", stat.S_IFCHR | 0o666), "a device, pipe or socket"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_an_unsafe_member_is_refused_and_nothing_is_unpacked(tmp_path: Path, scratch: Path, case: str) -> None:
    build, complaint = UNSAFE[case]
    archive = build(tmp_path)
    before = sorted(path.name for path in tmp_path.iterdir())

    with pytest.raises(api.UsageError) as raised:
        api.index_add([UpstreamSpec("evil", str(archive), "MIT")], index_path=tmp_path / "i.sqlite3")

    message = str(raised.value)
    assert message.startswith(f"{archive}: member ") and complaint in message and "\n" not in message
    assert list(scratch.iterdir()) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == before  # nothing escaped, no index written
    assert not Path("/tmp/escaped.py").exists()


# --- what is not refused --------------------------------------------------------------------------------------


def test_a_real_sized_sdist_unpacks_within_the_defaults(tmp_path: Path, scratch: Path) -> None:
    """An sdist of 3,000 files, as many as transformers', is well inside the default limits."""
    assert (DEFAULT_MAX_UNPACKED_BYTES, DEFAULT_MAX_UNPACKED_FILES) == (1 << 30, 100_000)
    assert UnpackLimits() == UnpackLimits(DEFAULT_MAX_UNPACKED_BYTES, DEFAULT_MAX_UNPACKED_FILES)
    sdist = tmp_path / "big-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as bundle:
        add_text(bundle, "big-1.0/big/wrapping.py", CODE)
        for number in range(3000):
            add_text(bundle, f"big-1.0/docs/page{number}.md", f"# Page {number}\n")
    (added,) = api.index_add([UpstreamSpec("big", str(sdist), "MIT")], index_path=tmp_path / "i.sqlite3")
    assert added.files == 1 and added.name == "big"
    assert list(scratch.iterdir()) == []


def test_the_help_states_the_default_limits(tmp_path: Path) -> None:
    for command in (["index", "add", "--help"], ["audit", "--help"]):
        shown = " ".join(run_bounded(tmp_path, *command).stdout.split())
        assert f"Default: {size_text(DEFAULT_MAX_UNPACKED_BYTES)}." in shown
        assert f"Default: {DEFAULT_MAX_UNPACKED_FILES}." in shown


def test_a_limit_that_is_not_a_size_is_a_usage_error(tmp_path: Path) -> None:
    result = run_bounded(tmp_path, "index", "add", "x", "x.zip", "--max-unpacked-size", "lots")
    assert result.returncode == 2 and "'lots' is not a size such as 2000000, 500MB or 2GB" in result.stderr
