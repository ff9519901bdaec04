"""Verify a candidate by aligning two normalised token streams, and read the evidence off the alignment.

The alignment is a greedy string tiling (as in JPlag): maximal runs of equal symbols are
found from k-gram seeds, then taken longest first, each token of either stream in one tile
at most, so reordered definitions and partial copies align as well as whole files.

What decides a match is the *amount* of shared, non-boilerplate code — the tokens in
tiles of at least :data:`MIN_SPAN` symbols that contain a fingerprint not marked common
in the index — not the share of the file, because a restructured copy may share only a
small part of a large file. The shares both ways, the copied line ranges and whether the copy
is verbatim are reported beside it (the renames it made, by :mod:`lintml.provenance.renames`).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import eq

from lintml.provenance.normalize import (
    BLOCK_END,
    BLOCK_START,
    IDENTIFIER,
    NUMBER,
    STATEMENT_END,
    STRING,
    TokenStream,
)
from lintml.provenance.winnow import K, kgram_hashes

MIN_TILE = K  # tiles shorter than this are chance; runs are found from seeds of this length
MIN_SPAN = 20  # tiles at least this long are evidence (when they are not boilerplate)
MIN_EVIDENCE = 60  # tokens of evidence that make a match
LONE_SPAN = 40  # a span this long counts on its own; shorter ones only beside others
NEAR = 60  # tokens between spans that belong to one copied region
SEED_POSITIONS = 8  # of a seed repeated many times upstream, try this many places
LONG_RUN = 48  # a run this long is taken as the alignment of the tokens it covers


@dataclass(frozen=True)
class Tile:
    local: int  # first token in the local stream
    upstream: int  # first token in the upstream stream
    length: int


@dataclass(frozen=True)
class Alignment:
    tiles: tuple[Tile, ...]  # by local position
    local_tokens: int
    upstream_tokens: int
    evidence: int  # tokens in non-boilerplate tiles of MIN_SPAN or more
    spans: int  # how many such tiles
    longest: int

    @property
    def local_share(self) -> float:
        return _share(sum(tile.length for tile in self.tiles), self.local_tokens)

    @property
    def upstream_share(self) -> float:
        return _share(sum(tile.length for tile in self.tiles), self.upstream_tokens)

    @property
    def is_match(self) -> bool:
        return self.evidence >= MIN_EVIDENCE


def _share(part: int, whole: int) -> float:
    return min(1.0, part / whole) if whole else 0.0


def align(
    local: TokenStream,
    upstream: TokenStream,
    *,
    common: Collection[int] = frozenset(),
    local_kgrams: Sequence[int] | None = None,
    seeds: Sequence[tuple[int, int]] | None = None,
) -> Alignment:
    """Tile ``local`` against ``upstream``; ``common`` are fingerprint hashes that do not count as evidence.

    ``seeds`` are (local, upstream) positions of shared fingerprints, as the index lookup found
    them: runs are grown from those alone, which finds every shared run long enough to be
    evidence without hashing the upstream file again. Without seeds every k-gram is a seed.
    """
    hashes = local_kgrams if local_kgrams is not None else kgram_hashes(local.code_array)
    if seeds is None:
        places = seed_places(upstream)
        seeds = [(i, j) for i, value in enumerate(hashes) for j in places.get(value, ())]
    tiles = sorted(_tiles(local.code_array, upstream.code_array, seeds), key=lambda tile: tile.local)
    weight = _weights(tiles, hashes, common)
    candidates = [tile for tile in tiles if weight[tile] >= MIN_SPAN]
    # A lone span of modest length is the kind of thing chance produces; copied code comes in long spans,
    # or in short ones beside a long one (the rest of an edited copy, or another function taken from
    # elsewhere in the same file), or beside each other in both files.
    anchors = [
        tile
        for index, tile in enumerate(candidates)
        if weight[tile] >= LONE_SPAN
        or any(weight[other] >= LONE_SPAN or _upstream_near(tile, other) for other in _neighbours(candidates, index))
    ]
    chosen, possible = set(anchors), set(candidates)
    starts = [tile.local for tile in anchors]
    kept = [tile for tile in tiles if tile in chosen or (tile not in possible and _near(tile, anchors, starts))]
    evidence = sum(weight[tile] for tile in anchors)
    longest = max((tile.length for tile in anchors), default=0)
    return Alignment(tuple(kept), len(local), len(upstream), evidence, len(anchors), longest)


def _weights(tiles: Sequence[Tile], hashes: Sequence[int], common: Collection[int]) -> dict[Tile, int]:
    """How much each tile says: the k-grams it adds that are neither boilerplate nor already counted.

    A run of repeated lines (``name: type`` field after field, the same decorator on class after
    class, an argparse block) is long, or comes back in tile after tile, but says little: counted
    by distinct k-grams, it weighs what one instance of the pattern weighs.
    """
    seen: set[int] = set()
    weights: dict[Tile, int] = {}
    for tile in sorted(tiles, key=lambda item: (-item.length, item.local)):
        new = {
            value
            for value in hashes[tile.local : tile.local + tile.length - K + 1]
            if value not in common and value not in seen
        }
        seen |= new
        weights[tile] = len(new) + K - 1 if new else 0
    return weights


def _neighbours(tiles: Sequence[Tile], index: int) -> Iterator[Tile]:
    """The tiles within :data:`NEAR` tokens of ``tiles[index]`` in the local stream. Tiles never share a
    local token, so sorted by local position their ends rise too: the walk out each way stops at the
    first tile too far."""
    tile = tiles[index]
    before = index - 1
    while before >= 0 and tiles[before].local + tiles[before].length >= tile.local - NEAR:
        yield tiles[before]
        before -= 1
    after = index + 1
    while after < len(tiles) and tiles[after].local <= tile.local + tile.length + NEAR:
        yield tiles[after]
        after += 1


def _upstream_near(tile: Tile, other: Tile) -> bool:
    """Whether two tiles lie within :data:`NEAR` tokens of each other upstream. Short runs that chance makes
    up (idioms of a language) may lie together here but thousands of tokens apart in a large upstream file;
    a copy edited here and there keeps its pieces together on both sides."""
    return (
        other.upstream - NEAR <= tile.upstream + tile.length and tile.upstream - NEAR <= other.upstream + other.length
    )


def _near(tile: Tile, others: Sequence[Tile], starts: Sequence[int]) -> bool:
    """Whether one of ``others`` (sorted by local position, ``starts`` their first tokens) lies within
    :data:`NEAR` tokens of ``tile`` in the local stream: the closest one before it or after it, if any."""
    place = bisect_left(starts, tile.local)
    if place > 0 and others[place - 1].local + others[place - 1].length >= tile.local - NEAR:
        return True
    return place < len(others) and others[place].local <= tile.local + tile.length + NEAR


def seed_places(stream: TokenStream) -> dict[int, list[int]]:
    """Where each k-gram of a stream starts (the first few places of a repeated one), for tiling against it."""
    places: dict[int, list[int]] = {}
    for start, value in enumerate(kgram_hashes(stream.code_array)):
        found = places.setdefault(value, [])
        if len(found) < SEED_POSITIONS:
            found.append(start)
    return places


def _tiles(a: array, b: array, seeds: Sequence[tuple[int, int]]) -> list[Tile]:
    if len(a) < MIN_TILE or len(b) < MIN_TILE:
        return []
    bytes_a, bytes_b = a.tobytes(), b.tobytes()
    width = a.itemsize
    seed_bytes = MIN_TILE * width
    # Maximal runs: each seed is grown both ways; a seed inside a run found already on its
    # diagonal adds nothing, and inside a long run other diagonals are not tried (the long
    # run would be tiled first anyway).
    # Seeds go by local position, and every run starts at or before the seed it grew from: a seed lies
    # inside an earlier run exactly when it lies before that run's end, so the furthest end is all to keep.
    covered_to: dict[int, int] = {}  # diagonal -> furthest end of a run found on it
    long_to = -1  # furthest end of a long run, less MIN_TILE
    runs: list[tuple[int, int, int]] = []
    for i, j in sorted(set(seeds)):
        diagonal = j - i
        if i < covered_to.get(diagonal, -1) or i < long_to:
            continue
        start_a, start_b = i * width, j * width
        if bytes_a[start_a : start_a + seed_bytes] != bytes_b[start_b : start_b + seed_bytes]:
            continue  # a hash collision, not a shared run
        back = _common_length(bytes_a, bytes_b, start_a, start_b, width, backwards=True)
        i, j = i - back, j - back
        length = _common_length(bytes_a, bytes_b, i * width, j * width, width)
        covered_to[diagonal] = max(covered_to.get(diagonal, -1), i + length)
        runs.append((length, i, j))
        if length >= LONG_RUN:
            long_to = max(long_to, i + length - MIN_TILE)
    # Longest first; a run that overlaps taken tokens keeps its longest free stretch.
    runs.sort(key=lambda run: (-run[0], run[1], run[2]))
    taken_a = bytearray(len(a))
    taken_b = bytearray(len(b))
    tiles: list[Tile] = []
    for length, i, j in runs:
        if not any(taken_a[i : i + length]) and not any(taken_b[j : j + length]):
            best_start, best_length = 0, length
        else:
            best_start, best_length = _longest_free(taken_a, taken_b, i, j, length)
        if best_length < MIN_TILE:
            continue
        i0, j0 = i + best_start, j + best_start
        taken_a[i0 : i0 + best_length] = b"\1" * best_length
        taken_b[j0 : j0 + best_length] = b"\1" * best_length
        tiles.append(Tile(i0, j0, best_length))
    return tiles


def _common_length(a: bytes, b: bytes, i: int, j: int, width: int, *, backwards: bool = False) -> int:
    """How many tokens from byte offsets i and j on (or just before them) are equal.

    Compared in blocks that grow while they match and shrink when they do not, so a long run
    costs a few comparisons of bytes rather than one per token.
    """
    length, step = 0, 16
    limit = (min(i, j) if backwards else min(len(a) - i, len(b) - j)) // width
    while step >= 1:
        if length + step <= limit:
            near, far = length * width, (length + step) * width
            if backwards:
                same = a[i - far : i - near] == b[j - far : j - near]
            else:
                same = a[i + near : i + far] == b[j + near : j + far]
            if same:
                length += step
                step *= 2
                continue
        step //= 2
    return length


def _longest_free(taken_a: bytearray, taken_b: bytearray, i: int, j: int, length: int) -> tuple[int, int]:
    best_start, best_length, start = 0, 0, None
    for offset in range(length + 1):
        free = offset < length and not taken_a[i + offset] and not taken_b[j + offset]
        if free and start is None:
            start = offset
        elif not free and start is not None:
            if offset - start > best_length:
                best_start, best_length = start, offset - start
            start = None
    return best_start, best_length


def line_ranges(stream: TokenStream, tiles: Sequence[Tile], *, upstream: bool = False) -> tuple[tuple[int, int], ...]:
    """The lines the tiles cover in one of the two streams, merged where they touch.

    Statement ends and block marks at a tile's edges belong to the lines around it, not to
    the copied code, so they do not widen the range.
    """
    spans = []
    symbols, lines = stream.symbols, stream.lines
    for tile in tiles:
        first = tile.upstream if upstream else tile.local
        last = first + tile.length - 1
        while first < last and symbols[first] in _STRUCTURE:
            first += 1
        while last > first and symbols[last] in _STRUCTURE:
            last -= 1
        spans.append((lines[first], lines[last]))
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return tuple((first, last) for first, last in merged)


_STRUCTURE = frozenset({STATEMENT_END, BLOCK_START, BLOCK_END})


def same_texts(local: TokenStream, upstream: TokenStream, tiles: Sequence[Tile]) -> int:
    """How many aligned names and literals are spelled the same on both sides.

    What tells apart near-identical upstream files (code copied around inside one project):
    a copy keeps the names, strings and numbers of the file it came from, or at least its literals.
    """
    symbols, local_texts, upstream_texts = local.symbols, local.texts, upstream.texts
    same = 0
    for tile in tiles:
        here, there, length = tile.local, tile.upstream, tile.length
        agree = map(eq, local_texts[here : here + length], upstream_texts[there : there + length])
        same += sum(compress(agree, map(_WITH_TEXT.__contains__, symbols[here : here + length])))
    return same


_WITH_TEXT = frozenset({IDENTIFIER, STRING, NUMBER})


def is_verbatim(local: TokenStream, upstream: TokenStream, alignment: Alignment) -> bool:
    """The whole of both files align, and every name and literal is the same: a copy that changed only layout."""
    if alignment.local_tokens != alignment.upstream_tokens or len(alignment.tiles) == 0:
        return False
    covered = sum(tile.length for tile in alignment.tiles)
    if covered != alignment.local_tokens:
        return False
    for tile in alignment.tiles:
        if tile.local != tile.upstream:
            return False
        for offset in range(tile.length):
            position = tile.local + offset
            if local.symbols[position] in (IDENTIFIER, STRING, NUMBER) and (
                local.texts[position] != upstream.texts[position]
            ):
                return False
    return True
