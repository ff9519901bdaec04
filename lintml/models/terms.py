"""Model-license knowledge, read from ``rules/licenses/models.yaml``: what each model license asks of derivatives.

Each license names its Hub id, lintml id, family, whether commercial use is allowed, how a
copy of its text is recognised, and its duties (a copy of the agreement, a Notice file with a
fixed sentence, a displayed phrase, a name prefix, use restrictions passed on, modified files
marked, attribution ...), each with the clause it comes from. ``families`` says which families'
licenses govern a card that carries them as its own; ``duty_kinds`` says, per kind of duty, which
rule reports it, which registered predicate (:mod:`lintml.models.duties`) decides it, and the words
of its findings and fix hints. ``compatibility`` says which licenses a derivative's card may carry
on a base of each license. Every table is validated key by key when loaded.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lintml.models.duties import PREDICATES, RegisteredPredicate
from lintml.ruledata import RuleError, rules_directory
from lintml.yaml_files import InvalidYAML, read_yaml


@dataclass(frozen=True)
class ModelDuty:
    kind: str
    clause: str
    summary: str
    texts: tuple[str, ...] = ()  # the exact wording the license fixes; any one of them meets the duty
    recognise: tuple[str, ...] = ()  # phrases that show the duty is met (e.g. "Acceptable Use Policy")
    url: str | None = None
    applies_to: tuple[str, ...] = ()  # base_model_relation values (and "copy"); () = every redistribution
    link_suffices: bool = False  # a link to the license text meets agreement-copy (CC 4.0 §3(a)(1)(C))

    @property
    def text(self) -> str | None:
        return self.texts[0] if self.texts else None

    def applies(self, relation: str | None) -> bool:
        """Whether the duty binds a model in this relation to its base (None: unknown, so it binds)."""
        return not self.applies_to or relation is None or relation in self.applies_to


@dataclass(frozen=True)
class Compatibility:
    """Which card licenses (Hub ids) a derivative may carry on a base under this license."""

    allowed: tuple[str, ...]  # Hub ids; "*" any; "same" the base's own; "other" a custom license carrying its terms
    not_judged: tuple[str, ...]  # card licenses lintml leaves to a reader
    reason: str
    clause: str

    def verdict(self, base: ModelLicense, card_license: str) -> bool | None:
        """True: allowed; False: a conflict; None: not judged here."""
        if "*" in self.allowed or card_license in self.allowed:
            return True
        if "same" in self.allowed and card_license == base.key:
            return True
        if card_license in self.not_judged:
            return None
        return False


@dataclass(frozen=True)
class ModelLicense:
    key: str  # the Hub id, or for licenses without one the usual `license_name`
    id: str  # lintml's id (SPDX or LicenseRef-...)
    hub: str | None  # the Hub license id, None when cards say `license: other`
    name: str
    family: str
    url: str | None
    commercial: str  # "yes", "no" or "conditional"
    commercial_note: str | None
    recognise: tuple[str, ...]  # phrases of the license text, to recognise a shipped copy
    license_names: tuple[str, ...]  # `license_name:` values used with `license: other`
    duties: tuple[ModelDuty, ...]
    compatibility: Compatibility | None

    def label(self) -> str:
        return self.key


@dataclass(frozen=True)
class ModelFamily:
    """A family of model licenses (Llama, Gemma, OpenRAIL, Creative Commons ...)."""

    name: str
    own_license: bool  # a card carrying one of its licenses takes on its duties (only its maker's models use it)
    summary: str


# The rules that report model-license duties; each duty kind names one (or none: recorded, not checked).
DUTY_RULES = ("model-license-duty", "model-attribution")
# What `lintml fix` can do for a kind of duty without a person's judgement.
DUTY_REPAIRS = ("notice-sentence",)  # write the sentence the license fixes into the folder's NOTICE file
# Placeholders every duty kind's reasons and fix hints may use, besides those its predicate fills.
DUTY_FIELDS = ("license", "license_key", "license_url", "text", "url", "base")


@dataclass(frozen=True)
class DutyKind:
    """A kind of duty: who reports it, how it is decided, and the words of its findings."""

    name: str
    summary: str
    rule: str | None  # the rule reporting it; None: recorded, not checked (see `unchecked`)
    predicate: RegisteredPredicate | None
    reasons: dict[str, str]  # the predicate's reason -> message template
    fix: tuple[str, ...]  # fix-hint parts; a part is kept only when every value it names is known
    derivative_only: bool = False  # binds derivatives, not the maker's own release under its own license
    repair: str | None = None  # one of DUTY_REPAIRS
    unchecked: str | None = None  # why lintml does not check it

    def reason(self, key: str, values: Mapping[str, str | None]) -> str:
        return self.reasons[key].format(**values)

    def fix_hint(self, values: Mapping[str, str | None], fallback: str) -> str:
        kept = [part.format(**values) for part in self.fix if all(values.get(name) for name in _placeholders(part))]
        return "".join(kept) or fallback


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@dataclass(frozen=True)
class ModelTerms:
    licenses: dict[str, ModelLicense]  # by lintml id
    unjudged: frozenset[str] = frozenset()  # card licenses never judged for compatibility
    families: dict[str, ModelFamily] = field(default_factory=dict)
    duty_kinds: dict[str, DutyKind] = field(default_factory=dict)

    def own_license(self, entry: ModelLicense) -> bool:
        """Whether a card carrying this license as its own takes on its duties (its family says so)."""
        family = self.families.get(entry.family)
        return family is not None and family.own_license

    def by_card(self, license_id: str | None, license_name: str | None, hub_ids: dict[str, str]) -> ModelLicense | None:
        """The model license a card's `license:` (and, for `other`, `license_name:`) names."""
        if license_id and license_id != "other":
            found = next((entry for entry in self.licenses.values() if entry.hub == license_id), None)
            return found or self.licenses.get(hub_ids.get(license_id, license_id))
        if license_name:
            wanted = license_name.strip().lower()
            return next((entry for entry in self.licenses.values() if wanted in entry.license_names), None)
        return None

    def card_key(self, license_id: str, license_name: str | None) -> str:
        """A card's license as the compatibility table spells it: the Hub id, or the license_name of `other`."""
        if license_id == "other" and license_name:
            found = self.by_card("other", license_name, {})
            if found is not None:
                return found.key
        return license_id


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(item) for item in value)


def _commercial(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


_TOP_KEYS = {"licenses", "families", "duty_kinds", "not_judged_everywhere", "compatibility"}
_LICENSE_KEYS = {
    "id", "name", "family", "url", "commercial", "commercial_note", "recognise", "license_names", "notes",
    "duties", "hub", "umbrella",
}  # fmt: skip
_DUTY_KEYS = {
    "duty", "clause", "summary", "text", "read_at", "where", "applies_to", "link_suffices", "unverified", "url",
    "recognise",
}  # fmt: skip
_FAMILY_KEYS = {"own_license", "summary"}
_KIND_KEYS = {"summary", "rule", "check", "reasons", "fix", "derivative_only", "repair", "unchecked"}
_COMPATIBILITY_KEYS = {"bases", "allowed", "not_judged", "conflicts", "clause", "reason"}


def _mapping(path: Path, value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RuleError(f"{path}: {what} must be a mapping")
    return value


def _keys(path: Path, mapping: dict[str, Any], allowed: set[str], required: set[str], what: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise RuleError(f"{path}: unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required - set(mapping)):
        raise RuleError(f"{path}: {what} is missing the key {key!r}")


def _compatibility(path: Path, table: dict[str, Any]) -> dict[str, Compatibility]:
    """Hub id (or license_name) of a base -> what its derivatives' cards may say."""
    by_base: dict[str, Compatibility] = {}
    for group, entry in table.items():
        if not isinstance(entry, dict) or not entry.get("bases"):
            raise RuleError(f"{path}: compatibility {group!r} needs `bases:`")
        _keys(path, entry, _COMPATIBILITY_KEYS, {"bases"}, f"compatibility {group!r}")
        rule = Compatibility(
            allowed=_strings(entry.get("allowed")),
            not_judged=_strings(entry.get("not_judged")),
            reason=" ".join(str(entry.get("reason", "")).split()),
            clause=str(entry.get("clause", "")),
        )
        for base in _strings(entry["bases"]):
            by_base[base] = rule
    return by_base


def _families(path: Path, table: Any) -> dict[str, ModelFamily]:
    families: dict[str, ModelFamily] = {}
    for name, entry in _mapping(path, table, "`families:`").items():
        what = f"family {name!r}"
        _keys(path, _mapping(path, entry, what), _FAMILY_KEYS, _FAMILY_KEYS, what)
        if not isinstance(entry["own_license"], bool):
            raise RuleError(f"{path}: {what}: `own_license` must be true or false")
        families[str(name)] = ModelFamily(str(name), entry["own_license"], " ".join(str(entry["summary"]).split()))
    return families


def _duty_kind(path: Path, name: str, entry: Any) -> DutyKind:
    what = f"duty kind {name!r}"
    entry = _mapping(path, entry, what)
    _keys(path, entry, _KIND_KEYS, {"summary"}, what)
    summary = " ".join(str(entry["summary"]).split())
    if "unchecked" in entry:
        extra = sorted(set(entry) - {"summary", "unchecked"})
        if extra:
            raise RuleError(f"{path}: {what} is unchecked and cannot have {', '.join(map(repr, extra))}")
        return DutyKind(name, summary, None, None, {}, (), unchecked=" ".join(str(entry["unchecked"]).split()))
    _keys(path, entry, _KIND_KEYS, {"summary", "rule", "check", "reasons"}, what)
    rule = str(entry["rule"])
    if rule not in DUTY_RULES:
        raise RuleError(f"{path}: {what}: unknown rule {rule!r} (one of: {', '.join(DUTY_RULES)})")
    registered = PREDICATES.get(str(entry["check"]))
    if registered is None:
        known = ", ".join(sorted(PREDICATES))
        raise RuleError(f"{path}: {what}: unknown check {entry['check']!r} (registered predicates: {known})")
    reasons = {str(key): str(value) for key, value in _mapping(path, entry["reasons"], f"{what} reasons").items()}
    if set(reasons) != set(registered.reasons):
        raise RuleError(
            f"{path}: {what}: `reasons` must give wording for exactly {', '.join(registered.reasons)}"
            f" (the reasons check {registered.name!r} returns), not {', '.join(reasons) or 'none'}"
        )
    fix = _strings(entry.get("fix"))
    fields = {*DUTY_FIELDS, *registered.values}
    for template in [*reasons.values(), *fix]:
        unknown = sorted(_placeholders(template) - fields)
        if unknown:
            raise RuleError(
                f"{path}: {what}: unknown placeholder {{{unknown[0]}}} in {template!r}"
                f" (known: {', '.join(sorted(fields))})"
            )
    repair = entry.get("repair")
    if repair is not None and repair not in DUTY_REPAIRS:
        raise RuleError(f"{path}: {what}: unknown repair {repair!r} (one of: {', '.join(DUTY_REPAIRS)})")
    derivative_only = entry.get("derivative_only", False)
    if not isinstance(derivative_only, bool):
        raise RuleError(f"{path}: {what}: `derivative_only` must be true or false")
    return DutyKind(name, summary, rule, registered, reasons, fix, derivative_only, repair)


def load_model_terms(directory: Path | None = None) -> ModelTerms:
    """The model-license knowledge of ``directory/licenses/models.yaml`` (default: the shipped rules)."""
    path = (directory or rules_directory()) / "licenses" / "models.yaml"
    try:
        loaded = read_yaml(path)
    except (OSError, InvalidYAML) as error:
        raise RuleError(f"{path}: cannot load model-license knowledge: {error}") from error
    if not isinstance(loaded, dict) or not isinstance(loaded.get("licenses"), dict):
        raise RuleError(f"{path}: expected a mapping with a `licenses:` table")
    _keys(path, loaded, _TOP_KEYS, {"licenses", "families", "duty_kinds"}, "models.yaml")
    compatibility = _compatibility(path, _mapping(path, loaded.get("compatibility") or {}, "`compatibility:`"))
    families = _families(path, loaded["families"])
    kinds = {
        str(name): _duty_kind(path, str(name), entry)
        for name, entry in _mapping(path, loaded["duty_kinds"], "`duty_kinds:`").items()
    }
    licenses: dict[str, ModelLicense] = {}
    for key, entry in loaded["licenses"].items():
        if not isinstance(entry, dict) or "id" not in entry:
            raise RuleError(f"{path}: license {key!r} needs an `id:`")
        _keys(path, entry, _LICENSE_KEYS, {"id", "family"}, f"license {key!r}")
        family = str(entry["family"])
        if family not in families:
            raise RuleError(f"{path}: license {key!r}: unknown family {family!r} (families: {', '.join(families)})")
        duties = []
        for duty in entry.get("duties") or ():
            duty = _mapping(path, duty, f"a duty of license {key!r}")
            _keys(path, duty, _DUTY_KEYS, {"duty"}, f"a duty of license {key!r}")
            kind = str(duty.get("duty"))
            if kind not in kinds:
                raise RuleError(f"{path}: license {key!r}: unknown duty {kind!r} (duty_kinds: {', '.join(kinds)})")
            duties.append(
                ModelDuty(
                    kind=kind,
                    clause=str(duty.get("clause", "")),
                    summary=" ".join(str(duty.get("summary", "")).split()),
                    texts=_strings(duty.get("text")),
                    recognise=_strings(duty.get("recognise")),
                    url=duty.get("url"),
                    applies_to=_strings(duty.get("applies_to")),
                    link_suffices=bool(duty.get("link_suffices")),
                )
            )
        licenses[str(entry["id"])] = ModelLicense(
            key=str(key),
            id=str(entry["id"]),
            hub=None if entry.get("hub") is False else str(key),
            name=str(entry.get("name", key)),
            family=family,
            url=entry.get("url"),
            commercial=_commercial(entry.get("commercial")),
            commercial_note=entry.get("commercial_note"),
            recognise=_strings(entry.get("recognise")),
            license_names=tuple(item.lower() for item in _strings(entry.get("license_names"))),
            duties=tuple(duties),
            compatibility=compatibility.get(str(key)),
        )
    return ModelTerms(licenses, frozenset(_strings(loaded.get("not_judged_everywhere"))), families, kinds)
