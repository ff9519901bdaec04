"""T3: rename every class, function, method, parameter and variable a file defines, consistently.

The copier in the Llama3-V case renamed ``Resampler`` to ``Projection``, ``get_refine_size``
to ``get_size`` and ``grid_x`` to ``gx``, and kept everything that would break the program:
``self``, builtins, imported names, the keyword names of calls into other packages, and the
hooks a framework calls by name (``forward``, ``__init__``). This module does the same with
libcst's scope analysis, so a definition and all of its uses get the same new name:

- names bound in the file (``def``, ``class``, parameters, assignment targets, loop,
  ``with``, ``except`` and comprehension targets) are renamed at their definition and at
  every use that resolves to them; a use that resolves to an import or a builtin is not;
- attributes set on ``self``/``cls`` and the methods and class variables of the file's
  classes are renamed where they are read through ``self``, ``cls``, ``super()`` or the
  class's own name (``other.foo`` is left alone: its type is not known);
- keyword arguments are renamed only in calls to the file's own functions, classes and
  methods, and only when they name one of the callee's parameters;
- string annotations (``"Foo"``, ``"Optional[Foo]"``) follow the names they mention.

Each old name gets exactly one new name in the whole file (a rename map ``{old: new}``),
which is what a rename map reported by lintml is compared with. New names are made from
the old ones the way people shorten and reword them (synonyms, initials, dropped words),
from a seeded random generator, so a run is reproducible.
"""

from __future__ import annotations

import builtins
import keyword
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, ScopeProvider
from libcst.metadata.scope_provider import (
    Access,
    Assignment,
    BuiltinAssignment,
    ClassScope,
    ImportAssignment,
    Scope,
)

# Framework hooks that are called by name from outside the file: renaming them would break
# the program, so a copier keeps them. Names defined as methods or class variables in three
# or more files of the upstream project are kept too (see ``interface_names``).
KEPT_NAMES = frozenset(
    {
        "self",
        "cls",
        "mcs",
        "metacls",
        "_",
        "forward",
        "main",
        "setUp",
        "tearDown",
        "setup",
        "teardown",
    }
)
SOFT_KEYWORDS = frozenset({"match", "case", "type", "_"})
BUILTIN_NAMES = frozenset(dir(builtins))

# A small thesaurus of the words ML code is made of, and their usual stand-ins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "image": ("img", "picture", "frame"),
    "images": ("imgs", "frames", "pictures"),
    "img": ("image", "pic", "im"),
    "input": ("inp", "src", "source"),
    "inputs": ("xs", "sources", "inps"),
    "output": ("out", "result", "res"),
    "outputs": ("outs", "results", "ys"),
    "target": ("tgt", "goal", "gt"),
    "targets": ("tgts", "gts", "goals"),
    "tensor": ("arr", "t", "array"),
    "data": ("payload", "buf", "d"),
    "value": ("val", "v", "amount"),
    "values": ("vals", "vs", "amounts"),
    "index": ("idx", "pos", "position"),
    "indices": ("idxs", "positions", "ids"),
    "idx": ("index", "pos", "ix"),
    "num": ("n", "count", "number"),
    "number": ("num", "count", "n"),
    "size": ("dim", "extent", "sz"),
    "shape": ("dims", "sz", "form"),
    "height": ("h", "rows", "hgt"),
    "width": ("w", "cols", "wid"),
    "batch": ("bs", "b", "chunk"),
    "channel": ("ch", "chan", "plane"),
    "channels": ("chs", "chans", "planes"),
    "kernel": ("kern", "filt", "k"),
    "weight": ("w", "wt", "coef"),
    "weights": ("ws", "wts", "coefs"),
    "bias": ("b", "offset", "shift"),
    "mask": ("m", "msk", "keep"),
    "grid": ("lattice", "mesh", "g"),
    "point": ("pt", "p", "vertex"),
    "points": ("pts", "vertices", "ps"),
    "box": ("bbox", "rect", "bx"),
    "boxes": ("bboxes", "rects", "bxs"),
    "matrix": ("mat", "m", "mtx"),
    "feature": ("feat", "f", "emb"),
    "features": ("feats", "embs", "fs"),
    "prediction": ("pred", "guess", "estimate"),
    "predictions": ("preds", "guesses", "estimates"),
    "preds": ("predictions", "ps", "outs"),
    "label": ("lbl", "tag", "cls_id"),
    "labels": ("lbls", "tags", "ys"),
    "score": ("s", "metric", "mark"),
    "scores": ("ss", "marks", "metrics"),
    "loss": ("cost", "err", "penalty"),
    "compute": ("calc", "calculate", "eval"),
    "get": ("fetch", "obtain", "read"),
    "set": ("put", "assign", "store"),
    "make": ("build", "create", "mk"),
    "build": ("make", "construct", "assemble"),
    "create": ("make", "new", "spawn"),
    "apply": ("run", "do", "perform"),
    "update": ("refresh", "step", "advance"),
    "check": ("verify", "validate", "ensure"),
    "validate": ("check", "verify", "assert"),
    "init": ("setup", "initialize", "prepare"),
    "transform": ("tfm", "xform", "mapping"),
    "param": ("p", "arg", "option"),
    "params": ("args", "cfg", "opts"),
    "config": ("cfg", "conf", "settings"),
    "result": ("res", "out", "answer"),
    "results": ("outs", "answers", "res_list"),
    "tmp": ("temp", "t", "scratch"),
    "count": ("cnt", "n", "tally"),
    "total": ("tot", "overall", "sum_all"),
    "mean": ("avg", "mu", "average"),
    "std": ("sigma", "dev", "spread"),
    "normalize": ("norm", "normalise", "rescale"),
    "angle": ("theta", "ang", "rot"),
    "scale": ("factor", "s", "zoom"),
    "rotation": ("rot", "spin", "turn"),
    "translation": ("shift", "trans", "move"),
    "center": ("ctr", "mid", "centre"),
    "distance": ("dist", "d", "gap"),
    "dist": ("distance", "d", "gap"),
    "dim": ("axis", "d", "ndim"),
    "device": ("dev", "where", "place"),
    "dtype": ("kind", "typ", "precision"),
    "eps": ("epsilon", "tol", "tiny"),
    "threshold": ("thr", "thresh", "cutoff"),
    "refine": ("adjust", "polish", "tune"),
    "state": ("st", "status", "memo"),
    "metric": ("measure", "score", "stat"),
    "model": ("net", "network", "mdl"),
    "layer": ("lyr", "block", "stage"),
    "layers": ("blocks", "stages", "lyrs"),
    "hidden": ("hid", "inner", "latent"),
    "dataset": ("ds", "corpus", "collection"),
    "sample": ("item", "example", "smp"),
    "samples": ("items", "examples", "smps"),
    "path": ("fp", "location", "file"),
    "file": ("fh", "doc", "f"),
    "name": ("nm", "key", "label"),
    "names": ("keys", "nms", "ids"),
    "key": ("k", "name", "field"),
    "keys": ("ks", "fields", "names"),
    "list": ("seq", "items", "lst"),
    "dict": ("table", "mapping", "lookup"),
    "length": ("len_", "n", "span"),
    "start": ("begin", "lo", "first"),
    "end": ("stop", "hi", "last"),
    "min": ("lo", "floor", "smallest"),
    "max": ("hi", "ceil", "largest"),
    "random": ("rand", "rnd", "stochastic"),
    "prob": ("p", "chance", "likelihood"),
    "probs": ("ps", "chances", "likelihoods"),
    "resample": ("project", "rescale", "warp"),
    "sampler": ("picker", "drawer", "selector"),
    "resampler": ("projection", "projector", "mapper"),
    "default": ("base", "fallback", "std"),
    "new": ("fresh", "nxt", "updated"),
    "old": ("prev", "previous", "stale"),
    "current": ("cur", "now", "active"),
    "source": ("src", "origin", "from_"),
    "destination": ("dst", "dest", "to"),
    "pixel": ("px", "pel", "dot"),
    "pixels": ("pxs", "dots", "pels"),
    "color": ("colour", "rgb", "col"),
    "gray": ("grey", "mono", "lum"),
    "rgb": ("color", "colour", "bgr"),
    "patch": ("tile", "crop", "window"),
    "patches": ("tiles", "crops", "windows"),
    "window": ("win", "span", "frame"),
    "step": ("stride", "inc", "delta"),
    "stride": ("step", "hop", "jump"),
    "padding": ("pad", "margin", "border"),
    "pad": ("padding", "margin", "fill"),
    "mode": ("kind", "method", "how"),
    "method": ("mode", "how", "strategy"),
    "func": ("fn", "callback", "op"),
    "fn": ("func", "callable_", "op"),
    "reduce": ("aggregate", "collapse", "pool"),
    "reduction": ("aggregation", "pooling", "agg"),
    "average": ("avg", "mean", "mu"),
    "sum": ("total", "acc", "s"),
    "true": ("actual", "real", "gold"),
    "false": ("wrong", "neg", "bad"),
    "positive": ("pos", "hit", "yes"),
    "negative": ("neg", "miss", "no"),
    "positives": ("pos_count", "hits", "yeses"),
    "negatives": ("neg_count", "misses", "nos"),
}

# Stand-ins for the last word of a class name (``Resampler`` -> ``Projection``).
CLASS_NOUNS = (
    "Module",
    "Block",
    "Layer",
    "Head",
    "Net",
    "Encoder",
    "Decoder",
    "Projection",
    "Mapper",
    "Adapter",
    "Unit",
    "Stage",
    "Op",
    "Transform",
    "Filter",
    "Estimator",
    "Tracker",
    "Handler",
    "Processor",
    "Builder",
    "Wrapper",
    "Engine",
    "Kernel",
    "Helper",
    "Component",
)
CLASS_PREFIXES = ("Fast", "Simple", "Custom", "Basic", "Light", "My", "Core", "Smart")
SHORT_WORDS = ("val", "tmp", "arg", "res", "elem", "item", "obj", "acc", "cur", "buf", "aux", "ref")
LETTERS = "abcdefghjkmnpqrstuvwz"


@dataclass(frozen=True)
class Renamed:
    """A renamed file and its true rename map (only names that were renamed somewhere)."""

    source: str
    renames: dict[str, str]


class CannotRename(Exception):
    """The file has nothing this transformation can rename, or libcst cannot analyse it."""


# ---------------------------------------------------------------------------------------
# New names


def split_words(name: str) -> tuple[str, list[str], str, str]:
    """``(leading underscores, words, trailing underscores, style)`` with style snake, upper or camel."""
    core = name.strip("_")
    prefix = name[: len(name) - len(name.lstrip("_"))]
    suffix = name[len(name.rstrip("_")) :] if core else ""
    if not core:
        return prefix, [], "", "snake"
    if "_" in core or core.islower():
        words = [word for word in core.split("_") if word]
        style = "upper" if core.isupper() and len(core) > 1 else "snake"
        return prefix, [word.lower() for word in words], suffix, style
    if core.isupper():
        return prefix, [core.lower()], suffix, "upper"
    words = re.findall(r"[A-Z]+(?=[A-Z][a-z]|\d|\b)|[A-Z]?[a-z]+|[A-Z]+|\d+", core)
    return prefix, [word.lower() for word in words] or [core.lower()], suffix, "camel"


def join_words(prefix: str, words: Sequence[str], suffix: str, style: str) -> str:
    words = [word for word in words if word]
    if style == "camel":
        body = "".join(word[:1].upper() + word[1:] for word in words)
    elif style == "upper":
        body = "_".join(word.upper() for word in words)
    else:
        body = "_".join(words)
    return prefix + body + suffix


def abbreviate(word: str) -> str:
    """``feature`` -> ``feat``, ``channels`` -> ``chnls``: what people type when they shorten."""
    if len(word) <= 3:
        return word
    if len(word) >= 6:
        return word[:4]
    consonants = word[0] + re.sub(r"[aeiou]", "", word[1:])
    return consonants if len(consonants) >= 2 else word[:3]


def candidate_names(name: str, rng: random.Random) -> list[str]:
    """New names for ``name``, most natural first; the caller takes the first one that is free."""
    prefix, words, suffix, style = split_words(name)
    if not words:
        return []
    options: list[list[str]] = []
    if len(words) == 1 and len(words[0]) == 1 and style != "camel":
        letter = words[0]
        options += [[rng.choice([c for c in LETTERS if c != letter])], [rng.choice(SHORT_WORDS)]]
    if style == "camel":
        options.append([*words[:-1], rng.choice(CLASS_NOUNS).lower()])
        if len(words) >= 2:
            options.append(words[1:] if rng.random() < 0.5 else words[:-1])
        options.append([rng.choice(CLASS_PREFIXES).lower(), *words])
    substituted = [rng.choice(SYNONYMS[word]) if word in SYNONYMS and rng.random() < 0.8 else word for word in words]
    if substituted != words:
        options.append(substituted)
    if len(words) >= 2:
        options.append(["".join(word[0] for word in words)])  # grid_x -> gx
        dropped = list(words)
        del dropped[rng.randrange(len(dropped))]
        options.append(dropped)  # get_refine_size -> get_size
    shortened = [abbreviate(word) for word in words]
    if shortened != words:
        options.append(shortened)
    options.append([*words, rng.choice(("new", "v2", "impl", "x", "local"))])
    options.append([rng.choice(("my", "the", "local", "tmp")), *words])
    first, rest = options[:3], options[3:]
    rng.shuffle(first)
    names = []
    for option in first + rest:
        candidate = join_words(prefix, option, suffix, style)
        if candidate != name and candidate not in names:
            names.append(candidate)
    return names


def usable(name: str, taken: set[str]) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and name not in SOFT_KEYWORDS
        and name not in BUILTIN_NAMES
        and name not in KEPT_NAMES  # a local named `self` or `cls` would read as something else
        and name not in taken
        and not name[:1].isdigit()
    )


def new_names(old_names: Iterable[str], taken: set[str], rng: random.Random) -> dict[str, str]:
    """One fresh name for each old name, none of them already used in the file or by another."""
    taken = set(taken)
    mapping: dict[str, str] = {}
    for old in sorted(old_names):
        for candidate in candidate_names(old, rng):
            if usable(candidate, taken):
                break
        else:
            counter = 2
            while not usable(f"{old.rstrip('_')}{counter}", taken):
                counter += 1
            candidate = f"{old.rstrip('_')}{counter}"
        mapping[old] = candidate
        taken.add(candidate)
    return mapping


# ---------------------------------------------------------------------------------------
# What the file defines


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def interface_names(sources: Iterable[str], min_files: int = 3) -> frozenset[str]:
    """Method and class-variable names defined in at least ``min_files`` of a project's files.

    These are the project's interfaces (``update``/``compute`` of a metric, ``apply_transform``
    of an augmentation): a base class elsewhere calls them by name, so a copier keeps them.
    """
    import ast

    counts: dict[str, int] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                        names.add(statement.name)
                    elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                        names.add(statement.target.id)
                    elif isinstance(statement, ast.Assign):
                        names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return frozenset(name for name, count in counts.items() if count >= min_files)


def defined_name_node(node: cst.CSTNode) -> cst.Name | None:
    """The Name a scope assignment binds, or None when it is not one this module can rename."""
    if isinstance(node, cst.Name):
        return node
    if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Param):
        return node.name
    name = getattr(node, "name", None)
    if isinstance(node, cst.MatchAs | cst.MatchStar) and isinstance(name, cst.Name):
        return name
    return None


def self_attribute_targets(module: cst.Module) -> set[str]:
    """Names of attributes the file sets on ``self`` or ``cls`` (``self.proj = ...``)."""
    found: set[str] = set()

    class Collector(cst.CSTVisitor):
        def _target(self, target: cst.BaseExpression) -> None:
            if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
                if target.value.value in ("self", "cls"):
                    found.add(target.attr.value)
            elif isinstance(target, cst.Tuple | cst.List):
                for element in target.elements:
                    self._target(element.value)

        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            self._target(node.target)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            self._target(node.target)

        def visit_AugAssign(self, node: cst.AugAssign) -> None:
            self._target(node.target)

    module.visit(Collector())
    return found


def all_identifiers(module: cst.Module) -> set[str]:
    found: set[str] = set()

    class Collector(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.add(node.value)

    module.visit(Collector())
    return found


def first_parameter(function: cst.FunctionDef) -> cst.Param | None:
    params = function.params
    for group in (params.posonly_params, params.params):
        if group:
            return group[0]
    return None


def parameter_names(function: cst.FunctionDef) -> set[str]:
    params = function.params
    names = {param.name.value for param in (*params.posonly_params, *params.params, *params.kwonly_params)}
    return names


@dataclass
class ClassInfo:
    node: cst.ClassDef
    methods: dict[str, set[str]]  # method name -> its parameter names
    fields: set[str]  # class-level annotated names (dataclass-style constructor keywords)
    bases: list[str]  # names of in-file base classes


# ---------------------------------------------------------------------------------------
# The renaming


class Planner:
    """Decides, node by node, what gets which new name."""

    def __init__(self, module: cst.Module, kept: frozenset[str], rng: random.Random) -> None:
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.module = self.wrapper.module
        scopes = self.wrapper.resolve(ScopeProvider)
        self.scopes: list[Scope] = []
        for scope in scopes.values():
            if scope is not None and scope not in self.scopes:
                self.scopes.append(scope)
        self.kept = kept
        self.rng = rng
        self.name_ids: dict[int, str] = {}  # id(Name) -> old name, for the Name nodes to rename
        self.string_ids: dict[int, cst.SimpleString] = {}  # string annotations that mention renamed names
        self.keyword_ids: dict[int, str] = {}
        self.attribute_ids: dict[int, str] = {}
        self.mapping: dict[str, str] = {}
        self._plan()

    def _kept(self, name: str) -> bool:
        return name in self.kept or name in KEPT_NAMES or is_dunder(name) or not name.strip("_")

    def _plan(self) -> None:
        external: set[tuple[int, str]] = set()  # (scope, name) pairs bound by an import
        unhandled: set[str] = set()
        first_params: set[int] = set()
        for scope in self.scopes:
            for assignment in scope.assignments:
                if isinstance(assignment, ImportAssignment):
                    external.add((id(scope), assignment.name))
                elif isinstance(assignment, Assignment) and defined_name_node(assignment.node) is None:
                    unhandled.add(assignment.name)
                if (
                    isinstance(assignment, Assignment)
                    and isinstance(assignment.node, cst.FunctionDef)
                    and isinstance(scope, ClassScope)
                ):
                    first = first_parameter(assignment.node)
                    if first is not None:
                        first_params.add(id(first))

        def renamable(scope: Scope, assignment: object) -> bool:
            return (
                isinstance(assignment, Assignment)
                and not isinstance(assignment, ImportAssignment | BuiltinAssignment)
                and (id(scope), assignment.name) not in external
                and assignment.name not in unhandled
                and not self._kept(assignment.name)
                and not (isinstance(assignment.node, cst.Param) and id(assignment.node) in first_params)
            )

        defined: set[str] = set()
        scope_of_assignment: dict[int, Scope] = {}
        class_names: set[str] = set()
        class_level: set[str] = set()
        for scope in self.scopes:
            for assignment in scope.assignments:
                scope_of_assignment[id(assignment)] = scope
                if not renamable(scope, assignment):
                    continue
                name_node = defined_name_node(assignment.node)  # type: ignore[attr-defined]
                assert name_node is not None
                self.name_ids[id(name_node)] = assignment.name
                defined.add(assignment.name)
                if isinstance(assignment.node, cst.ClassDef):  # type: ignore[attr-defined]
                    class_names.add(assignment.name)
                if isinstance(scope, ClassScope):
                    class_level.add(assignment.name)

        def access_renamable(access: Access) -> bool:
            referents = access.referents
            return bool(referents) and all(
                renamable(scope_of_assignment.get(id(referent)) or access.scope, referent) for referent in referents
            )

        imported_or_builtin = {name for _, name in external} | BUILTIN_NAMES
        for scope in self.scopes:
            for access in scope.accesses:
                node = access.node
                if isinstance(node, cst.Name):
                    if node.value in defined and (
                        access_renamable(access) or (not access.referents and node.value not in imported_or_builtin)
                    ):
                        self.name_ids[id(node)] = node.value
                elif isinstance(node, cst.SimpleString):
                    self.string_ids[id(node)] = node

        attributes = {
            name for name in self_attribute_targets(self.module) | class_level if not self._kept(name)
        } - unhandled
        self.attributes = attributes
        self.class_names = class_names
        taken = all_identifiers(self.module) | {name for _, name in external}
        self.mapping = new_names(defined | attributes, taken, self.rng)
        self.defined = defined
        self.imported_or_builtin = imported_or_builtin
        self._plan_attributes_and_keywords()

    def _plan_attributes_and_keywords(self) -> None:
        classes: dict[str, ClassInfo] = {}
        functions: dict[str, set[str]] = {}
        for node in self._walk(self.module):
            if isinstance(node, cst.ClassDef):
                methods: dict[str, set[str]] = {}
                fields: set[str] = set()
                body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
                for statement in body:
                    if isinstance(statement, cst.FunctionDef):
                        methods.setdefault(statement.name.value, set()).update(parameter_names(statement))
                    elif isinstance(statement, cst.SimpleStatementLine):
                        for small in statement.body:
                            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                                fields.add(small.target.value)
                bases = [
                    arg.value.value
                    for arg in node.bases
                    if isinstance(arg.value, cst.Name) and arg.value.value in self.class_names
                ]
                classes.setdefault(node.name.value, ClassInfo(node, methods, fields, bases))
            elif isinstance(node, cst.FunctionDef):
                functions.setdefault(node.name.value, set()).update(parameter_names(node))
        self.classes = classes
        method_params: dict[str, set[str]] = {}
        for info in classes.values():
            for method, params in info.methods.items():
                method_params.setdefault(method, set()).update(params)

        planner = self

        class Walker(cst.CSTVisitor):
            def __init__(self) -> None:
                self.class_stack: list[str] = []

            def visit_ClassDef(self, node: cst.ClassDef) -> None:
                self.class_stack.append(node.name.value)

            def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
                self.class_stack.pop()

            def _receiver_is_own(self, value: cst.BaseExpression) -> str | None:
                """'self' for self/cls/own class receivers, 'super' for super(), None otherwise."""
                if isinstance(value, cst.Name):
                    if value.value in ("self", "cls"):
                        return "self"
                    if value.value in planner.class_names and id(value) in planner.name_ids:
                        return "self"
                if (
                    isinstance(value, cst.Call)
                    and isinstance(value.func, cst.Name)
                    and value.func.value == "super"
                    and not value.args
                ):
                    return "super"
                return None

            def visit_Attribute(self, node: cst.Attribute) -> None:
                if node.attr.value in planner.attributes and self._receiver_is_own(node.value):
                    planner.attribute_ids[id(node.attr)] = node.attr.value

            def visit_Call(self, node: cst.Call) -> None:
                params: set[str] = set()
                func = node.func
                if isinstance(func, cst.Name) and id(func) in planner.name_ids:
                    name = func.value
                    if name in classes:
                        info = classes[name]
                        params = info.methods.get("__init__", set()) or info.fields
                    elif name in functions:
                        params = functions[name]
                elif isinstance(func, cst.Name) and func.value == "cls" and self.class_stack:
                    info = classes.get(self.class_stack[-1])
                    if info is not None:
                        params = info.methods.get("__init__", set()) or info.fields
                elif isinstance(func, cst.Attribute):
                    receiver = self._receiver_is_own(func.value)
                    method = func.attr.value
                    if receiver == "self":
                        params = method_params.get(method, set())
                    elif receiver == "super" and self.class_stack:
                        info = classes.get(self.class_stack[-1])
                        for base in info.bases if info else ():
                            params |= classes[base].methods.get(method, set()) if base in classes else set()
                for arg in node.args:
                    if arg.keyword is not None and arg.keyword.value in params and arg.keyword.value in planner.mapping:
                        planner.keyword_ids[id(arg.keyword)] = arg.keyword.value

        self.module.visit(Walker())

    @staticmethod
    def _walk(module: cst.Module) -> list[cst.CSTNode]:
        found: list[cst.CSTNode] = []

        class Collector(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                found.append(node)
                return True

        module.visit(Collector())
        return found


class Renamer(cst.CSTTransformer):
    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.used: dict[str, str] = {}
        self.in_global = 0

    def _rename(self, old: str) -> str | None:
        new = self.planner.mapping.get(old)
        if new is not None:
            self.used[old] = new
        return new

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        key = id(original_node)
        old = self.planner.name_ids.get(key) or self.planner.attribute_ids.get(key) or self.planner.keyword_ids.get(key)
        if old is None and self.in_global and original_node.value in self.planner.defined:
            old = original_node.value
        if old is not None:
            new = self._rename(old)
            if new is not None:
                return updated_node.with_changes(value=new)
        return updated_node

    def visit_Global(self, node: cst.Global) -> None:
        self.in_global += 1

    def leave_Global(self, original_node: cst.Global, updated_node: cst.Global) -> cst.Global:
        self.in_global -= 1
        return updated_node

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.in_global += 1

    def leave_Nonlocal(self, original_node: cst.Nonlocal, updated_node: cst.Nonlocal) -> cst.Nonlocal:
        self.in_global -= 1
        return updated_node

    def leave_SimpleString(self, original_node: cst.SimpleString, updated_node: cst.SimpleString) -> cst.SimpleString:
        if id(original_node) not in self.planner.string_ids:
            return updated_node
        text = updated_node.value
        start = len(updated_node.prefix) + len(updated_node.quote)
        inner = text[start : len(text) - len(updated_node.quote)]

        def replace(match: re.Match[str]) -> str:
            word = match.group(0)
            if word in self.planner.defined and word not in self.planner.imported_or_builtin:
                return self._rename(word) or word
            return word

        inner = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", replace, inner)
        return updated_node.with_changes(value=text[:start] + inner + text[len(text) - len(updated_node.quote) :])


def rename_source(source: str, rng: random.Random, kept: frozenset[str] = frozenset()) -> Renamed:
    """The file with its own definitions renamed, and the rename map that was applied."""
    try:
        module = cst.parse_module(source)
        planner = Planner(module, kept, rng)
    except Exception as error:  # libcst raises ParserSyntaxError, RecursionError and plain Exceptions
        first_line = str(error).splitlines()[0] if str(error) else ""
        raise CannotRename(f"libcst: {type(error).__name__}: {first_line}") from error
    renamer = Renamer(planner)
    renamed = planner.module.visit(renamer)
    if not renamer.used:
        raise CannotRename("nothing to rename")
    return Renamed(renamed.code, dict(sorted(renamer.used.items())))
