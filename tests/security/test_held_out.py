"""Attacks found by red-teaming the finished defences: one test per hole, each failing without its fix.

Every repository here is hostile in one more way than the other security tests try: the entry points
(the Action's install step, the pre-commit hook), the configuration files, the upstreams that are
indexed and audited, and the regular expressions that read a file's text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from lintml import api
from lintml.facts import scancode_adapter
from lintml.facts.cache import FactCache
from lintml.facts.extract import FactExtractor
from lintml.provenance.upstream import UpstreamSpec
from lintml.repository import PYTHON, RepoFile
from tests.helpers import GPL3_HEADER, MIT_TEXT, ROOT

# ----------------------------------------------------------------------------- entry points


def test_the_action_install_step_never_imports_the_checked_out_repository(tmp_path: Path) -> None:
    """`python -m` puts the current folder first on sys.path, and a step runs in the workspace: a pull
    request adding lintml/ or pip/ must not have its code run by the install step."""
    workspace = tmp_path / "workspace"
    marker = tmp_path / "PWNED"
    for package in ("lintml", "pip"):
        (workspace / package).mkdir(parents=True)
        (workspace / package / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('{package}')\n")
        (workspace / package / "cli.py").write_text("")
    steps = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
    (install,) = [step for step in steps if step.get("name") == "Install lintml"]
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GITHUB_ACTION_PATH": str(ROOT),
        "INPUT_VERSION": "none",
    }
    done = subprocess.run(
        ["bash", "-c", install["run"]], cwd=workspace, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "lintml, version" in done.stdout
    assert not marker.exists()


def test_the_changed_files_hook_passes_names_that_look_like_options_as_files(make_repo: Callable[..., Path]) -> None:
    """pre-commit runs ``entry + args + staged files``: a staged ``-o.py`` would write the report into the
    repository, ``--root=..`` would check the folder above it. The command is built here exactly as
    pre-commit builds it from .pre-commit-hooks.yaml (tests/front_ends/test_precommit.py runs pre-commit itself)."""
    hostile = ["-o.py", "--root=..", "--output=setup.py", "--debug"]
    root = make_repo({"LICENSE": MIT_TEXT, "setup.py": "from setuptools import setup\nsetup()\n"})
    for name in hostile:
        (root / name).write_text(GPL3_HEADER + "x = 1\n", encoding="utf-8")
    (root.parent / "outside.py").write_text(GPL3_HEADER.replace("Someone Else", "OUTSIDER") + "y = 2\n")
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["lintml-changed"]
    entry = hook["entry"].split()
    assert entry[0] == "lintml"
    command = [sys.executable, "-m", "lintml.cli", *entry[1:], *hook.get("args", []), *hostile]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert not (root / ".py").exists()
    assert (root / "setup.py").read_text() == "from setuptools import setup\nsetup()\n"
    assert "OUTSIDER" not in done.stdout and "outside.py" not in done.stdout
    lines = done.stdout.splitlines()
    (at,) = [number for number, line in enumerate(lines) if "license-conflict" in line]
    conflict = lines[at]
    (also,) = [line for line in lines[at + 1 : at + 4] if line.startswith("    also: ")]
    # The code files among them, checked as files (one license of one holder: one finding naming both).
    assert {conflict.split(":", 1)[0], also.removeprefix("    also: ")} == {"-o.py", "--output=setup.py"}


# ----------------------------------------------------------------------------- containment of what is read


def _lintml(cwd: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command, bounded: a hang fails the test instead of stalling the suite."""
    return subprocess.run(
        [sys.executable, "-m", "lintml.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_a_gitignore_that_is_a_fifo_or_a_link_out_is_not_read(tmp_path: Path) -> None:
    """Outside git, lintml reads .gitignore files itself: a FIFO made every check wait forever, and a link
    out of the tree was read (here it would hide every .py file)."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "patterns").write_text("*.py\n")
    root = tmp_path / "project"
    (root / "sub").mkdir(parents=True)
    (root / "LICENSE").write_text(MIT_TEXT)
    (root / "ops.py").write_text(GPL3_HEADER + "x = 1\n")
    (root / ".gitignore").symlink_to(tmp_path / "elsewhere" / "patterns")
    os.mkfifo(root / "sub" / ".gitignore")
    done = _lintml(root, "check", timeout=60)
    assert done.returncode == 1, done.stderr
    assert "ops.py:" in done.stdout and "license-conflict" in done.stdout


def test_patterns_from_the_repository_match_in_linear_time(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """``*a*a*a*a*a*a*a*a*a*a*a*ab`` took 73 s against one 120-character path in Python's backtracking
    ``re``; here .gitignore (outside git), ``exclude:`` and ``per-path-ignores:`` each carry such lines
    and the files have long names of ``a``. A line too long to be a path is left out of a .gitignore
    and is a configuration error in ``exclude:``."""
    hostile = ["*a" * 12 + "b", "**/" + "*a*a*a/**/" * 4 + "b", "*" + "?*" * 20 + "b"]
    name = "/".join(["a" * 200] * 3) + ".py"
    root = tmp_path / "project"
    (root / name).parent.mkdir(parents=True)
    (root / name).write_text(GPL3_HEADER + "x = 1\n")
    (root / "LICENSE").write_text(MIT_TEXT)
    (root / "ignored.py").write_text(GPL3_HEADER + "y = 2\n")
    (root / ".gitignore").write_text("\n".join([*hostile, "x" * 5000, "ignored.py"]) + "\n")
    done = _lintml(root, "check", "--format", "json", timeout=60)
    assert done.returncode == 1, done.stderr
    flagged = {finding["path"] for finding in json.loads(done.stdout)["findings"]}
    assert name in flagged and "ignored.py" not in flagged
    config = {"exclude": hostile, "per-path-ignores": {pattern: ["license-conflict"] for pattern in hostile}}
    repo = make_repo({"LICENSE": MIT_TEXT, name: GPL3_HEADER + "x = 1\n", ".lintml.yaml": yaml.safe_dump(config)})
    done = _lintml(repo, "check", "--format", "json", timeout=60)
    assert done.returncode == 1, done.stderr
    assert name in {finding["path"] for finding in json.loads(done.stdout)["findings"]}
    (repo / ".lintml.yaml").write_text(yaml.safe_dump({"exclude": ["x" * 5000]}))
    done = _lintml(repo, "check", timeout=60)
    assert done.returncode == 2 and "'exclude'" in done.stderr and "longer than 4096" in done.stderr


def test_a_file_that_became_a_fifo_after_the_listing_is_refused_not_waited_on(tmp_path: Path) -> None:
    script = """
import os, sys
from pathlib import Path
from lintml.repository import DiskSource
root = Path(sys.argv[1])
source = DiskSource(root, use_git=False)
assert [item.path for item in source.files()] == ["ops.py"]
os.unlink(root / "ops.py")
os.mkfifo(root / "ops.py")
try:
    source.read("ops.py")
except OSError as error:
    print("refused:", error.strerror)
"""
    (tmp_path / "ops.py").write_text("x = 1\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "refused: not a regular file", done.stderr


def test_a_configuration_linked_out_of_the_repository_is_refused(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    outside = tmp_path / "home-config.yaml"
    outside.write_text("select: [SECRET-FROM-OUTSIDE]\n")  # quoted back by the error, were it read
    root = make_repo({"LICENSE": MIT_TEXT, "main.py": "x = 1\n"})
    (root / ".lintml.yaml").symlink_to(outside)
    done = _lintml(root, "check")
    assert done.returncode == 2
    assert "SECRET-FROM-OUTSIDE" not in done.stderr
    assert done.stderr.strip().endswith(
        f".lintml.yaml is a symbolic link to {outside}, outside the repository: not read"
    )
    # Named with --config, it is refused all the same.
    named = _lintml(root, "check", "--config", ".lintml.yaml")
    assert (
        named.returncode == 2 and "SECRET-FROM-OUTSIDE" not in named.stderr and "outside the repository" in named.stderr
    )


def test_upstream_indexes_a_repository_names_must_lie_in_it(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """An index is opened and read (and its errors quoted): a repository must not make lintml open the user's files."""
    secret = tmp_path / "secret.sqlite3"
    secret.write_text("not a database\n")
    root = make_repo({"LICENSE": MIT_TEXT, "main.py": "x = 1\n"})
    (root / "linked.sqlite3").symlink_to(secret)
    named = {
        "an absolute path": str(secret),
        "a path that climbs out": f"../{secret.name}",
        "a link out": "linked.sqlite3",
    }
    for how, upstream in named.items():
        (root / ".lintml.yaml").write_text(f"upstreams: ['{upstream}']\n")
        done = _lintml(root, "check")
        assert done.returncode == 2, how
        assert "lies outside the repository" in done.stderr and "not a database" not in done.stderr, how
    (root / "team.yaml").write_text(f"upstreams: ['{secret}']\n")
    named_config = _lintml(root, "check", "--config", "team.yaml")
    assert named_config.returncode == 2 and "lies outside the repository" in named_config.stderr
    # The user's own configuration, outside the repository, may name any index.
    (tmp_path / "mine.yaml").write_text(f"upstreams: ['{secret}']\n")
    mine = _lintml(root, "check", "--config", str(tmp_path / "mine.yaml"))
    assert mine.returncode == 2 and "not a lintml index" in mine.stderr


def _finishes(code: str, timeout: float = 60) -> str:
    """Run ``code`` in a fresh interpreter and give its output; a catastrophic pattern fails it by timing out."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sizes_and_tool_tables_are_found_in_linear_time(tmp_path: Path) -> None:
    """A configuration value of a digit, 200,000 blanks and a letter, and a pyproject.toml of 300,000 blank
    lines, each took minutes in a pattern that could split one run of blanks two ways."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("\n" * 300_000 + "[project]\nname = 'x'\nlicense = 'MIT'\n")
    code = f"""
from pathlib import Path
from lintml.config import find_config, parse_size
from lintml.facts.declared import from_pyproject
print(parse_size("1" + " " * 200_000 + "x"), parse_size(" 2 MB "))
print(find_config(Path({str(tmp_path)!r})))
print(from_pyproject(Path({str(tmp_path / "pyproject.toml")!r}).read_text())[0][0].line)
"""
    assert _finishes(code).split() == ["None", str(2 * 1024 * 1024), "None", "300003"]


def test_numbers_python_will_not_convert_are_configuration_errors(make_repo: Callable[..., Path]) -> None:
    huge = "9" * 5000  # past sys.get_int_max_str_digits(): int() raises ValueError, not the parsers' own errors
    root = make_repo({"LICENSE": MIT_TEXT, "pyproject.toml": f"[tool.lintml]\nmax-file-size = {huge}\n"})
    done = _lintml(root, "check")
    assert done.returncode == 2 and "internal error" not in done.stderr
    assert "pyproject.toml: not valid TOML: Exceeds the limit" in done.stderr
    (root / "pyproject.toml").write_text(f"[project]\nname = 'x'\nversion = {huge}\n")
    manifest = _lintml(root, "check", "--format", "json")
    assert manifest.returncode in (0, 1) and "internal error" not in manifest.stderr


# ----------------------------------------------------------------------------- lintml's own patterns on hostile text


def test_suppressions_change_notes_and_spdx_tags_are_read_in_linear_time() -> None:
    """Each of these took minutes (a line of unclosed ``lintml:ignore[``, lines of a comment marker and
    blanks, SPDX tags each counted from the top of the file) where the whole fits in max-file-size."""
    code = """
from lintml.facts.headers import change_notes, comment_syntax, find_suppressions, spdx_tags
python = comment_syntax("x.py")
print(len(find_suppressions("# lintml:ignore[" * 120_000 + "\\n", python).lines))
print(len(change_notes("# the changes\\n" + ("#" + " " * 398 + "x\\n") * 5_000, python)))
tags = spdx_tags("# SPDX-License-Identifier: MIT\\n" * 200_000)
print(len(tags), tags[-1].line)
"""
    assert _finishes(code).split() == ["120000", "0", "200000", "200000"]


def test_copyright_lines_are_read_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """scancode's copyright grammar reads a long line slowly (about 16 s per MB): a file of max-file-size
    holding two long lines of names took 28 s, and a repository of such files as many times that. Each
    line is read up to 1,000 characters (what bounds the time, asserted here without a clock); the real
    statement above them is still found."""
    read: list[int] = []  # the length of every line given to scancode's grammar
    detect = scancode_adapter.detect_copyrights

    def reading(lines: Sequence[tuple[int, str]]) -> tuple[scancode_adapter.Copyright, ...]:
        read.extend(len(text) for _, text in lines)
        return detect(lines)

    monkeypatch.setattr(scancode_adapter, "detect_copyrights", reading)
    long_names = "# Copyright (c) 2020 " + " ".join(f"Name{i} Inc," for i in range(60_000))
    text = "# Copyright (c) 2021 Real Holder Ltd.\n" + (long_names + "\n") * 2 + "x = 1\n"
    data = text.encode()
    assert len(data) > 1_700_000
    facts = FactExtractor(FactCache(None)).facts(RepoFile("big.py", PYTHON, len(data)), data)
    assert [line.line for line in facts.copyrights if "2021 Real" in line.statement] == [1]
    assert read and max(read) <= 1_000


def test_runs_of_adjacent_string_literals_are_joined_in_linear_time() -> None:
    """The fingerprinter joins adjacent literals into one; adding each to the last copied the run so far,
    so an unterminated triple quote followed by 1,000,000 escapes (2 MB, pygments gives one string token
    per escape) took about 40 s. Implicitly concatenated Python literals are still one literal."""
    code = """
from lintml.provenance.normalize import STRING, normalize
stream = normalize("hostile.py", '\"\"\"' + "\\\\'" * 2_000_000 + "\\n")
print(stream.symbols.count(STRING), len(max(stream.texts, key=len)) >= 4_000_000)
wrapped = normalize("ok.py", 'x = ("a"\\n     "b" "c")\\ny = "d"\\n')
print([text for symbol, text in zip(wrapped.symbols, wrapped.texts) if symbol == STRING])
"""
    # A hang guard, not a speed assert: linear, this takes a few seconds; quadratic, 2,000,000 escapes take
    # about 160 s (1,000,000 took 40 s), past the 120 s guard whatever else the machine is doing.
    assert _finishes(code, timeout=120).split() == ["1", "True", "['abc',", "'d']"]


def test_a_module_of_blank_lines_beside_a_config_that_names_custom_code(make_repo: Callable[..., Path]) -> None:
    """model_code_residue looks for the classes a config's auto_map names in the .py files beside it."""
    config = '{"model_type": "x", "auto_map": {"AutoModel": "modeling_x.XModel"}}'
    root = make_repo({"LICENSE": MIT_TEXT, "m/config.json": config, "m/modeling_x.py": "\n" * 1_900_000})
    done = _lintml(root, "check", "--format", "json", timeout=90)
    assert done.returncode in (0, 1), done.stderr
    assert "XModel" in done.stdout  # reported as missing: no such class is defined there


def test_spdx_expressions_that_nest_deep_or_multiply_out_are_judged_unknown(make_repo: Callable[..., Path]) -> None:
    """A tag nested 20,000 deep overflowed the expression parser's recursion (internal error, exit 2); 26
    terms of (MIT OR BSD-2-Clause) joined with AND are 67 million ways to satisfy the license (a hang)."""
    tags = {
        "nested.py": "MIT AND (" * 20_000 + "MIT" + ")" * 20_000,
        "multiplied.py": " AND ".join(["(MIT OR BSD-2-Clause)"] * 26),
        "long.py": " OR ".join(["MIT"] * 30_000),
    }
    files = {name: f"# SPDX-License-Identifier: {tag}\nx = 1\n" for name, tag in tags.items()}
    root = make_repo({"LICENSE": MIT_TEXT, **files})
    done = _lintml(root, "check", "--format", "json", timeout=90)
    assert done.returncode in (0, 1), done.stderr
    assert "internal error" not in done.stderr


# ----------------------------------------------------------------------------- values the YAML constructors reject


def test_yaml_values_the_constructors_reject_are_findings_or_configuration_errors(
    make_repo: Callable[..., Path],
) -> None:
    """A date that does not exist and an integer of 5,000 digits make PyYAML's safe constructors raise
    ValueError (not YAMLError), and ``!!set`` builds a set JSON cannot hold: each was an internal error."""
    values = {"a date that does not exist": "2024-02-30", "a huge integer": "9" * 5000, "a set": "!!set {a, b}"}
    for how, value in values.items():
        card = f"---\nlicense: mit\nreleased: {value}\n---\n# model\n"
        root = make_repo({"LICENSE": MIT_TEXT, "README.md": card, "m/README.md": card}, name=f"card-{len(value)}")
        done = _lintml(root, "check", "--format", "json")
        assert done.returncode in (0, 1) and "internal error" not in done.stderr, how
        (root / ".lintml.yaml").write_text(f"fail-on: warning\nmax-file-size: {value}\n")
        configured = _lintml(root, "check")
        assert configured.returncode == 2 and "internal error" not in configured.stderr, how
        assert ".lintml.yaml: " in configured.stderr, how
    root = make_repo({"LICENSE": MIT_TEXT, "README.md": "---\nlicense: mit\nreleased: 2024-02-30\n---\n"})
    findings = json.loads(_lintml(root, "check", "--format", "json").stdout)["findings"]
    said = {(finding["path"], finding["rule"]): finding["message"] for finding in findings}
    assert (
        "front matter is not valid YAML: day is out of range for month"
        in said[("README.md", "model-card-front-matter")]
    )


# ----------------------------------------------------------------------------- upstreams: index add and audit

UPSTREAM_CODE = (ROOT / "examples" / "upstreams" / "minivlm" / "minivlm" / "resampler.py").read_text(encoding="utf-8")


def _upstream(folder: Path) -> Path:
    (folder / "pkg").mkdir(parents=True)
    (folder / "pkg" / "resampler.py").write_text(UPSTREAM_CODE, encoding="utf-8")
    return folder


def test_an_upstreams_metadata_files_linked_out_of_it_are_not_read(tmp_path: Path) -> None:
    """The upstream's NOTICE is recorded in the index, shown by `index info`, and written by `lintml fix`
    into the NOTICE of every repository that copies from it: linked to a file of the user's, it was."""
    secret = tmp_path / "secret"
    (secret / "x.dist-info").mkdir(parents=True)
    (secret / "passwd").write_text("root:x:0:0:SECRET-LINE:/root:/bin/bash\n")
    (secret / "pyproject.toml").write_text("[project]\nversion = 'SECRET-VERSION'\ndependencies = ['secretdep']\n")
    (secret / "x.dist-info" / "METADATA").write_text("Name: x\nVersion: SECRET-VERSION\nRequires-Dist: secretdep\n")
    upstream = _upstream(tmp_path / "upstream")
    (upstream / "NOTICE").symlink_to(secret / "passwd")
    (upstream / "PKG-INFO").symlink_to(secret / "passwd")
    (upstream / "pyproject.toml").symlink_to(secret / "pyproject.toml")
    (upstream / "pkg-1.0.dist-info").symlink_to(secret / "x.dist-info", target_is_directory=True)
    (upstream / "NOTICE.txt").symlink_to("/dev/zero")
    index = tmp_path / "index.sqlite3"
    (project,) = api.index_add([UpstreamSpec("up", str(upstream))], index_path=index)
    recorded, _ = api.index_info("up", index_path=index)
    for seen in (project, recorded):
        assert seen.notice is None
        assert "SECRET" not in repr(seen) and "secretdep" not in seen.requires


def test_an_upstream_whose_metadata_will_not_parse_is_indexed_without_it(tmp_path: Path) -> None:
    upstream = _upstream(tmp_path / "upstream")
    for pyproject in ("a = " + "[" * 100_000 + "]" * 100_000 + "\n", "[project]\nversion = " + "9" * 5000 + "\n"):
        (upstream / "pyproject.toml").write_text(pyproject)
        (project,) = api.index_add([UpstreamSpec("up", str(upstream))], index_path=tmp_path / "index.sqlite3")
        assert project.version is None


def test_an_upstream_file_whose_name_is_not_utf8_is_indexed_under_an_escaped_name(tmp_path: Path) -> None:
    """SQLite holds text as UTF-8: the name's undecodable bytes stopped `index add` and every audit."""
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    (upstream / os.fsdecode(b"bad\xffname.py")).write_text(UPSTREAM_CODE, encoding="utf-8")
    index = tmp_path / "index.sqlite3"
    api.index_add([UpstreamSpec("up", str(upstream))], index_path=index)
    _, paths = api.index_info("up", index_path=index)
    assert paths == ["bad\\xffname.py"]
    audited = api.audit(str(upstream), [f"up={upstream}"], obligations=False)
    assert [pair.kind for pair in audited.report.files] == ["identical"]


def test_an_audit_reads_each_file_bounded(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """A fork's code file of 1 TB (sparse) was read whole for the summary: out of memory, exit 2."""
    fork = make_repo({"LICENSE": MIT_TEXT, "main.py": "x = 1\n"}, name="fork")
    with open(fork / "huge.py", "wb") as handle:
        handle.truncate(1 << 40)
    done = _lintml(tmp_path, "audit", str(fork), "--upstream", str(_upstream(tmp_path / "up")), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert {record["path"]: record["kind"] for record in json.loads(done.stdout)["files"]}["huge.py"] == "new"


def test_an_audit_compares_texts_in_bounded_time(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    """A text file and its upstream namesake of 200,000 repeated lines made difflib run for hours."""
    repeated = "abcdefgh\n" * 200_000  # under max-file-size
    fork = make_repo({"LICENSE": MIT_TEXT, "notes.txt": repeated + "fork\n"}, name="fork")
    upstream = _upstream(tmp_path / "upstream")
    (upstream / "notes.txt").write_text(repeated + "upstream\n")
    done = _lintml(tmp_path, "audit", str(fork), "--upstream", str(upstream), "--format", "json", timeout=120)
    assert done.returncode == 0, done.stderr
    assert "notes.txt" in {record["path"] for record in json.loads(done.stdout)["files"]}


# ----------------------------------------------------------------------------- resources


def test_forty_thousand_model_folders_are_found_in_linear_time() -> None:
    """The files under each model folder were found by a pass over every file of the repository: 20,000
    folders took over a minute there alone (a check of 10,000 took 160 s, 35 s now)."""
    code = """
from lintml.models.folder import model_folders
from lintml.repository import RepoFile, classify
files = [
    RepoFile(path, classify(path, b"---"), 10)
    for number in range(40_000)
    for path in (f"m{number:05d}/config.json", f"m{number:05d}/README.md", f"m{number:05d}/model.safetensors")
]
found = model_folders(files)
print(len(found), found[7].files)
"""
    # A hang guard, not a speed assert: linear, this takes a second or two; the quadratic pass took over a
    # minute for 20,000 folders, four times that for these 40,000, past the 120 s guard.
    count, files = _finishes(code, timeout=120).split(" ", 1)
    assert count == "40000"
    assert files.strip() == "('m00007/README.md', 'm00007/config.json', 'm00007/model.safetensors')"


def test_the_action_check_ends_any_failure_with_one_line_and_exit_2(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """Only lintml's own errors were caught: anything else (here the SARIF log cannot be written) was a
    traceback and exit code 1, which reads as "findings"."""
    root = make_repo({"LICENSE": MIT_TEXT, "main.py": "x = 1\n"})
    (tmp_path / "a-file").write_text("")
    sarif = tmp_path / "a-file" / "lintml.sarif"
    script = ROOT / "scripts" / "action" / "check.py"
    done = subprocess.run(
        [sys.executable, str(script), "--sarif", str(sarif)], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stdout.splitlines() == [f"::error title=lintml::{sarif.parent}: File exists"]  # mkdir says so
