"""What the fork owes its upstreams: the findings of `lintml check`, and what the pairs show owed.

`lintml check` runs on the fork with the audit's scratch index of the upstreams, the audit's matches
standing for its provenance (nothing is fingerprinted twice); its findings that come from an audited
upstream are the fork's obligations. To them are added the pairs' stripped notices (restoring them is
owed) and the change notices owed and missing, which the check may leave out, so the obligations
listed and each pair's ``owed`` always agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from lintml import repository
from lintml.audit.document import FilePair, Obligations
from lintml.audit.pairing import LICENSE_NOTICE
from lintml.audit.sides import Side
from lintml.config import ConfigError, resolve_config
from lintml.engine import check_source
from lintml.errors import UsageError
from lintml.facts.cache import FactCache
from lintml.findings import Finding, Upstream
from lintml.licenses import shipped_knowledge
from lintml.provenance.index import UpstreamProject
from lintml.provenance.match import Match
from lintml.rules import find_rule, shipped_rules


def checked(
    fork: Side, index_path: Path, names: set[str], matches: Mapping[str, list[Match]], cache: FactCache
) -> Obligations:
    """The fork's `lintml check` findings that come from an audited upstream (the audit's matches stand for
    the check's provenance, so nothing is fingerprinted twice)."""
    try:
        config = resolve_config(fork.root, None)
        result = check_source(
            repository.DiskSource(fork.root), config, cache=cache, index_paths=[index_path], matches=matches
        )
    except (UsageError, ConfigError) as error:
        return Obligations(check_error=f"lintml check could not run: {error}")
    return Obligations(
        tuple(
            finding
            for finding in result.findings
            if finding.upstream is not None and finding.upstream.name in names and finding.rule != "provenance"
        )
    )


def with_owed_by_pairs(
    reported: Obligations, pairs: Sequence[FilePair], projects: Mapping[str, UpstreamProject]
) -> tuple[Obligations, list[FilePair]]:
    """The fork's obligations: those `lintml check` reported, and what the pairs show owed that it did not;
    and the pairs, each with the rules owed at its path (``owed``).

    A pair's stripped notices are owed (restoring them), and so is the change notice of a file that owes one
    and carries none. `lintml check` may stay silent on them (it takes a fork that copied the upstream's
    manifest or license holder for the upstream's owner, and a file crediting a third party for that party's
    copy), but the audit is told which projects are the upstreams, so what it shows is what it lists as owed.
    """
    knowledge = shipped_knowledge()
    rules = shipped_rules()
    reported_at = {(finding.rule, finding.path) for finding in reported.findings}
    found = list(reported.findings)

    def owed(rule_id: str, pair: FilePair, message: str, fix: str, evidence: tuple[tuple[str, str], ...]) -> None:
        rule = find_rule(rules, rule_id)
        assert rule is not None, rule_id  # both rules ship with lintml
        assert pair.upstream is not None
        project = projects.get(pair.upstream)
        line = None if repository.classify(pair.path) == repository.NOTEBOOK else 1
        upstream = Upstream(
            name=pair.upstream,
            version=project.version if project else None,
            url=project.url if project else None,
            path=pair.upstream_path,
            license=pair.upstream_license,
            similarity=pair.fork_share,
            taken=pair.upstream_share,
            renames=tuple((rename.old, rename.new) for rename in pair.renames),
            lines=pair.lines,
            upstream_lines=pair.upstream_lines,
        )
        found.append(
            Finding(
                rule=rule.id,
                category=rule.category,
                severity=rule.severity,  # type: ignore[arg-type]  # the rule's own: the fork's config does not lower it
                path=pair.path,
                message=message,
                line=line,
                end_line=line,
                column=1 if line else None,
                fix=fix,
                license=pair.upstream_license,
                upstream=upstream,
                evidence=(("found_by", "audit"), *evidence),
            )
        )

    for pair in pairs:
        if pair.upstream is None:
            continue
        project = projects.get(pair.upstream)
        version = project.version if project else None
        where = f"{pair.upstream}{f' {version}' if version else ''}, {pair.upstream_path}"
        license = pair.upstream_license
        if pair.stripped_notices and ("copyright-notice", pair.path) not in reported_at:
            lost = _listing(
                [
                    f"the {notice.removeprefix(LICENSE_NOTICE)} license notice"
                    if notice.startswith(LICENSE_NOTICE)
                    else f'"{notice}"'
                    for notice in pair.stripped_notices
                ]
            )
            duty = knowledge.duty_of(knowledge.retain_notices, license) if license else None
            owed(
                "copyright-notice",
                pair,
                f"this file came from {where} ({license or 'license unknown'}), and it no longer carries the upstream"
                f" file's notices: {lost}; {duty or 'they say whose code this is and under which terms'}",
                f"restore {lost} at the top of this file",
                (("stripped_notices", " | ".join(pair.stripped_notices)),),
            )
        if pair.change_notice_owed and not pair.change_notice and ("change-notice", pair.path) not in reported_at:
            change_duty = knowledge.duty_of(knowledge.change_notice, license or "")
            owed(
                "change-notice",
                pair,
                f"this file came from {where} ({license}) and was modified ({how_changed(pair)}), but it carries no"
                f" notice that it was changed; {change_duty.duty if change_duty else 'its license asks for one'}",
                f"add a comment at the top of this file saying it was modified from {pair.upstream}"
                + (" and when" if change_duty and change_duty.needs_date else ""),
                (("modified_because", how_changed(pair)),),
            )
    found.sort(key=lambda finding: (finding.path, finding.line or 0, finding.rule))
    # What each file owes its own upstream (credit in a README is owed by the repository).
    owing = [
        replace(
            pair,
            owed=tuple(
                sorted(
                    {
                        finding.rule
                        for finding in found
                        if finding.path == pair.path
                        and (finding.upstream.name if finding.upstream else None) == pair.upstream
                    }
                )
            ),
        )
        for pair in pairs
    ]
    return Obligations(tuple(found), reported.check_error), owing


def how_changed(pair: FilePair) -> str:
    """How a paired file differs from its upstream file, in words."""
    parts = []
    if pair.renames:
        shown = ", ".join(f"{rename.old} -> {rename.new}" for rename in pair.renames[:3])
        more = f" and {len(pair.renames) - 3} more" if len(pair.renames) > 3 else ""
        parts.append(f"identifiers renamed ({shown}{more})")
    if pair.fork_share is not None and pair.fork_share < 0.98:
        parts.append(f"{100 - round(pair.fork_share * 100)}% of it is not upstream code")
    if pair.upstream_share is not None and pair.upstream_share < 0.98:
        parts.append(f"it takes {round(pair.upstream_share * 100)}% of the upstream file")
    return ", ".join(parts) or "its code differs from the upstream file"


def _listing(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
