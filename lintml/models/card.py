"""What a model card declares about the model's license and lineage, read from its Hub front matter.

The Hub schema allows ``license`` as a string (or, in the wild, a list), ``base_model`` as a
string or a list, ``base_model_relation`` (adapter, merge, quantized, finetune), and a name in
``model-index``. This module turns those into plain values; the card's body text is kept for
checks that look for required sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lintml.facts.model_card import ModelCard

RELATIONS = ("adapter", "merge", "quantized", "finetune")


@dataclass(frozen=True)
class CardDeclaration:
    path: str
    licenses: tuple[str, ...]  # Hub license ids as written (lower-cased)
    license_name: str | None
    license_link: str | None
    base_models: tuple[str, ...]
    relation: str | None
    model_name: str | None  # from model-index, model_name or the card's first heading
    body: str  # the card without its front matter
    card: ModelCard

    def line_of(self, key: str) -> int | None:
        return self.card.line_of(key)


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(item).strip() for item in value if isinstance(item, str | int | float) and str(item).strip())
    return ()


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def body_of(text: str) -> str:
    """The card's text after its front matter (all of it when there is none)."""
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        return text
    closing = next((index for index in range(1, len(lines)) if lines[index].strip() in ("---", "...")), None)
    return text if closing is None else "\n".join(lines[closing + 1 :])


def _model_name(metadata: dict[str, Any], body: str) -> str | None:
    index = metadata.get("model-index")
    if isinstance(index, list) and index and isinstance(index[0], dict) and _text(index[0].get("name")):
        return _text(index[0].get("name"))
    for key in ("model_name", "model_id", "pretty_name"):
        if _text(metadata.get(key)):
            return _text(metadata.get(key))
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("# "):
            return stripped[2:].strip() or None
    return None


def declaration(path: str, card: ModelCard, text: str) -> CardDeclaration:
    metadata = card.metadata or {}
    body = body_of(text)
    relation = _text(metadata.get("base_model_relation"))
    return CardDeclaration(
        path=path,
        licenses=tuple(item.lower() for item in _strings(metadata.get("license"))),
        license_name=_text(metadata.get("license_name")),
        license_link=_text(metadata.get("license_link")),
        base_models=_strings(metadata.get("base_model")),
        relation=relation.lower() if relation else None,
        model_name=_model_name(metadata, body),
        body=body,
        card=card,
    )
