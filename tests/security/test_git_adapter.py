"""A scanned repository's git configuration cannot make lintml run a program, hang, or write to it.

Every test builds a real repository (a fork that shares history with a local upstream), arms it
with one attack in its ``.git/config`` (written with a plain ``git config`` here, never by lintml),
then takes the paths a user takes: ``check`` (whole and with a diff base), ``fix --dry-run
--diff-base``, ``audit`` against the upstream and ``index add`` of the fork's URL. The program each
attack names only touches a marker file, which must never appear; the repository's index must stay
byte for byte the same, with no lock and no new file anywhere in it.
"""

from __future__ import annotations

import http.server
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lintml import api
from lintml.git import changed_since
from lintml.provenance.upstream import UpstreamSpec
from tests.helpers import MIT_TEXT, run_lintml, write_tree

HOOK_NAMES = (
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "reference-transaction",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
    "fsmonitor-watchman",
    "p4-changelist",
    "p4-prepare-changelist",
    "p4-post-changelist",
    "p4-pre-submit",
    "post-index-change",
)
# The git commands lintml runs, each a name an alias or a pager setting could be given for.
GIT_COMMANDS = ("ls-files", "ls-tree", "rev-parse", "merge-base", "log", "diff", "init", "clone", "fetch", "checkout")
VENDORED_CONFIG = "vendored:\n  third_party/kit: {upstream: kit, license: Apache-2.0}\n"


def git(where: Path, *arguments: str, stdin: bytes | None = None) -> str:
    """git as the test runs it (with the user's config), to build and arm repositories."""
    done = subprocess.run(["git", *arguments], cwd=where, input=stdin, capture_output=True, check=True)
    return done.stdout.decode().strip()


@dataclass
class Hostile:
    upstream: Path
    fork: Path  # the repository under attack
    base: str  # the upstream commit the fork's branch started from
    marker: Path  # the file the attack's program creates
    program: Path  # the attack's program, outside the repository

    def configure(self, key: str, value: str) -> None:
        subprocess.run(["git", "config", "--file", str(self.fork / ".git" / "config"), "--add", key, value], check=True)

    def attributes(self, line: str) -> None:
        info = self.fork / ".git" / "info"
        info.mkdir(exist_ok=True)
        with (info / "attributes").open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


@pytest.fixture
def hostile(tmp_path: Path, make_repo: Callable[..., Path]) -> Hostile:
    """A fork with committed, staged, unstaged, untracked and merely touched (stat-dirty) files."""
    upstream = make_repo(
        {
            "LICENSE": MIT_TEXT,
            ".lintml.yaml": VENDORED_CONFIG,
            "src/app.py": "# SPDX-License-Identifier: MIT\nvalue = 1\n",
            "src/util.py": "# SPDX-License-Identifier: MIT\nhelper = 2\n",
            "third_party/kit/model.py": "import torch\n\nx = 1\n",
        },
        name="upstream",
    )
    base = git(upstream, "rev-parse", "HEAD")
    fork = tmp_path / "fork"
    git(tmp_path, "clone", "--quiet", str(upstream), str(fork))
    for key, value in (
        ("user.name", "lintml tests"),
        ("user.email", "tests@lintml.invalid"),
        ("commit.gpgsign", "false"),
    ):
        git(fork, "config", key, value)
    git(fork, "checkout", "--quiet", "-b", "feature")
    write_tree(
        fork,
        {
            "third_party/kit/model.py": "import torch\n\nx = 2\n",
            "src/app.py": "# SPDX-License-Identifier: MIT\nvalue = 3\n",
        },
    )
    git(fork, "commit", "--quiet", "-am", "tune the vendored model")
    write_tree(fork, {"src/staged.py": "# SPDX-License-Identifier: MIT\nstaged = 1\n"})
    git(fork, "add", "src/staged.py")
    write_tree(fork, {"src/util.py": "# SPDX-License-Identifier: MIT\nhelper = 4\n", "src/untracked.py": "u = 1\n"})
    # Stat-dirty: same bytes, new times. `git diff` would run clean filters on these and refresh the index.
    for name in ("LICENSE", ".lintml.yaml", "third_party/kit/model.py"):
        os.utime(fork / name, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    marker = tmp_path / "PWNED"
    program = tmp_path / "attack.sh"
    program.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\n", encoding="utf-8")
    program.chmod(0o755)
    return Hostile(upstream, fork, base, marker, program)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` (the git folder included); the bytes of the index."""
    found: dict[str, bytes | None] = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = None
    found[".git/index"] = (root / ".git" / "index").read_bytes()
    return found


def every_path(hostile: Hostile, tmp_path: Path) -> dict[str, str]:
    """check, check --diff-base, fix --dry-run --diff-base, audit and index add on the fork: errors by step."""
    steps: dict[str, Callable[[], object]] = {
        "check": lambda: api.check([hostile.fork], use_catalog=False),
        "check --diff-base": lambda: api.check([hostile.fork], diff_base=hostile.base, use_catalog=False),
        "fix --dry-run --diff-base": lambda: api.fix(
            [hostile.fork], dry_run=True, diff_base=hostile.base, use_catalog=False
        ),
        "audit": lambda: api.audit(hostile.fork, [hostile.upstream], jobs=1, obligations=True),
        "index add": lambda: api.index_add(
            [UpstreamSpec("fork", hostile.fork.as_uri(), "MIT")], index_path=tmp_path / "index.sqlite3", jobs=1
        ),
    }
    errors = {}
    for name, step in steps.items():
        try:
            step()
        except api.UsageError as error:
            errors[name] = str(error)
    return errors


def assert_untouched(hostile: Hostile, before: dict[str, bytes | None]) -> None:
    assert not hostile.marker.exists(), "the repository's configuration ran a program"
    after = snapshot(hostile.fork)
    assert not (hostile.fork / ".git" / "index.lock").exists()
    assert sorted(set(after) - set(before)) == [], "new files in the repository"
    assert after[".git/index"] == before[".git/index"], "the repository's index was rewritten"


def attack_and_run(hostile: Hostile, tmp_path: Path) -> dict[str, str]:
    before = snapshot(hostile.fork)
    errors = every_path(hostile, tmp_path)
    assert_untouched(hostile, before)
    return errors


# ----------------------------------------------------------------------------- attribute-driven programs


def test_a_clean_filter_never_runs(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("filter.evil.clean", str(hostile.program))
    hostile.configure("filter.evil.required", "true")
    hostile.attributes("* filter=evil")
    assert attack_and_run(hostile, tmp_path) == {}


def test_a_smudge_filter_never_runs(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("filter.evil.smudge", str(hostile.program))
    hostile.attributes("* filter=evil")
    assert attack_and_run(hostile, tmp_path) == {}


def test_a_process_filter_never_runs(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("filter.evil.process", str(hostile.program))
    hostile.attributes("* filter=evil")
    assert attack_and_run(hostile, tmp_path) == {}


def test_a_textconv_driver_never_runs(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("diff.evil.textconv", str(hostile.program))
    hostile.attributes("* diff=evil")
    assert attack_and_run(hostile, tmp_path) == {}


def test_external_diffs_never_run(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("diff.external", str(hostile.program))
    hostile.configure("diff.evil.command", str(hostile.program))
    hostile.attributes("* diff=evil")
    assert attack_and_run(hostile, tmp_path) == {}


# ----------------------------------------------------------------------------- programs named by config


@pytest.mark.parametrize("setting", ["program", "true"])
def test_an_fsmonitor_never_runs(hostile: Hostile, tmp_path: Path, setting: str) -> None:
    hostile.configure("core.fsmonitor", str(hostile.program) if setting == "program" else "true")
    assert attack_and_run(hostile, tmp_path) == {}


def test_hooks_never_run(hostile: Hostile, tmp_path: Path) -> None:
    inside = hostile.fork / "tools" / "hooks"
    inside.mkdir(parents=True)
    for folder in (inside, hostile.fork / ".git" / "hooks"):
        for name in HOOK_NAMES:
            (folder / name).write_text(hostile.program.read_text(encoding="utf-8"), encoding="utf-8")
            (folder / name).chmod(0o755)
    errors = attack_and_run(hostile, tmp_path)  # the hooks in .git/hooks first
    hostile.configure("core.hooksPath", str(inside))
    assert errors == {} and attack_and_run(hostile, tmp_path) == {}


def test_pagers_never_run(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("core.pager", str(hostile.program))
    for command in GIT_COMMANDS:
        hostile.configure(f"pager.{command}", str(hostile.program))
    assert attack_and_run(hostile, tmp_path) == {}


def test_aliases_never_run(hostile: Hostile, tmp_path: Path) -> None:
    for command in (*GIT_COMMANDS, "x"):
        hostile.configure(f"alias.{command}", f"!{hostile.program}")
    assert attack_and_run(hostile, tmp_path) == {}


def test_a_signature_is_never_verified_with_the_repositorys_gpg(hostile: Hostile, tmp_path: Path) -> None:
    # The fork's newest commit carries a signature, so `git log` with log.showSignature would run gpg.program.
    head, _, message = git(hostile.fork, "cat-file", "commit", "HEAD").encode().partition(b"\n\n")
    signature = b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    signed = git(
        hostile.fork, "hash-object", "-t", "commit", "-w", "--stdin", stdin=head + b"\n" + signature + b"\n\n" + message
    )
    git(hostile.fork, "update-ref", "HEAD", signed)
    hostile.configure("log.showSignature", "true")
    for key in ("gpg.program", "gpg.openpgp.program", "gpg.x509.program", "gpg.ssh.program"):
        hostile.configure(key, str(hostile.program))
    assert attack_and_run(hostile, tmp_path) == {}


def test_the_upstreams_upload_pack_hook_never_runs_on_index_add(hostile: Hostile, tmp_path: Path) -> None:
    hostile.configure("uploadpack.packObjectsHook", str(hostile.program))
    assert attack_and_run(hostile, tmp_path) == {}


# ----------------------------------------------------------------------------- a partial clone's lazy fetch


def promise_a_missing_object(hostile: Hostile, url: str) -> None:
    """Make the fork a partial clone of ``url`` and drop the blob `git log --patch` of the vendored file needs,
    so a git that may fetch would fetch it (and run the ssh command, credential helper or askpass involved)."""
    blob = git(hostile.fork, "rev-parse", "HEAD:third_party/kit/model.py")
    (hostile.fork / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    for key, value in (
        ("core.repositoryFormatVersion", "1"),
        ("extensions.partialClone", "origin"),
        ("remote.origin.promisor", "true"),
        ("remote.origin.url", url),
    ):
        subprocess.run(["git", "config", "--file", str(hostile.fork / ".git" / "config"), key, value], check=True)


def test_an_ssh_command_never_runs(hostile: Hostile, tmp_path: Path) -> None:
    promise_a_missing_object(hostile, "ssh://lintml-test.invalid/kit.git")
    hostile.configure("core.sshCommand", str(hostile.program))
    errors = attack_and_run(hostile, tmp_path)
    # Only the clone for `index add` fails: the fork lacks an object and lintml will not fetch it.
    assert set(errors) <= {"index add"}


@pytest.fixture
def asks_for_a_password() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that answers every request with 401 (a git server wanting credentials)."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            requests.append(self.path)
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="kit"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/kit.git", requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("key", ["credential.helper", "core.askPass"])
def test_credential_helpers_and_askpass_never_run(
    hostile: Hostile, tmp_path: Path, asks_for_a_password: tuple[str, list[str]], key: str
) -> None:
    url, requests = asks_for_a_password
    promise_a_missing_object(hostile, url)
    hostile.configure(key, f"!{hostile.program}" if key == "credential.helper" else str(hostile.program))
    errors = attack_and_run(hostile, tmp_path)
    assert set(errors) <= {"index add"}
    assert requests == []  # no fetch was even tried


# ----------------------------------------------------------------------------- hangs


def run_cli(cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """lintml in a process of its own with a 3 s git timeout, itself bounded so a hang fails the test."""
    return run_lintml(cwd, *arguments, env={"LINTML_GIT_TIMEOUT": "3"}, timeout=120)


def assert_one_line_timeout(done: subprocess.CompletedProcess[str], repository: Path) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("lintml: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert str(repository) in done.stderr and "did not answer within 3 s" in done.stderr


@pytest.mark.parametrize("section", ["include", 'includeIf "gitdir:/"'])
def test_a_config_that_includes_a_fifo_ends_in_one_line(hostile: Hostile, section: str) -> None:
    os.mkfifo(hostile.fork / ".git" / "cfgfifo")
    with (hostile.fork / ".git" / "config").open("a", encoding="utf-8") as config:
        config.write(f"[{section}]\n\tpath = cfgfifo\n")
    before = snapshot(hostile.fork)
    fork, upstream, base = str(hostile.fork), str(hostile.upstream), hostile.base
    for arguments in (
        ("check", fork, "--no-catalog"),
        ("check", fork, "--no-catalog", "--diff-base", base),
        ("fix", fork, "--no-catalog", "--dry-run", "--diff-base", base),
        ("audit", fork, "--upstream", upstream, "--no-obligations"),
    ):
        assert_one_line_timeout(run_cli(hostile.fork.parent, *arguments), hostile.fork)
    assert_untouched(hostile, before)


def test_a_fifo_for_the_shallow_file_ends_in_one_line(hostile: Hostile) -> None:
    # `git log` reads .git/shallow (the vendored file's history), and so does lintml itself, for a hint.
    os.mkfifo(hostile.fork / ".git" / "shallow")
    assert_one_line_timeout(run_cli(hostile.fork, "check", ".", "--no-catalog"), hostile.fork)


# ----------------------------------------------------------------------------- clone transports


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% {marker}",
        "ext::sh -c touch% {marker}.git",
        "fd::3",
        "fd::3.git",
        "-uhttps://example.invalid/x.git",
    ],
)
def test_index_add_refuses_ext_fd_and_option_urls(tmp_path: Path, url: str) -> None:
    marker = tmp_path / "PWNED"
    source = url.format(marker=marker)
    index = tmp_path / "index.sqlite3"
    with pytest.raises(api.UsageError) as raised:
        api.index_add([UpstreamSpec("x", source, "MIT")], index_path=index)
    assert "\n" not in str(raised.value)
    done = subprocess.run(
        [sys.executable, "-m", "lintml.cli", "index", "add", "--index", str(index), "--", "x", source],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("lintml: error: ")]
    assert len(errors) == 1 and done.stderr.count("\n") <= 2, done.stderr  # "indexing ...", then the error
    assert not marker.exists() and not index.exists()


# ----------------------------------------------------------------------------- the index and the work tree


def test_the_index_is_never_rewritten(hostile: Hostile, tmp_path: Path) -> None:
    """No attack at all: git's own refresh of stat-dirty files would rewrite the index."""
    assert attack_and_run(hostile, tmp_path) == {}


def test_the_diff_base_is_read_from_the_work_tree_as_git_would(hostile: Hostile) -> None:
    """Stat-dirty files with their committed bytes are unchanged; committed, staged, unstaged and untracked
    edits count; a symlink counts by its text. An index entry beyond a symlinked folder (which git itself
    never writes) is not followed out of the repository: its file is neither read nor listed."""
    outside = hostile.fork.parent / "outside"
    write_tree(outside, {"secret.py": "s = 1\n"})
    (hostile.fork / "linked").symlink_to(outside, target_is_directory=True)
    (hostile.fork / "src" / "link.py").symlink_to("app.py")
    git(hostile.fork, "add", "src/link.py")
    other = git(hostile.fork, "hash-object", "-w", "--stdin", stdin=b"other\n")
    git(hostile.fork, "update-index", "--add", "--cacheinfo", f"100644,{other},linked/secret.py")
    since_base = ["linked", "src/app.py", "src/link.py", "src/staged.py", "src/untracked.py", "src/util.py"]
    assert changed_since(hostile.fork, hostile.base) == [*since_base, "third_party/kit/model.py"]
    assert changed_since(hostile.fork, "HEAD") == [
        "linked",
        "src/link.py",
        "src/staged.py",
        "src/untracked.py",
        "src/util.py",
    ]


def test_a_sha256_repository(tmp_path: Path) -> None:
    root = tmp_path / "sha256"
    git(tmp_path, "init", "--quiet", "--object-format=sha256", str(root))
    for key, value in (
        ("user.name", "lintml tests"),
        ("user.email", "tests@lintml.invalid"),
        ("commit.gpgsign", "false"),
    ):
        git(root, "config", key, value)
    write_tree(root, {"LICENSE": MIT_TEXT, "a.py": "a = 1\n", "b.py": "b = 1\n"})
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "initial")
    write_tree(root, {"b.py": "b = 2\n"})
    os.utime(root / "a.py", ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    assert api.check([root], diff_base="HEAD", use_catalog=False).files_checked == 1
