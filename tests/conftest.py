"""Shared fixtures: real git repositories in temporary folders, lintml caches, indexed upstreams.

Plain helpers (license texts, running the command, SARIF checks, small models) are in
``tests/helpers.py``; the names re-exported below keep ``from tests.conftest import ...`` working.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import git
import pytest

# The helpers' asserts report what they compared, as the tests' own do.
pytest.register_assert_rewrite("tests.helpers")

from tests.helpers import (  # noqa: E402, F401  (re-exported for test modules that import them from here)
    APACHE_HEADER,
    CONFIG,
    GPL3_HEADER,
    MINIVLM,
    MIT_TEXT,
    ROOT,
    base_tensors,
    index_upstream,
    invoke_lintml,
    run_lintml,
    tokenizer_json,
    write_model,
    write_tree,
)


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One facts cache for the session (for each xdist worker), shared by the tests that do not test it.

    Facts are cached by content, so a shared cache changes how fast a test runs, never what it finds;
    the session fixtures that index upstreams run under it too, never under the user's own cache.
    """
    directory = tmp_path_factory.mktemp("lintml-session-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LINTML_CACHE_DIR", str(directory))
        patch.setenv("LINTML_INDEX", str(directory / "user-index.sqlite3"))
        patch.setenv("LINTML_NO_PROGRESS", "1")
        yield directory


@pytest.fixture(autouse=True)
def shared_cache(
    session_cache: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every test reads facts through the session's cache and has a user index of its own."""
    monkeypatch.setenv("LINTML_CACHE_DIR", str(session_cache))
    # The user's own upstream index must not leak into tests, nor from one test into another.
    monkeypatch.setenv("LINTML_INDEX", str(tmp_path_factory.mktemp("lintml-user") / "user-index.sqlite3"))
    # A slow run off a terminal says how far it got every few seconds (lintml.progress): tests that read
    # stderr must not depend on how busy the machine is. tests/unit/test_progress.py turns it back on.
    monkeypatch.setenv("LINTML_NO_PROGRESS", "1")
    return session_cache


@pytest.fixture
def isolated_cache(
    shared_cache: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """An empty lintml cache of the test's own: for tests of the cache, of cold runs and of first warnings."""
    directory = tmp_path_factory.mktemp("lintml-cache")
    monkeypatch.setenv("LINTML_CACHE_DIR", str(directory))
    monkeypatch.setenv("LINTML_INDEX", str(directory / "user-index.sqlite3"))
    return directory


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Build a real git repository: ``make_repo({path: content}, commit=True, staged={...})``."""

    def build(
        files: dict[str, str | bytes],
        *,
        commit: bool = True,
        staged: dict[str, str | bytes] | None = None,
        untracked: dict[str, str | bytes] | None = None,
        name: str = "repo",
    ) -> Path:
        root = tmp_path / name
        root.mkdir()
        repo = git.Repo.init(root)
        with repo.config_writer() as config:
            config.set_value("user", "name", "lintml tests")
            config.set_value("user", "email", "tests@lintml.invalid")
            config.set_value("commit", "gpgsign", "false")
        write_tree(root, files)
        repo.index.add(list(files))
        if commit:
            repo.index.commit("initial")
        if staged:
            write_tree(root, staged)
            repo.index.add(list(staged))
        if untracked:
            write_tree(root, untracked)
        return root

    return build


# --- indexes built once a session, copied for each test that uses one --------------------------


@pytest.fixture(scope="session")
def _base_model_index(session_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("base-model-index")
    base = folder / "base-model"
    write_model(base, base_tensors(seed=1), CONFIG, tokenizer_json())
    index = folder / "models.sqlite3"
    result = invoke_lintml(
        folder, "index", "add-model", "acme/base-small", str(base), "--license", "llama3", "--index", str(index)
    )
    assert result.returncode == 0, result.stderr
    assert "added model acme/base-small (LicenseRef-llama3): config, tokenizer, weights" in result.stdout
    return index


@pytest.fixture
def base_index(_base_model_index: Path, tmp_path: Path) -> Path:
    """An index that knows acme/base-small (a Llama 3 derivative in licensing terms) by all three fingerprints.

    Built once a session with ``lintml index add-model``; each test gets its own copy to change."""
    return Path(shutil.copyfile(_base_model_index, tmp_path / "models.sqlite3"))


@pytest.fixture(scope="session")
def _minivlm_index(session_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return index_upstream(tmp_path_factory.mktemp("minivlm-index"), "minivlm", MINIVLM, "auto")


@pytest.fixture
def minivlm_index(_minivlm_index: Path, tmp_path: Path) -> Path:
    """examples/upstreams/minivlm indexed with ``lintml index add --license auto``: once a session, copied here."""
    return Path(shutil.copyfile(_minivlm_index, tmp_path / "index.sqlite3"))
