"""Content -> facts: pure functions of a file's bytes, cached by content hash."""
