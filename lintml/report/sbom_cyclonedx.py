"""CycloneDX 1.6 JSON (with ML-BOM) of a :class:`~lintml.sbom.Bill`, built with cyclonedx-python-lib.

The project is ``metadata.component`` (declared license; the license files' license and copyright lines as
its evidence). Each traced upstream is a ``library`` component whose ``evidence.occurrences`` are the files
here that carry its code (one per line range, with the evidence grade), and whose ``evidence.identity`` says
how it was identified (fingerprints, aligned code). Each model folder is a ``machine-learning-model``
component with a ``modelCard`` and its weights files (``file`` components, SHA-256) inside it; its base
models are components it depends on. Declared package requirements are ``library`` components the project
depends on. cyclonedx-python-lib (11) does not model ``modelCard`` yet: it is added to the library's own
serialization, and the whole document is checked against the official 1.6 schema in the tests.

The library is imported here, in the function: only `lintml sbom` pays for it.
"""

from __future__ import annotations

import json
import warnings
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lintml.report import SBOM_FORMATTERS

if TYPE_CHECKING:
    from lintml.sbom import Bill, ModelEntry, TracedUpstream

# How sure a grade makes lintml that the code came from the upstream (evidence.identity confidence).
CONFIDENCE = {"strong": Decimal("0.9"), "moderate": Decimal("0.6"), "weak": Decimal("0.3")}
# The analysis each kind of model evidence is (CycloneDX's technique names).
MODEL_TECHNIQUE = {"config": "manifest-analysis", "tokenizer": "hash-comparison", "weights": "binary-analysis"}
MODEL_CONFIDENCE = {"weights": Decimal("0.9"), "config": Decimal("0.7"), "tokenizer": Decimal("0.6")}


@SBOM_FORMATTERS.register("cyclonedx")
def cyclonedx(bill: Bill) -> str:
    """The bill as a CycloneDX 1.6 JSON document (deterministic: serial number from the content)."""
    from uuid import UUID

    from cyclonedx.model.bom import Bom
    from cyclonedx.output.json import JsonV1Dot6

    document = Bom(serial_number=UUID(bill.digest()[:32]), version=1)
    document.metadata.timestamp = bill.created
    project = _project(bill)
    document.metadata.component = project
    document.metadata.tools.components.add(_lintml(bill))
    needs = []
    for upstream in bill.upstreams:
        document.components.add(_upstream(upstream))
    model_cards: dict[str, dict[str, Any]] = {}
    for model in bill.models:
        component, bases, datasets = _model(model)
        document.components.add(component)
        for base in bases:
            if base not in document.components:
                document.components.add(base)
        for dataset in datasets:
            if dataset not in document.components:
                document.components.add(dataset)
        document.register_dependency(component, bases)
        needs.append(component)
        model_cards[str(component.bom_ref)] = _model_card(model, datasets)
    for name in bill.requirements:
        requirement = _requirement(name)
        document.components.add(requirement)
        needs.append(requirement)
    document.register_dependency(project, needs)
    with warnings.catch_warnings():
        # A project without requirements or models has no dependencies: its graph is complete as it is.
        warnings.filterwarnings("ignore", message="The Component this BOM is describing", category=UserWarning)
        data = json.loads(JsonV1Dot6(document).output_as_string())
    for component in data.get("components", []):
        card = model_cards.get(component.get("bom-ref", ""))
        if card:
            component["modelCard"] = card
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _expression(value: str | None, acknowledgement: Any = None) -> list[Any]:
    from cyclonedx.model.license import LicenseExpression

    if not value:
        return []
    return [LicenseExpression(value, acknowledgement=acknowledgement)]


def _lintml(bill: Bill) -> Any:
    from cyclonedx.model.component import Component, ComponentType

    return Component(type=ComponentType.APPLICATION, name="lintml", version=bill.tool_version, bom_ref="tool:lintml")


def _project(bill: Bill) -> Any:
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.component_evidence import ComponentEvidence, Copyright
    from cyclonedx.model.license import LicenseAcknowledgement

    evidence = None
    if bill.detected_license or bill.copyrights:
        evidence = ComponentEvidence(
            licenses=_expression(bill.detected_license, LicenseAcknowledgement.CONCLUDED),
            copyright=[Copyright(text=line) for line in bill.copyrights],
        )
    return Component(
        type=ComponentType.APPLICATION,
        name=bill.name,
        version=bill.version,
        bom_ref="project",
        licenses=_expression(bill.declared_license, LicenseAcknowledgement.DECLARED),
        copyright="\n".join(bill.copyrights) or None,
        evidence=evidence,
    )


def _upstream(upstream: TracedUpstream) -> Any:
    from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.component_evidence import (
        AnalysisTechnique,
        ComponentEvidence,
        Copyright,
        Identity,
        IdentityField,
        Method,
        Occurrence,
    )
    from cyclonedx.model.license import LicenseAcknowledgement
    from packageurl import PackageURL

    occurrences = []
    for code in upstream.files:
        context = f"from {code.upstream_path}; " if code.upstream_path else ""
        context += f"evidence {code.grade}: {code.grade_why}" + ("; verbatim" if code.verbatim else "")
        for start, end in code.lines or ((0, 0),):
            where = f"lines {start}-{end} " if start else ""
            occurrences.append(
                Occurrence(
                    bom_ref=f"occurrence:{upstream.label}:{code.path}:{start}",  # also what orders them
                    location=code.path,
                    line=start or None,
                    additional_context=f"{where}{context}",
                )
            )
    strongest = max((CONFIDENCE[code.grade] for code in upstream.files), default=CONFIDENCE["weak"])
    identity = Identity(
        field=IdentityField.NAME,
        confidence=strongest,
        concluded_value=upstream.name,
        methods=[
            Method(
                technique=AnalysisTechnique.AST_FINGERPRINT,
                confidence=strongest,
                value="normalised code fingerprints matched in an upstream index, verified by token alignment",
            )
        ],
    )
    references = []
    vcs = upstream.vcs
    if vcs is not None:
        references.append(ExternalReference(type=ExternalReferenceType.VCS, url=XsUri(f"{vcs[0]}@{vcs[1]}")))
    elif upstream.source:
        references.append(ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(upstream.source)))
    if upstream.url:
        references.append(ExternalReference(type=ExternalReferenceType.WEBSITE, url=XsUri(upstream.url)))
    purl = upstream.purl
    return Component(
        type=ComponentType.LIBRARY,
        name=upstream.name,
        version=upstream.version,
        bom_ref=f"upstream:{upstream.label}",
        purl=PackageURL.from_string(purl) if purl else None,
        licenses=_expression(upstream.license, LicenseAcknowledgement.DECLARED),
        copyright="\n".join(upstream.copyrights) or None,
        external_references=references,
        evidence=ComponentEvidence(
            identity=[identity],
            occurrences=occurrences,
            copyright=[Copyright(text=line) for line in upstream.copyrights],
        ),
        properties=[Property(name="lintml:carrier", value=carrier) for carrier in upstream.carriers],
    )


def _model(model: ModelEntry) -> tuple[Any, list[Any], list[Any]]:
    """The model's component (its weights inside), its base models' and its datasets' components."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.component_evidence import AnalysisTechnique, ComponentEvidence, Identity, IdentityField, Method
    from cyclonedx.model.license import LicenseAcknowledgement
    from packageurl import PackageURL

    weights = [
        Component(
            type=ComponentType.FILE,
            name=item.path,
            bom_ref=f"file:{item.path}",
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=item.sha256)] if item.sha256 else [],
            properties=[Property(name="lintml:size", value=str(item.size))],
        )
        for item in model.weights
    ]
    bases = []
    properties = []
    for base in model.base_models:
        methods = [
            Method(
                technique=AnalysisTechnique(MODEL_TECHNIQUE.get(line.split(" ", 1)[0], "other")),
                confidence=MODEL_CONFIDENCE.get(line.split(" ", 1)[0], Decimal("0.5")),
                value=line,
            )
            for line in base.evidence
        ]
        if base.named_in_card:
            methods.append(
                Method(
                    technique=AnalysisTechnique.MANIFEST_ANALYSIS,
                    confidence=Decimal("0.8"),
                    value="base_model in the card",
                )
            )
        owner, _, name = base.name.rpartition("/")
        bases.append(
            Component(
                type=ComponentType.MACHINE_LEARNING_MODEL,
                name=base.name,
                bom_ref=f"model:{base.name}",
                purl=PackageURL("huggingface", owner or None, name) if owner else None,
                licenses=_expression(base.license, LicenseAcknowledgement.CONCLUDED),
                evidence=ComponentEvidence(
                    identity=[
                        Identity(
                            field=IdentityField.NAME,
                            confidence=max(method.confidence for method in methods),
                            concluded_value=base.name,
                            methods=methods,
                        )
                    ]
                ),
            )
        )
        properties.append(Property(name="lintml:base_model", value=base.name))
        if base.relation:
            properties.append(Property(name="lintml:base_model_relation", value=f"{base.name}: {base.relation}"))
    datasets = [Component(type=ComponentType.DATA, name=name, bom_ref=f"dataset:{name}") for name in model.datasets]
    licenses = _expression(model.license, LicenseAcknowledgement.DECLARED)
    if not licenses and (model.license_name or model.licenses):
        from cyclonedx.model.license import DisjunctiveLicense

        named = model.license_name or " ".join(model.licenses)
        licenses = [DisjunctiveLicense(name=named, acknowledgement=LicenseAcknowledgement.DECLARED)]
    if model.card:
        properties.append(Property(name="lintml:model_card", value=model.card))
    component = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=model.name,
        bom_ref=f"model-folder:{model.path or '.'}",
        licenses=licenses,
        components=weights,
        properties=properties,
    )
    return component, bases, datasets


def _model_card(model: ModelEntry, datasets: list[Any]) -> dict[str, Any]:
    """The ``modelCard`` object (CycloneDX 1.6) the library does not write."""
    parameters: dict[str, Any] = {}
    if model.task:
        parameters["task"] = model.task
    if model.family:
        parameters["architectureFamily"] = model.family
    if model.architecture:
        parameters["modelArchitecture"] = model.architecture
    if datasets:
        parameters["datasets"] = [{"ref": str(dataset.bom_ref)} for dataset in datasets]
    card: dict[str, Any] = {"bom-ref": f"model-card:{model.path or '.'}"}
    if parameters:
        card["modelParameters"] = parameters
    properties = [{"name": "lintml:base_model", "value": base.name} for base in model.base_models]
    properties += [
        {"name": "lintml:base_model_relation", "value": base.relation}
        for base in model.base_models
        if base.relation and base.named_in_card
    ][:1]
    if properties:
        card["properties"] = properties
    return card


def _requirement(name: str) -> Any:
    from cyclonedx.model.component import Component, ComponentScope, ComponentType
    from packageurl import PackageURL

    return Component(
        type=ComponentType.LIBRARY,
        name=name,
        bom_ref=f"requirement:{name}",
        purl=PackageURL("pypi", name=name),
        scope=ComponentScope.REQUIRED,
    )
