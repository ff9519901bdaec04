"""The identifiers a copy renamed, read off the alignment of the two token streams.

Aligned identifiers that differ are not all renames. Tiling pairs tokens by the shape of the
code, so where two stretches have the same shape (``cos``/``sin`` lines of a rotary embedding,
three model builders that differ only in numbers) it can pair a name with its neighbour; and
names the file does not choose (builtins, imported modules and what is read off them, typing
names) change when the code is edited, not renamed: ``jnp -> torch`` is a port, not a rename.

So a reported rename is a name the file itself defines on both sides (a function, class,
parameter, variable, loop or ``as`` target, or an attribute it assigns), paired at positions
where it is not an attribute of a module or a keyword argument of a call into a library; it is
supported by several aligned uses that mostly agree (or by every use of the upstream name, with
the code after each use agreeing); and it is neither a swap (both names still in use on both sides)
nor a step of a shift (a name given the name of another that moved on in turn).

Python streams carry enough of the program (keywords, brackets, statement ends) to find what
a file defines. Other languages keep their keywords and type names as symbols already, but
their own names cannot be told from a library's without a parser: for them qualified names
(``std::vector``) and names the language reserves are left out, and the tests that need no
parser (support, consistency, swaps and shifts) do the rest.

Matching itself does not use this map: which upstream file explains a local file best is
decided by every aligned name that differs (:func:`differing_names`), however it came to differ.
"""

from __future__ import annotations

import builtins
import itertools
import weakref
from collections import Counter
from collections.abc import Sequence
from itertools import compress, islice
from operator import and_

from lintml.provenance.align import Tile
from lintml.provenance.normalize import FALLBACK_LANGUAGE, IDENTIFIER, NUMBER, STATEMENT_END, STRING, TokenStream

# Aligned uses that make a rename: three, not two. Tiling two stretches of the same shape (two
# definitions and a call of each, two runs of ``self.x = x``) pairs their names twice as easily
# as once, while a name a copy renamed is mostly defined once and used twice or more. A name
# used fewer times is reported when every use of the upstream name is in the pairing and the
# code after each use agrees (see :func:`_confirmed`): a function defined and never called in
# its file has one use, and that is all the evidence its rename can have.
MIN_USES = 3
# Of the aligned uses of the upstream name, and of the local name, at least this share pair them
# with each other: a name paired with itself in one place and with another in the next is one
# that alignment confused, not one the copy renamed.
CONSISTENT = 0.75
# Names and literals after each use of a rename with less support that must agree (see :func:`_confirmed`).
NEIGHBOURS = 4

# Streams whose own names are kept (see :func:`own_name_positions`): one byte a token.
RECENT_STREAMS = 16
_RECENT: dict[int, tuple[weakref.ref[TokenStream], bytes]] = {}  # id() of a stream -> (the stream, its positions)

PYTHON_LANGUAGES = frozenset({"python", FALLBACK_LANGUAGE})
BUILTIN_NAMES = frozenset(dir(builtins))
_ASSIGN = frozenset({"=", ":=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", ">>=", "<<=", "&=", "|=", "^=", "@="})
_OPENING = frozenset({"(", "[", "{"})
_CLOSING = frozenset({")", "]", "}"})
_BLOCK = frozenset({"{", "}"})
_PARAMETER_AFTER = frozenset({"(", ",", "*", "**"})
_IMPORT_PARTS = frozenset({".", ",", "as", "(", "import", "from"})  # what comes before a name an import binds
_JUXTAPOSED = frozenset({IDENTIFIER, NUMBER, STRING, ")", "]"})
_WITH_TEXT = frozenset({IDENTIFIER, NUMBER, STRING})
_CUDA_BUILTINS = frozenset({"threadIdx", "blockIdx", "blockDim", "gridDim", "warpSize"})
_NAMING = frozenset({"def", "class", "as"})
_LAMBDA_PARAMETER_AFTER = frozenset({"lambda", ",", "*", "**"})
_NAME_OR_BRACKET = frozenset({IDENTIFIER}) | _OPENING | _CLOSING
# The tokens the walk over a Python stream stops at: names, brackets, statement and block ends, and what
# begins or ends a binding (everything else is read as the token before or after one of these).
_BINDING = _NAME_OR_BRACKET | _ASSIGN | {STATEMENT_END, ":", "for", "in", "lambda", "import", "from"}
_KEYWORD_SYMBOLS = frozenset({"as", "def", "class", "for", "in", "lambda", "import", "from", "global", "nonlocal"})


def _aligned_names(local: TokenStream, upstream: TokenStream, tiles: Sequence[Tile]) -> Counter[tuple[str, str]]:
    """(upstream name, local name) -> how many times the two are aligned, over every identifier the tiles cover."""
    pairs: Counter[tuple[str, str]] = Counter()
    symbols, local_texts, upstream_texts = local.symbols, local.texts, upstream.texts
    for tile in tiles:  # slices, zip and compress: the pairs are counted at C speed
        here, there, length = tile.local, tile.upstream, tile.length
        names = list(map(IDENTIFIER.__eq__, symbols[here : here + length]))
        pairs.update(
            zip(
                compress(upstream_texts[there : there + length], names),
                compress(local_texts[here : here + length], names),
                strict=False,
            )
        )
    return pairs


def differing_names(
    local: TokenStream, upstream: TokenStream, tiles: Sequence[Tile]
) -> tuple[tuple[str, str, int], ...]:
    """Every aligned name spelled differently, each upstream and local name paired once, most frequent first.

    Unfiltered: what tells a whole-file match that kept every name from one that did not, and
    near-identical upstream files apart, however the differences came about.
    """
    return tuple(
        (old, new, count) for old, new, count in _pair_once(_aligned_names(local, upstream, tiles)) if old != new
    )


def rename_map(local: TokenStream, upstream: TokenStream, tiles: Sequence[Tile]) -> tuple[tuple[str, str, int], ...]:
    """(upstream name, local name, aligned uses) for the identifiers the copy renamed, most used first."""
    if all(old == new for old, new in _aligned_names(local, upstream, tiles)):
        return ()  # every aligned name kept: nothing to read the files for
    local_own, upstream_own = own_name_positions(local), own_name_positions(upstream)
    pairs: Counter[tuple[str, str]] = Counter()
    local_texts, upstream_texts = local.texts, upstream.texts
    for tile in tiles:
        here, there, length = tile.local, tile.upstream, tile.length
        both = list(map(and_, local_own[here : here + length], upstream_own[there : there + length]))
        pairs.update(
            zip(
                compress(upstream_texts[there : there + length], both),
                compress(local_texts[here : here + length], both),
                strict=False,
            )
        )
    upstream_uses = Counter(compress(upstream_texts, map(IDENTIFIER.__eq__, upstream.symbols)))
    local_uses = Counter(compress(local_texts, map(IDENTIFIER.__eq__, local.symbols)))
    old_aligned: Counter[str] = Counter()
    new_aligned: Counter[str] = Counter()
    for (old, new), count in pairs.items():
        old_aligned[old] += count
        new_aligned[new] += count
    paired = [(old, new, count) for old, new, count in _pair_once(pairs) if old != new]
    renamed_to = {old: new for old, new, _ in paired}
    renamed_from = {new: old for old, new, _ in paired}
    candidates = [
        (old, new, count)
        for old, new, count in paired
        # Both names still in use on both sides: two names alignment swapped, not one the copy renamed.
        if not (local_uses[old] and upstream_uses[new])
        # A name given the name of another that moved on in turn: a run of same-shaped lines aligned one
        # step off (``self.a = a`` beside ``self.b = b``), where each name takes its neighbour's.
        and new not in renamed_to
        and old not in renamed_from
        # The copy still uses the old name more than it uses the new one in its place (or the upstream
        # already has the new name for more): the pairs are edits or misalignment, not a rename.
        and local_uses[old] <= count
        and upstream_uses[new] <= count
        and count >= CONSISTENT * old_aligned[old]
        and count >= CONSISTENT * new_aligned[new]
    ]
    weak = {
        (old, new)
        for old, new, count in candidates
        if count < MIN_USES
        # Every use of the upstream name lines up with the local name, which is not used otherwise where code
        # aligns (code the copy added may use it more), and neither name is used on the other side at all:
        # the one replaced the other throughout.
        and count == upstream_uses[old] == new_aligned[new]
        and not local_uses[old]
        and not upstream_uses[new]
    }
    confirmed = _confirmed(weak, {(old, new) for old, new, _ in candidates}, local, upstream, tiles) if weak else set()
    return tuple((old, new, count) for old, new, count in candidates if count >= MIN_USES or (old, new) in confirmed)


def _confirmed(
    weak: set[tuple[str, str]],
    candidates: set[tuple[str, str]],
    local: TokenStream,
    upstream: TokenStream,
    tiles: Sequence[Tile],
) -> set[tuple[str, str]]:
    """The weakly supported renames whose every use is followed, in its tile, by :data:`NEIGHBOURS` names
    and literals that agree: the same on both sides, or paired as other candidate renames (that passed every
    test but support) pair them.

    Two definitions of the same shape tiled together (``def save_vocabulary(self, save_directory``
    beside ``def prepare_for_tokenization(self, text``, or two model builders that differ in their
    numbers) differ in what follows the name that looks renamed; a renamed copy does not.
    """
    symbols, local_texts, upstream_texts = local.symbols, local.texts, upstream.texts
    doubtful: set[tuple[str, str]] = set()
    seen: set[tuple[str, str]] = set()
    for tile in tiles:
        names = map(IDENTIFIER.__eq__, symbols[tile.local : tile.local + tile.length])
        for offset in compress(range(tile.length), names):
            pair = (upstream_texts[tile.upstream + offset], local_texts[tile.local + offset])
            if pair not in weak:
                continue
            seen.add(pair)
            with_text = (later for later in range(offset + 1, tile.length) if symbols[tile.local + later] in _WITH_TEXT)
            following = [
                (upstream_texts[tile.upstream + later], local_texts[tile.local + later])
                for later in islice(with_text, NEIGHBOURS)
            ]
            if len(following) < NEIGHBOURS or any(
                old != new and (old, new) not in candidates for old, new in following
            ):
                doubtful.add(pair)
    return seen - doubtful


def _pair_once(pairs: Counter[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Each upstream name with the local name it lines up with most often, each local name claimed by one
    upstream name only, most frequent first. A name kept as it is claims itself: the pair is in the list."""
    chosen: list[tuple[str, str, int]] = []
    used_old: set[str] = set()
    used_new: set[str] = set()
    for (old, new), count in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
        if old not in used_old and new not in used_new:
            used_old.add(old)
            used_new.add(new)
            chosen.append((old, new, count))
    return chosen


def own_name_positions(stream: TokenStream) -> bytes:
    """For each token, 1 where it is an identifier the file chose: in Python, a name the file defines (not a
    builtin, not a dunder), used where it is neither an attribute of a module nor a keyword argument of a
    call into a library; in other languages, see :func:`_unqualified`.

    Kept for the streams read last: an upstream file is often the source of several local files (the index
    hands out the same stream for each), and a local file with several matches is read once.
    """
    cached = _RECENT.get(id(stream))
    if cached is not None and cached[0]() is stream:
        return cached[1]
    positions = bytes(_own_name_positions(stream))
    while len(_RECENT) >= RECENT_STREAMS:
        del _RECENT[next(iter(_RECENT))]
    _RECENT[id(stream)] = (weakref.ref(stream), positions)
    return positions


def _own_name_positions(stream: TokenStream) -> bytearray:
    symbols = stream.symbols
    if stream.language not in PYTHON_LANGUAGES:
        return _unqualified(symbols, stream.texts)
    texts = stream.texts
    blocks = _block_marks(symbols) if stream.language == "python" else frozenset()
    defined, imported = _defined_names(symbols, texts, blocks, lexed=stream.language == FALLBACK_LANGUAGE)
    own = {name for name in defined - imported - BUILTIN_NAMES if not (name.startswith("__") and name.endswith("__"))}
    # Whether the attribute chain a name ends (``torch.nn.Embedding``, ``self.proj``) starts at a name that comes
    # from elsewhere: an import, a builtin, a name the file never defines.
    foreign = [False] * len(symbols)
    positions = bytearray(len(symbols))
    calls: list[bool] = []  # per open bracket: whether it is the argument list of a call into a library
    last = len(symbols) - 1
    for position in compress(itertools.count(), map(_NAME_OR_BRACKET.__contains__, symbols)):
        symbol = symbols[position]
        if symbol != IDENTIFIER:
            if position in blocks:
                continue
            if symbol in _OPENING:
                calls.append(
                    symbol == "(" and position > 0 and _calls_foreign(symbols, texts, foreign, own, position - 1)
                )
            elif calls:
                calls.pop()
            continue
        text = texts[position]
        attribute = position >= 2 and symbols[position - 1] == "." and symbols[position - 2] == IDENTIFIER
        foreign[position] = foreign[position - 2] if attribute else (text not in defined or text in imported)
        if attribute and foreign[position - 2]:
            continue
        if position < last and symbols[position + 1] == "=" and calls and calls[-1]:
            continue  # a keyword argument: its name is the library's
        positions[position] = text in own
    return positions


def _unqualified(symbols: Sequence[str], texts: Sequence[str]) -> bytearray:
    """For each token of a stream in another language, whether it is an identifier the file may have chosen.

    Not a name in a qualified name: ``std::vector``, ``at::Tensor``, ``c10::Half`` are a library's
    namespace and its members (the lexers give ``::`` as two colons; the file's own names in a qualified
    definition, ``Foo::bar``, come as one token and stay). Not a name the C family reserves for the
    compiler and its libraries (``__syncthreads``, ``__half``), nor one of CUDA's built-in variables.
    """
    positions = bytearray(map(IDENTIFIER.__eq__, symbols))
    for position in compress(itertools.count(), positions):
        if texts[position].startswith("__") or texts[position] in _CUDA_BUILTINS:
            positions[position] = 0
    for position in compress(range(len(symbols) - 1), map(":".__eq__, symbols)):
        if symbols[position + 1] == ":":
            if position > 0:
                positions[position - 1] = 0
            if position + 2 < len(symbols):
                positions[position + 2] = 0
    return positions


def _calls_foreign(symbols: Sequence[str], texts: Sequence[str], foreign: list[bool], own: set[str], at: int) -> bool:
    """Whether the token at ``at``, just before a ``(``, names a callable that is not the file's own."""
    symbol = symbols[at]
    if symbol == IDENTIFIER:
        return foreign[at] or texts[at] not in own
    # ``print``, ``super``, ``isinstance``: the builtins kept as symbols.
    return symbol.isidentifier() and symbol not in _KEYWORD_SYMBOLS and symbol not in ("self", "cls")


def _block_marks(symbols: Sequence[str]) -> frozenset[int]:
    """Positions of the ``{`` and ``}`` that stand for indentation in a Python stream, not for braces.

    Indentation changes only after a statement end, or right after another change (a block whose
    only statements were a docstring or imports, which the stream leaves out); braces never do.
    """
    marks: set[int] = set()
    for position in compress(itertools.count(), map(_BLOCK.__contains__, symbols)):
        if position == 0 or symbols[position - 1] == STATEMENT_END or position - 1 in marks:
            marks.add(position)
    return frozenset(marks)


def _defined_names(
    symbols: Sequence[str], texts: Sequence[str], blocks: frozenset[int], *, lexed: bool
) -> tuple[frozenset[str], frozenset[str]]:
    """The names a Python stream binds, and those its import statements bind.

    Bound: what follows ``def``, ``class`` and ``as``; parameters of definitions and lambdas; targets
    of ``for`` and of assignments (plain, augmented, annotated, walrus, unpacking), attributes
    assigned included. A normalised stream has no import statements; a stream lexed leniently (Python
    ``tokenize`` could not read) keeps them, and what they bind comes from elsewhere.

    Only the tokens that bind, open or close something are visited (most are not, and are skipped at
    C speed); what comes before and after one is read off the stream.
    """
    defined: set[str] = set()
    imported: set[str] = set()
    brackets: list[bool] = []  # per open bracket: whether it holds the parameters of a definition
    lambdas: list[int] = []  # bracket depth of each lambda whose parameters are being read
    loops: list[int] = []  # bracket depth of each ``for`` whose targets are being read
    targets: list[str] = []  # names of the current statement that an ``=`` after them would bind
    first = 0  # where the current statement began
    annotation = False  # between the colon and the ``=`` of an annotated assignment: types, not targets
    importing = False
    last = len(symbols) - 1
    for position in compress(itertools.count(), map(_BINDING.__contains__, symbols)):
        symbol = symbols[position]
        previous = symbols[position - 1] if position else ""
        if symbol == STATEMENT_END or position in blocks:
            # Python keeps no bracket open across statements: what a damaged stream left open is closed here.
            first, annotation, importing = position + 1, False, False
            if targets or brackets or lambdas or loops:
                for pending in (targets, brackets, lambdas, loops):
                    pending.clear()
            continue
        if importing and symbol == IDENTIFIER and previous not in _IMPORT_PARTS:
            importing = False  # a lexed stream has no statement ends: the next statement begins here
        if symbol == IDENTIFIER:
            if lexed and previous in _JUXTAPOSED and not brackets:
                # A name right after a name, a literal or a bracket: in a stream without statement
                # ends, the next statement begins here.
                first, importing = position, False
                targets.clear()
            text = texts[position]
            following = symbols[position + 1] if position < last else ""
            depth = len(brackets)
            if importing:
                imported.add(text)
            elif (
                previous in _NAMING
                or (brackets and brackets[-1] and previous in _PARAMETER_AFTER)
                or (lambdas and lambdas[-1] == depth and previous in _LAMBDA_PARAMETER_AFTER)
                or (loops and depth >= loops[-1] and previous != ".")
                or following == ":="
                or (following in _ASSIGN and not brackets and not annotation)
                or (position == first and following == ":" and not brackets)
            ):
                defined.add(text)
            elif following == "," and not brackets and not annotation:
                targets.append(text)  # ``a, b = ...``: bound if an ``=`` follows
        elif symbol in _OPENING:
            brackets.append(symbol == "(" and position >= 2 and symbols[position - 2] == "def")
        elif symbol in _CLOSING:
            if brackets:
                brackets.pop()
        elif symbol == "import" or (symbol == "from" and _imports_from(symbols, position)):
            importing = True
        elif symbol == "lambda":
            lambdas.append(len(brackets))
        elif symbol == "for":
            loops.append(len(brackets))
        elif symbol == "in":
            if loops and loops[-1] == len(brackets):
                loops.pop()
        elif symbol == ":":
            if lambdas and lambdas[-1] == len(brackets):
                lambdas.pop()
            elif not brackets:
                targets.clear()
                if previous == IDENTIFIER and first == position - 1:
                    annotation = True  # ``name: type = value``
                else:
                    first = position + 1  # ``if x: a, b = ...``: a statement after the colon of a compound one
        elif not brackets:  # an assignment
            defined.update(targets)
            targets.clear()
            annotation = False
    return frozenset(defined), frozenset(imported)


def _imports_from(symbols: Sequence[str], position: int) -> bool:
    """Whether the ``from`` at ``position`` begins an import (``yield from`` and ``raise ... from`` do not)."""
    after = position + 1
    while after < len(symbols) and symbols[after] in (IDENTIFIER, "."):
        after += 1
    return after < len(symbols) and symbols[after] == "import"
