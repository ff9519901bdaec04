"""Model-license knowledge, read from ``rules/licenses/models.yaml``: what each model license asks of derivatives.

Each license names its Hub id, lintml id, family, whether commercial use is allowed, how a
copy of its text is recognised, and its duties (a copy of the agreement, a Notice file with a
fixed sentence, a displayed phrase, a name prefix, use restrictions passed on, modified files
marked, attribution ...), each with the clause it comes from. ``compatibility`` says which
licenses a derivative's card may carry on a base of each license.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from lintml.ruledata import RuleError, rules_directory
from lintml.yaml_files import InvalidYAML, read_yaml

DUTY_KINDS = frozenset(
    {
        "agreement-copy",
        "display",
        "name-prefix",
        "notice-file",
        "acceptable-use",
        "use-restrictions",
        "modified-files",
        "attribution",
        "change-indication",
        "share-alike",
        "noncommercial",
        "no-derivatives",
        "retain-notices",
        "code-license",
    }
)


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
class ModelTerms:
    licenses: dict[str, ModelLicense]  # by lintml id
    unjudged: frozenset[str] = frozenset()  # card licenses never judged for compatibility

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


def _compatibility(path: Path, table: dict[str, Any]) -> dict[str, Compatibility]:
    """Hub id (or license_name) of a base -> what its derivatives' cards may say."""
    by_base: dict[str, Compatibility] = {}
    for group, entry in table.items():
        if not isinstance(entry, dict) or not entry.get("bases"):
            raise RuleError(f"{path}: compatibility {group!r} needs `bases:`")
        rule = Compatibility(
            allowed=_strings(entry.get("allowed")),
            not_judged=_strings(entry.get("not_judged")),
            reason=" ".join(str(entry.get("reason", "")).split()),
            clause=str(entry.get("clause", "")),
        )
        for base in _strings(entry["bases"]):
            by_base[base] = rule
    return by_base


def load_model_terms(directory: Path | None = None) -> ModelTerms:
    path = (directory or rules_directory()) / "licenses" / "models.yaml"
    try:
        loaded = read_yaml(path)
    except (OSError, InvalidYAML) as error:
        raise RuleError(f"{path}: cannot load model-license knowledge: {error}") from error
    if not isinstance(loaded, dict) or not isinstance(loaded.get("licenses"), dict):
        raise RuleError(f"{path}: expected a mapping with a `licenses:` table")
    compatibility = _compatibility(path, loaded.get("compatibility") or {})
    licenses: dict[str, ModelLicense] = {}
    for key, entry in loaded["licenses"].items():
        if not isinstance(entry, dict) or "id" not in entry:
            raise RuleError(f"{path}: license {key!r} needs an `id:`")
        duties = []
        for duty in entry.get("duties") or ():
            kind = str(duty.get("duty"))
            if kind not in DUTY_KINDS:
                raise RuleError(f"{path}: license {key!r}: unknown duty {kind!r}")
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
            family=str(entry.get("family", "")),
            url=entry.get("url"),
            commercial=_commercial(entry.get("commercial")),
            commercial_note=entry.get("commercial_note"),
            recognise=_strings(entry.get("recognise")),
            license_names=tuple(item.lower() for item in _strings(entry.get("license_names"))),
            duties=tuple(duties),
            compatibility=compatibility.get(str(key)),
        )
    return ModelTerms(licenses, frozenset(_strings(loaded.get("not_judged_everywhere"))))


@lru_cache(maxsize=1)
def shipped_model_terms() -> ModelTerms:
    return load_model_terms()


_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "©": "(c)"})


def plain(text: str) -> str:
    """Text compared for a required sentence: case, spacing, curly quotes and © vs (c) do not matter."""
    return _SPACES.sub(" ", text.translate(_QUOTES).lower()).strip()


def states(text: str, sentence: str) -> bool:
    """Whether ``text`` carries ``sentence`` (a trailing full stop is optional)."""
    return plain(sentence).rstrip(". ") in plain(text)
