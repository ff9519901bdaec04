"""Fingerprints: k-gram hashes of a token stream, winnowed (Schleimer, Wilkerson and Aiken, 2003).

Every run of ``K`` tokens is hashed; of each window of ``WINDOW`` consecutive hashes the
smallest (the rightmost on a tie) is kept, with the position of its k-gram. Winnowing
guarantees that any shared run of at least ``WINDOW + K - 1`` tokens yields at least one
shared fingerprint, while keeping only about ``2 / (WINDOW + 1)`` of the hashes.

Hashes are CRC-32 of the k-gram's symbol codes: fast (computed in C), the same on every
machine and Python version, and collisions only cost an alignment that finds nothing.
"""

from __future__ import annotations

from array import array
from zlib import crc32

K = 12
WINDOW = 9
GUARANTEE = WINDOW + K - 1  # a shared run this long is always found


def kgram_hashes(codes: array, k: int = K) -> list[int]:
    """The hash of every k-gram, by start position."""
    if len(codes) < k:
        return []
    view = memoryview(codes.tobytes())
    width = k * codes.itemsize
    step = codes.itemsize
    return [crc32(view[start : start + width]) for start in range(0, len(view) - width + 1, step)]


def winnow(hashes: list[int], window: int = WINDOW) -> list[tuple[int, int]]:
    """(hash, position) of the fingerprints: the minimum of each window, each position once."""
    count = len(hashes)
    if count == 0:
        return []
    if count <= window:
        low = min(hashes)
        position = count - 1 - hashes[::-1].index(low)
        return [(low, position)]
    chosen: list[tuple[int, int]] = []
    last = -1
    # Monotonic queue of positions whose hashes increase strictly from the front.
    queue: list[int] = []
    head = 0
    for position, value in enumerate(hashes):
        while len(queue) > head and hashes[queue[-1]] >= value:
            queue.pop()
        queue.append(position)
        if queue[head] <= position - window:
            head += 1
        if position >= window - 1:
            best = queue[head]
            if best != last:
                chosen.append((hashes[best], best))
                last = best
        if head > 64:  # keep the list short
            del queue[:head]
            head = 0
    return chosen


def fingerprints(codes: array) -> list[tuple[int, int]]:
    return winnow(kgram_hashes(codes))
