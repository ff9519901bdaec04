"""changed_after_added: which commit added a file and which later ones changed its code, on real repositories."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import git
import pytest

import lintml.git
from lintml.engine import _CachedHistory
from lintml.facts.cache import FILE_NAME, FactCache
from lintml.git import Commit, FileHistory, changed_after_added


class Repository:
    """A real git repository in a temporary folder, committed to with chosen dates and messages."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.repo = git.Repo.init(root)
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "lintml tests")
            config.set_value("user", "email", "tests@lintml.invalid")
            config.set_value("commit", "gpgsign", "false")

    def commit(
        self, message: str, date: str, files: dict[str, str | bytes] | None = None, remove: tuple[str, ...] = ()
    ) -> Commit:
        for name, content in (files or {}).items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        if files:
            self.repo.index.add(list(files))
        if remove:
            self.repo.index.remove(list(remove), working_tree=True)
        stamp = f"{date}T12:00:00"
        made = self.repo.index.commit(message, author_date=stamp, commit_date=stamp)
        return Commit(sha=made.hexsha, date=date, subject=message.splitlines()[0])


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    return Repository(tmp_path / "repo")


def test_code_changes_are_listed_oldest_first_and_a_header_is_not_one(repository: Repository) -> None:
    added = repository.commit("Add the model", "2026-01-05", {"model.py": "import torch\n\nx = 1\n"})
    repository.commit(
        "Add the license header",
        "2026-02-01",
        {"model.py": "# SPDX-License-Identifier: Apache-2.0\n# Modified from upstream\n\nimport torch\n\nx = 1\n"},
    )
    tuned = repository.commit(
        "Tune the learning rate\n\nA longer body.",
        "2026-03-01",
        {"model.py": "# SPDX-License-Identifier: Apache-2.0\n# Modified from upstream\n\nimport torch\n\nx = 2\n"},
    )
    fixed = repository.commit(
        "Fix the loss",
        "2026-04-10",
        {"model.py": "# SPDX-License-Identifier: Apache-2.0\n# Modified from upstream\n\nimport torch\n\nx = 3\n"},
    )

    histories = changed_after_added(repository.root, ["model.py"])

    assert histories == {"model.py": FileHistory(path="model.py", added=added, changes=(tuned, fixed))}
    history = histories["model.py"]
    assert history.added.subject == "Add the model"
    assert history.added.date == "2026-01-05"
    assert [change.subject for change in history.changes] == ["Tune the learning rate", "Fix the loss"]
    assert [change.date for change in history.changes] == ["2026-03-01", "2026-04-10"]
    assert len(history.added.sha) == 40
    assert history.added.short == history.added.sha[:7]


def test_a_file_given_only_a_header_and_a_docstring_has_no_changes(repository: Repository) -> None:
    added = repository.commit("Vendor the attention module", "2026-01-01", {"attention.py": "def f():\n    return 1\n"})
    repository.commit(
        "Add notices",
        "2026-01-02",
        {
            "attention.py": (
                "# Copyright 2020 The Upstream Authors.\n"
                "#\n"
                "# Licensed under the Apache License, Version 2.0\n"
                '"""Attention.\n'
                "\n"
                "Modified from upstream/attention.py: no code changes.\n"
                '"""\n'
                "\n"
                "def f():\n"
                "    return 1\n"
            )
        },
    )
    repository.commit(
        "One more note",
        "2026-01-03",
        {
            "attention.py": (
                "# Copyright 2020 The Upstream Authors.\n"
                "#\n"
                "# Licensed under the Apache License, Version 2.0\n"
                '"""Attention.\n'
                "\n"
                "Modified from upstream/attention.py: no code changes.\n"
                '"""\n'
                "\n"
                "\n"
                "def f():\n"
                '    """The value."""\n'
                "    return 1\n"
            )
        },
    )

    assert changed_after_added(repository.root, ["attention.py"]) == {
        "attention.py": FileHistory(path="attention.py", added=added, changes=())
    }


C_SOURCE = "int f(int *p) {\n  return 1;\n}\n"


@pytest.mark.parametrize(
    ("path", "before", "after", "changed"),
    [
        pytest.param(
            "kernel.c",
            C_SOURCE,
            "/*\n * Copyright 2026 Example\n   Modified by Example: notices only\n */\n" + C_SOURCE,
            False,
            id="c-block-comment",
        ),
        pytest.param("kernel.c", C_SOURCE, "/** Modified. */\n" + C_SOURCE, False, id="c-one-line-block"),
        pytest.param("kernel.cu", C_SOURCE, "// Modified from upstream\n\n" + C_SOURCE, False, id="cuda-line-comment"),
        pytest.param("kernel.c", C_SOURCE, C_SOURCE.replace("return 1", "return 2"), True, id="c-code"),
        pytest.param("kernel.c", C_SOURCE, C_SOURCE.replace("  return", "  *p = 0;\n  return"), True, id="c-deref"),
        pytest.param("kernel.c", C_SOURCE, C_SOURCE + "/* notice */ int g;\n", True, id="c-code-after-comment"),
        pytest.param("kernel.c", C_SOURCE, C_SOURCE + "int g; /* why */\n", True, id="c-comment-after-code"),
        pytest.param("model.py", "x = 1\n", "x = 1\n\n\n", False, id="py-blank-lines"),
        pytest.param("model.py", "x = 1\n", 'r"""Modified."""\nx = 1\n', False, id="py-docstring"),
        pytest.param("model.py", "x = 1\n", "x = 1  # tuned\n", True, id="py-trailing-comment"),
        pytest.param("model.py", "x = 1\n", 'x = 1\ny = """\ntext\n"""\n', True, id="py-string"),
        pytest.param("model.py", '"""Doc."""\n', '"""Doc.""";  x = 2\n', True, id="py-code-after-docstring"),
        pytest.param("run.sh", "echo hi\n", "#!/bin/sh\n# Modified\n\necho hi\n", False, id="shell-header"),
        pytest.param("README.md", "Hello\n", "<!--\nModified\n-->\nHello\n", False, id="markup-comment"),
        pytest.param("README.md", "Hello\n", "Hello there\n", True, id="markup-prose"),
    ],
)
def test_what_counts_as_a_change_to_the_code(
    repository: Repository, path: str, before: str, after: str, changed: bool
) -> None:
    repository.commit("Add", "2026-01-01", {path: before})
    edit = repository.commit("Edit", "2026-01-02", {path: after})

    history = changed_after_added(repository.root, [path])[path]

    assert history.changes == ((edit,) if changed else ())


def test_a_file_never_changed_and_an_untracked_one(repository: Repository) -> None:
    added = repository.commit("Add", "2026-01-01", {"a.py": "a = 1\n", "b.py": "b = 1\n"})
    repository.commit("Change b", "2026-01-02", {"b.py": "b = 2\n"})
    (repository.root / "untracked.py").write_text("u = 1\n", encoding="utf-8")
    (repository.root / "staged.py").write_text("s = 1\n", encoding="utf-8")
    repository.repo.index.add(["staged.py"])

    histories = changed_after_added(repository.root, ["a.py", "untracked.py", "staged.py", "missing.py"])

    assert histories == {"a.py": FileHistory(path="a.py", added=added, changes=())}


def test_a_folder_that_is_not_a_repository_gives_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n", encoding="utf-8")

    assert changed_after_added(tmp_path, ["a.py"]) == {}
    assert changed_after_added(tmp_path / "does-not-exist", ["a.py"]) == {}


def test_a_repository_without_commits_gives_nothing(repository: Repository) -> None:
    (repository.root / "a.py").write_text("a = 1\n", encoding="utf-8")

    assert changed_after_added(repository.root, ["a.py"]) == {}


def test_a_root_inside_the_work_tree_takes_paths_relative_to_it(repository: Repository) -> None:
    added = repository.commit(
        "Add", "2026-01-01", {"vendor/lib/ops.py": "y = 1\n", "ops.py": "z = 1\n", "vendor/ops.py": "w = 1\n"}
    )
    changed = repository.commit("Change", "2026-01-02", {"vendor/lib/ops.py": "y = 2\n", "ops.py": "z = 2\n"})

    histories = changed_after_added(repository.root / "vendor", ["lib/ops.py", "ops.py"])

    assert histories == {
        "lib/ops.py": FileHistory(path="lib/ops.py", added=added, changes=(changed,)),
        "ops.py": FileHistory(path="ops.py", added=added, changes=()),
    }


def test_paths_with_spaces_unicode_and_quotes(repository: Repository) -> None:
    names = ["my model.py", "modèle/réseau.py", 'say "hi".py', "tab\there.py", "star*.py"]
    added = repository.commit("Add", "2026-01-01", dict.fromkeys(names, "x = 1\n"))
    changed = repository.commit("Change", "2026-01-02", dict.fromkeys(names, "x = 2\n"))

    histories = changed_after_added(repository.root, [*names, "star.py"])

    assert histories == {name: FileHistory(path=name, added=added, changes=(changed,)) for name in names}


def test_a_file_deleted_and_added_again_counts_from_its_last_addition(repository: Repository) -> None:
    repository.commit("Add", "2026-01-01", {"a.py": "a = 1\n", "keep.py": "k = 1\n"})
    repository.commit("Change", "2026-01-02", {"a.py": "a = 2\n"})
    repository.commit("Delete", "2026-01-03", remove=("a.py",))
    again = repository.commit("Add again", "2026-01-04", {"a.py": "a = 3\n"})
    repository.commit("Delete keep", "2026-01-05", remove=("keep.py",))

    assert changed_after_added(repository.root, ["a.py", "keep.py"]) == {
        "a.py": FileHistory(path="a.py", added=again, changes=())
    }


def test_binary_files_and_odd_encodings(repository: Repository) -> None:
    repository.commit("Add", "2026-01-01", {"weights.bin": b"\x00\x01\x02", "latin.py": b"# caf\xe9\nx = 1\n"})
    changed = repository.commit("Change", "2026-01-02", {"weights.bin": b"\x00\x03", "latin.py": b"x = '\xe9'\n"})

    histories = changed_after_added(repository.root, ["weights.bin", "latin.py"])

    assert list(histories) == ["latin.py"]
    assert histories["latin.py"].changes == (changed,)


def test_many_paths_are_read_in_chunks(repository: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lintml.git, "PATHS_PER_CALL", 2)
    names = [f"m{number}.py" for number in range(5)]
    added = repository.commit("Add", "2026-01-01", dict.fromkeys(names, "x = 1\n"))
    changed = repository.commit("Change two", "2026-01-02", {"m1.py": "x = 2\n", "m4.py": "x = 2\n"})

    histories = changed_after_added(repository.root, names)

    assert histories == {
        name: FileHistory(path=name, added=added, changes=(changed,) if name in ("m1.py", "m4.py") else ())
        for name in names
    }


def test_a_shallow_clone_gives_no_evidence_from_its_oldest_commit(tmp_path: Path) -> None:
    upstream = Repository(tmp_path / "upstream")
    upstream.commit("Add a", "2026-01-01", {"a.py": "a = 1\n"})
    upstream.commit("Change a", "2026-01-02", {"a.py": "a = 2\n"})
    added = upstream.commit("Add b", "2026-01-03", {"b.py": "b = 1\n"})
    shallow = tmp_path / "shallow"
    git.Repo.clone_from(upstream.root.as_uri(), shallow, depth=2)

    assert changed_after_added(shallow, ["a.py", "b.py"]) == {"b.py": FileHistory(path="b.py", added=added, changes=())}


def test_the_scanned_repository_config_runs_nothing_and_changes_nothing(repository: Repository) -> None:
    added = repository.commit("Add", "2026-01-01", {"a.py": "a = 1\n", ".gitattributes": "*.py diff=evil\n"})
    changed = repository.commit("Change", "2026-01-02", {"a.py": "a = 2\n"})
    marker = repository.root.parent / "ran"
    script = repository.root.parent / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    script.chmod(0o755)
    with repository.repo.config_writer() as config:
        config.set_value("diff", "external", str(script))
        config.set_value("diff", "noprefix", "true")
        config.set_value('diff "evil"', "command", str(script))
        config.set_value('diff "evil"', "textconv", str(script))
        config.set_value("core", "fsmonitor", str(script))
        config.set_value("log", "showSignature", "true")
        config.set_value("gpg", "program", str(script))
        config.set_value("log", "showRoot", "false")
        config.set_value("log", "follow", "true")
        config.set_value("color", "ui", "always")

    assert changed_after_added(repository.root, ["a.py"]) == {
        "a.py": FileHistory(path="a.py", added=added, changes=(changed,))
    }
    assert not marker.exists()


# --- histories remembered by the commit they were read from ----------------------------------------------------


def _remembered(cache: FactCache) -> int:
    cache.close()
    with sqlite3.connect(cache.directory / FILE_NAME) as connection:  # type: ignore[operator]
        return int(connection.execute("SELECT count(*) FROM facts WHERE key LIKE 'history:%'").fetchone()[0])


def _without_trees(repository: Repository) -> None:
    """Delete every loose object but the commits: git still knows HEAD, but can no longer read any history."""
    objects = repository.root / ".git" / "objects"
    for folder in objects.iterdir():
        if len(folder.name) != 2:
            continue
        for item in folder.iterdir():
            if repository.repo.git.cat_file("-t", folder.name + item.name) != "commit":
                item.chmod(0o644)
                item.unlink()


def test_a_history_read_from_a_commit_is_recalled_from_the_cache(repository: Repository, tmp_path: Path) -> None:
    added = repository.commit("Add", "2026-01-05", {"model.py": "x = 1\n", "other.py": "y = 1\n"})
    changed = repository.commit("Change", "2026-02-05", {"model.py": "x = 2\n"})
    asked = ["model.py", "other.py", "never.py"]
    cache = FactCache(tmp_path / "cache")
    first = changed_after_added(repository.root, asked, _CachedHistory(cache, lambda: "attributes"))
    assert first["model.py"] == FileHistory("model.py", added, (changed,))
    assert set(first) == {"model.py", "other.py"}
    assert _remembered(cache) == 1  # one answer, to one question

    _without_trees(repository)
    assert changed_after_added(repository.root, ["model.py"]) == {}  # git alone cannot answer now
    cache = FactCache(tmp_path / "cache")
    assert changed_after_added(repository.root, asked, _CachedHistory(cache, lambda: "attributes")) == first
    # Another set of paths is another question (git simplifies history over the paths asked together), and
    # other attributes another answer: neither is taken from the cache.
    assert changed_after_added(repository.root, ["model.py"], _CachedHistory(cache, lambda: "attributes")) == {}
    assert changed_after_added(repository.root, asked, _CachedHistory(cache, lambda: "other attributes")) == {}
    cache.close()


def test_a_new_commit_is_read_from_git_again(repository: Repository, tmp_path: Path) -> None:
    added = repository.commit("Add", "2026-01-05", {"model.py": "x = 1\n"})
    cache = FactCache(tmp_path / "cache")
    assert changed_after_added(repository.root, ["model.py"], _CachedHistory(cache, lambda: "")) == {
        "model.py": FileHistory("model.py", added, ())
    }
    cache.close()
    changed = repository.commit("Change", "2026-02-05", {"model.py": "x = 2\n"})

    cache = FactCache(tmp_path / "cache")
    assert changed_after_added(repository.root, ["model.py"], _CachedHistory(cache, lambda: "")) == {
        "model.py": FileHistory("model.py", added, (changed,))
    }
    cache.close()


def test_history_is_the_commits_own_whatever_replace_refs_say(repository: Repository, tmp_path: Path) -> None:
    first = repository.commit("Add", "2026-01-05", {"model.py": "x = 1\n"})
    second = repository.commit("Change", "2026-02-05", {"model.py": "x = 2\n"})
    repository.repo.git.replace(second.sha, first.sha)  # git log would show "Add" where "Change" is
    cache = FactCache(tmp_path / "cache")
    histories = changed_after_added(repository.root, ["model.py"], _CachedHistory(cache, lambda: ""))
    assert histories == {"model.py": FileHistory("model.py", first, (second,))}
    cache.close()


def test_a_repository_with_grafts_is_not_remembered(repository: Repository, tmp_path: Path) -> None:
    repository.commit("Add", "2026-01-05", {"model.py": "x = 1\n"})
    second = repository.commit("Change", "2026-02-05", {"model.py": "x = 2\n"})
    (repository.root / ".git" / "info").mkdir(exist_ok=True)
    (repository.root / ".git" / "info" / "grafts").write_text(f"{second.sha}\n", encoding="utf-8")
    cache = FactCache(tmp_path / "cache")
    changed_after_added(repository.root, ["model.py"], _CachedHistory(cache, lambda: ""))
    assert _remembered(cache) == 0
