"""`lintml audit FORK --upstream UPSTREAM`: is this repository someone's work, renamed?

For maintainers who suspect a fork. Each upstream is indexed into a scratch index (the same
fingerprints `lintml check` uses), every file of the fork is matched against it, and each
file is paired with its best upstream file and classified: identical, reformatted, renamed,
modified, partial, or new. Moved, split and merged files show in the pairs. When fork and
upstream share git history, the merge base and the fork's commits per file are named. Model
folders are compared as `lintml compare-models` does, and the findings of `lintml check` that
follow from the upstreams are listed as the fork's obligations, with what the pairs show owed
that the check left out (stripped notices, missing change notices): the two always agree.

Folders are read where they are; git URLs (``URL@REF``) are cloned into the lintml cache.
Nothing from either side is run, and neither side is written to: shared history is read
through a scratch repository in the cache that borrows both object stores.

The rooms: :mod:`~lintml.audit.sides` reads the fork and the upstreams, :mod:`~lintml.audit.pairing`
pairs their files, :mod:`~lintml.audit.obligations` gathers what the fork owes,
:mod:`~lintml.audit.document` holds the report's typed records, and :mod:`~lintml.audit.run` runs the
steps in order (:func:`lintml.audit.run.audit`). The renderers (text, JSON, HTML) are in
:mod:`lintml.report`. Importing the package loads only the report's records and ``AuditError``, not
the audit's machinery.
"""

from lintml.audit.document import FORMAT_NAME, FORMAT_VERSION, KINDS, AuditReport, AuditResult


class AuditError(Exception):
    """A fork or upstream that cannot be audited; the message names it and says why."""


__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "KINDS", "AuditError", "AuditReport", "AuditResult"]
