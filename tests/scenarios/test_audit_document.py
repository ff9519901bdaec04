"""The audit's typed report and its formats: the records write the keys docs/audit-json.md documents, and
every format registered in lintml.report's audit registry renders a real audit and is offered by the CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import click
import pytest

from lintml import api
from lintml.audit import KINDS, AuditResult
from lintml.audit.document import AlsoFrom, FilePair, ForkCommit, Obligations, Rename, Summary
from lintml.cli import main
from lintml.report import AUDIT_FORMATTERS, FORMATTERS, Registry, format_audit, valid_everywhere
from tests.helpers import ROOT

DOC = (ROOT / "docs" / "audit-json.md").read_text(encoding="utf-8")
EXAMPLE = ROOT / "examples" / "vision-adapter"
MINIVLM = ROOT / "examples" / "upstreams" / "minivlm"


def documented_keys(section: str) -> set[str]:
    """The keys the table under ``## `section` ...`` of docs/audit-json.md names (``a`` / ``b``, ``c`` alike)."""
    body = DOC.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for row in re.findall(r"(?m)^\| (`[^|]+) \|", body):
        keys.update(re.findall(r"`([a-z_]+)`", row))
    return keys


def test_a_file_pair_writes_every_documented_key_and_no_other() -> None:
    pair = FilePair(
        "ours/a.py",
        "renamed",
        "core",
        "core/a.py",
        fork_share=1.0,
        upstream_share=0.98,
        lines=((3, 40),),
        upstream_lines=((5, 42),),
        renames=(Rename("token", "tok", 7),),
        commits=(ForkCommit("1a2b3c4", "2026-11-20", "someone", "rename things"),),
        also_from=(AlsoFrom("core", "core/b.py", 0.2),),
    )
    record = pair.as_json()
    assert set(record) == documented_keys("files[]")
    assert record["moved"] is True
    assert FilePair("core/a.py", "identical", "core", "core/a.py").as_json()["moved"] is False
    assert record["renames"] == [{"from": "token", "to": "tok", "count": 7}]
    assert record["commits"] == [
        {"sha": "1a2b3c4", "date": "2026-11-20", "author": "someone", "summary": "rename things"}
    ]
    assert record["also_from"] == [{"upstream": "core", "upstream_path": "core/b.py", "fork_share": 0.2}]
    assert record["lines"] == [[3, 40]] and json.loads(json.dumps(record)) == record
    assert FilePair("new.py", "new").as_json()["upstream"] is None


def test_the_summary_writes_every_documented_key_and_counts_every_kind_in_order() -> None:
    counts = {"renamed": 2, "new": 3}
    summary = Summary(
        files=5,
        by_kind=counts,
        moved=1,
        split=0,
        merged=0,
        copied_lines=30,
        code_lines=90,
        upstream_files_used=2,
        upstream_files=4,
        upstream_code_files_used=2,
        upstream_code_files=3,
        stripped_notices=1,
        stripped_files=1,
        change_notices_owed=2,
        change_notices_missing=1,
        obligations=3,
        obligations_checked=True,
        obligations_by_severity={"error": 3, "warning": 0, "info": 0},
        seconds=1.23456,
    ).as_json()
    assert set(summary) == documented_keys("summary")
    assert list(summary["by_kind"]) == list(KINDS) and summary["by_kind"]["new"] == 3
    assert summary["by_kind"]["identical"] == 0
    assert summary["copied_share"] == 0.3333 and summary["seconds"] == 1.23


def test_a_check_that_could_not_run_is_one_info_record_among_the_obligations() -> None:
    failed = Obligations(check_error="lintml check could not run: bad config")
    assert len(failed) == 1 and failed.by_severity() == {"error": 0, "warning": 0, "info": 1}
    assert failed.records() == [
        {"rule": "audit", "path": ".", "severity": "info", "message": "lintml check could not run: bad config"}
    ]
    assert len(Obligations()) == 0 and Obligations().records() == []


@pytest.fixture(scope="module")
def example_audit() -> AuditResult:
    return api.audit(EXAMPLE, [MINIVLM], obligations=False, jobs=1)


def test_every_registered_audit_format_renders_a_real_audit(example_audit: AuditResult) -> None:
    document = example_audit.as_json()
    assert {"text", "json", "html"} <= set(AUDIT_FORMATTERS)
    assert not set(AUDIT_FORMATTERS) & {"sarif", "github"}  # the findings formats are another registry's
    for name in sorted(AUDIT_FORMATTERS):
        rendered = format_audit(name, document, example_audit.sources)
        assert rendered.endswith("\n"), name
        assert format_audit(name, json.loads(json.dumps(document)), example_audit.sources) == rendered, name
    assert json.loads(format_audit("json", document, {})) == valid_everywhere(document)
    assert document["format"] == "lintml-audit" and [pair["path"] for pair in document["files"]] == sorted(
        pair.path for pair in example_audit.report.files
    )
    text = format_audit("text", document, {})
    assert text.startswith(f"fork: {EXAMPLE} (") and "upstream: minivlm" in text
    assert "(the audit's pairs; `lintml check` not run)" in text and text.endswith(" s\n")


def test_the_html_page_carries_the_shipped_style_sheet_and_script(example_audit: AuditResult) -> None:
    assets = resources.files("lintml.report").joinpath("assets")
    style = assets.joinpath("audit.css").read_text(encoding="utf-8")
    script = assets.joinpath("audit.js").read_text(encoding="utf-8")
    page = format_audit("html", example_audit.as_json(), example_audit.sources)
    assert f"<script>{script}</script>" in page
    # The style sheet's placeholder line becomes one colour rule per kind.
    before, after = style.split("/* .k-KIND", 1)[0], style.split("audit_html.py */\n", 1)[1]
    assert before in page and after in page and "/* .k-KIND" not in page
    assert all(f".k-{kind} {{ background: #" in page for kind in KINDS)


def _choices(command: str) -> set[str]:
    option = next(param for param in main.commands[command].params if param.name == "output_format")
    assert isinstance(option.type, click.Choice)
    return set(option.type.choices)


def test_the_cli_offers_exactly_the_registered_audit_formats() -> None:
    assert _choices("audit") == set(AUDIT_FORMATTERS)


def test_a_registry_refuses_a_name_twice_and_names_its_choices() -> None:
    registry: Registry[Callable[[object, object], str]] = Registry("test")

    @registry.register("plain")
    def plain(document: object, sources: object) -> str:
        return "plain\n"

    assert registry.named("plain") is plain
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("plain")(plain)
    with pytest.raises(ValueError, match=r"unknown format 'fancy' \(one of: plain\)"):
        registry.named("fancy")
    with pytest.raises(ValueError, match="unknown format 'sarif'"):
        format_audit("sarif", {}, {})
    assert isinstance(FORMATTERS, Registry) and "sarif" in FORMATTERS


def test_the_audit_package_never_imports_the_api() -> None:
    package = Path(__file__).resolve().parents[2] / "lintml" / "audit"
    for module in sorted(package.glob("*.py")):
        source = module.read_text(encoding="utf-8")
        imports_api = re.search(r"(?m)^\s*(from lintml import api\b|(from|import) lintml\.api\b)", source)
        assert imports_api is None, module.name
