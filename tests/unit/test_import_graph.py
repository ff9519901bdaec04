"""The modules of lintml import one another without a cycle.

The graph is read with ``ast``: module-level and function-level imports both count (a function-level
import hides a cycle from Python's loader, not from a reader); imports under ``if TYPE_CHECKING:`` do
not. Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so those count too, except from
a module inside them: a package is always under way before its own modules run, which is what lets a
package re-export its modules and a discovered module import the registry of the package that discovers
it. A package that imports its own modules by discovery (``pkgutil.iter_modules(__path__)``, as
``checks/``, ``fixes/`` and ``report/`` do) depends on each of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_names(package: Path) -> dict[str, Path]:
    """Every module of the package folder ``package`` by dotted name (``lintml.checks`` for its ``__init__``)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(body: list[ast.AST]) -> Iterator[ast.AST]:
    """Every statement, at any depth, but those under ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, ast.If) and _type_checking(node.test):
            yield from _statements(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                kept = [item for item in inner if isinstance(item, ast.stmt | ast.excepthandler | ast.match_case)]
                yield from _statements(kept)


def _discovers_submodules(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "iter_modules"
        and any(isinstance(argument, ast.Name) and argument.id == "__path__" for argument in node.args)
        for node in ast.walk(tree)
    )


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (the package ``__init__`` of each counts too)."""
    modules = module_names(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    discovering = set()
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        if is_package and _discovers_submodules(tree):
            discovering.add(name)
        for node in _statements(list(tree.body)):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from lintml import api`` imports the module lintml.api; ``from lintml.x import y`` imports lintml.x.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
                ]
            ancestors = {".".join(name.split(".")[:end]) for end in range(1, name.count(".") + 1)}
            for target in targets:
                # Importing a.b.c runs a/__init__ and a/b/__init__ first.
                parts = target.split(".")
                for end in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:end])
                    if prefix in modules and prefix != name and prefix not in ancestors:
                        graph[name].add(prefix)
    for package_name in discovering:
        for name in modules:
            if name.rpartition(".")[0] == package_name:
                graph[package_name].add(name)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle (its modules in import order, the first repeated at the end) per strongly connected group."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:
        # Tarjan's algorithm, iteratively: a deep graph must not hit the recursion limit.
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(graph, group) for group in groups]


def _cycle_in(graph: Mapping[str, set[str]], group: set[str]) -> list[str]:
    """A shortest cycle through the first module (by name) of a strongly connected group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for successor in sorted(graph[node] & group):
            if successor == start:
                return [*paths[node], start]
            if successor not in paths:
                paths[successor] = [*paths[node], successor]
                queue.append(successor)
    raise AssertionError(f"not a cycle: {sorted(group)}")  # pragma: no cover


def test_lintml_has_no_import_cycle() -> None:
    found = cycles(import_graph(ROOT / "lintml"))
    assert not found, "import cycles in lintml/:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_graph_sees_lintml_imports() -> None:
    graph = import_graph(ROOT / "lintml")
    assert "lintml.engine" in graph["lintml.api"]
    assert "lintml.checks.apache" in graph["lintml.checks"]  # found by discovery
    assert "lintml.checks" not in graph["lintml.checks.apache"]  # a registry, not a cycle


def _package(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from pkg import b\n",
                "pkg/b.py": "def later():\n    from pkg.c import thing\n",
                "pkg/c.py": "import pkg.a\n",
            },
            [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]],
            id="through-a-function-level-import",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/sub/__init__.py": "from . import y\n",
                "pkg/sub/y.py": "from ..x import value\n",
                "pkg/x.py": "from .sub.y import other\n",
            },
            [["pkg.sub", "pkg.sub.y", "pkg.x", "pkg.sub"]],
            id="relative-imports-and-a-package-init",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
                "pkg/b.py": "import pkg.a\n",
            },
            [],
            id="type-checking-imports-do-not-count",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/plugins/__init__.py": "import pkgutil\nfor m in pkgutil.iter_modules(__path__):\n    pass\n",
                "pkg/plugins/one.py": "from pkg.plugins import register\nfrom pkg import core\n",
                "pkg/core.py": "from pkg.plugins import REGISTRY\n",
            },
            [["pkg.core", "pkg.plugins", "pkg.plugins.one", "pkg.core"]],
            id="through-discovered-plugins",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/sub/__init__.py": "from pkg.sub.reader import read\n",
                "pkg/sub/reader.py": "from pkg.sub.base import Error\n",
                "pkg/sub/base.py": "class Error(Exception): ...\n",
            },
            [],
            id="a-package-re-exporting-its-modules",
        ),
        pytest.param(
            {
                "pkg/__init__.py": "",
                "pkg/sub/__init__.py": "from pkg.sub.reader import read\n",
                "pkg/sub/reader.py": "def read():\n    from pkg.header import parse\n",
                "pkg/header.py": "from pkg.sub.base import Error\n",
                "pkg/sub/base.py": "",
            },
            [["pkg.header", "pkg.sub", "pkg.sub.reader", "pkg.header"]],
            id="from-outside-through-a-package-init",
        ),
    ],
)
def test_the_detector_finds_a_cycle(tmp_path: Path, files: dict[str, str], expected: list[list[str]]) -> None:
    assert cycles(import_graph(_package(tmp_path, files))) == expected
