"""The audit for programs: the JSON document of ``docs/audit-json.md``, keys sorted, two-space indent.

The contract's names are here: its ``format`` and ``version``, and the kinds of pair (``KINDS``) in
the order every audit format lists them. The audit (:mod:`lintml.audit`) builds its report with them;
the renderers read them from here, so nothing in ``lintml/report`` imports the audit.

Names come from the fork and the upstreams, so every string is made valid Unicode
(:func:`lintml.report.valid_everywhere`): an undecodable byte of a name is written ``\\xNN``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lintml.report import AUDIT_FORMATTERS, valid_for_json

FORMAT_NAME = "lintml-audit"
FORMAT_VERSION = 1
# What a fork file is to its upstream file, in the order reports list them.
KINDS = ("identical", "reformatted", "renamed", "modified", "partial", "new")


@AUDIT_FORMATTERS.register("json")
def format_audit_json(report: Mapping[str, Any], sources: Mapping[str, Mapping[str, str]]) -> str:
    """The audit's JSON document as text (the paired texts are not part of it)."""
    return json.dumps(valid_for_json(report), indent=2, sort_keys=True) + "\n"
