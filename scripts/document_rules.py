"""Regenerate docs/rules.md from the rule files: ``python scripts/document_rules.py``."""

from __future__ import annotations

from pathlib import Path

from lintml.rules import load_rules, render_rules_markdown

TARGET = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def main() -> None:
    TARGET.write_text(render_rules_markdown(load_rules()), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
