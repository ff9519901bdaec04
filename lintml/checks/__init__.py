"""The predicates rules name. A check is registered under the name rule YAML uses.

Checks are found by discovery (every module in this package is imported), so adding a
check is adding a function with ``@check("name")``; no list to keep in step.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lintml.project import Project

from lintml.findings import EvidenceGrade, Upstream


@dataclass(frozen=True)
class Report:
    """What a check says: where, and the values its rule's message template needs."""

    path: str
    line: int | None = None
    end_line: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    license: str | None = None
    upstream: Upstream | None = None
    evidence: tuple[tuple[str, str], ...] = ()
    has_fix: bool = True  # False: there is nothing to fix (a match that carries no obligation), so no fix is shown
    grade: EvidenceGrade | None = None  # a report resting on a file's origin: how strong that evidence is
    # Reports of one rule with the same cause (one missing license text, one vendored package's conflict) are
    # reported once, at the first file, with the others listed (one cause, one finding); None: on its own.
    cause: tuple[str, ...] | None = None


CheckFunction = Callable[["Project"], Iterable[Report]]
_REGISTRY: dict[str, CheckFunction] = {}
# Checks that read provenance: code is fingerprinted and matched only when one of them runs.
USES_PROVENANCE: set[str] = set()
# Checks that read model folders: the indexes' known models are loaded only when one of them runs.
USES_MODELS: set[str] = set()


def check(
    name: str, *, uses_provenance: bool = False, uses_models: bool = False
) -> Callable[[CheckFunction], CheckFunction]:
    def register(function: CheckFunction) -> CheckFunction:
        if name in _REGISTRY:
            raise ValueError(f"check {name!r} registered twice")
        _REGISTRY[name] = function
        if uses_provenance:
            USES_PROVENANCE.add(name)
        if uses_models:
            USES_MODELS.add(name)
        return function

    return register


def _discover() -> dict[str, CheckFunction]:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return _REGISTRY


CHECKS = _discover()
