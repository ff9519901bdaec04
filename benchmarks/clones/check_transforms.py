"""Self-test of the clone benchmark's transformations: are the copies what they claim to be?

Checks, on a few hand-written cases and on upstream files from the benchmark's sample:

- every copy compiles;
- T1 (reformatted) and T2 (comments, docstrings) leave the program as it was: the same
  syntax tree once docstrings are set aside;
- T3 (renamed) changes nothing but names, and each changed name follows the rename map: the
  two syntax trees have the same shape, every identifier that differs is an ``old -> new``
  pair of the map, no two old names share a new one, and no new name was already used in the
  file for something that kept its name (no capture);
- T3 keeps ``self``, builtins, imported names and the keywords of calls into other code, and
  renames a method and its ``self.method`` uses alike;
- T4 is T3's renaming with T1 and T2 on top (same checks, docstrings set aside);
- T6 holds the same definitions as the upstream, in another order; T5 holds the definitions
  it says it took, unchanged.

Run it from the repository root (it downloads the pinned upstreams if they are not there)::

    python benchmarks/clones/check_transforms.py            # 60 sampled files
    python benchmarks/clones/check_transforms.py --files 0  # the hand-written cases only
"""

from __future__ import annotations

import argparse
import ast
import random
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rename import rename_source
from transform import Copy, Dropped, Upstream, compiles, make_copies

IDENTIFIER_FIELDS = frozenset({"id", "attr", "arg", "name", "asname", "names", "rest", "module"})


def without_docstrings(tree: ast.AST) -> ast.AST:
    """The tree with docstrings taken out (an emptied body gets ``pass``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                body = body[1:]
            if not body and not isinstance(node, ast.Module):
                body = [ast.Pass()]
            node.body = body
    return tree


def identifier_pairs(before: ast.AST, after: ast.AST, problems: list[str]) -> Iterator[tuple[str, str]]:
    """Walk two trees of the same shape; yield (old, new) for every identifier; note any other difference."""
    if type(before) is not type(after):
        problems.append(f"shape differs: {type(before).__name__} vs {type(after).__name__}")
        return
    for field, old in ast.iter_fields(before):
        new = getattr(after, field, None)
        if isinstance(old, ast.AST) and isinstance(new, ast.AST):
            yield from identifier_pairs(old, new, problems)
        elif isinstance(old, list) and isinstance(new, list):
            if len(old) != len(new):
                problems.append(f"{type(before).__name__}.{field}: {len(old)} vs {len(new)} items")
                continue
            for old_item, new_item in zip(old, new, strict=True):
                if isinstance(old_item, ast.AST) and isinstance(new_item, ast.AST):
                    yield from identifier_pairs(old_item, new_item, problems)
                elif field in IDENTIFIER_FIELDS and isinstance(old_item, str) and isinstance(new_item, str):
                    yield old_item, new_item
                elif old_item != new_item:
                    problems.append(f"{type(before).__name__}.{field}: {old_item!r} vs {new_item!r}")
        elif field in IDENTIFIER_FIELDS and isinstance(old, str) and isinstance(new, str):
            yield old, new
        elif isinstance(old, str) and isinstance(new, str) and old != new:
            yield from string_annotation_pairs(old, new, problems)
        elif old != new:
            problems.append(f"{type(before).__name__}.{field}: {old!r} vs {new!r}")


def string_annotation_pairs(old: str, new: str, problems: list[str]) -> Iterator[tuple[str, str]]:
    """A string annotation (``"Optional[Foo]"``) may differ only in the names it mentions."""
    old_words, new_words = re.split(r"(\w+)", old), re.split(r"(\w+)", new)
    if len(old_words) != len(new_words) or any(a != b for a, b in zip(old_words[::2], new_words[::2], strict=True)):
        problems.append(f"string differs: {old!r} vs {new!r}")
        return
    yield from zip(old_words[1::2], new_words[1::2], strict=True)


def check_renamed(original: str, renamed: str, mapping: dict[str, str], strip_docstrings: bool) -> list[str]:
    problems: list[str] = []
    before, after = ast.parse(original), ast.parse(renamed)
    if strip_docstrings:
        before, after = without_docstrings(before), without_docstrings(after)
    pairs = list(identifier_pairs(before, after, problems))
    new_names = set(mapping.values())
    if len(new_names) != len(mapping):
        problems.append("two old names share a new name")
    for old, new in pairs:
        if old != new and mapping.get(old) != new:
            problems.append(f"{old} became {new}, not in the map (map says {mapping.get(old)})")
        if old == new and old in new_names:
            problems.append(f"{old} kept its name but is also a new name (captured)")
    changed = {(old, new) for old, new in pairs if old != new}
    unused = {old for old in mapping if (old, mapping[old]) not in changed}
    if unused:
        problems.append(f"map entries never applied: {sorted(unused)[:5]}")
    return problems


def same_program(original: str, copy: str) -> list[str]:
    before = ast.dump(without_docstrings(ast.parse(original)))
    after = ast.dump(without_docstrings(ast.parse(copy)))
    return [] if before == after else ["the program changed"]


CASES: list[tuple[str, str, dict[str, str | None]]] = [
    # (name, source, {name: expectation}) with expectation "kept" or "renamed"
    (
        "self, builtins, imports and external keywords stay",
        """
import torch
from torch import nn


class Resampler(nn.Module):
    def __init__(self, grid_size, embed_dim):
        super().__init__()
        self.grid_size = grid_size
        self.proj = nn.Linear(embed_dim, embed_dim, bias=False)

    def forward(self, x):
        grid_x = self.get_refine_size(x, upscale=True)
        return torch.cat([grid_x, x], dim=len(x.shape) - 1)

    def get_refine_size(self, x, upscale=False):
        return self.proj(x) * self.grid_size if upscale else x


def build(embed_dim=4):
    return Resampler(grid_size=2, embed_dim=embed_dim)
""",
        {
            "self": "kept",
            "torch": "kept",
            "nn": "kept",
            "len": "kept",
            "super": "kept",
            "forward": "kept",
            "__init__": "kept",
            "bias": "kept",
            "dim": "kept",
            "Resampler": "renamed",
            "get_refine_size": "renamed",
            "grid_x": "renamed",
            "grid_size": "renamed",
            "proj": "renamed",
            "upscale": "renamed",
            "embed_dim": "renamed",
            "build": "renamed",
        },
    ),
    (
        "shadowing, globals, comprehensions and string annotations",
        """
from typing import Optional

LIMIT = 3


class Node:
    def child(self, value: int) -> "Optional[Node]":
        global LIMIT
        LIMIT = LIMIT - 1
        total = sum(item * 2 for item in range(value))
        return Node() if total < LIMIT else None


def walk(node: "Node", input=None):
    try:
        return node.child(input or 1)
    except ValueError as error:
        return error
""",
        {
            "Optional": "kept",
            "sum": "kept",
            "range": "kept",
            "ValueError": "kept",
            "Node": "renamed",
            "LIMIT": "renamed",
            "item": "renamed",
            "input": "renamed",
            "error": "renamed",
            "child": "renamed",
        },
    ),
]


def run_cases() -> int:
    failures = 0
    for name, source, expectations in CASES:
        renamed = rename_source(source, random.Random(name))
        problems = check_renamed(source, renamed.source, renamed.renames, strip_docstrings=False)
        for identifier, expectation in expectations.items():
            was_renamed = identifier in renamed.renames
            if expectation == "kept" and was_renamed:
                problems.append(f"{identifier} was renamed to {renamed.renames[identifier]}")
            if expectation == "renamed" and not was_renamed:
                problems.append(f"{identifier} was not renamed")
        if not compiles(renamed.source):
            problems.append("does not compile")
        status = "ok" if not problems else "FAIL"
        print(f"{status}: case {name!r}: {len(renamed.renames)} renames")
        for problem in problems:
            print(f"    {problem}")
        failures += bool(problems)
    return failures


def top_level_dumps(source: str) -> list[str]:
    tree = ast.parse(source)
    dumps = [
        ast.dump(node) for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]
    if len(dumps) == 1 and isinstance(tree.body[-1], ast.ClassDef | ast.FunctionDef):
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                dumps = [ast.dump(item) for item in node.body if isinstance(item, ast.FunctionDef)]
    return dumps


def check_files(upstreams: Sequence[Upstream], seed: int) -> int:
    import bench_clones

    pins = bench_clones.load_pins()
    material = bench_clones.gather(pins, seed)
    copies = make_copies(upstreams, seed, material.fillers, bench_clones.MIN_TOKENS)
    failures = 0
    counts = {name: 0 for name in copies}
    for upstream in upstreams:
        problems: list[str] = []
        for name, results in copies.items():
            copy = results[upstream.key]
            if isinstance(copy, Dropped):
                continue
            assert isinstance(copy, Copy)
            counts[name] += 1
            if not compiles(copy.source):
                problems.append(f"{name}: does not compile")
                continue
            if name in ("T1", "T2"):
                problems += [f"{name}: {problem}" for problem in same_program(upstream.source, copy.source)]
            elif name in ("T3", "T4"):
                found = check_renamed(upstream.source, copy.source, copy.renames, strip_docstrings=name == "T4")
                problems += [f"{name}: {problem}" for problem in found[:5]]
            elif name == "T6":
                if sorted(top_level_dumps(upstream.source)) != sorted(top_level_dumps(copy.source)):
                    problems.append("T6: the definitions differ from the upstream's")
                elif top_level_dumps(upstream.source) == top_level_dumps(copy.source):
                    problems.append("T6: the order did not change")
            elif name == "T0" and copy.source != upstream.source:
                problems.append("T0: not verbatim")
        if problems:
            failures += 1
            print(f"FAIL: {upstream.key}")
            for problem in problems[:10]:
                print(f"    {problem}")
    print("copies checked: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="check_transforms.py", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--files", type=int, default=60, help="Sampled upstream files to check (default 60).")
    parser.add_argument("--seed", type=int, default=None, help="The benchmark's seed (default: its own).")
    arguments = parser.parse_args(argv)
    failures = run_cases()
    if arguments.files:
        import bench_clones

        seed = arguments.seed if arguments.seed is not None else bench_clones.SEED
        material = bench_clones.gather(bench_clones.load_pins(), seed)
        failures += check_files(material.eligible[: arguments.files], seed)
    print("all transformations check out" if not failures else f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
