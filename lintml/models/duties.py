"""Registered duty predicates: how lintml sees, in a model folder's files, whether a model-license duty is met.

The duties themselves are data (``duty_kinds`` in ``rules/licenses/models.yaml``): each kind names
the rule that reports it, the predicate here that decides it, the wording of each way it can be
unmet and its fix hint. A predicate is registered under a name with ``@predicate(name, reasons=...)``
and returns ``None`` when the duty is met (or lintml cannot tell), else an :class:`Unmet` naming one
of its declared reasons. Adding a license family, or a duty kind that an existing predicate decides,
is a YAML change; a duty that needs a new way of looking is one more registered predicate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lintml.models.card import CardDeclaration
    from lintml.models.terms import ModelDuty, ModelLicense

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "©": "(c)"})


def plain(text: str) -> str:
    """Text compared for a required sentence: case, spacing, curly quotes and © vs (c) do not matter."""
    return _SPACES.sub(" ", text.translate(_QUOTES).lower()).strip()


def states(text: str, sentence: str) -> bool:
    """Whether ``text`` carries ``sentence`` (a trailing full stop is optional)."""
    return plain(sentence).rstrip(". ") in plain(text)


def is_notice(path: str) -> bool:
    return PurePosixPath(path).name.lower().startswith("notice")


@dataclass(frozen=True)
class Shown:
    """What a model folder shows: its card, and the license, NOTICE and document texts of its folder and above."""

    card: CardDeclaration | None
    texts: dict[str, str]  # path -> text: documents, license and notice files
    licenses: dict[str, str]  # path -> text: license files only (LICENSE*, NOTICE*, LICENSES/ at the top)
    # SPDX ids whose full text some license file of the repository carries (asked only when a duty needs it).
    shipped_texts: Callable[[], Collection[str]] = field(default=lambda: ())

    def anywhere(self, phrase: str) -> bool:
        return any(states(text, phrase) for text in self.texts.values()) or (
            self.card is not None and states(self.card.body, phrase)
        )

    def in_license_files(self, phrase: str) -> bool:
        """Whether a license file (not a NOTICE) carries the phrase: a copy of a license is a license file."""
        return any(states(text, phrase) for path, text in self.licenses.items() if not is_notice(path))

    def in_notices(self, phrase: str) -> bool:
        return any(states(text, phrase) for path, text in self.licenses.items() if is_notice(path))

    def has_notice(self) -> bool:
        return any(is_notice(path) for path in self.licenses)


@dataclass(frozen=True)
class DutyCase:
    """One duty of one governing license, asked of one model folder."""

    duty: ModelDuty
    terms: ModelLicense
    base: str | None  # the base model the license comes from; None when it is the card's own license
    shown: Shown

    @property
    def card(self) -> CardDeclaration | None:
        return self.shown.card


@dataclass(frozen=True)
class Unmet:
    """A duty is not met: which of the predicate's declared reasons, and the values its wording needs."""

    reason: str
    values: Mapping[str, str] = field(default_factory=dict)


Predicate = Callable[[DutyCase], "Unmet | None"]


@dataclass(frozen=True)
class RegisteredPredicate:
    name: str
    function: Predicate
    reasons: tuple[str, ...]  # the reasons it may return: the YAML gives each one its wording
    values: tuple[str, ...] = ()  # placeholders it fills beyond the standard ones


PREDICATES: dict[str, RegisteredPredicate] = {}


def predicate(name: str, *, reasons: tuple[str, ...], values: tuple[str, ...] = ()) -> Callable[[Predicate], Predicate]:
    """Register a duty predicate under ``name`` (the ``check:`` of a duty kind in models.yaml)."""

    def register(function: Predicate) -> Predicate:
        if name in PREDICATES:
            raise ValueError(f"duty predicate {name!r} registered twice")
        PREDICATES[name] = RegisteredPredicate(name, function, reasons, values)
        return function

    return register


# ----------------------------------------------------------------------------- predicates


@predicate("license-copy", reasons=("missing",))
def license_copy(case: DutyCase) -> Unmet | None:
    """A license file carries the license's text (or, where a link suffices, the card links or names it)."""
    terms, card, shown = case.terms, case.card, case.shown
    if not terms.recognise or any(shown.in_license_files(phrase) for phrase in terms.recognise):
        return None  # no phrase to recognise a copy by (a family of licenses), or a copy is shipped
    if case.duty.link_suffices and (
        (card is not None and (card.license_link or terms.key in card.licenses))
        or (terms.url and shown.anywhere(terms.url.split("://", 1)[-1].rstrip("/")))
    ):
        return None
    return Unmet("missing")


@predicate("notice-sentence", reasons=("notice-lacks", "no-notice"))
def notice_sentence(case: DutyCase) -> Unmet | None:
    """A NOTICE file carries one of the sentences the license fixes."""
    duty, shown = case.duty, case.shown
    if not duty.texts or any(shown.in_notices(text) for text in duty.texts):
        return None
    return Unmet("notice-lacks" if shown.has_notice() else "no-notice")


_SEPARATORS = re.compile(r"[\s_\-]+")
# Names of template cards, not of a model: they say nothing about what the model is called.
_PLACEHOLDER_NAMES = frozenset({"model id", "model card", "model name", "your model name", "model"})


def model_name(card: CardDeclaration) -> str | None:
    """The card's name for its model, without template wording ("Model Card for X" is X); None for placeholders."""
    name = card.model_name
    if name is None:
        return None
    name = re.sub(r"^model card (?:for|of)\s+", "", name.strip(), flags=re.IGNORECASE).strip()
    return None if not name or name.lower() in _PLACEHOLDER_NAMES else name


def begins_with(name: str, prefix: str) -> bool:
    """ "Llama-3-SuperChat", "llama3_chat" and "Llama 3 SuperChat" all begin with "Llama 3"."""
    spoken = _SEPARATORS.sub("", plain(name))
    return spoken.startswith(_SEPARATORS.sub("", plain(prefix)))


@predicate("name-prefix", reasons=("other-name",), values=("name",))
def name_prefix(case: DutyCase) -> Unmet | None:
    """The model's name (model-index name or first heading) begins with the prefix the license fixes."""
    text = case.duty.text
    name = model_name(case.card) if case.card is not None else None
    if not text or name is None or begins_with(name, text):
        return None
    return Unmet("other-name", {"name": name})


@predicate("passed-on", reasons=("missing",), values=("phrase",))
def passed_on(case: DutyCase) -> Unmet | None:
    """A license file, NOTICE, document or the card mentions what is passed on (the duty's ``recognise``)."""
    phrases = case.duty.recognise or ("use restrictions",)
    if any(case.shown.anywhere(phrase) for phrase in phrases):
        return None
    return Unmet("missing", {"phrase": phrases[0]})


@predicate("license-text-shipped", reasons=("missing",))
def license_text_shipped(case: DutyCase) -> Unmet | None:
    """Some license file of the repository carries the license's full text."""
    terms = case.terms
    if terms.id in case.shown.shipped_texts() or any(case.shown.in_license_files(phrase) for phrase in terms.recognise):
        return None
    return Unmet("missing")


@predicate("displayed", reasons=("missing",))
def displayed(case: DutyCase) -> Unmet | None:
    """The card or a document shows one of the phrases the license fixes."""
    texts = case.duty.texts
    if not texts or any(case.shown.anywhere(text) for text in texts):
        return None
    return Unmet("missing")


@predicate("base-credited", reasons=("missing",))
def base_credited(case: DutyCase) -> Unmet | None:
    """The base model is named: as the card's base_model, or in its text or a README."""
    base, card, shown = case.base, case.card, case.shown
    if base is None or (card is not None and (any(name.lower() == base.lower() for name in card.base_models))):
        return None
    if shown.anywhere(base) or shown.anywhere(base.rsplit("/", 1)[-1]):
        return None
    return Unmet("missing")


# Words in a card that say the model was changed from its base.
_MODIFIED = re.compile(
    r"\b(fine[- ]?tun\w*|finetun\w*|modif\w*|adapt\w*|merg\w*|quantiz\w*|distill\w*|trained (?:on top of|from)|"
    r"based on|derived from|continued pre-?train\w*)\b",
    re.IGNORECASE,
)


@predicate("change-stated", reasons=("missing",))
def change_stated(case: DutyCase) -> Unmet | None:
    """The card says the model was changed: a base_model_relation, or words such as "fine-tuned from"."""
    card = case.card
    if card is not None and (card.relation or _MODIFIED.search(card.body)):
        return None
    return Unmet("missing")
