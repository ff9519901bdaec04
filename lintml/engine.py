"""Placeholder for i15-engine's engine module: the audit imports :func:`check_source` from here.

i15-engine moves the engine (``api._analyse`` and its helpers) into this module; until that lands the
function is reached in :mod:`lintml.api`. At merge, take i15-engine's ``lintml/engine.py`` whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lintml.api import CheckResult


def check_source(*args: Any, **kwargs: Any) -> CheckResult:
    """The whole flow on any source: walk, facts, provenance, checks, findings (see ``api.check_source``)."""
    from lintml import api

    return api.check_source(*args, **kwargs)
