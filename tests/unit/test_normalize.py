"""The normalised token stream: what changes it (the program's shape) and what does not (names, layout, comments)."""

from __future__ import annotations

import json
import random
import sys
import tokenize
import zlib
from pathlib import Path

import pytest

import lintml
from lintml.provenance import normalize as normalize_module
from lintml.provenance.normalize import FALLBACK_LANGUAGE, TokenStream, normalize
from lintml.provenance.winnow import GUARANTEE, fingerprints, kgram_hashes, winnow
from tests.copying import rename, stdlib_source, strip_and_reformat

ORIGINAL = '''\
# Copyright 2024 Someone
"""Module docstring."""
import math


def get_refine_size(original_size, grid, patch_size=14):
    """Pick a size."""
    width, height = original_size  # unpack
    grid_x, grid_y = grid
    return math.ceil(width / grid_x) * patch_size, height // grid_y + 1


class Resampler(object):
    def __init__(self, dim, heads):
        self.dim = dim
        self.heads = heads

    def forward(self, x):
        return self.dim * x + f"{self.heads}"
'''

REWRITTEN = """import math
def get_size(orig,
             g, p=7):
    w, h = orig
    gx, gy = g
    return (
        math.ceil(w / gx) * p,
        h // gy + 1,
    )
class Projection(object):
    def __init__(self, size, n):
        self.size = size; self.n = n
    def forward(self, inp):
        return self.size * inp + f'{self.n}'
"""


def test_renaming_reformatting_and_stripping_comments_change_nothing() -> None:
    original = normalize("a.py", ORIGINAL)
    rewritten = normalize("b.py", REWRITTEN)
    # The semicolon join on one line is the only shape change: it is still two statements.
    assert original.symbols == rewritten.symbols
    assert "V" in original.symbols and "def" in original.symbols and "self" in original.symbols


def test_the_program_shape_still_matters() -> None:
    changed = ORIGINAL.replace("height // grid_y + 1", "height // grid_y - 1")
    assert normalize("a.py", ORIGINAL).symbols != normalize("a.py", changed).symbols


def test_tokens_keep_their_lines_and_original_text() -> None:
    stream = normalize("a.py", ORIGINAL)
    position = stream.texts.index("get_refine_size")
    assert stream.symbols[position] == "V" and stream.lines[position] == 6
    assert "Resampler" in stream.texts
    assert "Module docstring." not in stream.texts  # docstrings are gone, not turned into S
    assert "Pick a size." not in stream.texts


def test_pack_round_trips() -> None:
    stream = normalize("a.py", ORIGINAL + "\nSEPARATOR = '\\x1f\\x1e'\n")
    unpacked = TokenStream.unpack(stream.pack())  # lines and texts are decoded on first use
    assert unpacked.symbols == stream.symbols
    assert unpacked.lines == stream.lines
    assert unpacked.texts == stream.texts
    assert TokenStream.unpack(stream.pack()) == stream
    assert hash(TokenStream.unpack(stream.pack())) == hash(stream)
    assert TokenStream.unpack(stream.pack()) != normalize("a.py", ORIGINAL)


def test_a_stream_made_from_its_pack_is_the_same_and_packs_to_the_same_bytes() -> None:
    stream = normalize("module.py", ORIGINAL)
    blob = stream.pack()
    again = TokenStream.from_pack(blob, 16 * len(ORIGINAL))
    assert again == stream and again.pack() is blob


def test_a_packed_stream_that_is_damaged_or_inflates_past_its_limit_is_refused() -> None:
    blob = normalize("module.py", ORIGINAL).pack()
    bomb = zlib.compress(b"\x1f" * 10_000_000)  # ten megabytes from a few kilobytes
    for damaged, limit in [(blob[:-3], 10_000), (b"", 10_000), (blob, 10), (bomb, 100_000), (zlib.compress(b"x"), 10)]:
        with pytest.raises(ValueError):
            TokenStream.from_pack(damaged, limit)


def test_unparsable_python_falls_back_to_the_generic_lexer() -> None:
    broken = ORIGINAL + '\ndef tail(:\n    s = """never closed\n'
    stream = normalize("broken.py", broken)
    assert stream.language == FALLBACK_LANGUAGE and len(stream) > 50
    assert "get_refine_size" in stream.texts


def test_notebook_code_cells_are_normalised_and_magics_dropped() -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title"]},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install x\n", ORIGINAL]},
        ]
    }
    stream = normalize("demo.ipynb", json.dumps(notebook))
    assert stream.symbols == normalize("a.py", ORIGINAL).symbols
    assert normalize("bad.ipynb", "{not json").symbols == ()


def test_c_and_cuda_are_normalised_with_names_and_literals_abstracted() -> None:
    first = "/* header */\nint add(int a, int b) { return a + b * 2; }\n"
    second = "int plus(int x,\n         int y)\n{\n  // sum\n  return x + y * 7;\n}\n"
    assert normalize("a.c", first).symbols == normalize("b.cu", second).symbols
    assert normalize("a.c", first).symbols[:2] == ("int", "V")


def test_real_module_survives_renaming_stripping_and_reformatting() -> None:
    source = stdlib_source("textwrap")
    copied = rename(strip_and_reformat(source), {"TextWrapper": "Folder", "width": "cols", "wrap": "fold"})
    assert normalize("t.py", source).symbols == normalize("c.py", copied).symbols


def test_winnowing_finds_every_long_shared_run() -> None:
    generator = random.Random(7)
    for _ in range(30):
        shared = [generator.randrange(50) for _ in range(GUARANTEE)]
        left = [generator.randrange(50) for _ in range(generator.randrange(0, 200))] + shared
        right = shared + [generator.randrange(50) for _ in range(generator.randrange(0, 200))]
        from array import array

        left_prints = {value for value, _ in winnow(kgram_hashes(array("I", left)))}
        right_prints = {value for value, _ in winnow(kgram_hashes(array("I", right)))}
        assert left_prints & right_prints


def test_fingerprints_are_positions_in_the_stream_and_deterministic() -> None:
    stream = normalize("t.py", stdlib_source("textwrap"))
    prints = fingerprints(stream.code_array)
    assert prints == fingerprints(normalize("t.py", stdlib_source("textwrap")).code_array)
    positions = [position for _, position in prints]
    assert positions == sorted(set(positions)) and positions[-1] < len(stream)
    assert 0.1 < len(prints) / len(stream) < 0.3  # about 2 / (window + 1)


def test_minified_bundles_are_not_lexed() -> None:
    bundle = ";".join(f"var a{number}=function(b,c){{return b*{number}+c}}" for number in range(3000))
    assert normalize("static/bundle.min.js", bundle).symbols == ()
    readable = bundle.replace(";", ";\n")
    assert len(normalize("static/bundle.js", readable)) > 10_000


def _reference_stream(text: str) -> TokenStream:
    """What the standard ``tokenize`` module makes of the text, through the same normaliser."""
    try:
        return normalize_module._python_stream(normalize_module._reference_tokens(text))
    except (tokenize.TokenError, SyntaxError):
        return normalize_module.normalize_generic("source.py", text).with_language(FALLBACK_LANGUAGE)


def test_the_fast_tokenizer_is_there_on_python_3_11() -> None:
    assert (normalize_module._c_tokens is not None) == (sys.version_info[:2] == (3, 11))


def test_the_fast_tokenizer_gives_the_reference_stream_on_real_code() -> None:
    sources = [path.read_text(encoding="utf-8") for path in sorted(Path(lintml.__file__).parent.rglob("*.py"))]
    sources += [stdlib_source(module) for module in ("tokenize", "textwrap", "argparse", "dataclasses", "typing")]
    assert len(sources) > 50
    for source in sources:
        assert normalize_module.normalize_python(source) == _reference_stream(source)


@pytest.mark.parametrize(
    "source",
    [
        "async def fetch(client):\n    async with client:\n        return await client.get()\n",
        'text = """first\r\nsecond"""\r\nother = 1\r\n',  # CRLF inside a literal stays CRLF
        "if ready:\n        start = 1\n    stop = 2\nafter = 3\n",  # a dedent to no outer level
        'value = 1\nhelp = """\nnever closed\n',  # a string left open
        "mode = 0777\n",  # Python 2's octal
        "price = $total\n",
        "if ready:\n\tstart = 1\n        stop = 2\n",  # tabs and spaces mixed
        "value = 1",  # no newline at the end
        "value = 1\n# the end\n\n",
        "value = f'{name!r:>{width}}' 'tail'\n",
        "deep = " + "(" * 250 + "1" + ")" * 250 + "\n",  # more nesting than the C tokenizer allows
        "total = 1 + \\\n",  # a continuation at the end of the file
        "total = 1 + \\\n\n",
        "def shape():\n    return (first,\n            second,)\n",
        "\n\n# only a comment\n",
        "",
        "if ready:\n    start = 1\n\\\n    stop = 2\n",  # a line of only a continuation: tokenize dedents there
        "def shape():\n    \\\n    return 1\n",
        "if first <> second:\n    pass\n",  # Python 2's "not equal"
        "cafe\u0301 = 1\n",  # names Python allows and tokenize's \\w+ does not read whole
        "\u0928\u093e\u092e = 2\n",
        "l\u00b7l = 3\n",
        "a\u203fb = 4\n",
    ],
)
def test_the_fast_tokenizer_gives_the_reference_stream_on_odd_files(source: str) -> None:
    stream = normalize_module.normalize_python(source)
    assert stream == _reference_stream(source)
    assert stream.language == _reference_stream(source).language
