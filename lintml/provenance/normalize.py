"""Source text -> a normalised token stream in which only the program's shape remains.

Identifiers (names of classes, functions, methods, parameters, variables and attributes)
become ``V``, string literals ``S``, number literals ``N``; comments, docstrings and
layout are dropped. Keywords, operators, statement ends and block structure stay, so
a copy that was renamed, reformatted and stripped of comments gives the same stream as
its upstream. Each token keeps its line and its original text, so a match maps back to
line ranges and aligned identifiers give the rename map.

Python goes through CPython's tokenizer (the C one on 3.11, ``tokenize`` itself elsewhere and
for whatever the C one refuses): it is an order of magnitude faster than building libcst's
concrete tree for every file, which the speed targets cannot
afford (the rename map of a confirmed match is read off these streams too, see
:mod:`lintml.provenance.renames`).
Python that ``tokenize`` cannot read, and every other language, goes through pygments'
lexers with the same normalisation.
"""

from __future__ import annotations

import io
import json
import keyword
import re
import sys
import token as token_module
import tokenize
import zlib
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property, lru_cache
from itertools import accumulate, compress, count
from pathlib import PurePosixPath

# Bump when the stream changes: indexes built with another version cannot be queried.
NORMALIZER_VERSION = "3"

IDENTIFIER = "V"
STRING = "S"
NUMBER = "N"
STATEMENT_END = ";"
BLOCK_START = "{"
BLOCK_END = "}"

# Names copiers do not rename: ``self`` and builtins that are seldom shadowed. Keeping
# them makes streams more distinctive without giving a rename anything to change.
KEPT_NAMES = frozenset(
    {
        "self",
        "cls",
        "super",
        "isinstance",
        "issubclass",
        "len",
        "range",
        "enumerate",
        "zip",
        "getattr",
        "setattr",
        "hasattr",
        "print",
        "staticmethod",
        "classmethod",
        "property",
        "NotImplemented",
        "NotImplementedError",
        "ValueError",
        "TypeError",
        "KeyError",
        "RuntimeError",
        "AttributeError",
        "ImportError",
        "IndexError",
        "Exception",
    }
)
_KEYWORDS = frozenset(keyword.kwlist)
_IMPORTS = frozenset({"import", "from"})
_CLOSING = frozenset({")", "]", "}"})
_STATEMENT_BOUNDARY = frozenset({STATEMENT_END, BLOCK_START, BLOCK_END})

PYTHON_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})
FALLBACK_LANGUAGE = "python-lexed"
# Non-Python code this long whose lines average this many characters is a minified bundle.
MINIFIED_FROM = 20_000
MINIFIED_LINE = 500


class TokenStream:
    """Normalised tokens of one file: the symbol, its line, and the original text for V/S/N.

    Not to be changed once made. A stream read from an index (:meth:`unpack`) decodes its lines and
    texts on first use: most upstream files a match reads are aligned by their symbols alone and
    dropped, and decoding the other two fields took most of the time of reading one.
    """

    def __init__(
        self, symbols: tuple[str, ...], lines: tuple[int, ...], texts: tuple[str, ...], language: str = "python"
    ) -> None:
        self.symbols = symbols
        self.language = language
        self._lines: tuple[int, ...] | None = lines
        self._texts: tuple[str, ...] | None = texts
        self._packed = ("", "")  # line steps and joined texts of an unpacked stream, until decoded
        self._blob: bytes | None = None  # what pack() gives, when the stream was made from it

    @property
    def lines(self) -> tuple[int, ...]:
        if self._lines is None:
            steps = self._packed[0]
            self._lines = tuple(accumulate(map(int, steps.split(",")))) if steps else ()
        return self._lines

    @property
    def texts(self) -> tuple[str, ...]:
        """The original text of each V, S and N token; "" for the rest."""
        if self._texts is None:
            texts = [""] * len(self.symbols)
            with_text = compress(count(), map(_WITH_TEXT.__contains__, self.symbols))
            joined = self._packed[1]
            # Each text to its place at C speed; surplus texts or places are left out.
            deque(map(texts.__setitem__, with_text, joined.split(_UNIT) if joined else ()), maxlen=0)
            self._texts = tuple(texts)
        return self._texts

    def __len__(self) -> int:
        return len(self.symbols)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TokenStream):
            return NotImplemented
        return (self.symbols, self.lines, self.texts, self.language) == (
            other.symbols,
            other.lines,
            other.texts,
            other.language,
        )

    def __hash__(self) -> int:
        return hash((self.symbols, self.lines, self.texts, self.language))

    def __repr__(self) -> str:
        return f"TokenStream({len(self.symbols)} tokens, {self.language!r})"

    def with_language(self, language: str) -> TokenStream:
        return TokenStream(self.symbols, self.lines, self.texts, language)

    @cached_property
    def code_array(self) -> array:
        """Each symbol as a stable 32-bit number, the alphabet fingerprints are computed over."""
        codes = {symbol: symbol_code(symbol) for symbol in set(self.symbols)}  # a few hundred distinct symbols
        return array("I", map(codes.__getitem__, self.symbols))

    def pack(self) -> bytes:
        """A compact, compressed form to store in an index: symbols, then V/S/N texts, then line steps."""
        if self._blob is not None:
            return self._blob
        steps = [b - a for a, b in zip((0, *self.lines), self.lines, strict=False)]
        texts = [_clean(text) for symbol, text in zip(self.symbols, self.texts, strict=False) if symbol in _WITH_TEXT]
        symbols = [_clean(symbol) for symbol in self.symbols]
        fields = (self.language, _UNIT.join(symbols), _UNIT.join(texts), ",".join(map(str, steps)))
        # Level 6, not 9: a seventh of the time for 1% more bytes (transformers' 1,858 code files).
        return zlib.compress(_RECORD.join(fields).encode(), 6)

    @classmethod
    def unpack(cls, blob: bytes) -> TokenStream:
        return cls.decode(zlib.decompress(blob))

    @classmethod
    def from_pack(cls, blob: bytes, limit: int) -> TokenStream:
        """The stream :meth:`pack` gave ``blob`` for, which packs to ``blob`` again at no cost; ValueError
        when it is not one or inflates to more than ``limit`` bytes."""
        inflater = zlib.decompressobj()
        try:
            packed = inflater.decompress(blob, limit)
        except zlib.error as error:
            raise ValueError(f"not a packed stream ({error})") from None
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise ValueError("not a packed stream, or a larger one than its file makes")
        try:
            stream = cls.decode(packed)
        except UnicodeDecodeError as error:
            raise ValueError(f"not a packed stream ({error})") from None
        stream._blob = blob
        return stream

    @classmethod
    def decode(cls, packed: bytes) -> TokenStream:
        """The stream of a :meth:`pack` result already inflated; ValueError when it is not one. Lines and
        texts are checked here (one line step per symbol, each a small whole number) and decoded on use."""
        language, symbol_field, text_field, step_field = packed.decode().split(_RECORD)
        symbols = tuple(symbol_field.split(_UNIT)) if symbol_field else ()
        if (step_field.count(",") + 1 if step_field else 0) != len(symbols) or not _whole_steps(step_field):
            raise ValueError("the line steps do not fit the symbols")
        stream = cls(symbols, (), (), language)
        stream._lines = stream._texts = None
        stream._packed = (step_field, text_field)
        return stream


def _whole_steps(field: str) -> bool:
    """Whether a stored field of line steps is small whole numbers apart from commas (lines never go back)."""
    return not field or (
        not field.encode().translate(None, b"0123456789,")
        and ",," not in field
        and not field.startswith(",")
        and not field.endswith(",")
        and not _LONG_NUMBER.search(field)
    )


_LONG_NUMBER = re.compile("[0-9]{10}")
_WITH_TEXT = frozenset({IDENTIFIER, STRING, NUMBER})
_UNIT, _RECORD = "\x1f", "\x1e"  # ASCII unit and record separators


def _clean(text: str) -> str:
    return text.replace(_UNIT, " ").replace(_RECORD, " ") if (_UNIT in text or _RECORD in text) else text


@lru_cache(maxsize=4096)
def symbol_code(symbol: str) -> int:
    return zlib.crc32(symbol.encode())


def normalize(path: str, text: str) -> TokenStream:
    """The stream of one file, by its name: Python, a notebook's code cells, or anything pygments lexes."""
    suffix = PurePosixPath(path).suffix.lower()
    if suffix == ".ipynb":
        return normalize_python(notebook_code(text))
    if suffix in PYTHON_SUFFIXES:
        return normalize_python(text)
    if _minified(text):
        # A minified bundle is generated, not written: its lines say nothing of who wrote it,
        # and lexing megabytes of one-line code would cost seconds.
        return TokenStream((), (), (), "minified")
    return normalize_generic(path, text)


def _minified(text: str) -> bool:
    return len(text) > MINIFIED_FROM and text.count("\n") * MINIFIED_LINE < len(text)


def notebook_code(text: str) -> str:
    """A notebook's code cells joined into one program, shell and magic lines blanked (lines kept)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return ""
    cells = document.get("cells") if isinstance(document, dict) else None
    if not isinstance(cells, list):
        return ""
    parts = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        code = "".join(str(part) for part in source) if isinstance(source, list) else str(source)
        lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def normalize_python(text: str) -> TokenStream:
    if _c_tokens is not None and _c_reads_as_reference(text):
        try:
            return _python_stream(_c_tokens(text))
        except Exception:  # whatever the C tokenizer refuses, the reference tokenizer reads below
            pass
    try:
        return _python_stream(_reference_tokens(text))
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError, RecursionError):
        # Not Python tokenize can read (a syntax error, a file cut short): lexed leniently instead,
        # so a broken copy is still fingerprinted rather than skipped.
        return normalize_generic("source.py", text).with_language(FALLBACK_LANGUAGE)


# A token as the normaliser reads it: its kind (``tokenize``'s numbers, every operator ``OP``),
# its text and its first line.
_Token = tuple[int, str, int]


def _reference_tokens(text: str) -> Iterator[_Token]:
    """The standard ``tokenize`` module's tokens: the reference, and the only reader before Python 3.11."""
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        yield token.type, token.string, token.start[0]


def _c_tokens_of(tokenizer: Callable[[str], Iterator[tuple]]) -> Callable[[str], Iterator[_Token]]:  # type: ignore[type-arg]
    """Tokens from CPython 3.11's C tokenizer, about seven times faster than 3.11's pure-Python ``tokenize``.

    It yields what ``tokenize`` yields less comments and blank lines (which the normaliser drops), with
    each operator under its exact kind. It refuses outright what ``tokenize`` would only mark (a ``$``,
    a ``0777``, mixed tabs), and some errors (a dedent to no outer level, a string left open) end its
    iteration silently, as if the file ended there: a file whose last token does not close a statement
    at or after its last line of code raises here. Either way the file is read by ``tokenize`` again,
    so the stream of every file is the reference's (``tests/unit/test_normalize.py`` compares them).
    """
    # Operators under their exact kinds are ``OP`` to ``tokenize``; ``async`` and ``await`` are names; a
    # character that is no operator (``$``, ``?``) comes as a bare ``OP``, where ``tokenize`` marks an error.
    kinds = dict.fromkeys(token_module.EXACT_TOKEN_TYPES.values(), tokenize.OP)
    kinds.update({token_module.ASYNC: tokenize.NAME, token_module.AWAIT: tokenize.NAME})
    kinds[token_module.OP] = tokenize.ERRORTOKEN

    ends = (tokenize.NEWLINE, tokenize.DEDENT)

    name = tokenize.NAME

    def tokens(text: str) -> Iterator[_Token]:
        kind = end_line = 0
        for string, kind, line, end_line, _column, _end_column, _source in tokenizer(text):  # noqa: B007 - the last token ends the file
            if kind == name and not string.isascii() and not _WORD.fullmatch(string):
                # A name Python allows (a combining mark, a vowel sign) that tokenize's \w+ does not read whole.
                raise SyntaxError("a name tokenize reads otherwise")
            yield kinds.get(kind, kind), string, line
        if _last_code_line(text) > (end_line if kind in ends else 0):
            raise SyntaxError("the C tokenizer stopped before the end of the file")

    return tokens


_WORD = re.compile(r"\w+")
# A line of only indentation and a backslash: tokenize dedents there, the C tokenizer reads it as blank.
_BLANK_CONTINUATION = re.compile(r"^[ \t\f]*\\$", re.MULTILINE)


def _c_reads_as_reference(text: str) -> bool:
    """Whether the C tokenizer can be asked at all: not where it is known to read otherwise than ``tokenize``
    without refusing. It keeps CR LF inside literals as LF, reads Python 2's ``<>`` as one operator (tokenize:
    ``<`` and ``>``), and skips a line holding only a continuation."""
    return "\r" not in text and "<>" not in text and not _BLANK_CONTINUATION.search(text)


def _last_code_line(text: str) -> int:
    """The number of the last line holding more than blanks and a comment (0 for none)."""
    end = len(text)
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].strip()
        if line and not line.startswith("#"):
            return text.count("\n", 0, start) + 1
        end = start - 1
    return 0


def _python_tokenizer() -> Callable[[str], Iterator[_Token]] | None:
    """The fast tokenizer where this Python has one: 3.11's C ``TokenizerIter`` takes the source text.

    From 3.12 ``tokenize`` itself runs on the C tokenizer (and ``TokenizerIter`` takes other arguments),
    so the reference path is the fast one there; 3.10 has no C tokenizer to call.
    """
    if sys.version_info[:2] != (3, 11):
        return None
    try:
        from _tokenize import TokenizerIter  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - every CPython 3.11 has it
        return None
    return _c_tokens_of(TokenizerIter)


_c_tokens = _python_tokenizer()


def _python_stream(tokens: Iterable[_Token]) -> TokenStream:
    symbols: list[str] = []
    lines: list[int] = []
    texts: list[str] = []
    statement_start = 0  # index in symbols where the current logical line began
    only_strings = True  # the current logical line so far is string literals alone (a docstring)
    in_fstring = 0
    token_type = tokenize
    for kind, string, line in tokens:
        if kind in _SKIPPED:
            continue
        if in_fstring or kind == _FSTRING_START:
            # Python 3.12+ splits f-strings into parts; the whole f-string is one literal.
            if kind == _FSTRING_START:
                if not in_fstring:
                    _add_string(symbols, lines, texts, line, string)
                in_fstring += 1
            elif kind == _FSTRING_END:
                in_fstring -= 1
            continue
        if kind == token_type.NEWLINE:
            if len(symbols) > statement_start and (only_strings or symbols[statement_start] in _IMPORTS):
                # A docstring says nothing about the program; imports follow from its dependencies,
                # not from its author, and every file has them.
                del symbols[statement_start:], lines[statement_start:], texts[statement_start:]
            elif len(symbols) > statement_start:
                symbols.append(STATEMENT_END)
                lines.append(line)
                texts.append("")
            statement_start = len(symbols)
            only_strings = True
            continue
        if kind == token_type.INDENT or kind == token_type.DEDENT:
            symbols.append(BLOCK_START if kind == token_type.INDENT else BLOCK_END)
            lines.append(line)
            texts.append("")
            statement_start = len(symbols)
            only_strings = True
            continue
        if kind == token_type.STRING:
            _add_string(symbols, lines, texts, line, string)
            continue
        only_strings = False
        if kind == token_type.NAME:
            if string in _KEYWORDS or string in KEPT_NAMES:
                symbols.append(string)
                texts.append("")
            else:
                symbols.append(IDENTIFIER)
                texts.append(string)
        elif kind == token_type.NUMBER:
            symbols.append(NUMBER)
            texts.append(string)
        elif kind == token_type.OP:
            if string in _CLOSING and symbols and symbols[-1] == ",":
                # A trailing comma is a formatter's choice, not the program's.
                symbols.pop(), lines.pop(), texts.pop()
            symbols.append(string)
            texts.append("")
        elif kind == token_type.ERRORTOKEN:
            if string.isspace():
                continue
            raise tokenize.TokenError(f"cannot tokenize {string!r}", (line, 0))
        else:
            continue
        lines.append(line)
    _join_string_runs(symbols, lines, texts)
    while symbols and symbols[-1] == BLOCK_END:  # closing dedents say nothing
        symbols.pop(), lines.pop(), texts.pop()
    dropped = _redundant_parentheses(symbols)
    if dropped:
        keep = [position for position in range(len(symbols)) if position not in dropped]
        symbols = [symbols[position] for position in keep]
        lines = [lines[position] for position in keep]
        texts = [texts[position] for position in keep]
    return TokenStream(tuple(symbols), tuple(lines), tuple(texts), "python")


_SKIPPED = frozenset((tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER))


# Parentheses that only group (``return (a, b)``, ``(not x or y)``, ``f((x for x in y))``)
# come and go with formatters and unparsers; parentheses of calls and definitions stay.
def _redundant_parentheses(symbols: list[str]) -> set[int]:
    dropped: set[int] = set()
    openings: list[int] = []
    for position, symbol in enumerate(symbols):
        if symbol == "(":
            openings.append(position)
        elif symbol == ")" and openings:
            start = openings.pop()
            if position > start + 1 and not _calls(symbols[start - 1] if start else ""):
                dropped.update((start, position))
    return dropped


def _calls(previous: str) -> bool:
    """Whether a parenthesis after this symbol belongs to a call, a definition or a subscript chain."""
    return previous in (IDENTIFIER, STRING, ")", "]") or (previous.isidentifier() and previous not in _KEYWORDS)


_FSTRING_START = getattr(tokenize, "FSTRING_START", -1)
_FSTRING_END = getattr(tokenize, "FSTRING_END", -1)


def _add_string(symbols: list[str], lines: list[int], texts: list[str], line: int, string: str) -> None:
    """One string literal; runs of them (implicit concatenation) are joined by :func:`_join_string_runs`."""
    symbols.append(STRING)
    lines.append(line)
    texts.append(string_value(string))


def _join_string_runs(symbols: list[str], lines: list[int], texts: list[str]) -> None:
    """Adjacent literals become one, however the source wraps them, at the first one's line.

    Joined once at the end, in linear time: adding each to the last (``+=``) copied the run so far
    every time, and a file of 600,000 adjacent literals took minutes.
    """
    if STRING not in symbols:
        return
    kept = 0
    position = 0
    while position < len(symbols):
        end = position + 1
        if symbols[position] == STRING:
            while end < len(symbols) and symbols[end] == STRING:
                end += 1
        symbols[kept], lines[kept] = symbols[position], lines[position]
        texts[kept] = texts[position] if end == position + 1 else "".join(texts[position:end])
        kept += 1
        position = end
    del symbols[kept:], lines[kept:], texts[kept:]


def string_value(literal: str) -> str:
    """A string literal without its prefix and quotes, so a change of quote style changes nothing."""
    body = literal.lstrip("rRbBuUfF")
    for quote in ('"""', "'''", '"', "'"):
        if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
            return body[len(quote) : -len(quote)]
    return body


# ----------------------------------------------------------------------------- other languages


def normalize_generic(path: str, text: str) -> TokenStream:
    """Any language pygments knows: names V, literals S/N, comments and whitespace dropped."""
    from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace

    lexer = _lexer_for(path)
    if lexer is None:
        return TokenStream((), (), (), "unknown")
    symbols: list[str] = []
    lines: list[int] = []
    texts: list[str] = []
    line = 1
    string_run: list[str] = []  # the parts of adjacent string tokens, joined once (``+=`` was quadratic)
    for token_type, value in lexer.get_tokens(text):
        here = line
        line += value.count("\n")
        if token_type in Comment or token_type in Text or token_type in Whitespace or not value.strip():
            continue
        if token_type in String:
            if not string_run:
                symbols.append(STRING)
                lines.append(here)
                texts.append(value)
            string_run.append(value)
            continue
        if string_run:
            texts[-1] = "".join(string_run)
            string_run = []
        value = value.strip()
        if token_type in Keyword:
            symbols.append(value)
            texts.append("")
        elif token_type in Name:
            symbols.append(IDENTIFIER)
            texts.append(value)
        elif token_type in Number:
            symbols.append(NUMBER)
            texts.append(value)
        elif token_type in Punctuation:
            # Lexers differ in how they group punctuation; one symbol per character is stable.
            for character in value:
                if not character.isspace():
                    symbols.append(character)
                    lines.append(here)
                    texts.append("")
            continue
        elif token_type in Operator:
            symbols.append(value)
            texts.append("")
        else:
            symbols.append(value)
            texts.append("")
        lines.append(here)
    if string_run:
        texts[-1] = "".join(string_run)
    return TokenStream(tuple(symbols), tuple(lines), tuple(texts), lexer.name.lower())


# Suffix -> pygments lexer alias, for the languages ML repositories hold; others are guessed.
_LEXER_ALIASES = {
    ".py": "python",
    ".pyi": "python",
    ".pyx": "cython",
    ".pxd": "cython",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hpp": "cpp",
    ".hh": "cpp",
    ".cu": "cuda",
    ".cuh": "cuda",
    ".sh": "bash",
    ".bash": "bash",
    ".js": "javascript",
    ".mjs": "javascript",
    ".ts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".scala": "scala",
    ".kt": "kotlin",
    ".swift": "swift",
    ".m": "objective-c",
    ".mm": "objective-c++",
    ".r": "r",
    ".jl": "julia",
    ".lua": "lua",
    ".cmake": "cmake",
    ".metal": "cpp",
}


@lru_cache(maxsize=64)
def _lexer_by_alias(alias: str):  # type: ignore[no-untyped-def]
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(alias, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _lexer_for(path: str):  # type: ignore[no-untyped-def]
    suffix = PurePosixPath(path).suffix.lower()
    alias = _LEXER_ALIASES.get(suffix)
    if alias is not None:
        return _lexer_by_alias(alias)
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return get_lexer_for_filename(PurePosixPath(path).name, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
