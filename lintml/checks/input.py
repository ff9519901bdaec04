"""Input checks: files lintml could not read as their kind are reported, not silently skipped."""

from __future__ import annotations

from collections.abc import Iterator

from lintml.checks import Report, check
from lintml.project import Project


def recorded_problems(project: Project, name: str) -> Iterator[Report]:
    """The problems reading the checked files recorded under the check ``name``, one report each."""
    _ = project.declared_licenses  # reading the manifests is what records their problems
    for item in project.checked_files():
        problems = list(project.facts_of(item.path).problems) + project.extra_problems.get(item.path, [])
        for problem in problems:
            if problem.check == name:
                yield Report(path=item.path, line=problem.line, params={"detail": problem.detail})


@check("unreadable_input", uses_models=True)
def unreadable_input(project: Project) -> Iterator[Report]:
    yield from recorded_problems(project, "unreadable_input")
    for path, reason in sorted(project.model_problems().items()):
        if project.is_target(path):
            yield Report(path=path, params={"detail": reason})


@check("path_refused")
def path_refused(project: Project) -> Iterator[Report]:
    """Links that lead out of the tree and folders that were not walked, once each, by the link's path
    (the engine keeps only those that touch the files checked)."""
    for path, detail in sorted(project.refused.items()):
        yield Report(path=path, params={"detail": detail})
