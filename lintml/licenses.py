"""License knowledge, read from ``rules/licenses/``: ids, families, aliases, compatibility, model-license terms.

Everything here is data-driven: adding a license or a compatibility fact is editing
YAML. SPDX expressions are parsed with the ``license-expression`` library.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from lintml.models.terms import ModelTerms, load_model_terms
from lintml.ruledata import RuleError, rules_directory
from lintml.yaml_files import InvalidYAML, read_yaml

T = TypeVar("T")


@dataclass(frozen=True)
class LicenseInfo:
    spdx: str
    name: str
    family: str
    hub: str | None


@dataclass(frozen=True)
class ChangeNoticeDuty:
    """What a license asks of a modified copy: a notice that it changed, and whether with a date."""

    clause: str
    needs_date: bool
    duty: str  # the clause in lintml's words, for messages


@dataclass(frozen=True)
class Knowledge:
    licenses: dict[str, LicenseInfo]
    aliases: dict[str, str]  # lower-cased spelling -> SPDX id
    hub_ids: dict[str, str]  # Hub license id -> lintml id
    compatible_into: dict[str, frozenset[str]]  # inbound id -> outbound ids ("*" = any)
    copy_of_license: dict[str, str]  # SPDX id -> the clause that requires shipping its text
    companion_texts: dict[str, frozenset[str]]  # license id -> texts that ship with it (LGPL -> GPL)
    umbrella: frozenset[str]  # lower-cased names of license families, not of one license
    model_terms: ModelTerms  # what model licenses ask of derivatives (models.yaml)
    change_notice: dict[str, ChangeNoticeDuty] = field(default_factory=dict)  # SPDX id -> duty of modified copies
    retain_notices: dict[str, str] = field(default_factory=dict)  # SPDX id -> clause keeping upstream notices

    def duty_of(self, table: Mapping[str, T], expression: str) -> T | None:
        """The duty an expression's code carries: under OR the licensee picks, so only a duty of every choice."""
        duties = []
        for choice in expression_alternatives(expression):
            found = next((table[part] for part in choice if part in table), None)
            if found is None:
                return None
            duties.append(found)
        return duties[0] if duties else None

    def is_umbrella(self, raw: str) -> bool:
        return " ".join(raw.strip().split()).lower() in self.umbrella

    def canonical_id(self, raw: str) -> str | None:
        """The SPDX id for one license name, alias, classifier or Hub id; None if unknown."""
        key = " ".join(raw.strip().split()).lower()
        return self.aliases.get(key)

    def normalize_expression(self, raw: str) -> str | None:
        """An SPDX expression with every known id canonicalised; None if any part is unknown."""
        whole = self.canonical_id(raw)
        if whole is not None:
            return whole
        parsed = _parse(raw)
        if parsed is None:
            return None
        text = str(parsed)
        for symbol in sorted(_symbols(parsed), key=len, reverse=True):
            canonical = self.canonical_id(symbol)
            if canonical is None:
                if symbol.startswith("LicenseRef-") or _looks_like_exception(symbol):
                    continue
                return None
            text = re.sub(rf"(?<![\w.+-]){re.escape(symbol)}(?![\w.+-])", canonical, text)
        return text

    def family(self, spdx_id: str) -> str | None:
        info = self.licenses.get(spdx_id)
        return info.family if info else None

    def name(self, spdx_id: str) -> str:
        info = self.licenses.get(spdx_id)
        return info.name if info else spdx_id

    def version_base(self, spdx_id: str) -> str | None:
        """``GPL-3.0`` for ``GPL-3.0-only`` and ``GPL-3.0-or-later``: the license whose text leaves open
        whether later versions apply (a notice says so, not the text); None for any other id."""
        for suffix in ("-only", "-or-later"):
            if spdx_id.endswith(suffix):
                base = spdx_id[: -len(suffix)]
                if f"{base}-only" in self.licenses and f"{base}-or-later" in self.licenses:
                    return base
        return None

    def same_licenses(self, first: str, second: str, open_versions: frozenset[str] = frozenset()) -> bool:
        """Whether two expressions name the same licenses. An id of a license in ``open_versions`` (a
        bare GNU license text, which does not choose) stands for both its ``-only`` and ``-or-later`` ids."""

        def named(expression: str) -> set[str]:
            found = set()
            for spdx_id in expression_ids(expression):
                base = self.version_base(spdx_id)
                found.add(base if base in open_versions else spdx_id)
            return found

        return named(first) == named(second)

    def may_include(self, outbound: str, inbound: str) -> bool | None:
        """Can ``inbound``-licensed code be part of an ``outbound``-licensed project? None: unknown."""
        allowed = self.compatible_into.get(inbound)
        if allowed is None or outbound not in self.licenses:
            return None
        return "*" in allowed or outbound in allowed


def _looks_like_exception(symbol: str) -> bool:
    return "exception" in symbol.lower()


# What an expression may be to be parsed: real ones are a few ids long, nested a level or two. The parser
# (and printing what it parsed) recurses once a level, and a file's SPDX tag can be a megabyte long.
MAX_EXPRESSION_CHARS = 1000
MAX_EXPRESSION_DEPTH = 16
# The ways an expression can be satisfied multiply under AND: (A OR B) AND (C OR D) AND ... doubles with
# each term. Beyond this many, lintml cannot judge the expression (it is read as one unknown license).
MAX_ALTERNATIVES = 256


@lru_cache(maxsize=64)
def _parse(raw: str) -> Any:
    if len(raw) > MAX_EXPRESSION_CHARS or _depth(raw) > MAX_EXPRESSION_DEPTH:
        return None
    from license_expression import Licensing

    try:
        return Licensing().parse(raw, simple=False)
    except Exception:  # the parser raises IndexError, AssertionError... on odd input: not an expression
        return None


def _depth(raw: str) -> int:
    """How deep the parentheses of ``raw`` nest."""
    deepest = level = 0
    for character in raw:
        if character == "(":
            level += 1
            deepest = max(deepest, level)
        elif character == ")":
            level -= 1
    return deepest


def _symbols(parsed: Any) -> list[str]:
    from license_expression import Licensing

    return [str(symbol.key) for symbol in Licensing().license_symbols(parsed, decompose=True)]


# One license id, the usual expression: answered as the parser would answer it, without importing it
# (license_expression costs a pre-commit run ~15 ms to import).
_ONE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")


def _one_id(expression: str) -> bool:
    return _ONE_ID.fullmatch(expression) is not None and expression.lower() not in ("and", "or", "with")


def expression_ids(expression: str) -> list[str]:
    """The license ids in an SPDX expression, in order, without exceptions."""
    if _one_id(expression):
        return [] if _looks_like_exception(expression) else [expression]
    parsed = _parse(expression)
    if parsed is None:
        return [expression]
    return [symbol for symbol in _symbols(parsed) if not _looks_like_exception(symbol)]


def expression_alternatives(expression: str) -> list[list[str]]:
    """The expression as OR-of-ANDs: each inner list is one way to satisfy it."""
    if _one_id(expression):
        return [[expression]]
    parsed = _parse(expression)
    if parsed is None:
        return [[expression]]
    try:
        return _alternatives(parsed)
    except _TooManyAlternatives:
        return [[expression]]


class _TooManyAlternatives(Exception):
    """An expression with more than MAX_ALTERNATIVES ways to satisfy it."""


def _alternatives(node: Any) -> list[list[str]]:
    from license_expression import AND, OR, LicenseWithExceptionSymbol

    if isinstance(node, OR):
        choices = [choice for child in node.args for choice in _alternatives(child)]
        if len(choices) > MAX_ALTERNATIVES:
            raise _TooManyAlternatives
        return choices
    if isinstance(node, AND):
        combined: list[list[str]] = [[]]
        for child in node.args:
            parts = _alternatives(child)
            if len(combined) * len(parts) > MAX_ALTERNATIVES:
                raise _TooManyAlternatives
            combined = [left + right for left in combined for right in parts]
        return combined
    if isinstance(node, LicenseWithExceptionSymbol):
        return [[str(node.license_symbol.key)]]
    return [[str(node.key)]]


def compatible(knowledge: Knowledge, project: str, inbound: str) -> bool | None:
    """May a file under ``inbound`` live in a project under ``project``? None when lintml cannot judge.

    OR in either expression is a choice (one workable pair suffices); AND in the inbound
    expression means every part must fit the chosen project license.
    """
    verdicts: list[bool | None] = []
    for outbound_choice in expression_alternatives(project):
        for inbound_choice in expression_alternatives(inbound):
            per_part = [
                knowledge.may_include(outbound, part) for outbound in outbound_choice for part in inbound_choice
            ]
            if None in per_part:
                verdicts.append(None)
            else:
                verdicts.append(all(per_part))
    if True in verdicts:
        return True
    if verdicts and all(verdict is False for verdict in verdicts):
        return False
    return None


def load_knowledge(directory: Path | None = None) -> Knowledge:
    root = (directory or rules_directory()) / "licenses"
    catalogue = _read(root / "licenses.yaml")
    table = _read(root / "compatibility.yaml")
    obligations = _read(root / "obligations.yaml")
    licenses: dict[str, LicenseInfo] = {}
    aliases: dict[str, str] = {}
    hub_ids: dict[str, str] = {}
    for spdx, entry in (catalogue.get("licenses") or {}).items():
        info = LicenseInfo(spdx=spdx, name=entry["name"], family=entry["family"], hub=entry.get("hub"))
        licenses[spdx] = info
        for spelling in [spdx, info.name, *(entry.get("aliases") or [])]:
            aliases.setdefault(" ".join(str(spelling).split()).lower(), spdx)
        if info.hub:
            hub_ids[info.hub] = spdx
            aliases.setdefault(info.hub, spdx)
    for hub, target in (catalogue.get("hub_only") or {}).items():
        hub_ids[hub] = target
        aliases.setdefault(hub.lower(), target)
        aliases.setdefault(target.lower(), target)
    for name, target in (catalogue.get("license_name_only") or {}).items():
        aliases.setdefault(str(name).lower(), str(target))
        aliases.setdefault(str(target).lower(), str(target))
    groups: dict[str, list[str]] = table.get("groups") or {}
    compatible_into: dict[str, frozenset[str]] = {}
    for inbound, outbounds in (table.get("inbound") or {}).items():
        expanded: set[str] = set()
        for item in outbounds:
            if item.startswith("@"):
                if item[1:] not in groups:
                    raise RuleError(f"{root / 'compatibility.yaml'}: unknown group {item!r}")
                expanded.update(groups[item[1:]])
            else:
                expanded.add(item)
        for name in [inbound, *expanded]:
            if name != "*" and name not in licenses:
                raise RuleError(f"{root / 'compatibility.yaml'}: {name!r} is not in licenses.yaml")
        compatible_into[inbound] = frozenset(expanded)
    copy_of_license = {str(key): str(value) for key, value in (obligations.get("copy_of_license") or {}).items()}
    companion_texts = {
        str(key): frozenset(str(item) for item in value)
        for key, value in (obligations.get("companion_texts") or {}).items()
    }
    umbrella = frozenset(" ".join(str(item).split()).lower() for item in catalogue.get("umbrella") or ())
    change_notice = {
        str(key): ChangeNoticeDuty(str(value["clause"]), bool(value.get("date")), str(value["duty"]))
        for key, value in (obligations.get("change_notice") or {}).items()
    }
    retain_notices = {str(key): str(value) for key, value in (obligations.get("retain_notices") or {}).items()}
    for name in [*copy_of_license, *change_notice, *retain_notices]:
        if name not in licenses:
            raise RuleError(f"{root / 'obligations.yaml'}: {name!r} is not in licenses.yaml")
    return Knowledge(
        licenses=licenses,
        aliases=aliases,
        hub_ids=hub_ids,
        compatible_into=compatible_into,
        copy_of_license=copy_of_license,
        companion_texts=companion_texts,
        umbrella=umbrella,
        model_terms=load_model_terms(directory),
        change_notice=change_notice,
        retain_notices=retain_notices,
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        loaded = read_yaml(path)
    except (OSError, InvalidYAML) as error:
        raise RuleError(f"{path}: cannot load license knowledge: {error}") from error
    if not isinstance(loaded, dict):
        raise RuleError(f"{path}: license knowledge must be a mapping")
    return loaded


@lru_cache(maxsize=1)
def shipped_knowledge() -> Knowledge:
    return load_knowledge()
