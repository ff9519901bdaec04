"""SPDX 2.3 (JSON and tag-value) of a :class:`~lintml.sbom.Bill`, built and validated with spdx-tools.

The document DESCRIBES the project's package (declared license from the manifests, concluded license from
the license files, their copyright lines). Each traced upstream is a package the project CONTAINS, with its
purl (PyPI) or VCS download location (git, with the commit), license and copyright lines. Each file here that
carries upstream code is a file of the project with a snippet per copied line range (byte and line range, the
upstream's license and copyright, the evidence grade in its comment), and the snippet is a COPY_OF the
upstream (verbatim) or a DESCENDANT_OF it (modified). Each model folder is a package (purpose OTHER: SPDX 2.3
has no model purpose) that CONTAINS its weights files (SHA-1 and SHA-256) and is a DESCENDANT_OF each base
model, with the evidence in the relationship's comment. Declared requirements are packages the project
DEPENDS_ON. spdx-tools validates the document before writing it; a document that does not validate is a bug.

The library is imported here, in the functions: only `lintml sbom` pays for it.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from lintml.report import SBOM_FORMATTERS

if TYPE_CHECKING:
    from lintml.sbom import Bill


class SpdxInvalid(ValueError):
    """The document lintml built does not validate (a bug in lintml: it is reported as such)."""


@SBOM_FORMATTERS.register("spdx")
def spdx_json(bill: Bill) -> str:
    """The bill as an SPDX 2.3 JSON document."""
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    stream = io.StringIO()
    write_document_to_stream(document(bill), stream, validate=False)
    return stream.getvalue() + "\n"


@SBOM_FORMATTERS.register("spdx-tagvalue")
def spdx_tagvalue(bill: Bill) -> str:
    """The bill as an SPDX 2.3 tag-value document."""
    from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document_to_stream

    stream = io.StringIO()
    write_document_to_stream(document(bill), stream, validate=False)
    text = stream.getvalue()
    return text if text.endswith("\n") else text + "\n"


def _lineage(verbatim: bool) -> Any:
    """How copied code relates to its upstream: an exact copy, or one changed since."""
    from spdx_tools.spdx.model import RelationshipType

    return RelationshipType.COPY_OF if verbatim else RelationshipType.DESCENDANT_OF


def _id(kind: str, text: str) -> str:
    """An SPDX element id: letters, digits, '.' and '-' only."""
    return f"SPDXRef-{kind}-" + re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")


def document(bill: Bill) -> Any:
    """The SPDX document of ``bill`` (spdx-tools' model), validated."""
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        Checksum,
        ChecksumAlgorithm,
        CreationInfo,
        Document,
        ExternalPackageRef,
        ExternalPackageRefCategory,
        File,
        FileType,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        Snippet,
        SpdxNoAssertion,
    )
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    licenses = _Licenses(bill.license_refs)
    label = f"{bill.name}-{bill.version}" if bill.version else bill.name
    info = CreationInfo(
        spdx_version="SPDX-2.3",
        spdx_id="SPDXRef-DOCUMENT",
        name=label,
        document_namespace=f"https://spdx.org/spdxdocs/lintml/{re.sub(r'[^A-Za-z0-9.-]+', '-', label)}-{bill.digest()}",
        creators=[Actor(ActorType.TOOL, f"lintml-{bill.tool_version}")],
        created=bill.created.replace(tzinfo=None),
        creator_comment="Code traced to upstreams by lintml's provenance; models identified by config, tokenizer "
        "and weights evidence.",
    )
    project_id = "SPDXRef-Package-project"
    project = Package(
        spdx_id=project_id,
        name=bill.name,
        version=bill.version,
        download_location=SpdxNoAssertion(),
        files_analyzed=True,
        license_declared=licenses.parse(bill.declared_license),
        license_concluded=licenses.parse(bill.detected_license),
        copyright_text="\n".join(bill.copyrights) or SpdxNoAssertion(),
        primary_package_purpose=PackagePurpose.SOURCE,
    )
    packages = [project]
    files: dict[str, Any] = {}
    snippets = []
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, project_id)]
    for upstream in bill.upstreams:
        upstream_id = _id("Upstream", upstream.label)
        references = []
        if upstream.purl:
            references.append(ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", upstream.purl))
        vcs = upstream.vcs
        download = f"git+{vcs[0]}@{vcs[1]}" if vcs else upstream.source or SpdxNoAssertion()
        packages.append(
            Package(
                spdx_id=upstream_id,
                name=upstream.name,
                version=upstream.version,
                download_location=download,
                homepage=upstream.url or None,
                files_analyzed=False,
                license_declared=licenses.parse(upstream.license),
                license_concluded=licenses.parse(upstream.license),
                copyright_text="\n".join(upstream.copyrights) or SpdxNoAssertion(),
                external_references=references,
                comment=f"also carried by: {', '.join(upstream.carriers)}" if upstream.carriers else None,
            )
        )
        relationships.append(
            Relationship(project_id, RelationshipType.CONTAINS, upstream_id, comment="code traced by provenance")
        )
        for code in upstream.files:
            if code.path not in files:
                checksums = [Checksum(ChecksumAlgorithm.SHA1, code.sha1 or "0" * 40)]
                if code.sha256:
                    checksums.append(Checksum(ChecksumAlgorithm.SHA256, code.sha256))
                files[code.path] = File(
                    name=f"./{code.path}",
                    spdx_id=_id("File", code.path),
                    checksums=checksums,
                    file_types=[FileType.SOURCE],
                    license_concluded=SpdxNoAssertion(),
                    copyright_text=SpdxNoAssertion(),
                    comment=None if code.sha1 else "could not be read again: the SHA-1 is a placeholder",
                )
                relationships.append(Relationship(project_id, RelationshipType.CONTAINS, _id("File", code.path)))
            for number, (lines, offsets) in enumerate(zip(code.lines, code.byte_ranges, strict=False), start=1):
                snippet_id = _id("Snippet", f"{code.path}-{upstream.label}-{number}")
                snippets.append(
                    Snippet(
                        spdx_id=snippet_id,
                        file_spdx_id=_id("File", code.path),
                        byte_range=offsets,
                        line_range=lines,
                        license_concluded=licenses.parse(upstream.license),
                        copyright_text="\n".join(upstream.copyrights) or SpdxNoAssertion(),
                        name=f"{upstream.label}: {code.upstream_path}",
                        comment=f"evidence {code.grade}: {code.grade_why}",
                    )
                )
                relationships.append(Relationship(snippet_id, _lineage(code.verbatim), upstream_id))
            if not code.byte_ranges:  # a notebook (lines of its cells), a vendored folder: the whole file
                relationships.append(
                    Relationship(
                        _id("File", code.path),
                        _lineage(code.verbatim),
                        upstream_id,
                        comment=f"evidence {code.grade}: {code.grade_why}",
                    )
                )
    seen_bases: set[str] = set()
    for model in bill.models:
        model_id = _id("Model", model.path or "root")
        details = [f"machine-learning model in {model.path or 'the top folder'}/"]
        details += [
            f"{name}: {value}"
            for name, value in (
                ("card", model.card),
                ("architecture", model.architecture),
                ("family", model.family),
                ("task", model.task),
                ("datasets", ", ".join(model.datasets)),
            )
            if value
        ]
        packages.append(
            Package(
                spdx_id=model_id,
                name=model.name,
                download_location=SpdxNoAssertion(),
                files_analyzed=bool(model.weights),
                license_declared=licenses.parse(model.license) if model.license else SpdxNoAssertion(),
                license_concluded=SpdxNoAssertion(),
                copyright_text=SpdxNoAssertion(),
                primary_package_purpose=PackagePurpose.OTHER,
                comment="; ".join(details),
            )
        )
        relationships.append(Relationship(project_id, RelationshipType.CONTAINS, model_id))
        for weights in model.weights:
            weights_id = _id("File", weights.path)
            checksums = [Checksum(ChecksumAlgorithm.SHA1, weights.sha1 or "0" * 40)]
            if weights.sha256:
                checksums.append(Checksum(ChecksumAlgorithm.SHA256, weights.sha256))
            files[weights.path] = File(
                name=f"./{weights.path}",
                spdx_id=weights_id,
                checksums=checksums,
                file_types=[FileType.BINARY],
                comment=None if weights.sha256 else "not hashed (unreadable, or too large); the SHA-1 is a placeholder",
            )
            relationships.append(Relationship(model_id, RelationshipType.CONTAINS, weights_id))
        for base in model.base_models:
            base_id = _id("Model", base.name)
            if base_id not in seen_bases:
                seen_bases.add(base_id)
                packages.append(
                    Package(
                        spdx_id=base_id,
                        name=base.name,
                        download_location=f"https://huggingface.co/{base.name}"
                        if "/" in base.name
                        else SpdxNoAssertion(),
                        files_analyzed=False,
                        license_declared=licenses.parse(base.license),
                        license_concluded=licenses.parse(base.license),
                        copyright_text=SpdxNoAssertion(),
                        primary_package_purpose=PackagePurpose.OTHER,
                        external_references=[
                            ExternalPackageRef(
                                ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", f"pkg:huggingface/{base.name}"
                            )
                        ]
                        if "/" in base.name
                        else [],
                        comment="machine-learning model",
                    )
                )
            said = (
                ["named as base_model in the card" + (f" ({base.relation})" if base.relation else "")]
                if base.named_in_card
                else []
            ) + list(base.evidence)
            relationships.append(
                Relationship(model_id, RelationshipType.DESCENDANT_OF, base_id, comment="; ".join(said) or None)
            )
    for name in bill.requirements:
        requirement_id = _id("Requirement", name)
        packages.append(
            Package(
                spdx_id=requirement_id,
                name=name,
                download_location=SpdxNoAssertion(),
                files_analyzed=False,
                external_references=[
                    ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", f"pkg:pypi/{name}")
                ],
                comment="declared in the project's manifests",
            )
        )
        relationships.append(Relationship(project_id, RelationshipType.DEPENDS_ON, requirement_id))
    built = Document(
        info,
        packages=packages,
        files=[files[path] for path in sorted(files)],
        snippets=snippets,
        relationships=relationships,
        extracted_licensing_info=licenses.extracted(),
    )
    problems = validate_full_spdx_document(built)
    if problems:
        raise SpdxInvalid("; ".join(problem.validation_message for problem in problems[:5]))
    return built


class _Licenses:
    """SPDX expressions parsed for spdx-tools, and the LicenseRef- ids they use (to declare in the document)."""

    def __init__(self, known: tuple[tuple[str, str, str | None], ...]) -> None:
        self.refs: set[str] = set()
        self.known = {ref: (name, url) for ref, name, url in known}

    def parse(self, expression: str | None) -> Any:
        from license_expression import ExpressionError
        from spdx_tools.common.spdx_licensing import spdx_licensing
        from spdx_tools.spdx.model import SpdxNoAssertion

        if not expression:
            return SpdxNoAssertion()
        try:
            parsed = spdx_licensing.parse(expression, validate=False)
        except ExpressionError:
            return SpdxNoAssertion()
        if parsed is None:
            return SpdxNoAssertion()
        self.refs.update(key for key in parsed.objects if key.startswith("LicenseRef-"))
        return parsed

    def extracted(self) -> list[Any]:
        from spdx_tools.spdx.model import ExtractedLicensingInfo

        found = []
        for ref in sorted(self.refs):
            name, url = self.known.get(ref, (ref.removeprefix("LicenseRef-"), None))
            found.append(
                ExtractedLicensingInfo(
                    license_id=ref,
                    extracted_text=f"The {name}" + (f", whose text is at {url}" if url else "") + ".",
                    license_name=name,
                    cross_references=[url] if url else [],
                )
            )
        return found
