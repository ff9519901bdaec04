"""`lintml check --diff-base REF`: only the files a branch changed, plus the repository-level rules.

Every test builds a real git repository: a base branch, a feature branch off it, and changes
committed, staged, left unstaged or untracked, renamed and deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import git
import pytest

from lintml import api
from lintml.git import RevisionError, changed_since
from tests.helpers import GPL3_HEADER, MIT_TEXT, invoke_lintml, write_tree

MIT_FILE = "# SPDX-License-Identifier: MIT\nvalue = {}\n"
# pyproject.toml says Apache-2.0 while LICENSE is MIT: a license-mismatch about the whole
# repository, reported whichever files are checked.
PYPROJECT = '[project]\nname = "many"\nversion = "1.0"\nlicense = "Apache-2.0"\n'


def many_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {f"pkg/mod_{number:02}.py": MIT_FILE.format(number) for number in range(30)}
    files["LICENSE"] = MIT_TEXT
    files["pyproject.toml"] = PYPROJECT
    files["pkg/old_gpl.py"] = GPL3_HEADER + "old = 1\n"  # a conflict the branch did not bring in
    return files


def branch(root: Path) -> tuple[git.Repo, str]:
    """The repository at ``root`` on a new branch ``feature``; the name of the branch it left."""
    repo = git.Repo(root)
    base = repo.active_branch.name
    repo.git.checkout("-b", "feature")
    return repo, base


def commit(repo: git.Repo, files: dict[str, str | bytes], message: str) -> None:
    write_tree(Path(repo.working_tree_dir or "."), files)
    repo.index.add(list(files))
    repo.index.commit(message)


def reported(result: api.CheckResult) -> set[tuple[str, str]]:
    """(rule, path) of every file a finding is about, those it names as owing the same (related) included."""
    return {(finding.rule, path) for finding in result.findings for path in (finding.path, *finding.related)}


def paths(result: api.CheckResult) -> set[str]:
    return {path for finding in result.findings for path in (finding.path, *finding.related)}


def test_only_the_three_changed_files_and_the_repository_rules(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    repo, base = branch(root)
    commit(repo, {"pkg/mod_01.py": GPL3_HEADER + "x = 1\n", "pkg/mod_02.py": MIT_FILE.format("two")}, "edit two")
    commit(repo, {"pkg/new_gpl.py": GPL3_HEADER + "y = 2\n"}, "add one")
    # The base branch moves on after the branch point: its own change is not the branch's.
    repo.git.checkout(base)
    commit(repo, {"pkg/mod_09.py": GPL3_HEADER + "z = 3\n"}, "on the base branch only")
    repo.git.checkout("feature")

    assert changed_since(root, base) == ["pkg/mod_01.py", "pkg/mod_02.py", "pkg/new_gpl.py"]
    result = api.check([root], diff_base=base, use_catalog=False)
    assert result.files_checked == 3
    # GPL code in an MIT project: a license-conflict, and a license-text for the GPL's missing text.
    assert paths(result) == {"pkg/mod_01.py", "pkg/new_gpl.py", "pyproject.toml"}
    assert {("license-conflict", "pkg/mod_01.py"), ("license-conflict", "pkg/new_gpl.py")} <= reported(result)
    assert ("license-mismatch", "pyproject.toml") in reported(result)
    # The whole repository has one more conflict, in a file the branch did not touch.
    assert ("license-conflict", "pkg/old_gpl.py") in reported(api.check([root], use_catalog=False))


def test_work_tree_changes_count_and_ignored_files_do_not(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**many_files(), ".gitignore": "*.log\nbuild/\n"})
    repo, base = branch(root)
    commit(repo, {"pkg/committed.py": MIT_FILE.format(1)}, "committed")
    write_tree(root, {"pkg/staged.py": GPL3_HEADER + "s = 1\n"})
    repo.index.add(["pkg/staged.py"])
    write_tree(root, {"pkg/mod_03.py": GPL3_HEADER + "u = 1\n"})  # unstaged edit of a tracked file
    write_tree(root, {"pkg/untracked.py": MIT_FILE.format(2), "debug.log": "x", "build/gpl.py": GPL3_HEADER})

    assert changed_since(root, base) == ["pkg/committed.py", "pkg/mod_03.py", "pkg/staged.py", "pkg/untracked.py"]
    result = api.check([root], diff_base=base, use_catalog=False)
    assert result.files_checked == 4
    assert {path for rule, path in reported(result) if rule == "license-conflict"} == {
        "pkg/mod_03.py",
        "pkg/staged.py",
    }


def test_a_renamed_file_is_checked_under_its_new_path(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    repo, base = branch(root)
    repo.git.mv("pkg/old_gpl.py", "pkg/moved_gpl.py")
    repo.index.commit("move")
    repo.git.mv("pkg/mod_04.py", "pkg/staged_move.py")  # staged, not committed

    assert changed_since(root, base) == ["pkg/moved_gpl.py", "pkg/staged_move.py"]
    result = api.check([root], diff_base=base, use_catalog=False)
    assert ("license-conflict", "pkg/moved_gpl.py") in reported(result)
    assert not {path for _, path in reported(result)} & {"pkg/old_gpl.py", "pkg/mod_04.py"}


def test_deleted_files_are_left_out(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    repo, base = branch(root)
    repo.git.rm("pkg/old_gpl.py")
    repo.index.commit("delete")
    (root / "pkg/mod_05.py").unlink()  # deleted in the work tree only
    commit(repo, {"pkg/mod_06.py": MIT_FILE.format("six")}, "edit")

    assert changed_since(root, base) == ["pkg/mod_06.py"]
    result = api.check([root], diff_base=base, use_catalog=False)
    assert result.files_checked == 1
    assert reported(result) == {("license-mismatch", "pyproject.toml")}


def test_nothing_changed_still_runs_the_repository_rules(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    result = api.check([root], diff_base="HEAD", use_catalog=False)
    assert result.files_checked == 0
    assert reported(result) == {("license-mismatch", "pyproject.toml")}


def test_paths_and_diff_base_intersect(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**many_files(), "tools/gpl_tool.py": "x = 1\n"})
    repo, base = branch(root)
    commit(repo, {"pkg/mod_01.py": GPL3_HEADER + "x = 1\n", "tools/gpl_tool.py": GPL3_HEADER + "x = 2\n"}, "edit")

    only_pkg = api.check([root / "pkg"], diff_base=base, use_catalog=False)
    assert only_pkg.files_checked == 1
    assert {path for rule, path in reported(only_pkg) if rule == "license-conflict"} == {"pkg/mod_01.py"}
    # A file named but not changed is not checked; a changed one is.
    named = api.check([root / "pkg/mod_01.py", root / "pkg/mod_07.py"], diff_base=base, use_catalog=False)
    assert named.files_checked == 1


def test_excluded_files_stay_excluded(make_repo: Callable[..., Path]) -> None:
    root = make_repo({**many_files(), ".lintml.yaml": "exclude: ['vendor/**']\n"})
    repo, base = branch(root)
    commit(repo, {"vendor/gpl.py": GPL3_HEADER + "x = 1\n", "pkg/mod_01.py": MIT_FILE.format("one")}, "vendor")

    result = api.check([root], diff_base=base, use_catalog=False)
    assert result.files_checked == 1
    assert not any(path.startswith("vendor/") for _, path in reported(result))


def test_a_project_in_a_subfolder_of_the_work_tree(make_repo: Callable[..., Path]) -> None:
    root = make_repo({"README.md": "top\n", "proj/LICENSE": MIT_TEXT, "proj/a.py": MIT_FILE.format(1)})
    repo, base = branch(root)
    commit(repo, {"proj/a.py": GPL3_HEADER + "x = 1\n", "other/b.py": GPL3_HEADER}, "edit")

    assert changed_since(root / "proj", base) == ["a.py"]
    result = api.check([root / "proj"], diff_base=base, use_catalog=False)
    assert ("license-conflict", "a.py") in reported(result)
    assert paths(result) == {"a.py"}


def test_the_command_line(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    repo, base = branch(root)
    commit(repo, {"pkg/mod_01.py": GPL3_HEADER + "x = 1\n"}, "edit")

    done = invoke_lintml(root, "check", "--diff-base", base, "--no-catalog", "--format", "json")
    assert done.returncode == 1, done.stderr
    assert '"path": "pkg/mod_01.py"' in done.stdout and "pkg/old_gpl.py" not in done.stdout

    help_text = invoke_lintml(root, "check", "--help").stdout
    assert "--diff-base REF" in help_text


def test_an_unknown_ref_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    done = invoke_lintml(root, "check", "--diff-base", "no-such-branch")
    assert done.returncode == 2
    assert done.stderr.strip() == "lintml: error: no-such-branch: no such commit, branch or tag"
    assert done.stdout == ""
    fix = invoke_lintml(root, "fix", "--dry-run", "--diff-base", "no-such-branch")
    assert fix.returncode == 2 and "no such commit, branch or tag" in fix.stderr

    for ref in ("--all", "-x", " "):
        with pytest.raises(RevisionError, match="no such commit, branch or tag"):
            changed_since(root, ref)


def test_outside_a_git_work_tree_is_a_usage_error(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write_tree(root, {"LICENSE": MIT_TEXT, "a.py": "x = 1\n"})
    done = invoke_lintml(root, "check", "--diff-base", "main")
    assert done.returncode == 2
    assert done.stderr.startswith("lintml: error: ") and "not in a git work tree" in done.stderr
    assert done.stderr.count("\n") == 1


def test_history_shared_with_nothing_is_a_usage_error(make_repo: Callable[..., Path]) -> None:
    root = make_repo(many_files())
    repo = git.Repo(root)
    repo.git.checkout("--orphan", "unrelated")
    repo.index.commit("a root of its own")
    base = next(head.name for head in repo.heads if head.name != "unrelated")
    with pytest.raises(api.UsageError, match="no common history with HEAD"):
        api.check([root], diff_base=base, use_catalog=False)
