"""Model checks: each model folder's card, lineage and model-license duties.

A model folder (``lintml.models.folder``) is read once: its card's declarations, and the
evidence of its config, tokenizer and weights against the known models of the indexes
(``lintml.models.evidence``). The licenses that govern it are those of the base models its
card names and lintml knows, of a known model its weights derive from, and its card's own
license when its family says only its maker's models and their derivatives carry it (Llama,
Gemma, Qwen). Each governing license's duties (``rules/licenses/models.yaml``) are checked where
the repository can show them (the card, NOTICE and LICENSE files, READMEs), each by the predicate
its duty kind names (:mod:`lintml.models.duties`), in the words its duty kind gives.

Apart from licenses, every pickle-based file of the repository (``lintml.models.pickled``) is
reported: loading one can run code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lintml import repository
from lintml.checks import Report, check
from lintml.containment import Tree
from lintml.findings import Upstream
from lintml.models.card import CardDeclaration, declaration
from lintml.models.duties import DutyCase, Shown, is_notice
from lintml.models.evidence import Evidence, evidence_for
from lintml.models.folder import ModelFolder, folder_chain, parent_folder
from lintml.models.known import KnownModel
from lintml.models.terms import ModelDuty, ModelLicense
from lintml.project import Project

if TYPE_CHECKING:
    from lintml.models.pickled import PickleFile


@dataclass(frozen=True)
class Governing:
    """A model license that governs a folder, and why."""

    terms: ModelLicense
    base: str | None  # the base model it comes from, None when it is the card's own license
    because: str  # how the license came to govern, for messages


def _upstream(name: str, license_id: str | None) -> Upstream:
    return Upstream(
        name=name,
        version=None,
        url=f"https://huggingface.co/{name}" if "/" in name else None,
        path=None,
        license=license_id,
    )


def declared_card(project: Project, folder: ModelFolder) -> CardDeclaration | None:
    if folder.card is None:
        return None
    card = project.facts_of(folder.card).model_card
    if card is None or card.problem is not None:
        return None
    return declaration(folder.card, card, project.text_of(folder.card) or "")


def _checked(project: Project, folder: ModelFolder) -> bool:
    """A model is checked when its card, config, tokenizer or weights, or a license file it relies on, is.

    Not every file under it: a model at the top of a repository would otherwise be checked on every commit.
    """
    own = [*folder.configs, *folder.tokenizer, *folder.weights, *((folder.card,) if folder.card else ())]
    chain = folder_chain(folder.path)
    licenses = [item.path for item in project.license_files if parent_folder(item.path) in chain]
    return any(project.is_target(path) for path in (*own, *licenses))


def model_folders(project: Project) -> Iterator[ModelFolder]:
    for folder in project.model_folders:
        if _checked(project, folder) and project.holds_model(folder):
            yield folder


def known_model_named(project: Project, name: str) -> KnownModel | None:
    return next((model for model in project.known_models if model.answers_to(name)), None)


def folder_evidence(project: Project, folder: ModelFolder) -> list[Evidence]:
    """The folder's evidence against the known models, worked out once per run (four checks read it)."""
    if folder.path not in project.model_evidence:
        project.model_evidence[folder.path] = evidence_for(project.model_reading(folder), list(project.known_models))
    return project.model_evidence[folder.path]


def _terms_of(project: Project, license_id: str | None) -> ModelLicense | None:
    if not license_id:
        return None
    terms = project.knowledge.model_terms
    return terms.licenses.get(license_id) or terms.by_card(license_id.lower(), None, project.knowledge.hub_ids)


def _governing(project: Project, folder: ModelFolder, card: CardDeclaration | None) -> list[Governing]:
    found: list[Governing] = []
    if card is not None:
        for name in card.base_models:
            model = known_model_named(project, name)
            terms = _terms_of(project, model.license) if model is not None else None
            if terms is not None:
                found.append(Governing(terms, name, "named as base_model in the card"))
    for item in folder_evidence(project, folder):
        if item.kind == "weights":
            terms = _terms_of(project, item.model.license)
            if terms is not None:
                found.append(Governing(terms, item.model.name, "the weights derive from it"))
    if card is not None:
        terms = project.knowledge.model_terms
        for value in card.licenses or ("other",):
            own = terms.by_card(value, card.license_name, project.knowledge.hub_ids)
            if own is not None and terms.own_license(own):
                found.append(Governing(own, None, "the card's own license"))
    unique: dict[str, Governing] = {}
    for item in found:
        unique.setdefault(item.terms.id, item)
    return list(unique.values())


# ----------------------------------------------------------------------------- model-card


@check("model_card_missing", uses_models=True)
def model_card_missing(project: Project) -> Iterator[Report]:
    for folder in model_folders(project):
        if not folder.weights or folder.card is not None:
            continue
        readme = next(
            (path for path in (f"{folder.path}/README.md" if folder.path else "README.md",) if path in project.paths),
            None,
        )
        unreadable = [problem.detail for problem in project.facts_of(readme).problems] if readme else []
        if unreadable:  # its kind was a guess: say why, not that it has no front matter
            reason = f"its {readme} could not be read ({unreadable[0]})"
        elif readme:
            reason = f"its {readme} has no YAML front matter"
        else:
            reason = "it has no README.md or MODEL_CARD.md"
        yield Report(
            path=readme or folder.weights[0],
            line=1 if readme else None,
            params={
                "folder": folder.label(),
                "where": f"{folder.path}/" if folder.path else "the top of the repository",
                "weights": folder.relative(folder.weights[0]),
                "reason": reason,
            },
        )


# ----------------------------------------------------------------------------- base-model


@check("base_model_unknown", uses_models=True)
def base_model_unknown(project: Project) -> Iterator[Report]:
    for folder in model_folders(project):
        card = declared_card(project, folder)
        if card is None:
            continue
        for name in card.base_models:
            if known_model_named(project, name) is None:
                yield Report(path=card.path, line=card.line_of("base_model"), params={"base": name})


def _best(evidence: list[Evidence]) -> tuple[KnownModel, list[Evidence], list[str]]:
    """The known model the evidence points at most strongly (summed over config, tokenizer and weights),
    its evidence, and the other models that score as high (e.g. instruct and base share an architecture)."""
    totals: dict[str, int] = {}
    for item in evidence:
        totals[item.model.name] = totals.get(item.model.name, 0) + item.strength
    top = max(totals.values())
    leaders = sorted(name for name, total in totals.items() if total == top)
    chosen = next(item.model for item in evidence if item.model.name == leaders[0])
    return chosen, [item for item in evidence if item.model.name == chosen.name], leaders[1:]


@check("base_model_evidence", uses_models=True)
def base_model_evidence(project: Project) -> Iterator[Report]:
    for folder in model_folders(project):
        evidence = [item for item in folder_evidence(project, folder) if item.strength >= 2]
        if not evidence:
            continue
        card = declared_card(project, folder)
        declared = card.base_models if card is not None else ()
        if any(item.model.answers_to(name) for item in evidence for name in declared):
            continue
        weights = any(item.kind == "weights" for item in evidence)
        if declared and not weights and any(known_model_named(project, name) is None for name in declared):
            continue  # a base lintml does not know may itself derive from the model the config or tokenizer names
        model, chosen, others = _best(evidence)
        strongest = chosen[0]
        if declared:
            stated = f"the card declares base_model {', '.join(declared)}"
        elif card is not None:
            stated = "the card declares no base model"
        elif folder.card is not None:
            stated = f"its card {folder.card} cannot be read"
        else:
            stated = "there is no model card"
        where = card.path if card is not None else strongest.path
        line = (card.line_of("base_model") or card.line_of("license") or 1) if card is not None else None
        yield Report(
            path=where,
            line=line,
            params={
                "folder": folder.label(),
                "evidence": "; ".join(item.detail for item in chosen),
                "stated": stated,
                "base": model.name,
                "also": f" (or {', '.join(others[:3])}{' ...' if len(others) > 3 else ''})" if others else "",
            },
            license=model.license,
            upstream=_upstream(model.name, model.license),
            evidence=tuple((item.kind, item.detail) for item in chosen),
        )


# Blanks, not \s: \s* at each line start ran over every blank line after it (quadratic in them).
_DEFINED_CLASS = re.compile(r"^[ \t\f]*class[ \t\f]+([A-Za-z_]\w*)", re.MULTILINE)


@check("model_code_residue", uses_models=True)
def model_code_residue(project: Project) -> Iterator[Report]:
    from lintml.models.config import missing_references

    for folder in model_folders(project):
        reading = project.model_reading(folder)
        for path, references in sorted(reading.config_references.items()):
            if not references or not project.is_target(path):
                continue
            # Custom code is loaded from beside the config that names it.
            beside = parent_folder(path)
            prefix = f"{beside}/" if beside else ""
            relative_files = {item[len(prefix) :] for item in folder.files if item.startswith(prefix)}
            classes: set[str] = set()
            for item in folder.files:
                if item.endswith(".py") and parent_folder(item) in (beside, folder.path):
                    classes.update(_DEFINED_CLASS.findall(project.text_of(item) or ""))
            text = project.text_of(path) or ""
            for reference in missing_references(references, relative_files, classes):
                yield Report(
                    path=path,
                    line=_line_of(text, reference.text),
                    params={
                        "reference": reference.text,
                        "key": reference.key,
                        "missing": reference.missing,
                        "where": f"{beside}/" if beside else "the repository's top folder",
                    },
                )


def _line_of(text: str, needle: str) -> int | None:
    at = text.find(json.dumps(needle)[1:-1])
    return None if at < 0 else text.count("\n", 0, at) + 1


# ----------------------------------------------------------------------------- model-license


@check("model_license_conflict", uses_models=True)
def model_license_conflict(project: Project) -> Iterator[Report]:
    terms = project.knowledge.model_terms
    reported: set[tuple[str, str, str]] = set()
    for folder in model_folders(project):
        card = declared_card(project, folder)
        if card is None or not card.licenses:
            continue
        for governing in _governing(project, folder, card):
            compatibility = governing.terms.compatibility
            if governing.base is None or compatibility is None:
                continue
            for value in card.licenses:
                key = terms.card_key(value, card.license_name)
                if key in terms.unjudged or compatibility.verdict(governing.terms, key) is not False:
                    continue
                if (card.path, key, governing.terms.id) in reported:
                    continue
                reported.add((card.path, key, governing.terms.id))
                allowed = [
                    governing.terms.key
                    if item == "same"
                    else "`other` terms that include it"
                    if item == "other"
                    else item
                    for item in compatibility.allowed
                ]
                yield Report(
                    path=card.path,
                    line=card.line_of("license"),
                    params={
                        "license": key,
                        "base": governing.base,
                        "base_license": governing.terms.key,
                        "because": governing.because,
                        "reason": compatibility.reason,
                        "clause": compatibility.clause,
                        "allowed": ", ".join(allowed) or "none: no adaptation may be shared",
                    },
                    license=governing.terms.id,
                    upstream=_upstream(governing.base, governing.terms.id),
                )


def _shown(project: Project, folder: ModelFolder, card: CardDeclaration | None) -> Shown:
    chain = folder_chain(folder.path)
    texts: dict[str, str] = {}
    licenses: dict[str, str] = {}
    # The files of the folders on the way up and of LICENSES/, found by folder: looking through every
    # file of the repository for each model folder made thousands of model folders take minutes.
    by_folder = project.files_by_folder
    shown = sorted(
        (item for parent in chain | {"LICENSES"} for item in by_folder.get(parent, ())), key=lambda item: item.path
    )
    for item in shown:
        name = item.name.lower()
        is_license = item.kind == repository.LICENSE
        if (
            is_license
            or item.kind in (repository.MODEL_CARD, repository.DOCUMENT)
            or name.startswith(("use_policy", "acceptable"))
        ):
            text = project.text_of(item.path)
            if text is None:
                continue
            texts[item.path] = text
            if is_license:
                licenses[item.path] = text
    return Shown(card, texts, licenses, lambda: project.shipped_texts)


def _duties(project: Project, rule: str) -> Iterator[Report]:
    """The unmet duties of the kinds ``rule`` reports (``duty_kinds`` in models.yaml), each decided by its predicate."""
    terms = project.knowledge.model_terms
    # Checkpoint folders under one card share its duties: each unmet duty is reported once per card.
    reported: set[tuple[str, str, str, str]] = set()
    for folder in model_folders(project):
        card = declared_card(project, folder)
        governing = _governing(project, folder, card)
        if not governing:
            continue
        shown = _shown(project, folder, card)
        for item in governing:
            for duty in item.terms.duties:
                kind = terms.duty_kinds[duty.kind]
                if kind.rule != rule or kind.predicate is None:
                    continue
                relation = card.relation if card is not None else None
                if item.base is None and relation is None and kind.derivative_only:
                    continue  # the card's own license, with nothing saying it is a derivative: maybe the original
                if not duty.applies(relation):
                    continue
                unmet = kind.predicate.function(DutyCase(duty, item.terms, item.base, shown))
                if unmet is None:
                    continue
                values = {**_duty_values(duty, item), **unmet.values}
                reason = kind.reason(unmet.reason, values)
                where = card.path if card is not None else (folder.weights or folder.files)[0]
                key = (where, item.terms.id, duty.kind, reason)
                if key in reported:
                    continue
                reported.add(key)
                line = card.line_of("license") if card is not None else None
                source = f" of the base model {item.base}" if item.base else " (the card's own license)"
                yield Report(
                    path=where,
                    line=line,
                    params={
                        "reason": reason,
                        "license": item.terms.name,
                        "source": source,
                        "clause": duty.clause,
                        "duty": duty.summary,
                        "because": item.because,
                        "fix": kind.fix_hint(values, duty.summary),
                    },
                    license=item.terms.id,
                    upstream=_upstream(item.base, item.terms.id) if item.base else None,
                    evidence=_duty_evidence(duty, item, folder, shown),
                )


def _duty_values(duty: ModelDuty, governing: Governing) -> dict[str, str | None]:
    """The values every duty kind's wording may name (``DUTY_FIELDS`` of lintml.models.terms)."""
    terms = governing.terms
    return {
        "license": terms.name,
        "license_key": terms.key,
        "license_url": terms.url,
        "text": duty.text,
        "url": duty.url,
        "base": governing.base,
    }


def _duty_evidence(
    duty: ModelDuty, governing: Governing, folder: ModelFolder, shown: Shown
) -> tuple[tuple[str, str], ...]:
    """What a repair needs: which duty, its exact text, where the model lives and which NOTICE it has."""
    facts = [("duty", duty.kind), ("license", governing.terms.key), ("folder", folder.path), ("clause", duty.clause)]
    if duty.texts:
        facts.append(("text", duty.texts[0]))
    notices = sorted((path for path in shown.licenses if is_notice(path)), key=lambda path: (-path.count("/"), path))
    if notices:
        facts.append(("notice_file", notices[0]))
    return tuple(facts)


@check("model_license_duty", uses_models=True)
def model_license_duty(project: Project) -> Iterator[Report]:
    yield from _duties(project, "model-license-duty")


@check("model_attribution", uses_models=True)
def model_attribution(project: Project) -> Iterator[Report]:
    yield from _duties(project, "model-attribution")


# ----------------------------------------------------------------------------- pickle-weights


@check("pickle_weights")
def pickle_weights(project: Project) -> Iterator[Report]:
    """Every checked file in a pickle-based format, once, told from its first bytes (nothing is unpickled).

    A PyTorch file whose pickle names a global outside lintml's allow-list is left to the stronger
    unreadable-input finding, which names that global.
    """
    from lintml.models.pickled import SUFFIXES

    unsafe = _unsafe_pickles(project)
    root = project.file_path("") if project.file_path is not None else None
    tree = Tree(root) if root is not None else None
    for item in project.checked_files():
        if item.suffix not in SUFFIXES or item.path in unsafe:
            continue
        found = _pickle_file(project, tree, item.path)
        if found is None:
            continue
        how = (
            "it walks a PyTorch pickle's opcodes without running them, which is how it reads the tensor table"
            if found.walked
            else "it read only the first bytes, which tell the format"
        )
        yield Report(path=item.path, params={"name": item.name, "what": found.what, "how": how})


def _unsafe_pickles(project: Project) -> set[str]:
    """Weights files of checked model folders whose pickle names a global outside the allow-list."""
    if not project.models_checked:
        return set()
    return {path for folder in model_folders(project) for path in project.model_reading(folder).unsafe_pickles}


def _pickle_file(project: Project, tree: Tree | None, path: str) -> PickleFile | None:
    """What pickle-based format the file is in (read from disk through the tree, or from memory), or None."""
    from lintml.models.pickled import BytesFile, pickle_format
    from lintml.models.weights import OpenedFile, WeightsError

    located = project.file_path(path) if project.file_path is not None and tree is not None else None
    try:
        if located is not None and tree is not None:
            with OpenedFile(located, tree) as opened:
                return pickle_format(path, opened)
        data = project.read_bytes(path) if project.read_bytes is not None else None
        return None if data is None else pickle_format(path, BytesFile(path, data))
    except (WeightsError, OSError):
        return None
