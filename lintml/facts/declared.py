"""The licenses a project declares in its packaging metadata, read without running anything.

pyproject.toml (PEP 621 / PEP 639, Poetry), setup.cfg and setup.py. setup.py is parsed
with ``ast`` and never executed: only literal ``license=`` and classifier strings count.
"""

from __future__ import annotations

import ast
import configparser
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Declaration:
    """One raw license statement found in a manifest: the words as written, and where."""

    raw: str
    line: int | None
    how: str  # "license", "license-expression", "classifier", "license-file"


def _line_of(text: str, pattern: str) -> int | None:
    match = re.search(pattern, text, re.M)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _classifier_licenses(classifiers: object, text: str) -> list[Declaration]:
    found = []
    for classifier in classifiers if isinstance(classifiers, list) else []:
        if isinstance(classifier, str) and classifier.startswith("License ::"):
            found.append(Declaration(classifier, _line_of(text, re.escape(classifier)), "classifier"))
    return found


@lru_cache(maxsize=8)
def _toml(text: str) -> tuple[dict[str, Any], str | None]:
    """A pyproject.toml's tables and what is wrong with it (None when it parsed); read once for every reader.

    The file comes with the repository: nesting that would exhaust tomllib's recursion is a problem, not a crash."""
    try:
        return tomllib.loads(text), None
    except ValueError as error:  # TOMLDecodeError, and an integer of more digits than Python converts
        return {}, f"not valid TOML: {error}"
    except RecursionError:
        return {}, "not valid TOML: nested too deeply to read"


def from_pyproject(text: str) -> tuple[list[Declaration], str | None]:
    """Declarations and an error message (None when the TOML parsed)."""
    data, problem = _toml(text)
    if problem is not None:
        return [], problem
    found: list[Declaration] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    license_value = project.get("license")
    line = _line_of(text, r"^[ \t]*license[ \t]*=")  # blanks, not \s: a run of blank lines stays linear
    if isinstance(license_value, str):
        found.append(Declaration(license_value, line, "license-expression"))
    elif isinstance(license_value, dict):
        if isinstance(license_value.get("text"), str):
            found.append(Declaration(license_value["text"], line, "license"))
        elif isinstance(license_value.get("file"), str):
            found.append(Declaration(license_value["file"], line, "license-file"))
    found.extend(_classifier_licenses(project.get("classifiers"), text))
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
    if isinstance(poetry.get("license"), str):
        found.append(Declaration(poetry["license"], line, "license-expression"))
    found.extend(_classifier_licenses(poetry.get("classifiers"), text))
    return found, None


def from_setup_cfg(text: str) -> tuple[list[Declaration], str | None]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as error:
        return [], f"not a valid setup.cfg: {error.__class__.__name__}"
    if not parser.has_section("metadata"):
        return [], None
    found = []
    license_value = parser.get("metadata", "license", fallback="").strip()
    if license_value:
        found.append(Declaration(license_value, _line_of(text, r"^[ \t]*license[ \t]*="), "license"))
    classifiers = [line.strip() for line in parser.get("metadata", "classifiers", fallback="").splitlines()]
    found.extend(_classifier_licenses([item for item in classifiers if item], text))
    return found, None


@lru_cache(maxsize=4)
def _setup_py_tree(text: str) -> ast.Module | Exception:
    """setup.py parsed once, though three readers look at it (license, name, authors): ~5 ms each time."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        return error


def from_setup_py(text: str) -> tuple[list[Declaration], str | None]:
    tree = _setup_py_tree(text)
    if isinstance(tree, Exception):
        return [], f"cannot be parsed as Python: {tree}"
    found: list[Declaration] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.keyword):
            continue
        if node.arg == "license" and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found.append(Declaration(node.value.value, node.value.lineno, "license"))
        if node.arg == "classifiers" and isinstance(node.value, ast.List | ast.Tuple):
            for item in node.value.elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value.startswith("License"):
                    found.append(Declaration(item.value, item.lineno, "classifier"))
    return found, None


READERS = {"pyproject.toml": from_pyproject, "setup.cfg": from_setup_cfg, "setup.py": from_setup_py}


def package_name(path: str, text: str) -> str | None:
    """The distribution name a top-level manifest gives the project, if it states one literally."""
    if path == "pyproject.toml":
        data = _toml(text)[0]
        project = data.get("project") if isinstance(data.get("project"), dict) else {}
        tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
        poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else {}
        name = project.get("name") or poetry.get("name")
        return name if isinstance(name, str) and name.strip() else None
    if path == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            return None
        return parser.get("metadata", "name", fallback="").strip() or None
    if path == "setup.py":
        tree = _setup_py_tree(text)
        if isinstance(tree, Exception):
            return None
        for node in ast.walk(tree):
            value = node.value.value if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant) else None
            if isinstance(node, ast.keyword) and node.arg == "name" and isinstance(value, str) and value.strip():
                return value.strip()
    return None


# The project's own repository, as a manifest names it: pyproject's [project.urls] Homepage, Repository,
# Source or Code, setup.py's and setup.cfg's url. Read line by line, so a long manifest costs linear time.
_OWN_REPOSITORY = re.compile(
    r"""^[ \t]*["']?(?:url|home[-_ ]?page|repository|source(?:[-_ ]code)?|code)["']?[ \t]*[=:][ \t]*["']"""
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com)/([A-Za-z0-9_.-]{1,100})/([A-Za-z0-9_.-]{1,100})",
    re.IGNORECASE | re.MULTILINE,
)


def repository_names(text: str) -> set[str]:
    """``OWNER/NAME`` and ``NAME`` of the repository a manifest says the project lives in (none if it says none)."""
    names = set()
    for owner, name in _OWN_REPOSITORY.findall(text):
        name = name.removesuffix(".git")
        names.update({f"{owner}/{name}", name})
    return names


def canonical_package_name(name: str) -> str:
    """PEP 503's normal form: ``Open_CLIP.torch`` and ``open-clip-torch`` are the same project."""
    return re.sub(r"[-_.]+", "-", name).lower()


_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
METADATA_NAMES = ("PKG-INFO", "METADATA")


def requirements(path: str, text: str) -> set[str]:
    """The projects a manifest says the project depends on, extras included, as PEP 503 names.

    Reads core metadata (an sdist's PKG-INFO, a wheel's METADATA: ``Requires-Dist``),
    pyproject.toml (``[project] dependencies`` and ``optional-dependencies``) and setup.cfg
    (``install_requires``, ``extras_require``). setup.py is not read for this.
    """
    specs: list[str] = []
    name = path.rsplit("/", 1)[-1]
    if name in METADATA_NAMES:
        for line in text.splitlines():
            if not line.strip():
                break  # the headers end at the first blank line
            key, _, value = line.partition(":")
            if key.strip().lower() == "requires-dist":
                specs.append(value)
    elif name == "pyproject.toml":
        project = _toml(text)[0].get("project")
        if isinstance(project, dict):
            specs.extend(item for item in project.get("dependencies") or () if isinstance(item, str))
            optional = project.get("optional-dependencies")
            if isinstance(optional, dict):
                for group in optional.values():
                    specs.extend(item for item in group or () if isinstance(item, str))
    elif name == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            return set()
        specs.extend(parser.get("options", "install_requires", fallback="").splitlines())
        if parser.has_section("options.extras_require"):
            for _, value in parser.items("options.extras_require"):
                specs.extend(value.splitlines())
    found = set()
    for spec in specs:
        match = _REQUIREMENT_NAME.match(spec)
        if match:
            found.add(canonical_package_name(match.group(1)))
    return found


def authors(path: str, text: str) -> list[str]:
    """The people and organisations a manifest names as the project's authors and maintainers."""
    name = path.rsplit("/", 1)[-1]
    found: list[str] = []
    if name in METADATA_NAMES:
        for line in text.splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            if key.strip().lower() in ("author", "maintainer", "author-email", "maintainer-email"):
                found.extend(re.sub(r"<[^>]*>|\S+@\S+", " ", part).strip(' "') for part in value.split(","))
    elif name == "pyproject.toml":
        project = _toml(text)[0].get("project")
        if isinstance(project, dict):
            for key in ("authors", "maintainers"):
                for person in project.get(key) or ():
                    if isinstance(person, dict) and isinstance(person.get("name"), str):
                        found.append(person["name"])
    elif name == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            return []
        for key in ("author", "maintainer"):
            found.extend(part.strip() for part in parser.get("metadata", key, fallback="").split(","))
    elif name == "setup.py":
        tree = _setup_py_tree(text)
        if isinstance(tree, Exception):
            return []
        for node in ast.walk(tree):
            if not isinstance(node, ast.keyword) or node.arg not in ("author", "maintainer"):
                continue
            literal = node.value.value if isinstance(node.value, ast.Constant) else None
            if isinstance(literal, str):
                found.extend(part.strip() for part in literal.split(","))
    return [item for item in found if item]
