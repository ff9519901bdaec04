"""`lintml fix` under faults: files in the way, a full disk, kills mid-write, leftovers of earlier runs.

Every fault is real: a regular file where a folder must be, a folder where a file must be, a
file size limit (``RLIMIT_FSIZE``) that makes writes fail with EFBIG the way a full disk fails
them, the kernel's SIGXFSZ killing lintml inside a write, and SIGKILLs at random moments.
They hold for root too, which ignores file permissions. After each, every file of the
repository is either as it was or as a clean `lintml fix` writes it, and no temporary file
is left once the next `fix` has run.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lintml import api
from lintml.files import TEMPORARY_NAME, temporary_name
from tests.helpers import MIT_TEXT, RENAMED_SLICING

DATE = "2026-11-21"
LICENSE_TEXT = "LICENSES/Apache-2.0.txt"
TARGETS = ("NOTICE", LICENSE_TEXT, "vision/slicing.py")


def _files(root: Path) -> dict[str, bytes]:
    """Every file outside .git, by POSIX path, with its bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if ".git" not in path.relative_to(root).parts and (path.is_file() or path.is_symlink())
    }


def _temporaries(root: Path) -> list[str]:
    return [path for path in _files(root) if TEMPORARY_NAME.fullmatch(path.rsplit("/", 1)[-1])]


def _repository(make_repo: Callable[..., Path], name: str = "local", copies: int = 1) -> Path:
    files: dict[str, str | bytes] = {"LICENSE": MIT_TEXT, "vision/slicing.py": RENAMED_SLICING}
    files.update({f"vision/part{number}/slicing.py": RENAMED_SLICING for number in range(1, copies)})
    return make_repo(files, name=name)


def _fixed_copy(local: Path, index: Path, tmp_path: Path) -> dict[str, bytes]:
    """What a clean `lintml fix` writes into a copy of ``local``."""
    copy = tmp_path / f"{local.name}-reference"
    shutil.copytree(local, copy, symlinks=True)
    result = api.fix([copy], date=DATE, indexes=[index], use_catalog=False, use_cache=False)
    assert not result.unwritten and not result.failed()
    return _files(copy)


def _fix_process(
    local: Path, index: Path, *, file_size_limit: int | None = None, die_on_limit: bool = False
) -> subprocess.CompletedProcess[str]:
    """`lintml fix` in a fresh interpreter, optionally under a file size limit.

    With SIGXFSZ ignored (as Python sets it), a write past the limit fails with EFBIG, as on a
    full disk; with SIGXFSZ at its default, the kernel kills the process inside that write.
    """
    setup = ["import resource, signal, sys"]
    if file_size_limit is not None:
        handler = "SIG_DFL" if die_on_limit else "SIG_IGN"
        setup.append(f"signal.signal(signal.SIGXFSZ, signal.{handler})")
        hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
        setup.append(f"resource.setrlimit(resource.RLIMIT_FSIZE, ({file_size_limit}, {hard}))")
    setup.append("from lintml.cli import main")
    setup.append("main(sys.argv[1:], prog_name='lintml')")
    arguments = ["fix", "--no-cache", "--no-catalog", "--index", str(index), "--date", DATE]
    # No bytecode is written: under the limit the kernel must meet lintml's own writes first.
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-c", "\n".join(setup), *arguments],
        cwd=local,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_file_where_a_folder_must_be_costs_only_its_own_repair(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    local = _repository(make_repo)
    new = _fixed_copy(local, minivlm_index, tmp_path)
    (local / "LICENSES").write_text("not a folder\n", encoding="utf-8")
    result = api.fix([local], date=DATE, indexes=[minivlm_index], use_catalog=False)
    reasons = [reason for _, reason in result.failed_repairs]
    assert reasons == [f"{LICENSE_TEXT}: LICENSES is a file, not a folder"]
    after = _files(local)
    assert after["LICENSES"] == b"not a folder\n"
    assert after["NOTICE"] == new["NOTICE"] and after["vision/slicing.py"] == new["vision/slicing.py"]
    assert _temporaries(local) == []


def test_a_folder_where_a_file_must_be_costs_only_its_own_repair(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    local = _repository(make_repo)
    new = _fixed_copy(local, minivlm_index, tmp_path)
    (local / "NOTICE").mkdir()
    (local / "NOTICE" / "kept.txt").write_text("mine\n", encoding="utf-8")
    result = api.fix([local], date=DATE, indexes=[minivlm_index], use_catalog=False)
    assert [reason for _, reason in result.failed_repairs] == ["NOTICE: not a regular file"]
    after = _files(local)
    assert after["NOTICE/kept.txt"] == b"mine\n"
    assert after[LICENSE_TEXT] == new[LICENSE_TEXT] and after["vision/slicing.py"] == new["vision/slicing.py"]
    assert _temporaries(local) == []


@pytest.mark.parametrize(
    ("limit", "unwritable"),
    [(4096, {LICENSE_TEXT: "1 repair"}), (1024, {LICENSE_TEXT: "1 repair", "vision/slicing.py": "2 repairs"})],
    ids=["license-text-too-big", "two-files-too-big"],
)
def test_a_full_disk_names_each_file_and_leaves_no_folder_behind(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path, limit: int, unwritable: dict[str, str]
) -> None:
    local = _repository(make_repo)
    old = _files(local)
    new = _fixed_copy(local, minivlm_index, tmp_path)
    assert [len(new[path]) > limit for path in TARGETS] == [path in unwritable for path in TARGETS]

    result = _fix_process(local, minivlm_index, file_size_limit=limit)
    assert result.returncode == 2, result.stderr  # a write failure is a fault, not a finding
    assert "Traceback" not in result.stderr
    failures = [line for line in result.stderr.splitlines() if line.startswith("lintml: could not write ")]
    assert failures == [
        f"lintml: could not write {path}: File too large (the disk is full, or a quota or file size limit was "
        f"reached); left as it was ({lost} not made)"
        for path, lost in unwritable.items()
    ]
    after = _files(local)
    for path in TARGETS:
        assert after.get(path) == (old.get(path) if path in unwritable else new[path]), path
    assert not (local / "LICENSES").exists()  # made for the license text, removed when it could not be written
    assert set(after) == set(old) | {path for path in TARGETS if path not in unwritable}

    # With room again, the next run writes what is missing and ends clean, and the one after changes nothing.
    # (Not always byte for byte what one clean run writes: once NOTICE carries the upstream's copyright,
    # the copy no longer owes that line.)
    assert _fix_process(local, minivlm_index).returncode == 0
    recovered = _files(local)
    assert recovered[LICENSE_TEXT] == new[LICENSE_TEXT]
    assert all(recovered[path] == new[path] for path in TARGETS if path not in unwritable)
    assert set(recovered) == set(new)  # nothing left over
    _assert_settled(local, minivlm_index)


def _assert_settled(local: Path, index: Path) -> None:
    """A further `lintml fix` finds nothing to do and changes nothing."""
    before = _files(local)
    again = _fix_process(local, index)
    assert again.returncode == 0 and again.stdout == "", again.stderr
    assert "changed 0 files" in again.stderr
    assert _files(local) == before


def test_a_fix_killed_inside_a_write_leaves_every_file_old_and_the_next_fix_sweeps_up(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    local = _repository(make_repo)
    old = _files(local)
    new = _fixed_copy(local, minivlm_index, tmp_path)

    killed = _fix_process(local, minivlm_index, file_size_limit=4096, die_on_limit=True)
    assert killed.returncode == -signal.SIGXFSZ  # the kernel stopped it in the middle of writing the license text
    left = _temporaries(local)
    assert len(left) == 1 and left[0].startswith("LICENSES/.Apache-2.0.txt.lintml-")
    assert {path: data for path, data in _files(local).items() if path not in left} == old  # nothing renamed yet

    result = _fix_process(local, minivlm_index)
    assert result.returncode == 0, result.stderr
    assert _files(local) == new  # the leftover is gone, every file is new


def test_a_temporary_left_by_a_kill_is_not_taken_for_the_file_it_was_to_become(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    # A kill after the license text was staged and before it was renamed leaves the whole text under
    # LICENSES/ by another name. Counted as shipped, it hid the license-text repair, and the sweep then
    # removed it: the next fix ended with the text missing.
    local = _repository(make_repo)
    new = _fixed_copy(local, minivlm_index, tmp_path)
    (local / "LICENSES").mkdir()
    (local / "LICENSES" / ".Apache-2.0.txt.lintml-0123abcd.tmp").write_bytes(new[LICENSE_TEXT])
    checked = api.check([local], indexes=[minivlm_index], use_catalog=False)
    assert ("vision/slicing.py", "license-text") in {(finding.path, finding.rule) for finding in checked.findings}
    assert not any(".lintml-" in finding.path for finding in checked.findings)
    finished = _fix_process(local, minivlm_index)
    assert finished.returncode == 0, finished.stderr
    assert _files(local) == new
    _assert_settled(local, minivlm_index)


def test_random_kills_leave_every_file_old_or_new_and_nothing_behind(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    template = _repository(make_repo, name="template", copies=12)
    old = _files(template)
    new = _fixed_copy(template, minivlm_index, tmp_path)
    assert sum(old.get(path) != data for path, data in new.items()) == 14  # 12 copies, NOTICE, license text

    started = time.monotonic()
    assert _fix_process(shutil.copytree(template, tmp_path / "timed", symlinks=True), minivlm_index).returncode == 0
    duration = time.monotonic() - started
    moments = random.Random(12).sample(range(1, 20), 5)  # a handful of kills, spread over one run
    for number, moment in enumerate(moments):
        local = Path(shutil.copytree(template, tmp_path / f"killed{number}", symlinks=True))
        process = subprocess.Popen(
            [sys.executable, "-m", "lintml.cli", "fix", "--no-catalog", "--index", str(minivlm_index), "--date", DATE],
            cwd=local,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            process.wait(timeout=duration * moment / 20)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=300)
        after = _files(local)
        for path in set(after) | set(new):
            if path in _temporaries(local):
                continue
            assert after.get(path) in (old.get(path), new.get(path)), (moment, path)
        finished = _fix_process(local, minivlm_index)
        assert finished.returncode == 0, finished.stderr
        assert set(_files(local)) == set(new), moment  # every target written, no temporary left
    _assert_settled(local, minivlm_index)


def test_only_lintml_temporaries_are_swept_and_only_by_fix(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("not lintml's\n", encoding="utf-8")
    local = _repository(make_repo)
    leftovers = [
        ".NOTICE.lintml-0123abcd.tmp",
        "vision/.slicing.py.lintml-ffffffff.tmp",
        "deep/a/b/.x.lintml-00000000.tmp",
    ]
    kept = [
        ".data.csv.lintml-0123abc.tmp",  # seven digits
        ".data.csv.lintml-0123ABCD.tmp",  # lintml writes lowercase
        "data.csv.lintml-0123abcd.tmp",  # no leading dot
        ".data.csv.lintml_0123abcd.tmp",
        ".data.csv.lintml-0123abcd.tmp.bak",
        ".data.csv.u38nwlh3.tmp",  # what tempfile makes: could be anyone's
    ]
    for path in leftovers + kept:
        (local / path).parent.mkdir(parents=True, exist_ok=True)
        (local / path).write_text("half a file", encoding="utf-8")
    (local / "vision/.link.lintml-0123abcd.tmp").symlink_to(outside)  # a link is never lintml's
    (local / "vision/.dir.lintml-0123abcd.tmp").mkdir()  # nor a folder
    (local / ".git/.HEAD.lintml-0123abcd.tmp").write_text("inside .git", encoding="utf-8")
    planted = _files(local)
    git_planted = (local / ".git/.HEAD.lintml-0123abcd.tmp").read_bytes()

    api.check([local], indexes=[minivlm_index], use_catalog=False)
    assert _files(local) == planted  # check never deletes
    dry = api.fix([local], dry_run=True, date=DATE, indexes=[minivlm_index], use_catalog=False)
    assert dry.changes and _files(local) == planted  # nor does a dry run

    api.fix([local], date=DATE, indexes=[minivlm_index], use_catalog=False)
    after = _files(local)
    assert not set(leftovers) & set(after)
    for path in kept:
        assert after[path] == b"half a file"
    assert (local / "vision/.link.lintml-0123abcd.tmp").is_symlink()
    assert (local / "vision/.dir.lintml-0123abcd.tmp").is_dir()
    assert (local / ".git/.HEAD.lintml-0123abcd.tmp").read_bytes() == git_planted
    assert outside.read_text(encoding="utf-8") == "not lintml's\n"


def test_a_name_at_the_length_limit_still_gets_a_temporary_beside_it(
    tmp_path: Path, make_repo: Callable[..., Path], minivlm_index: Path
) -> None:
    name = "s" * 250 + ".py"
    assert TEMPORARY_NAME.fullmatch(temporary_name(name)) and len(temporary_name(name)) <= 255
    local = make_repo({"LICENSE": MIT_TEXT, f"vision/{name}": RENAMED_SLICING}, name="local")
    result = api.fix([local], date=DATE, indexes=[minivlm_index], use_catalog=False, select=["change-notice"])
    assert not result.unwritten and [change.path for change in result.changes] == [f"vision/{name}"]
    text = (local / "vision" / name).read_text(encoding="utf-8")
    assert "modified from minivlm" in text and text.endswith(RENAMED_SLICING)
    assert _temporaries(local) == []
