"""Configuration: ``.lintml.yaml`` or ``[tool.lintml]`` in pyproject.toml, found by walking up.

Every option is validated on its own with an error that names the option and the file
(``unknown option "x" in .lintml.yaml``), because a typo that silently does nothing is
the worst kind of configuration bug in a linter.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lintml.containment import OutsideTree, Tree
from lintml.findings import SEVERITIES
from lintml.repository import DEFAULT_MAX_FILE_SIZE
from lintml.ruledata import matches_selector
from lintml.wildmatch import InvalidPattern, compile_patterns

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_NAMES = (".lintml.yaml", ".lintml.yml")


class ConfigError(Exception):
    """Invalid configuration; the message names the file and the option."""


@dataclass(frozen=True)
class VendoredFolder:
    """A folder the configuration declares as copied from an upstream."""

    folder: str  # POSIX, relative to the project root, no trailing slash
    upstream: str
    license: str | None = None
    url: str | None = None
    version: str | None = None

    def holds(self, path: str) -> bool:
        return path.startswith(self.folder + "/")


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severity: tuple[tuple[str, str], ...] = ()
    fail_on: str = "error"
    project_license: str | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    exclude: tuple[str, ...] = ()
    upstreams: tuple[Path, ...] = ()  # extra upstream indexes, relative paths resolved from the config file
    catalog: bool = True  # consult the catalog shipped with lintml
    provenance: bool = True  # fingerprint code and match it against the indexes
    vendored: tuple[VendoredFolder, ...] = ()
    source: Path | None = None
    _matchers: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def severity_for(self, rule_id: str, default: str) -> str:
        chosen = default
        best = -1
        for selector, level in self.severity:
            if matches_selector(rule_id, selector) and len(selector) > best:
                chosen, best = level, len(selector)
        return chosen

    def ignored_at(self, rule_id: str, path: str) -> bool:
        for pattern, ids in self.per_path_ignores:
            if self._spec(pattern).match_file(path) and any(matches_selector(rule_id, item) for item in ids):
                return True
        return False

    def excluded(self, path: str) -> bool:
        return bool(self.exclude) and self._spec("\n".join(self.exclude)).match_file(path)

    def _spec(self, patterns: str) -> Any:
        if patterns not in self._matchers:
            self._matchers[patterns] = compile_patterns(patterns.splitlines())
        return self._matchers[patterns]


def _string_list(value: Any, option: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{where}: option {option!r} must be a list of strings")
    return tuple(value)


def _patterns(value: Any, option: str, where: str) -> tuple[str, ...]:
    """A list of gitignore-style patterns, each one checked now so a bad one is named with its option."""
    patterns = _string_list(value, option, where)
    for pattern in patterns:
        try:
            compile_patterns([pattern])
        except InvalidPattern as error:
            raise ConfigError(f"{where}: option {option!r}: {pattern!r} is not a valid pattern ({error})") from None
    return patterns


# Matched whole against the stripped text: one run of blanks, so a long one costs linear time (blanks on
# both sides of an empty unit made it quadratic in a value from a repository's configuration).
_SIZE = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[kmg]?i?b?)", re.I)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str) -> int | None:
    """A size such as ``2000000``, ``500KB`` or ``2GB`` in bytes (K, M and G are powers of 1024); None if it is none."""
    match = _SIZE.fullmatch(text.strip())
    if match is None:
        return None
    return int(float(match.group("number")) * _UNITS[match.group("unit").lower()[:1]])


def _size(value: Any, option: str, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    size = parse_size(value) if isinstance(value, str) else None
    if size is None:
        raise ConfigError(f"{where}: option {option!r} must be a size such as 2000000, '500KB' or '2MB'")
    return size


def _level(value: Any, option: str, where: str) -> str:
    if value not in SEVERITIES:
        raise ConfigError(f"{where}: option {option!r} must be one of {', '.join(SEVERITIES)}, not {value!r}")
    return str(value)


def _mapping(value: Any, option: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: option {option!r} must be a mapping")
    return value


def _per_path(value: Any, option: str, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    mapping = _mapping(value, option, where)
    for pattern in mapping:
        _patterns(str(pattern), f"{option} key", where)
    return tuple((str(pattern), _string_list(ids, f"{option}.{pattern}", where)) for pattern, ids in mapping.items())


def _severities(value: Any, option: str, where: str) -> tuple[tuple[str, str], ...]:
    mapping = _mapping(value, option, where)
    return tuple((str(rule), _level(level, f"{option}.{rule}", where)) for rule, level in mapping.items())


def _license(value: Any, option: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: option {option!r} must be an SPDX license expression such as 'MIT'")
    from lintml.licenses import shipped_knowledge

    normalized = shipped_knowledge().normalize_expression(value)
    if normalized is None:
        raise ConfigError(f"{where}: option {option!r}: {value!r} is not a license lintml knows (use an SPDX id)")
    return normalized


def _flag(value: Any, option: str, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: option {option!r} must be true or false, not {value!r}")
    return value


def _index_files(value: Any, option: str, where: str) -> tuple[Path, ...]:
    return tuple(Path(item) for item in _string_list(value, option, where))


_VENDORED_KEYS = ("upstream", "license", "url", "version")


def _vendored(value: Any, option: str, where: str) -> tuple[VendoredFolder, ...]:
    folders = []
    for folder, details in _mapping(value, option, where).items():
        name = f"{option}.{folder}"
        if isinstance(details, str):
            details = {"upstream": details}
        details = _mapping(details, name, where)
        unknown = sorted(set(details) - set(_VENDORED_KEYS))
        if unknown:
            raise ConfigError(f"{where}: {name}: unknown key {unknown[0]!r} (known keys: {', '.join(_VENDORED_KEYS)})")
        upstream = details.get("upstream")
        if not isinstance(upstream, str) or not upstream.strip():
            raise ConfigError(f"{where}: {name}: 'upstream' must name the project the folder was copied from")
        for key in ("url", "version"):
            if details.get(key) is not None and not isinstance(details[key], (str, int, float)):
                raise ConfigError(f"{where}: {name}.{key} must be a string")
        license_id = _license(details["license"], f"{name}.license", where) if "license" in details else None
        clean = str(folder).strip().strip("/")
        if not clean or clean.startswith("..") or "/../" in f"/{clean}/":
            raise ConfigError(f"{where}: {name}: the folder must be a path inside the repository")
        version = details.get("version")
        folders.append(
            VendoredFolder(
                clean, upstream.strip(), license_id, details.get("url"), None if version is None else str(version)
            )
        )
    return tuple(sorted(folders, key=lambda item: item.folder))


_OPTIONS: dict[str, tuple[str, Callable[[Any, str, str], Any]]] = {
    "select": ("select", _string_list),
    "ignore": ("ignore", _string_list),
    "per-path-ignores": ("per_path_ignores", _per_path),
    "severity": ("severity", _severities),
    "fail-on": ("fail_on", _level),
    "project-license": ("project_license", _license),
    "max-file-size": ("max_file_size", _size),
    "exclude": ("exclude", _patterns),
    "upstreams": ("upstreams", _index_files),
    "catalog": ("catalog", _flag),
    "provenance": ("provenance", _flag),
    "vendored": ("vendored", _vendored),
}


def parse_config(raw: Any, where: str, source: Path | None = None) -> Config:
    """Validate a mapping of options (from YAML, TOML or a rule example) into a Config."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: the configuration must be a mapping of options")
    values: dict[str, Any] = {}
    for option, value in raw.items():
        if option not in _OPTIONS:
            known = ", ".join(sorted(_OPTIONS))
            raise ConfigError(f"{where}: unknown option {option!r} (known options: {known})")
        attribute, validate = _OPTIONS[option]
        values[attribute] = validate(value, option, where)
    if source is not None and "upstreams" in values:  # relative to the file that names them
        values["upstreams"] = tuple(
            path if path.is_absolute() else source.parent / path for path in values["upstreams"]
        )
    return Config(source=source, **values)


MAX_CONFIG_SIZE = 1024 * 1024  # bytes; a real configuration is a few hundred


def load_config_file(path: Path, tree: Tree | None = None) -> Config:
    """The configuration in ``path``; :class:`ConfigError` naming the file for anything it cannot use.

    The file may come with a repository lintml is asked to check, so it is read as untrusted input:
    a size cap, UTF-8 only, no YAML aliases, a nesting cap. When it lies in ``tree`` (the repository
    being checked), it is read through it: a configuration that is a link out of the repository is
    refused, not read.
    """
    data = _config_bytes(path, tree)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(f"{path}: line {line}: the configuration is not UTF-8 text") from None
    if path.name == "pyproject.toml":
        try:
            parsed = tomllib.loads(text)
        except ValueError as error:  # TOMLDecodeError, and an integer of more digits than Python converts
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        except RecursionError:  # tomllib descends once a level of nested arrays or tables
            raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
        tool = parsed.get("tool")
        section = tool.get("lintml") if isinstance(tool, dict) else None
        return parse_config(section, f"{path} [tool.lintml]", path)
    from lintml.yaml_files import InvalidYAML, load_untrusted  # PyYAML only when there is a .lintml.yaml

    try:
        raw = load_untrusted(text)
    except InvalidYAML as error:
        reason = " ".join(str(error).split())
        raise ConfigError(f"{path}: not valid YAML: {reason}") from None
    return parse_config(raw, str(path), path)


def _config_bytes(path: Path, tree: Tree | None) -> bytes:
    """The configuration file's bytes, at most :data:`MAX_CONFIG_SIZE`, through ``tree`` when it lies in it."""
    try:
        if tree is not None and _lies_in(path, tree):
            return tree.read(os.path.relpath(os.path.abspath(path), tree.root), MAX_CONFIG_SIZE)
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_SIZE + 1)
    except OutsideTree as refused:
        raise ConfigError(f"{path}: {refused.escape.describe()}") from None
    except OSError as error:
        if error.errno == errno.EFBIG:
            data = b"x" * (MAX_CONFIG_SIZE + 1)
        else:
            raise ConfigError(f"{path}: cannot read the configuration: {error.strerror or error}") from error
    if len(data) > MAX_CONFIG_SIZE:
        raise ConfigError(f"{path}: the configuration is larger than {MAX_CONFIG_SIZE // 1024} KB")
    return data


def _lies_in(path: Path, tree: Tree) -> bool:
    """Whether ``path`` is named inside the tree (as given, or where its folder really is)."""
    folder = os.path.abspath(path.parent)
    return tree.contains(folder) or tree.contains(os.path.realpath(folder))


def _names_tool_table(text: str) -> bool:
    """Whether a pyproject.toml has a ``[tool.lintml]`` table (or a sub-table of it); a line at a time, so
    that no run of blank lines can make the search slow."""
    return any(line.lstrip().startswith(("[tool.lintml]", "[tool.lintml.")) for line in text.splitlines())


def find_config(start: Path) -> Path | None:
    """The nearest .lintml.yaml, or pyproject.toml with a [tool.lintml] table, from ``start`` upwards.

    In ``start`` itself (the repository being checked) the files are read through its tree, so a link
    out of it is refused (a :class:`ConfigError`); above it, they are the user's own."""
    directory = start if start.is_dir() else start.parent
    tree = Tree(directory)
    for folder in [directory.resolve(), *directory.resolve().parents]:
        for name in CONFIG_NAMES:
            if (folder / name).is_file() or (folder == directory.resolve() and (folder / name).is_symlink()):
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() or pyproject.is_symlink():
            try:
                data = _config_bytes(pyproject, tree if folder == directory.resolve() else None)
            except ConfigError:
                data = b""
            if _names_tool_table(data.decode("utf-8", errors="replace")):
                return pyproject
        if (folder / ".git").exists():
            break  # never pick up configuration from outside the repository
    return None


def resolve_config(start: Path, explicit: Path | None) -> Config:
    """The configuration for the repository at ``start``: ``explicit`` when given, else the nearest found.

    A configuration in the repository is read through its tree (a link out of it is refused), and the
    upstream indexes it names must lie in the repository too: the repository does not get to make lintml
    read the user's files by naming them."""
    tree = Tree(start)
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: configuration file not found")
        path = explicit
    else:
        found = find_config(start)
        if found is None:
            return Config()
        path = found
    config = load_config_file(path, tree)
    if _lies_in(path, tree):
        for upstream in config.upstreams:
            try:
                tree.inside(os.path.abspath(upstream))
            except OutsideTree:
                raise ConfigError(
                    f"{path}: upstreams: {upstream} lies outside the repository, and an index the repository"
                    " names must lie in it (give an index of your own with --index)"
                ) from None
    return config
