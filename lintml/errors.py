"""The user's mistakes: errors every front end shows as one line (exit 2), never as a traceback.

:class:`UsageError` lives here rather than in :mod:`lintml.api` so the engine, index administration and
the audit can raise it without importing the public surface that calls them.
"""

from __future__ import annotations


class UsageError(Exception):
    """The user asked for something impossible (a missing path, a file outside the repository)."""
