"""Where lintml's rule and license data lives, and how a rule id is named: the leaf every reader of ``rules/``
imports (the rule loader, license and model-license knowledge, the configuration), so none of them imports
another for it."""

from __future__ import annotations

from pathlib import Path


class RuleError(Exception):
    """A rule file (or a file of license knowledge beside the rules) is malformed. The message names the file."""


def rules_directory() -> Path:
    """Where the rule data lives: inside the wheel, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "rules"


def matches_selector(rule_id: str, selector: str) -> bool:
    """``selector`` names the rule or a prefix of it ending at a ``-`` boundary."""
    return rule_id == selector or rule_id.startswith(selector.rstrip("-") + "-")
