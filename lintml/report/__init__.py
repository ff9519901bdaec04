r"""Formatters: pure functions from a run's results to one output document, registered by name.

Three kinds of document are written, each with a :class:`Registry` of its formats: the findings of
`lintml check` (:data:`FORMATTERS`, functions of the findings and the rules that were run,
registered with ``@register("name")``), the report of `lintml audit` (:data:`AUDIT_FORMATTERS`,
functions of the audit's JSON document and the paired files' texts, registered with
``@AUDIT_FORMATTERS.register("name")``) and the bill of materials of `lintml sbom`
(:data:`SBOM_FORMATTERS`, functions of a :class:`lintml.sbom.Bill`, each importing its format's library
when it runs). Each format is a module in this package; the package
imports every module in it, so adding a format is adding a file, and the command line offers what
the registries hold. Every formatter returns the whole document, ending in a newline unless it is
empty, so a front end writes it as it is. The same input in any order gives the same output.

Names and messages come from the scanned repository, so they are escaped here, at the edge,
never in the findings themselves. A file name that is not valid UTF-8 reaches lintml with each
undecodable byte held as a surrogate escape (U+DC80-U+DCFF); every format writes such a byte
as the four characters ``\xNN`` (:func:`valid_text`), and the formats meant for programs carry
the exact bytes beside it as well (``path_bytes`` in JSON, percent-encoded URIs in SARIF).
Formats read in a terminal or log also escape control characters (:func:`one_line`).
"""

from __future__ import annotations

import base64
import importlib
import pkgutil
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from json import dumps as json_dumps  # by name: the package's own json module would shadow the module
from typing import Any, Generic, TypeVar

from lintml import __version__
from lintml.findings import SEVERITIES, Finding, Upstream
from lintml.rules import Rule


@dataclass(frozen=True)
class ReportContext:
    """What a formatter needs to know about the run beyond its findings."""

    version: str = __version__
    root: str = "."  # the scanned path as the user gave it
    color: bool = False
    files_checked: int = 0
    extras: Mapping[str, Any] = field(default_factory=dict)  # added to the summary of formats that have one


_Format = TypeVar("_Format", bound=Callable[..., str])


class Registry(dict[str, _Format], Generic[_Format]):
    """The formats of one kind of document, by the name users pass to ``--format``."""

    def __init__(self, document: str) -> None:
        super().__init__()
        self.document = document  # what the formats render, for messages

    def register(self, name: str) -> Callable[[_Format], _Format]:
        """Register a formatter under ``name``; a name registered twice is a mistake in lintml."""

        def add(formatter: _Format) -> _Format:
            if name in self:
                raise ValueError(f"{self.document} formatter {name!r} registered twice")
            self[name] = formatter
            return formatter

        return add

    def named(self, name: str) -> _Format:
        """The formatter registered as ``name``; a ValueError naming the choices when there is none."""
        try:
            return self[name]
        except KeyError:
            raise ValueError(f"unknown format {name!r} (one of: {', '.join(sorted(self))})") from None


Formatter = Callable[[Sequence[Finding], Sequence[Rule], ReportContext], str]
FORMATTERS: Registry[Formatter] = Registry("findings")
# An audit formatter renders the JSON document of docs/audit-json.md, given the texts of the paired files
# (side name -> {path: text}) for the formats that show them.
AuditFormatter = Callable[[Mapping[str, Any], Mapping[str, Mapping[str, str]]], str]
AUDIT_FORMATTERS: Registry[AuditFormatter] = Registry("audit")

# An SBOM formatter writes a bill of materials (:class:`lintml.sbom.Bill`) in one format; each imports its
# format's library when it runs, not when it is registered.
SbomFormatter = Callable[[Any], str]
SBOM_FORMATTERS: Registry[SbomFormatter] = Registry("sbom")


def register(name: str) -> Callable[[Formatter], Formatter]:
    """Register a findings formatter under the name users pass to ``lintml check --format``."""
    return FORMATTERS.register(name)


def format_findings(name: str, findings: Sequence[Finding], rules: Sequence[Rule], context: ReportContext) -> str:
    """Render ``findings`` in the format registered as ``name``."""
    return FORMATTERS.named(name)(findings, rules, context)


def format_audit(name: str, document: Mapping[str, Any], sources: Mapping[str, Mapping[str, str]]) -> str:
    """Render an audit's JSON ``document`` in the format registered as ``name`` (``sources``: the paired texts)."""
    return AUDIT_FORMATTERS.named(name)(document, sources)


def ordered(findings: Sequence[Finding]) -> list[Finding]:
    """Findings in report order: by place, then rule; full ties broken so input order never shows."""
    return sorted(findings, key=lambda finding: (finding.sort_key(), repr(finding)))


def ordered_rules(rules: Sequence[Rule]) -> list[Rule]:
    """Rules by id, each id once (the first one given wins)."""
    unique: dict[str, Rule] = {}
    for rule in rules:
        unique.setdefault(rule.id, rule)
    return [unique[rule_id] for rule_id in sorted(unique)]


def summarize(findings: Sequence[Finding]) -> dict[str, Any]:
    """Counts of findings: in total, by severity (every severity, zeros too) and by rule id."""
    by_severity = {severity: 0 for severity in SEVERITIES}
    by_rule: dict[str, int] = {}
    for finding in findings:
        by_severity[finding.severity] += 1
        by_rule[finding.rule] = by_rule.get(finding.rule, 0) + 1
    return {
        "total": len(findings),
        "by_severity": by_severity,
        "by_rule": {rule: by_rule[rule] for rule in sorted(by_rule)},
    }


# Any surrogate: lone, it cannot be written as UTF-8 (and JSON readers reject it as \uDCxx).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What must not reach a terminal or a log raw: C0 controls, DEL and C1 controls; the bidirectional
# formatting characters, which reorder what is shown; line and paragraph separators; and surrogates.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(character: str) -> str:
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"  # an undecodable byte of a name, as the byte it was
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"  # below 0x80, so never mistaken for an undecodable byte
    return f"\\u{code:04x}"


def valid_text(text: str) -> str:
    r"""``text`` as valid Unicode: an undecodable byte (surrogate escape) as ``\xNN``, another surrogate ``\uDXXX``."""
    return _SURROGATE.sub(lambda match: _escape(match.group()), text)


def one_line(text: str) -> str:
    r"""``text`` safe to print on one line of a terminal or log: control characters and the like escaped.

    Newline, carriage return and tab become ``\n``, ``\r``, ``\t``; other C0 controls and DEL
    ``\xNN``; C1 controls, bidirectional controls and line separators ``\uNNNN``; undecodable
    bytes ``\xNN`` (NN from 80 up, so never confused with a control character).
    """
    return _UNSAFE.sub(lambda match: _escape(match.group()), text)


def for_terminal(text: str) -> str:
    """Lines of text (a diff) for a terminal: line breaks (LF, CRLF) and tabs kept, the rest as :func:`one_line`."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        body, ending = (line[:-1], "\r") if line.endswith("\r") and number < len(lines) - 1 else (line, "")
        lines[number] = "\t".join(one_line(part) for part in body.split("\t")) + ending
    return "\n".join(lines)


def raw_bytes(text: str) -> bytes:
    """The bytes a name or text stood for: undecodable bytes given back as they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that was never a byte: keep it, encoded as is
        return text.encode("utf-8", "surrogatepass")


def name_bytes(path: str | None) -> str | None:
    """Base64 of a name's exact bytes when they are not valid UTF-8 (so ``path`` had to escape them), else None."""
    if path is None or not _SURROGATE.search(path):
        return None
    return base64.b64encode(raw_bytes(path)).decode("ascii")


def valid_for_json(value: Any) -> Any:
    """What :func:`valid_everywhere` makes of a value about to be written by ``json.dumps`` (which writes tuples as
    lists): the value itself in the common case, told at C speed, where no string in it holds a surrogate."""
    try:
        written = json_dumps(value, ensure_ascii=False, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        return valid_everywhere(value)
    return valid_everywhere(value) if _SURROGATE.search(written) else value


def valid_everywhere(value: Any) -> Any:
    """A JSON-like value with :func:`valid_text` applied to every string in it, keys included."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_text(key) if isinstance(key, str) else key: valid_everywhere(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [valid_everywhere(item) for item in value]
    return value


def upstream_record(upstream: Upstream) -> dict[str, Any]:
    """An upstream as plain JSON data; JSON output and SARIF properties share this shape.

    Strings are as the upstream has them; pass the record through :func:`valid_everywhere` before writing it.
    """
    return {
        "name": upstream.name,
        "version": upstream.version,
        "url": upstream.url,
        "path": upstream.path,
        "path_bytes": name_bytes(upstream.path),
        "license": upstream.license,
        "similarity": upstream.similarity,
        "verbatim": upstream.verbatim,
        "renames": [{"from": old, "to": new} for old, new in upstream.renames],
        "taken": upstream.taken,
        "lines": [[first, last] for first, last in upstream.lines],
        "upstream_lines": [[first, last] for first, last in upstream.upstream_lines],
        "released": upstream.released,
        "carriers": list(upstream.carriers),
    }


def _discover() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_discover()
