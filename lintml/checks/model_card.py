"""Model card checks: the card's front matter can be read and names a license the Hub and readers can use."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from urllib.parse import unquote

from lintml import repository
from lintml.checks import Report, check
from lintml.checks.input import recorded_problems
from lintml.facts.model_card import ModelCard
from lintml.project import Project


@check("model_card_front_matter")
def model_card_front_matter(project: Project) -> Iterator[Report]:
    """Cards whose YAML front matter could not be read (the problem reading them recorded)."""
    yield from recorded_problems(project, "model_card_front_matter")


def _cards(project: Project) -> Iterator[tuple[repository.RepoFile, ModelCard]]:
    for item in project.checked_files(repository.MODEL_CARD):
        card = project.facts_of(item.path).model_card
        if card is not None and card.problem is None:
            yield item, card


def _licenses_of(card: ModelCard) -> list[str]:
    value = card.get("license")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]


@check("model_card_license_missing")
def model_card_license_missing(project: Project) -> Iterator[Report]:
    for item, card in _cards(project):
        if not _licenses_of(card):
            has_front_matter = card.metadata is not None
            yield Report(
                path=item.path,
                line=1,
                params={"where": "its front matter" if has_front_matter else "it (there is no YAML front matter)"},
            )


@check("model_card_license_unknown")
def model_card_license_unknown(project: Project) -> Iterator[Report]:
    import difflib  # only for a license the Hub does not know

    hub_ids = project.knowledge.hub_ids
    for item, card in _cards(project):
        for value in _licenses_of(card):
            if value in hub_ids:
                continue
            spdx = project.knowledge.normalize_expression(value)
            suggestion = next(
                (hub for hub, target in hub_ids.items() if spdx and target == spdx),
                None,
            ) or next(iter(difflib.get_close_matches(value.lower(), list(hub_ids), n=1, cutoff=0.6)), None)
            yield Report(
                path=item.path,
                line=card.line_of("license"),
                params={
                    "value": value,
                    "suggestion": f"; did you mean {suggestion!r}?" if suggestion else "",
                },
                license=spdx,
            )


@check("model_card_license_other")
def model_card_license_other(project: Project) -> Iterator[Report]:
    for item, card in _cards(project):
        if "other" not in _licenses_of(card):
            continue
        missing = [key for key in ("license_name", "license_link") if not card.get(key)]
        if missing:
            yield Report(
                path=item.path,
                line=card.line_of("license"),
                params={"missing": " and ".join(missing)},
            )


@check("model_card_license_link")
def model_card_license_link(project: Project) -> Iterator[Report]:
    for item, card in _cards(project):
        link = card.get("license_link")
        if not isinstance(link, str) or not link.strip():
            continue
        target = unquote(link.strip().split("#", 1)[0].split("?", 1)[0])
        if "://" in target or target.startswith(("mailto:", "/")) or not target:
            continue
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(item.path), target))
        if resolved not in project.paths:  # a file the repository ships; not a folder, not an untracked file
            yield Report(
                path=item.path,
                line=card.line_of("license_link"),
                params={"link": link, "resolved": resolved},
            )
