"""The copy transformations T0-T7: what people do to code they take, one change at a time.

Every transformation is a function of the upstream source and a seeded random generator
(plus, for T5 and T7, real code from a negative project to mix in), and returns the new
source, or raises :class:`Dropped` with the reason when it cannot be applied to that file
(T6 needs two top-level definitions to reorder, say). :func:`make_copies` drops every output
that Python would not compile (``compile()``; nothing is run).

- T0 verbatim.
- T1 reformatted by ``ruff format`` in another style (line length, quotes, indentation,
  trailing commas), after blank lines inside functions were dropped: other line wrapping,
  quote style and blank lines, same code.
- T2 comments removed or reworded, docstrings removed or replaced by a one-line summary.
- T3 every name the file defines renamed consistently (:mod:`rename`), with the true map.
- T4 T3, then T2, then T1.
- T5 about 40% of the top-level functions and classes (and the upstream's imports) put into
  a file of real code from a negative project, between its own statements.
- T6 the top-level functions and classes reordered.

For T5 and T6, a file with fewer than two top-level definitions but one class of several
methods (much ML code is one ``nn.Module`` to a file) has its methods taken or reordered
instead: that is what a copier moves around there.
- T7 T3, then about 15% of the simple statements edited, deleted, or followed by an
  inserted statement taken from a negative project.
"""

from __future__ import annotations

import ast
import io
import random
import re
import subprocess
import tempfile
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from rename import CannotRename, rename_source

TRANSFORMATIONS = ("T0", "T1", "T2", "T3", "T4", "T5", "T6", "T7")
DESCRIPTIONS = {
    "T0": "verbatim",
    "T1": "reformatted (ruff format: line length, quotes, indentation, blank lines)",
    "T2": "comments and docstrings removed or reworded",
    "T3": "every defined name renamed consistently",
    "T4": "T1 + T2 + T3",
    "T5": "~40% of the definitions put in a file of other real code",
    "T6": "definitions reordered",
    "T7": "T3, then ~15% of statements edited, inserted or deleted",
}
T5_SHARE = 0.4
T7_SHARE = 0.15
FORMAT_STYLES = (
    # (line length, quote style, indent width, skip magic trailing comma)
    (60, "single", 2, False),
    (140, "single", 4, True),
    (79, "double", 2, True),
)
COMMENT_PHRASES = (
    "handle the edge case",
    "see above",
    "compute the result",
    "keep the shapes aligned",
    "fast path",
    "TODO: clean up",
    "avoid division by zero",
    "broadcast over the batch",
    "cache for later",
    "NOTE: order matters here",
)


class Dropped(Exception):
    """This transformation cannot be applied to this file; the message says why."""


@dataclass(frozen=True)
class Copy:
    """A transformed file and, for T3, T4 and T7, the true rename map."""

    source: str
    renames: dict[str, str] = field(default_factory=dict)
    note: str = ""  # what was done, for people reading the manifest (T5's filler, T7's edits)


# ---------------------------------------------------------------------------------------
# Measuring code


def docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def import_lines(tree: ast.AST) -> set[int]:
    """Lines of import statements and of ``__all__`` assignments."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        exported = isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and any(
            isinstance(target, ast.Name) and target.id == "__all__"
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        )
        if isinstance(node, ast.Import | ast.ImportFrom) or exported:
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


SKIPPED_TOKENS = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
)


def code_tokens(source: str, skip_imports: bool = False, limit: int | None = None) -> tuple[list[str], int]:
    """The code's tokens (no comments, layout, docstrings; no imports if asked) and how many lines they are on.

    With ``limit``, stops after that many tokens (enough to tell whether a file is large enough).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return [], 0
    doc_lines = docstring_lines(tree)
    skipped_lines = import_lines(tree) if skip_imports else set()
    found: list[str] = []
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in SKIPPED_TOKENS or token.start[0] in skipped_lines:
                continue
            if token.type == tokenize.STRING and token.start[0] in doc_lines:
                continue
            found.append(token.string)
            lines.add(token.start[0])
            if limit is not None and len(found) >= limit:
                break
    except (SyntaxError, tokenize.TokenError):
        return [], 0
    return found, len(lines)


def compiles(source: str) -> bool:
    """Whether Python would compile the file (a stricter check than ``ast.parse``; nothing is run)."""
    try:
        compile(source, "<copy>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


def top_level_definitions(module: cst.Module) -> list[int]:
    """Indexes in ``module.body`` of the top-level functions and classes."""
    return [index for index, node in enumerate(module.body) if isinstance(node, cst.FunctionDef | cst.ClassDef)]


@dataclass(frozen=True)
class Units:
    """The definitions T5 and T6 work on: the top-level ones, or else the methods of the file's one class.

    Much ML code is one class to a file; what a copier moves around or takes part of there
    is its methods.
    """

    class_index: int | None  # None: top-level definitions; else the class's index in module.body
    indexes: list[int]  # positions in module.body, or in the class's body

    def body(self, module: cst.Module) -> Sequence[cst.BaseStatement]:
        if self.class_index is None:
            return module.body
        owner = module.body[self.class_index]
        assert isinstance(owner, cst.ClassDef) and isinstance(owner.body, cst.IndentedBlock)
        return owner.body.body

    def with_body(self, module: cst.Module, body: Sequence[cst.BaseStatement]) -> cst.Module:
        if self.class_index is None:
            return module.with_changes(body=list(body))
        owner = module.body[self.class_index]
        assert isinstance(owner, cst.ClassDef)
        new_owner = owner.with_changes(body=owner.body.with_changes(body=list(body)))
        top = list(module.body)
        top[self.class_index] = new_owner
        return module.with_changes(body=top)


def definition_units(module: cst.Module) -> Units | None:
    top = top_level_definitions(module)
    if len(top) >= 2:
        return Units(None, top)
    if len(top) == 1:
        owner = module.body[top[0]]
        if isinstance(owner, cst.ClassDef) and isinstance(owner.body, cst.IndentedBlock):
            methods = [index for index, node in enumerate(owner.body.body) if isinstance(node, cst.FunctionDef)]
            if len(methods) >= 2:
                return Units(top[0], methods)
    return None


# ---------------------------------------------------------------------------------------
# T1: reformatting


class BlankLineDropper(cst.CSTTransformer):
    """Removes the blank lines inside function bodies (comment lines stay)."""

    def __init__(self) -> None:
        self.depth = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        self.depth -= 1
        return updated_node

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine | cst.RemovalSentinel:
        if self.depth and updated_node.comment is None:
            return cst.RemovalSentinel.REMOVE
        return updated_node


def ruff_executable() -> list[str]:
    import shutil
    import sys

    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("ruff")
    if found:
        return [found]
    raise SystemExit("ruff not found: T1 and T4 reformat with `ruff format` (pip install 'ruff>=0.6')")


def reformat_many(sources: Mapping[str, str], rng_for: Callable[[str], random.Random]) -> dict[str, str | Dropped]:
    """T1 for many files at once: one ``ruff format`` run per style, on a temporary folder."""
    by_style: dict[int, dict[str, str]] = {}
    for key, source in sources.items():
        rng = rng_for(key)
        style = rng.randrange(len(FORMAT_STYLES))
        try:
            module = cst.parse_module(source)
            if style != 0:
                source = module.visit(BlankLineDropper()).code
        except Exception as error:  # libcst raises ParserSyntaxError and plain Exceptions
            by_style.setdefault(-1, {})[key] = f"libcst: {type(error).__name__}"
            continue
        by_style.setdefault(style, {})[key] = source
    results: dict[str, str | Dropped] = {key: Dropped(reason) for key, reason in by_style.pop(-1, {}).items()}
    ruff = ruff_executable()
    for style, group in sorted(by_style.items()):
        line_length, quotes, indent, skip_comma = FORMAT_STYLES[style]
        with tempfile.TemporaryDirectory(prefix="clones-ruff-") as folder:
            names = {key: f"f{index:05d}.py" for index, key in enumerate(sorted(group))}
            for key, name in names.items():
                Path(folder, name).write_text(group[key], encoding="utf-8")
            command = [
                *ruff,
                "format",
                "--isolated",
                "--no-cache",
                "--line-length",
                str(line_length),
                "--config",
                f"format.quote-style = '{quotes}'",
                "--config",
                f"indent-width = {indent}",
                "--config",
                f"format.skip-magic-trailing-comma = {'true' if skip_comma else 'false'}",
                folder,
            ]
            process = subprocess.run(command, capture_output=True, text=True)
            failed = set(re.findall(r"(f\d{5}\.py)", process.stderr))
            for key, name in names.items():
                if name in failed:
                    results[key] = Dropped("ruff format could not format it")
                else:
                    results[key] = Path(folder, name).read_text(encoding="utf-8")
    return results


# ---------------------------------------------------------------------------------------
# T2: comments and docstrings


def summary_line(name: str) -> str:
    words = [word for word in re.split(r"_|(?<=[a-z0-9])(?=[A-Z])", name) if word]
    text = " ".join(word.lower() for word in words) or "helper"
    return text[:1].upper() + text[1:] + "."


def is_docstring_statement(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


class CommentStripper(cst.CSTTransformer):
    """Drops or rewords comments; drops docstrings or replaces them with a one-line summary."""

    def __init__(self, rng: random.Random, module_name: str) -> None:
        self.rng = rng
        self.module_name = module_name

    def _comment(self, comment: cst.Comment | None) -> cst.Comment | None:
        if comment is None or self.rng.random() < 0.7:
            return None
        return cst.Comment("# " + self.rng.choice(COMMENT_PHRASES))

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine | cst.RemovalSentinel:
        if updated_node.comment is None:
            return updated_node
        comment = self._comment(updated_node.comment)
        if comment is None:
            return cst.RemovalSentinel.REMOVE
        return updated_node.with_changes(comment=comment)

    def leave_TrailingWhitespace(
        self, original_node: cst.TrailingWhitespace, updated_node: cst.TrailingWhitespace
    ) -> cst.TrailingWhitespace:
        if updated_node.comment is None:
            return updated_node
        comment = self._comment(updated_node.comment)
        if comment is None:
            return updated_node.with_changes(comment=None, whitespace=cst.SimpleWhitespace(""))
        return updated_node.with_changes(comment=comment, whitespace=cst.SimpleWhitespace("  "))

    def _body(self, body: Sequence[cst.BaseStatement], name: str, pass_if_empty: bool) -> list[cst.BaseStatement]:
        statements = list(body)
        if statements and is_docstring_statement(statements[0]):
            if self.rng.random() < 0.6:
                statements.pop(0)
            else:
                text = '"""' + summary_line(name) + '"""'
                statements[0] = statements[0].with_changes(body=[cst.Expr(cst.SimpleString(text))])
        if not statements and pass_if_empty:
            statements = [cst.SimpleStatementLine(body=[cst.Pass()])]
        return statements

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        if isinstance(updated_node.body, cst.IndentedBlock):
            body = self._body(updated_node.body.body, updated_node.name.value, True)
            return updated_node.with_changes(body=updated_node.body.with_changes(body=body))
        return updated_node

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        if isinstance(updated_node.body, cst.IndentedBlock):
            body = self._body(updated_node.body.body, updated_node.name.value, True)
            return updated_node.with_changes(body=updated_node.body.with_changes(body=body))
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        return updated_node.with_changes(body=self._body(updated_node.body, self.module_name, False))


def strip_comments(source: str, rng: random.Random, module_name: str) -> str:
    try:
        module = cst.parse_module(source)
    except Exception as error:
        raise Dropped(f"libcst: {type(error).__name__}") from error
    return module.visit(CommentStripper(rng, module_name)).code


# ---------------------------------------------------------------------------------------
# T3: renaming


def rename(source: str, rng: random.Random, kept: frozenset[str]) -> Copy:
    try:
        renamed = rename_source(source, rng, kept)
    except CannotRename as error:
        raise Dropped(str(error)) from error
    return Copy(renamed.source, renamed.renames)


# ---------------------------------------------------------------------------------------
# T5: part of the file inside other code


@dataclass(frozen=True)
class Filler:
    """A negative project's file, parsed, to take real code from."""

    path: str
    module: cst.Module
    tokens: int


def is_import(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
    )


def is_future_import(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.ImportFrom)
        and isinstance(statement.body[0].module, cst.Name)
        and statement.body[0].module.value == "__future__"
    )


def node_tokens(module: cst.Module, node: cst.CSTNode) -> int:
    return len(code_tokens(module.code_for_node(node))[0])


def embed_part(
    source: str, rng: random.Random, fillers: Sequence[Filler], min_tokens: int
) -> tuple[Copy, str, list[str]]:
    """T5: ~40% of the definitions, among a negative file's code; the filler's path and the names taken.

    The definitions are the top-level functions and classes, or in a file of one class its
    methods (which then go into a class of the same name and bases, without the others).
    """
    try:
        module = cst.parse_module(source)
    except Exception as error:
        raise Dropped(f"libcst: {type(error).__name__}") from error
    units = definition_units(module)
    if units is None:
        raise Dropped("fewer than 2 definitions (top-level, or methods of a lone class)")
    definitions = units.indexes
    count = min(len(definitions) - 1, max(1, round(T5_SHARE * len(definitions))))
    chosen = sorted(rng.sample(definitions, count))
    body_of = units.body(module)
    parts = [body_of[index] for index in chosen]
    taken_tokens = sum(node_tokens(module, node) for node in parts)
    if taken_tokens < min_tokens:
        raise Dropped(f"the definitions taken have under {min_tokens} tokens")
    names = [node.name.value for node in parts if isinstance(node, cst.FunctionDef | cst.ClassDef)]
    taken: list[cst.BaseStatement] = list(parts)
    if units.class_index is not None:
        owner = module.body[units.class_index]
        assert isinstance(owner, cst.ClassDef)
        taken = [owner.with_changes(body=owner.body.with_changes(body=parts))]
        names = [f"{owner.name.value}.{name}" for name in names]
    # The rest of the file is new: ~60% of it, real code from a negative project's file.
    wanted = taken_tokens * (1 - T5_SHARE) / T5_SHARE
    large_enough = [filler for filler in fillers if filler.tokens >= wanted]
    filler = rng.choice(large_enough) if large_enough else max(fillers, key=lambda item: item.tokens)
    filler_imports = [statement for statement in filler.module.body if is_import(statement)]
    filler_code: list[cst.BaseStatement] = []
    total = 0
    for statement in filler.module.body:
        if is_import(statement) or is_docstring_statement(statement):
            continue
        if total >= wanted:
            break
        filler_code.append(statement)
        total += node_tokens(filler.module, statement)
    upstream_imports = [statement for statement in module.body if is_import(statement)]
    body: list[cst.BaseStatement] = list(filler_code)
    for node in taken:
        body.insert(rng.randint(0, len(body)), node)
    imports = [*filler_imports, *upstream_imports]
    future = [statement for statement in imports if is_future_import(statement)]
    imports = [statement for statement in imports if not is_future_import(statement)]
    unique_future = list({filler.module.code_for_node(statement): statement for statement in future}.values())
    new = filler.module.with_changes(body=[*unique_future, *imports, *body])
    return Copy(new.code), filler.path, names


# ---------------------------------------------------------------------------------------
# T6: reordering


def reorder(source: str, rng: random.Random) -> tuple[str, str]:
    """T6: the top-level definitions (or a lone class's methods) in another order; and which were moved."""
    try:
        module = cst.parse_module(source)
    except Exception as error:
        raise Dropped(f"libcst: {type(error).__name__}") from error
    units = definition_units(module)
    if units is None:
        raise Dropped("fewer than 2 definitions (top-level, or methods of a lone class)")
    definitions = units.indexes
    body_of = units.body(module)
    codes = [module.code_for_node(body_of[index]) for index in definitions]
    if len(set(codes)) < 2:
        raise Dropped("the definitions are all alike")
    order = list(definitions)
    while [codes[definitions.index(index)] for index in order] == codes:
        rng.shuffle(order)
    body = list(body_of)
    for slot, index in zip(definitions, order, strict=True):
        body[slot] = body_of[index]
    level = "top-level definitions" if units.class_index is None else "methods of the lone class"
    return units.with_body(module, body).code, f"{len(definitions)} {level} reordered"


# ---------------------------------------------------------------------------------------
# T7: statements edited, inserted or deleted


SWAPPED_OPERATORS: dict[type, Callable[[], cst.CSTNode]] = {
    cst.Add: cst.Subtract,
    cst.Subtract: cst.Add,
    cst.Multiply: cst.Divide,
    cst.Divide: cst.Multiply,
    cst.FloorDivide: cst.Divide,
    cst.LessThan: cst.LessThanEqual,
    cst.LessThanEqual: cst.LessThan,
    cst.GreaterThan: cst.GreaterThanEqual,
    cst.GreaterThanEqual: cst.GreaterThan,
    cst.Equal: cst.NotEqual,
    cst.NotEqual: cst.Equal,
}


class OneEdit(cst.CSTTransformer):
    """Changes one number or one operator in a statement: an edit a person makes to tune code."""

    def __init__(self, target: int) -> None:
        self.target = target  # which of the editable spots to change
        self.seen = 0
        self.done = False

    def _turn(self) -> bool:
        hit = not self.done and self.seen == self.target
        self.seen += 1
        if hit:
            self.done = True
        return hit

    def leave_Integer(self, original_node: cst.Integer, updated_node: cst.Integer) -> cst.BaseExpression:
        if self._turn():
            try:
                value = int(updated_node.value.replace("_", ""), 0)
            except ValueError:
                return updated_node
            return updated_node.with_changes(value=str(value + 1 if value < 2 else value * 2))
        return updated_node

    def leave_Float(self, original_node: cst.Float, updated_node: cst.Float) -> cst.BaseExpression:
        if self._turn():
            try:
                value = float(updated_node.value.replace("_", ""))
            except ValueError:
                return updated_node
            return updated_node.with_changes(value=repr(value * 2 if value else 0.5))
        return updated_node

    def _operator(self, node: cst.CSTNode) -> cst.CSTNode | None:
        make = SWAPPED_OPERATORS.get(type(node))
        if make is None or not self._turn():
            return None
        new = make()
        for attribute in ("whitespace_before", "whitespace_after"):
            if hasattr(node, attribute):
                new = new.with_changes(**{attribute: getattr(node, attribute)})
        return new

    def leave_BinaryOperation(
        self, original_node: cst.BinaryOperation, updated_node: cst.BinaryOperation
    ) -> cst.BaseExpression:
        new = self._operator(updated_node.operator)
        return updated_node.with_changes(operator=new) if new is not None else updated_node

    def leave_ComparisonTarget(
        self, original_node: cst.ComparisonTarget, updated_node: cst.ComparisonTarget
    ) -> cst.ComparisonTarget:
        new = self._operator(updated_node.operator)
        return updated_node.with_changes(operator=new) if new is not None else updated_node


def editable_spots(statement: cst.CSTNode) -> int:
    """How many numbers and swappable operators the statement has."""
    counter = OneEdit(-1)
    statement.visit(counter)
    return counter.seen


def insertable_statements(fillers: Iterable[Filler], limit: int = 2000) -> list[cst.SimpleStatementLine]:
    """Plain statements from negative projects' files (assignments, calls), to insert into copies."""
    found: list[cst.SimpleStatementLine] = []

    class Collector(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            if len(found) >= limit or len(node.body) != 1:
                return
            small = node.body[0]
            if not isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign | cst.Expr):
                return
            if isinstance(small, cst.Expr) and not isinstance(small.value, cst.Call):
                return
            text = cst.Module(body=[node]).code
            if "await" in text or "yield" in text or len(text) > 120 or "\n" in text.strip():
                return
            found.append(node.with_changes(leading_lines=[], trailing_whitespace=cst.TrailingWhitespace()))

    for filler in fillers:
        filler.module.visit(Collector())
        if len(found) >= limit:
            break
    return found


class PlannedEdits(cst.CSTTransformer):
    """Applies a plan ``{statement index: (operation, choice)}`` to the simple statements, in visiting order."""

    def __init__(self, plan: Mapping[int, tuple[str, int]], inserts: Sequence[cst.SimpleStatementLine]) -> None:
        self.plan = plan
        self.inserts = inserts
        self.order: dict[int, int] = {}  # id(statement) -> its visiting index
        self.counts = {"edit": 0, "insert": 0, "delete": 0}

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.order[id(node)] = len(self.order)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel:
        planned = self.plan.get(self.order[id(original_node)])
        if planned is None:
            return updated_node
        operation, choice = planned
        if operation == "delete":
            self.counts["delete"] += 1
            return cst.RemovalSentinel.REMOVE
        if operation == "edit":
            spots = editable_spots(updated_node)
            if spots:
                self.counts["edit"] += 1
                return updated_node.visit(OneEdit(choice % spots))  # type: ignore[return-value]
        self.counts["insert"] += 1
        inserted = self.inserts[choice % len(self.inserts)]
        return cst.FlattenSentinel([updated_node, inserted])

    def _filled(self, body: Sequence[cst.BaseStatement]) -> list[cst.BaseStatement]:
        return list(body) if body else [cst.SimpleStatementLine(body=[cst.Pass()])]

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(body=self._filled(updated_node.body))


def edit_statements(
    source: str, rng: random.Random, inserts: Sequence[cst.SimpleStatementLine]
) -> tuple[str, dict[str, int]]:
    """~15% of the simple statements (docstrings aside) edited, deleted or followed by a new one."""
    try:
        module = cst.parse_module(source)
    except Exception as error:
        raise Dropped(f"libcst: {type(error).__name__}") from error
    statements: list[cst.SimpleStatementLine] = []

    class Collector(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
            statements.append(node)

    module.visit(Collector())
    candidates = [index for index, node in enumerate(statements) if not is_docstring_statement(node)]
    if len(candidates) < 4:
        raise Dropped("fewer than 4 statements")
    count = max(1, round(T7_SHARE * len(candidates)))
    plan = {
        index: (rng.choice(("edit", "insert", "delete")), rng.randrange(1 << 30))
        for index in sorted(rng.sample(candidates, count))
    }
    editor = PlannedEdits(plan, inserts)
    edited = module.visit(editor)
    counts = dict(editor.counts, statements=len(candidates))
    return edited.code, counts


# ---------------------------------------------------------------------------------------
# All of them


@dataclass
class Upstream:
    """One upstream file picked for the sample."""

    project: str
    path: str  # relative to the project's sdist root
    source: str
    kept: frozenset[str]  # the project's interface names, which T3 does not rename

    @property
    def key(self) -> str:
        return f"{self.project}/{self.path}"

    @property
    def module_name(self) -> str:
        return Path(self.path).stem


def make_copies(
    upstreams: Sequence[Upstream],
    seed: int,
    fillers: Sequence[Filler],
    min_tokens: int,
) -> dict[str, dict[str, Copy | Dropped]]:
    """``{transformation: {upstream key: Copy or Dropped}}`` for every sampled file."""

    def rng_for(transformation: str, key: str) -> random.Random:
        return random.Random(f"{seed}/{transformation}/{key}")

    inserts = insertable_statements(fillers)
    results: dict[str, dict[str, Copy | Dropped]] = {name: {} for name in TRANSFORMATIONS}
    renamed: dict[str, Copy | Dropped] = {}
    stripped_renamed: dict[str, str] = {}
    for upstream in upstreams:
        key = upstream.key
        results["T0"][key] = Copy(upstream.source)
        try:
            results["T2"][key] = Copy(strip_comments(upstream.source, rng_for("T2", key), upstream.module_name))
        except Dropped as dropped:
            results["T2"][key] = dropped
        try:
            copy = rename(upstream.source, rng_for("T3", key), upstream.kept)
            renamed[key] = copy
            results["T3"][key] = copy
            stripped_renamed[key] = strip_comments(copy.source, rng_for("T2", key), upstream.module_name)
        except Dropped as dropped:
            renamed[key] = dropped
            results["T3"][key] = dropped
            results["T4"][key] = dropped
            results["T7"][key] = dropped
        try:
            copy_t5, filler, names = embed_part(upstream.source, rng_for("T5", key), fillers, min_tokens)
            results["T5"][key] = Copy(copy_t5.source, note=f"took {', '.join(names)}; filler from {filler}")
        except Dropped as dropped:
            results["T5"][key] = dropped
        try:
            reordered, note = reorder(upstream.source, rng_for("T6", key))
            results["T6"][key] = Copy(reordered, note=note)
        except Dropped as dropped:
            results["T6"][key] = dropped
        base = renamed[key]
        if isinstance(base, Copy):
            try:
                edited, counts = edit_statements(base.source, rng_for("T7", key), inserts)
                note = ", ".join(f"{name} {count}" for name, count in counts.items())
                results["T7"][key] = Copy(edited, base.renames, note)
            except Dropped as dropped:
                results["T7"][key] = dropped

    formatted = reformat_many({upstream.key: upstream.source for upstream in upstreams}, lambda key: rng_for("T1", key))
    for key, value in formatted.items():
        results["T1"][key] = value if isinstance(value, Dropped) else Copy(value)
    formatted = reformat_many(stripped_renamed, lambda key: rng_for("T1", key))
    for key, value in formatted.items():
        base = renamed[key]
        assert isinstance(base, Copy)
        results["T4"][key] = value if isinstance(value, Dropped) else Copy(value, base.renames)

    for transformation, copies in results.items():
        for key, copy in list(copies.items()):
            if isinstance(copy, Copy) and not compiles(copy.source):
                copies[key] = Dropped(f"{transformation} output does not compile")
    return {name: {upstream.key: results[name][upstream.key] for upstream in upstreams} for name in TRANSFORMATIONS}
