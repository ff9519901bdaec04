"""JSON from a scanned repository, parsed only once it is known to be of a bounded size and shape.

``json.loads`` trusts its input: a small file can nest thousands of levels deep (every later
walk over the result must then guard its recursion) or spell millions of tiny objects that
take gigabytes once built. :func:`load_json` measures the text first, in linear time and
without building anything: its size, how deeply its brackets nest outside strings, and how
many values and containers it holds (commas and brackets, counted in strings too: an
over-count only for text no real file holds). Only a document within every cap is handed to
``json.loads``. Each reader passes the caps that fit its files (a model config is small, a
tokenizer large); what is refused or malformed is a :class:`JSONInputError` saying why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Real configs, tokenizers, notebooks and safetensors headers nest fewer than ten levels; this
# leaves room for odd files while every walk over a loaded document stays far from Python's
# recursion limit (about 1,000 frames).
MAX_DEPTH = 64
# Values (strings, numbers, containers; counted as commas plus brackets) one document may hold
# unless its reader says otherwise: a 260k-token tokenizer.json with its merges holds about 1.1
# million. A value costs up to about 100 bytes once built, a list or object up to 200, so the two
# caps keep a document under about 600 MB however it is spelled.
MAX_ITEMS = 4_000_000
# Lists and objects, the expensive values: a Unigram tokenizer of a million pieces holds a million
# two-item lists.
MAX_CONTAINERS = 1_000_000

_CHUNK = 1 << 22  # bytes measured at a time: keeps the work arrays to a few tens of MB


@cache
def _steps() -> np.ndarray:
    """Each byte's effect on the nesting level, outside strings. numpy is imported here, only when a
    document has enough brackets to need measuring: a check of plain code never pays for it."""
    import numpy as np

    steps = np.zeros(256, dtype=np.int8)
    steps[[ord("["), ord("{")]] = 1
    steps[[ord("]"), ord("}")]] = -1
    return steps


class JSONInputError(ValueError):
    """A JSON document refused before parsing (too large, too deep, too many values) or that does not parse."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def nesting_depth(raw: bytes) -> int:
    """How deeply the brackets of a JSON text nest outside its strings; an unclosed bracket stays open to the end.

    Linear in the size of ``raw``, with work arrays of a few MB. Escaped backslashes and
    quotes are blanked first (``\\\\`` before ``\\"``, left to right, as a decoder pairs
    them), so every quote left opens or closes a string: a bracket is outside every string
    when an even number of quotes precede it.
    """
    import numpy as np

    step_of = _steps()
    cleaned = raw.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    deepest = level = quotes_before = 0
    for start in range(0, len(cleaned), _CHUNK):
        chunk = np.frombuffer(cleaned, dtype=np.uint8, count=min(_CHUNK, len(cleaned) - start), offset=start)
        quotes = np.flatnonzero(chunk == ord('"'))
        steps = step_of[chunk]
        brackets = np.flatnonzero(steps)
        if brackets.size:
            outside = (np.searchsorted(quotes, brackets) + quotes_before) % 2 == 0
            running = np.cumsum(steps[brackets[outside]], dtype=np.int64) + level
            if running.size:
                deepest = max(deepest, int(running.max()))
                level = int(running[-1])
        quotes_before += quotes.size
    return deepest


def load_json(
    raw: bytes | str,
    *,
    max_bytes: int,
    max_depth: int = MAX_DEPTH,
    max_items: int = MAX_ITEMS,
    max_containers: int = MAX_CONTAINERS,
    object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
) -> Any:
    """The document ``raw`` holds, once it is within every cap; :class:`JSONInputError` otherwise.

    Bytes are decoded as UTF-8 (a byte-order mark is allowed). Nothing but ``JSONInputError``
    is raised for any input; an ``object_pairs_hook`` may raise its own errors, which pass through.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if len(data) > max_bytes:
        raise JSONInputError(f"{len(data):,} bytes, more than the {max_bytes:,} lintml reads")
    containers = data.count(b"[") + data.count(b"{")
    if containers > max_containers:
        raise JSONInputError(f"{containers:,} brackets, more lists and objects than the {max_containers:,} read")
    items = data.count(b",") + containers + 1
    if items > max_items:
        raise JSONInputError(f"{items:,} commas and brackets, more than the {max_items:,} values lintml reads")
    if containers > max_depth:  # fewer brackets than that cannot nest deeper
        depth = nesting_depth(data)
        if depth > max_depth:
            raise JSONInputError(f"nested {depth:,} levels deep, more than the {max_depth} lintml reads")
    if isinstance(raw, str):
        text = raw
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise JSONInputError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook)
    except RecursionError:  # the depth is measured above; kept for a caller's tiny recursion limit
        raise JSONInputError("nested too deeply to read") from None
    except ValueError as error:
        if isinstance(error, JSONInputError):
            raise
        raise JSONInputError(f"not valid JSON ({error})") from None
