"""Placeholder for i15-engine's index administration module: the audit imports :func:`index_add` from here.

i15-engine moves index administration out of :mod:`lintml.api` into this module; until that lands the
function is reached in :mod:`lintml.api`. At merge, take i15-engine's ``lintml/provenance/admin.py`` whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lintml.provenance.index import UpstreamProject


def index_add(*args: Any, **kwargs: Any) -> list[UpstreamProject]:
    """Add (or replace) upstream projects in an index (see ``api.index_add``)."""
    from lintml import api

    return api.index_add(*args, **kwargs)
