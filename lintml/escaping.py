"""Text from a scanned repository, made safe to print: one line, nothing the terminal acts on.

File names and the lines lintml quotes (copyright lines, license tags) come from whoever wrote
the repository. A newline in a name would split one message in two; an escape sequence could
rewrite what the terminal shows; a name that is not UTF-8 (held by Python as lone surrogates)
cannot be encoded at all. :func:`printable` writes all of these as visible escapes.
"""

from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, lone surrogates (undecodable bytes of a name), and the bidirectional
# controls that can make a line read differently from what it holds.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character and undecodable byte written as an escape (``\\n``, ``\\x1b``)."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte Python could not decode, kept as a surrogate escape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"
