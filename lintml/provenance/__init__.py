"""Provenance: which upstream file each part of a local file came from, rename-robust.

``normalize`` turns code into a token stream where names, literals, comments and layout
no longer matter; ``winnow`` fingerprints it; ``index`` stores upstream fingerprints in
SQLite; ``align`` verifies a candidate and recovers the rename map; ``match`` ties them.
"""
