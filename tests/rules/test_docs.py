"""docs/rules.md is generated from the rules and must not go stale."""

from __future__ import annotations

from lintml.rules import render_rules_markdown, shipped_rules
from tests.helpers import ROOT


def test_rules_doc_is_up_to_date() -> None:
    expected = render_rules_markdown(shipped_rules())
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is stale: run `python scripts/document_rules.py`"


def test_every_rule_is_documented_with_all_sections() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in shipped_rules():
        assert f"## {rule.id}\n" in text
        for value in (rule.docs.what, rule.docs.why, rule.docs.fix):
            assert value in text
