"""Facts are cached by content hash: a warm run extracts nothing, --no-cache bypasses the cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lintml.api import check
from lintml.facts import extract
from tests.helpers import APACHE_HEADER, GPL3_HEADER, MIT_TEXT

# These tests count what a run extracts: each starts from an empty cache of its own.
pytestmark = pytest.mark.usefixtures("isolated_cache")


@pytest.fixture
def extraction_counter(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every file whose facts are extracted (the real extraction still runs)."""
    seen: list[str] = []
    original = extract.FactExtractor._extract

    def counting(self: extract.FactExtractor, item, data, syntax):  # type: ignore[no-untyped-def]
        seen.append(item.path)
        return original(self, item, data, syntax)

    monkeypatch.setattr(extract.FactExtractor, "_extract", counting)
    return seen


def test_warm_run_extracts_nothing_and_agrees(make_repo: Callable[..., Path], extraction_counter: list[str]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": APACHE_HEADER, "b.py": GPL3_HEADER})
    cold = check([root])
    assert sorted(extraction_counter) == ["LICENSE", "a.py", "b.py"]
    extraction_counter.clear()
    warm = check([root])
    assert extraction_counter == []
    assert warm.findings == cold.findings

    (root / "b.py").write_text(GPL3_HEADER + "changed = True\n", encoding="utf-8")
    check([root])
    assert extraction_counter == ["b.py"]


def test_no_cache_always_extracts(make_repo: Callable[..., Path], extraction_counter: list[str]) -> None:
    root = make_repo({"LICENSE": MIT_TEXT, "a.py": APACHE_HEADER})
    check([root], use_cache=False)
    check([root], use_cache=False)
    assert sorted(extraction_counter) == ["LICENSE", "LICENSE", "a.py", "a.py"]


def test_identical_headers_are_analysed_once(make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = extract._match_licenses

    def counting(text: str, whole_file: bool, use_scancode: bool = True) -> tuple[extract.Notice, ...]:
        calls.append(text)
        return original(text, whole_file, use_scancode)

    monkeypatch.setattr(extract, "_match_licenses", counting)
    files = {
        f"m{number}.py": APACHE_HEADER.replace("2020", str(2000 + number)) + f"x = {number}\n" for number in range(5)
    }
    root = make_repo({"LICENSE": MIT_TEXT, **files})
    result = check([root], use_cache=False)
    assert len([text for text in calls if "Apache" in text]) == 1
    (text,) = [f for f in result.findings if f.rule == "license-text"]  # one missing text: one finding
    assert [text.path, *text.related] == [f"m{number}.py" for number in range(5)]
