"""The clone benchmark's transformations of C, C++, CUDA, Objective-C and Metal files.

Token-level, on pygments' tokens (the lexers lintml itself uses for these languages), so that
no compiler is needed and every transformation is deterministic for a seed:

- T0 verbatim; T1 ``clang-format`` in one of several other styles; T2 comments removed or
  replaced; T3 identifiers renamed, consistently (``rename_identifiers``); T4 T3, T2 then T1;
- T5 a contiguous run of the top-level definitions covering 40-70% of the file's code;
- T7 T3, then ~15% of the simple statements deleted, edited (a number or an operator changed)
  or followed by a statement taken from a negative project.
"""

from __future__ import annotations

import random
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pygments.token import Comment, Name, Number, Operator, String, Text, Whitespace, _TokenType
from rename import new_names

# ---------------------------------------------------------------------------------------
# Languages

LEXERS = {
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".cu": "cuda",
    ".cuh": "cuda",
    ".m": "objective-c",
    ".mm": "objective-c++",
    ".metal": "cpp",
}
C_SUFFIXES = frozenset(LEXERS)
LANGUAGES = {
    ".c": "C",
    ".h": "C/C++ header",
    ".cc": "C++",
    ".cpp": "C++",
    ".cxx": "C++",
    ".hh": "C++",
    ".hpp": "C++",
    ".cu": "CUDA",
    ".cuh": "CUDA",
    ".m": "Objective-C",
    ".mm": "Objective-C",
    ".metal": "Metal",
}
# clang-format picks its language from the file name; Metal is C++ to it, CUDA too.
ASSUMED_NAMES = {".metal": "file.cpp", ".cu": "file.cu", ".cuh": "file.cuh"}

TRANSFORMATIONS = ("T0", "T1", "T2", "T3", "T4", "T5", "T7")
DESCRIPTIONS = {
    "T0": "verbatim",
    "T1": "clang-format in another style",
    "T2": "comments removed or replaced",
    "T3": "identifiers renamed",
    "T4": "renamed, comments removed, clang-format",
    "T5": "partial: a contiguous 40-70% of the top-level definitions",
    "T7": "renamed + ~15% of statements deleted, edited or inserted",
}

C_KEYWORDS = frozenset(
    """
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class
    compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype
    default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline
    int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register
    reinterpret_cast requires restrict return short signed sizeof static static_assert static_cast struct switch
    template this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
    wchar_t while xor xor_eq _Bool _Complex _Atomic _Generic _Noreturn _Static_assert _Thread_local
    id self super nil Nil YES NO SEL IMP BOOL instancetype in out inout oneway bycopy byref
    kernel device constant thread threadgroup half size_t ssize_t int8_t int16_t int32_t int64_t uint8_t uint16_t
    uint32_t uint64_t intptr_t uintptr_t ptrdiff_t NULL main
    """.split()
)

# Names a copier keeps because code outside the file defines them: the C and C++ standard
# libraries, CUDA's and Metal's built-ins, Apple's frameworks, and the libraries the upstreams
# build on (CUTLASS/CuTe, PyTorch's C++ API).
KEPT_NAMES = frozenset(
    """
    printf fprintf sprintf snprintf vsnprintf vfprintf puts fputs fopen fclose fread fwrite fseek ftell fflush
    fgets getline stderr stdout stdin malloc calloc realloc free aligned_alloc posix_memalign memcpy memmove
    memset memcmp strlen strcmp strncmp strcpy strncpy strcat strchr strrchr strstr strtol strtoul strtod
    strtof atoi atof abs labs exit abort assert qsort bsearch rand srand time clock getenv errno perror
    sqrt sqrtf exp expf exp2f log logf log2f log1pf pow powf fabs fabsf floor floorf ceil ceilf round roundf
    lroundf tanh tanhf sin sinf cos cosf tan atan atan2 erf erff fmax fmaxf fmin fminf fmaf rsqrtf nearbyintf
    INFINITY NAN isinf isnan isfinite
    pthread_create pthread_join pthread_mutex_lock pthread_mutex_unlock
    std cute cutlass at torch c10 thrust cub metal simd pybind11 py flash
    threadIdx blockIdx blockDim gridDim warpSize __syncthreads __syncwarp __shfl_sync __shfl_xor_sync
    __shfl_down_sync __shfl_up_sync atomicAdd atomicMax atomicCAS __half __half2 __nv_bfloat16 __nv_bfloat162
    __float2half __half2float __float2bfloat16 __bfloat162float __ldg dim3 cudaStream_t cudaError_t
    cudaSuccess cudaMalloc cudaFree cudaMemcpy cudaMemcpyAsync cudaGetLastError cudaGetErrorString
    half2 float2 float3 float4 int2 int3 int4 uint2 uint3 uint4 char4 uchar4 short2 make_float2 make_float4
    thread_position_in_grid threadgroup_position_in_grid thread_position_in_threadgroup threads_per_threadgroup
    thread_index_in_simdgroup simdgroup_index_in_threadgroup simd_sum simd_max simd_min simd_shuffle_down
    threadgroup_barrier mem_flags mem_threadgroup mem_none buffer texture2d access
    dispatch_async dispatch_get_main_queue dispatch_queue_create
    main argc argv
    """.split()
)
KEPT_PREFIXES = ("__", "NS", "MTL", "UI", "CG", "CF", "AV", "ML", "MPS", "cuda", "cublas", "cudnn", "curand", "nv")
EXTERNAL_NAMESPACES = frozenset({"std", "cute", "cutlass", "at", "torch", "c10", "thrust", "cub", "metal", "simd"})
MACRO = re.compile(r"[A-Z][A-Z0-9_]+\Z")


@dataclass(frozen=True)
class Token:
    kind: _TokenType
    value: str
    line: int

    @property
    def significant(self) -> bool:
        return not (self.kind in Comment or self.kind in Text or self.kind in Whitespace or not self.value.strip())

    @property
    def comment(self) -> bool:
        return self.kind in Comment and self.kind not in Comment.Preproc and self.kind not in Comment.PreprocFile


class Dropped(Exception):
    """A transformation that cannot be applied to a file; the message says why."""


@dataclass(frozen=True)
class Copy:
    source: str
    renames: dict[str, str]
    note: str = ""


def lexer_for(path: str):  # type: ignore[no-untyped-def]
    from pygments.lexers import get_lexer_by_name

    return get_lexer_by_name(LEXERS[PurePosixPath(path).suffix], stripnl=False, ensurenl=False)


def tokens(path: str, text: str) -> list[Token]:
    """Every token, whitespace and comments included: their values joined give ``text`` back."""
    result: list[Token] = []
    line = 1
    for kind, value in lexer_for(path).get_tokens(text):
        result.append(Token(kind, value, line))
        line += value.count("\n")
    return result


def normalised(path: str, text: str, lexed: Sequence[Token] | None = None) -> list[str]:
    """The code tokens with names, numbers and strings abstracted, as lintml's generic normaliser sees them."""
    out: list[str] = []
    for token in tokens(path, text) if lexed is None else lexed:
        if not token.significant:
            continue
        if token.kind in Name:
            out.append("V")
        elif token.kind in String:
            out.append("S")
        elif token.kind in Number:
            out.append("N")
        else:
            out.extend(character for character in token.value if not character.isspace())
    return out


def code_measure(path: str, text: str, lexed: Sequence[Token] | None = None) -> tuple[int, int]:
    """(code tokens, lines with code), preprocessor lines not counted."""
    lexed = tokens(path, text) if lexed is None else lexed
    significant = [token for token in lexed if token.significant and token.kind not in Comment]
    return len(significant), len({token.line for token in significant})


# ---------------------------------------------------------------------------------------
# T1: clang-format

STYLES = ("LLVM", "Google", "Chromium", "Mozilla", "WebKit", "GNU", "Microsoft")


def clang_format_style(rng: random.Random) -> str:
    options = {
        "BasedOnStyle": rng.choice(STYLES),
        "ColumnLimit": rng.choice([60, 80, 100, 120]),
        "IndentWidth": rng.choice([2, 3, 4, 8]),
        "BreakBeforeBraces": rng.choice(["Attach", "Allman", "Linux", "Stroustrup", "GNU"]),
        "PointerAlignment": rng.choice(["Left", "Right", "Middle"]),
        "SpaceBeforeParens": rng.choice(["Never", "ControlStatements", "Always"]),
        "SortIncludes": "Never",
        "ReflowComments": "false",
        "MaxEmptyLinesToKeep": rng.choice([0, 1, 2]),
    }
    return "{" + ", ".join(f"{key}: {value}" for key, value in options.items()) + "}"


def clang_format(executable: Path, path: str, text: str, rng: random.Random) -> tuple[str, str]:
    style = clang_format_style(rng)
    suffix = PurePosixPath(path).suffix
    assumed = ASSUMED_NAMES.get(suffix, f"file{suffix}")
    process = subprocess.run(
        [str(executable), f"--style={style}", f"--assume-filename={assumed}"],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if process.returncode != 0:
        raise Dropped(f"clang-format failed ({process.stderr.strip().splitlines()[:1]})")
    return process.stdout, style


# ---------------------------------------------------------------------------------------
# T2: comments

# Not lintml's own to-dos: the stock comments a copier writes in place of the originals, put into the
# T2 copies so that comment text cannot be what finds them.
STOCK_COMMENTS = ("/* see above */", "// helper", "// TODO: check", "/* compute */", "// done")


def strip_comments(path: str, text: str, rng: random.Random) -> str:
    out: list[str] = []
    for token in tokens(path, text):
        if not token.comment:
            out.append(token.value)
            continue
        newlines = token.value.count("\n")
        if rng.random() < 0.7:
            out.append("\n" * newlines if newlines else " ")
        else:
            phrase = rng.choice(STOCK_COMMENTS)
            if phrase.startswith("//") and not newlines:
                phrase = "/* " + phrase[3:] + " */"  # a // comment without its newline would swallow code
            out.append(phrase + "\n" * newlines)
    return "".join(out)


# ---------------------------------------------------------------------------------------
# T3: identifiers


def renamable(significant: Sequence[Token], index: int) -> bool:
    token = significant[index]
    if token.kind not in Name or token.kind in Name.Builtin or token.kind in Name.Decorator:
        return False
    if token.kind in Name.Namespace or token.kind in Name.Tag or token.kind in Name.Constant:
        return False
    name = token.value
    if not name.strip("_") or not name.isidentifier() or name in C_KEYWORDS or name in KEPT_NAMES:
        return False  # ``_`` has no word to make a new name from
    if MACRO.match(name):
        return False
    if name.startswith(KEPT_PREFIXES):
        return False
    # a name qualified by an outside namespace (std::max, cute::Tensor) belongs to that library
    qualified = index >= 3 and significant[index - 1].value == ":" and significant[index - 2].value == ":"
    return not (qualified and significant[index - 3].value in EXTERNAL_NAMESPACES)


def rename_identifiers(path: str, text: str, rng: random.Random) -> Copy:
    """Every identifier the file's code uses, except what outside code defines, renamed consistently."""
    all_tokens = tokens(path, text)
    significant = [token for token in all_tokens if token.significant]
    chosen = {id(token) for index, token in enumerate(significant) if renamable(significant, index)}
    old = {token.value for token in all_tokens if id(token) in chosen}
    if not old:
        raise Dropped("no identifier to rename")
    taken = {token.value for token in all_tokens if token.kind in Name} | C_KEYWORDS | KEPT_NAMES
    # a name in a macro or comment must not be captured by a new name either
    taken |= set(re.findall(r"[A-Za-z_]\w*", "".join(t.value for t in all_tokens if t.kind in Comment)))
    mapping = new_names(sorted(old), taken, rng)
    out = [mapping[token.value] if id(token) in chosen else token.value for token in all_tokens]
    return Copy("".join(out), mapping)


# ---------------------------------------------------------------------------------------
# Top-level definitions (T5) and statements (T7)


@dataclass(frozen=True)
class Unit:
    first_line: int
    last_line: int
    code_tokens: int


def top_level_units(path: str, text: str) -> list[Unit]:
    """The file's top-level declarations and definitions, ``namespace`` and ``extern "C"`` blocks opened."""
    significant = [token for token in tokens(path, text) if token.significant and token.kind not in Comment]
    units: list[Unit] = []
    stack: list[bool] = []  # per open brace: does it open a transparent block (namespace, extern "C")?
    current: list[Token] = []
    depth = 0  # braces that are not transparent

    def close() -> None:
        if current:
            units.append(Unit(current[0].line, current[-1].line, len(current)))
            current.clear()

    for index, token in enumerate(significant):
        if token.value == "{":
            transparent = depth == 0 and bool(current) and _opens_block(current)
            stack.append(transparent)
            if transparent:
                current.clear()
                continue
            depth += 1
        elif token.value == "}" and stack:
            if stack.pop():
                close()
                continue
            depth -= 1
            current.append(token)
            following = significant[index + 1].value if index + 1 < len(significant) else ""
            if depth == 0 and following != ";" and following != "," and not following.isidentifier():
                close()
            continue
        current.append(token)
        if depth == 0 and token.value == ";":
            close()
    close()
    return units


def _opens_block(current: Sequence[Token]) -> bool:
    words = [token.value for token in current]
    if words[0] == "namespace":
        return "(" not in words and "=" not in words
    return len(words) == 2 and words[0] == "extern" and current[1].kind in String


def partial(text: str, units: Sequence[Unit], rng: random.Random, min_tokens: int) -> tuple[str, str]:
    """A contiguous run of the units with 40-70% of their code tokens."""
    if len(units) < 2:
        raise Dropped("fewer than two top-level definitions")
    total = sum(unit.code_tokens for unit in units)
    runs = []
    for first in range(len(units)):
        size = 0
        for last in range(first, len(units)):
            size += units[last].code_tokens
            if 0.4 * total <= size <= 0.7 * total and size >= min_tokens:
                runs.append((first, last))
    if not runs:
        raise Dropped("no contiguous run of definitions with 40-70% of the code")
    first, last = rng.choice(runs)
    lines = text.splitlines(keepends=True)
    start, end = units[first].first_line, units[last].last_line
    share = sum(unit.code_tokens for unit in units[first : last + 1]) / total
    note = f"definitions {first + 1}-{last + 1} of {len(units)}, {share:.0%} of the code"
    return "".join(lines[start - 1 : end]), note


def statement_lines(path: str, text: str) -> list[int]:
    """Lines holding one simple statement inside a body: code at brace depth >= 1 ending in ``;``."""
    depth_at_line: dict[int, int] = {}
    code_on_line: dict[int, list[Token]] = {}
    spanning: set[int] = set()
    depth = 0
    for token in tokens(path, text):
        if token.value.count("\n") and (token.kind in String or token.comment or token.kind in Comment.Preproc):
            spanning.update(range(token.line, token.line + token.value.count("\n") + 1))
        if not token.significant:
            continue
        depth_at_line.setdefault(token.line, depth)
        code_on_line.setdefault(token.line, []).append(token)
        if token.value == "{":
            depth += 1
        elif token.value == "}":
            depth = max(0, depth - 1)
    chosen = []
    for line, line_tokens in code_on_line.items():
        values = [token.value for token in line_tokens]
        if line in spanning or depth_at_line[line] < 1 or values[-1] != ";" or len(values) < 3:
            continue
        if any(value in ("{", "}") for value in values) or any(token.kind in Comment for token in line_tokens):
            continue
        if values[0] in ("for", "if", "while", "case", "default", "return", "break", "continue", "else", "do"):
            continue
        chosen.append(line)
    return chosen


OPERATOR_SWAPS = {"+": "-", "-": "+", "*": "+", "<": ">", ">": "<", "<=": ">=", ">=": "<=", "&&": "||", "||": "&&"}


def edit_line(path: str, line: str, rng: random.Random) -> str | None:
    """The line with one number or operator changed, or None when it has neither."""
    line_tokens = tokens(path, line)
    spots = [
        index
        for index, token in enumerate(line_tokens)
        if (token.kind in Number and token.value.isdigit())
        or (token.kind in Operator and token.value in OPERATOR_SWAPS)
    ]
    if not spots:
        return None
    index = rng.choice(spots)
    token = line_tokens[index]
    new = str(int(token.value) + rng.choice([1, 2, 3])) if token.kind in Number else OPERATOR_SWAPS[token.value]
    values = [item.value for item in line_tokens]
    values[index] = new
    return "".join(values)


def filler_statements(fillers: Mapping[str, str], limit: int = 2000) -> list[str]:
    """Simple statements from negative files, to insert into edited copies."""
    found: list[str] = []
    for path, text in sorted(fillers.items()):
        lines = text.splitlines()
        for number in statement_lines(path, text):
            statement = lines[number - 1].strip()
            if 3 <= len(statement.split()) <= 12 and len(statement) <= 80:
                found.append(statement)
                if len(found) >= limit:
                    return found
    return found


def edit_statements(
    path: str, text: str, rng: random.Random, statements: Sequence[str], share: float
) -> tuple[str, str]:
    candidates = statement_lines(path, text)
    if len(candidates) < 3:
        raise Dropped("fewer than three simple statements")
    count = max(2, round(share * len(candidates)))
    planned = sorted(rng.sample(candidates, min(count, len(candidates))))
    lines = text.splitlines(keepends=True)
    done = {"deleted": 0, "edited": 0, "inserted": 0}
    for number in reversed(planned):
        current = lines[number - 1]
        action = rng.choice(["delete", "edit", "insert"])
        if action == "edit":
            edited = edit_line(path, current, rng)
            if edited is not None:
                lines[number - 1] = edited
                done["edited"] += 1
                continue
            action = rng.choice(["delete", "insert"])
        if action == "delete":
            lines[number - 1] = ""
            done["deleted"] += 1
        else:
            indent = current[: len(current) - len(current.lstrip())]
            lines.insert(number, f"{indent}{rng.choice(statements)}\n")
            done["inserted"] += 1
    note = f"{len(planned)} of {len(candidates)} statements: " + ", ".join(f"{n} {what}" for what, n in done.items())
    return "".join(lines), note


# ---------------------------------------------------------------------------------------
# All transformations


@dataclass(frozen=True)
class CUpstream:
    project: str
    path: str  # relative to the upstream's root, as lintml's index records it
    text: str

    @property
    def key(self) -> str:
        return f"{self.project}:{self.path}"


def copies_of(
    upstream: CUpstream,
    seed: int,
    clang_format_executable: Path,
    statements: Sequence[str],
    min_tokens: int,
    share: float,
) -> dict[str, Copy | Dropped]:
    """Every transformation of one upstream file, each with a random generator of its own."""
    path, text = upstream.path, upstream.text

    def rng(name: str) -> random.Random:
        return random.Random(f"{seed}/{name}/{upstream.key}")

    def t1() -> Copy:
        formatted, style = clang_format(clang_format_executable, path, text, rng("T1"))
        return Copy(formatted, {}, style)

    def t4() -> Copy:
        renamed = rename_identifiers(path, text, rng("T3"))
        stripped = strip_comments(path, renamed.source, rng("T2"))
        formatted, style = clang_format(clang_format_executable, path, stripped, rng("T1"))
        return Copy(formatted, renamed.renames, style)

    def t5() -> Copy:
        chunk, note = partial(text, top_level_units(path, text), rng("T5"), min_tokens)
        return Copy(chunk, {}, note)

    def t7() -> Copy:
        renamed = rename_identifiers(path, text, rng("T3"))
        edited, note = edit_statements(path, renamed.source, rng("T7"), statements, share)
        return Copy(edited, renamed.renames, note)

    makers: dict[str, Callable[[], Copy]] = {
        "T0": lambda: Copy(text, {}),
        "T1": t1,
        "T2": lambda: Copy(strip_comments(path, text, rng("T2")), {}),
        "T3": lambda: rename_identifiers(path, text, rng("T3")),
        "T4": t4,
        "T5": t5,
        "T7": t7,
    }
    copies: dict[str, Copy | Dropped] = {}
    for name, make in makers.items():
        try:
            copies[name] = make()
        except Dropped as reason:
            copies[name] = reason
    return copies


def make_copies(
    sample: Iterable[CUpstream],
    seed: int,
    clang_format_executable: Path,
    fillers: Mapping[str, str],
    min_tokens: int,
    share: float = 0.15,
    progress: Callable[[str], None] = lambda message: None,
) -> dict[str, dict[str, Copy | Dropped]]:
    statements = filler_statements(fillers)
    copies: dict[str, dict[str, Copy | Dropped]] = {name: {} for name in TRANSFORMATIONS}
    for number, upstream in enumerate(sample):
        if number and number % 50 == 0:
            progress(f"transformed {number} files")
        for name, copy in copies_of(upstream, seed, clang_format_executable, statements, min_tokens, share).items():
            copies[name][upstream.key] = copy
    return copies
