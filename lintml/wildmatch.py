"""Gitignore-style patterns (``.gitignore`` files, ``exclude:`` and ``per-path-ignores:``) matched in linear time.

The patterns come from the repository being checked, so they are untrusted: Python's backtracking ``re``
takes minutes on one line such as ``*a*a*a*a*a*a*ab`` against a long file name. pathspec compiles them
for RE2 instead (google-re2), whose matching time is linear in the path whatever the pattern. A line
longer than ``MAX_PATTERN_LENGTH``, or one RE2 will not compile within its memory budget, is invalid.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

MAX_PATTERN_LENGTH = 4096  # a path is at most PATH_MAX (4096) bytes; a longer pattern matches nothing useful


class InvalidPattern(ValueError):
    """A pattern git would not understand, or one too large to match in bounded time and memory."""


def compile_patterns(lines: Iterable[str]) -> pathspec.PathSpec:
    """One matcher for ``lines`` (gitignore semantics: later lines win, ``!`` re-includes).

    Raises InvalidPattern, naming the reason, when any line is not a pattern or is too large.
    """
    import pathspec
    import re2

    lines = list(lines)
    for line in lines:
        if len(line) > MAX_PATTERN_LENGTH:
            raise InvalidPattern(f"a pattern longer than {MAX_PATTERN_LENGTH} characters")
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines, backend="re2")
    except (ValueError, TypeError) as error:  # pathspec's pattern errors are ValueErrors
        raise InvalidPattern(str(error)) from None
    except re2.error:
        raise InvalidPattern("a pattern too large to compile") from None


def compile_valid_lines(lines: Iterable[str]) -> pathspec.PathSpec:
    """A matcher for a ``.gitignore``'s lines, leaving out those git would not understand either."""
    lines = list(lines)
    try:
        return compile_patterns(lines)
    except InvalidPattern:
        kept = []
        for line in lines:
            try:
                compile_patterns([line])
            except InvalidPattern:
                continue
            kept.append(line)
        return compile_patterns(kept)
