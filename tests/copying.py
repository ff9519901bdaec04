"""How the tests make copies of real code: renamed with libcst, stripped and reformatted with ast.

The upstream code the provenance tests copy is the standard library of the Python running
them: real, sizeable code that is on every machine and in no lintml catalog.
"""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import libcst as cst


def stdlib_source(module: str) -> str:
    return (Path(sysconfig.get_paths()["stdlib"]) / f"{module}.py").read_text(encoding="utf-8")


class _Renamer(cst.CSTTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        return updated_node.with_changes(value=self.mapping.get(updated_node.value, updated_node.value))


def rename(source: str, mapping: dict[str, str]) -> str:
    """Every occurrence of each name (definitions, uses, attributes, parameters) renamed, as a refactoring tool does."""
    return cst.parse_module(source).visit(_Renamer(mapping)).code


class _DropDocstrings(ast.NodeTransformer):
    def _strip(self, node: ast.AST) -> ast.AST:
        self.generic_visit(node)
        body = getattr(node, "body", [])
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
        return node

    visit_Module = visit_FunctionDef = visit_ClassDef = visit_AsyncFunctionDef = _strip


def strip_and_reformat(source: str) -> str:
    """Comments and docstrings gone, layout and quoting redone: what ``ast.unparse`` writes."""
    return ast.unparse(_DropDocstrings().visit(ast.parse(source))) + "\n"


def top_level_definitions(source: str, names: list[str]) -> str:
    """The source text of the named top-level functions and classes, in the order given."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            start = min([node.lineno, *(item.lineno for item in node.decorator_list)])
            found[node.name] = "".join(lines[start - 1 : node.end_lineno])
    return "\n\n".join(found[name] for name in names) + "\n"
