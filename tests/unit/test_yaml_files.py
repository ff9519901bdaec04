"""The shipped YAML files, parsed once and read back from the user cache."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lintml import yaml_files
from lintml.rules import load_rules, rules_directory


@pytest.fixture(autouse=True)
def fresh_memo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no parsed files in memory, as a new process does."""
    monkeypatch.setattr(yaml_files, "_memo", None)
    monkeypatch.setattr(yaml_files, "_changed", True)  # no exit hook from a test: each saves itself
    yield


def test_parsed_once_then_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "rule.yaml"
    source.write_text("id: demo\nitems: [1, 2.5, true, null, {a: b}]\n", encoding="utf-8")
    first = yaml_files.read_yaml(source)
    assert first == {"id": "demo", "items": [1, 2.5, True, None, {"a": "b"}]}
    yaml_files._save()
    assert yaml_files._cache_path().is_file()

    monkeypatch.setattr(yaml_files, "_memo", None)
    monkeypatch.setattr(yaml_files, "_parse", lambda data: pytest.fail("parsed again"))
    again = yaml_files.read_yaml(source)
    assert again == first
    again["items"].append("changed")  # a caller's change does not reach the next caller
    assert yaml_files.read_yaml(source) == first


def test_an_edited_file_is_parsed_again(tmp_path: Path) -> None:
    source = tmp_path / "rule.yaml"
    source.write_text("value: 1\n", encoding="utf-8")
    assert yaml_files.read_yaml(source) == {"value": 1}
    source.write_text("value: 2\n", encoding="utf-8")
    assert yaml_files.read_yaml(source) == {"value": 2}


def test_content_that_is_not_plain_data_is_parsed_each_time(tmp_path: Path) -> None:
    source = tmp_path / "dated.yaml"
    source.write_text("released: 2024-05-01\n", encoding="utf-8")
    assert yaml_files.read_yaml(source) == {"released": datetime.date(2024, 5, 1)}
    assert str(source) not in yaml_files._loaded_memo()
    assert yaml_files.read_yaml(source) == {"released": datetime.date(2024, 5, 1)}


def test_errors_are_as_before(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: [unclosed\n", encoding="utf-8")
    with pytest.raises(yaml_files.InvalidYAML):
        yaml_files.read_yaml(broken)
    with pytest.raises(OSError):
        yaml_files.read_yaml(tmp_path / "missing.yaml")


def test_a_damaged_cache_file_is_only_a_slower_run(tmp_path: Path) -> None:
    yaml_files._cache_path().parent.mkdir(parents=True, exist_ok=True)
    yaml_files._cache_path().write_bytes(b"\x00not marshal")
    source = tmp_path / "rule.yaml"
    source.write_text("a: 1\n", encoding="utf-8")
    assert yaml_files.read_yaml(source) == {"a": 1}


def test_the_shipped_rules_load_alike_from_the_cache() -> None:
    parsed = load_rules(rules_directory())
    yaml_files._save()
    assert yaml_files._cache_path().is_file()
    yaml_files._memo = None
    assert load_rules(rules_directory()) == parsed


def test_a_warm_check_does_not_import_pyyaml(tmp_path: Path) -> None:
    (tmp_path / "LICENSE").write_text("MIT License\n", encoding="utf-8")
    (tmp_path / "module.py").write_text("x = 1\n", encoding="utf-8")
    script = "import sys\nfrom lintml import api\napi.check(['.'])\nprint('yaml' in sys.modules)\n"
    runs = [
        subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [run.stdout for run in runs] == ["True\n", "False\n"]  # the first run parses, and keeps what it parsed
