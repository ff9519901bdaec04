"""Derived files: which files of the checked project came from an upstream, and whether they were changed.

A file is derived when provenance matched it to an upstream file, when the configuration
declares its folder vendored from an upstream, or when its header carries a third party's
copyright and license notice. The obligation checks (change notices, kept copyright lines,
NOTICE files, attribution, license texts, conflicts) all read the same answer from here.

Code copied by its own copyright holder owes that holder nothing: a derivation whose upstream
copyright lines name the holder that signs this project's own files is marked ``by_owner``,
and the checks that protect a third party skip it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from lintml import repository
from lintml.facts.declared import authors
from lintml.facts.extract import STATING_KINDS
from lintml.findings import EvidenceGrade, Upstream
from lintml.licenses import expression_ids
from lintml.provenance.match import Match

if TYPE_CHECKING:
    from lintml.git import Commit, FileHistory
    from lintml.project import Project

PROVENANCE = "provenance"  # matched by fingerprints
VENDORED = "vendored"  # declared in the configuration
HEADER = "header"  # a third party's copyright and license notice in the file's header
NO_LICENSE = "NONE"  # SPDX's word for an upstream that grants no license at all

# Words of a copyright line that do not tell one holder from another.
_HOLDER_NOISE = frozenset(
    "copyright c all rights reserved and others the inc incorporated ltd llc limited co corp corporation "
    "team authors author contributors contributor project developers of by gmbh ag sa present its affiliates"
    " affiliate".split()
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_MIN_HOLDER_KEY = 3
# A holder signs this project's own code when it heads this many of its underived files, and at
# least this share of its files with a copyright line (co-holders of a few files are guests).
OWN_HOLDER_MIN_FILES = 2
OWN_HOLDER_SHARE = 0.25
# Tokens of aligned code below which a match is reported but carries no obligation: about eight
# lines, past the idioms (an init loop, a download helper) that unrelated projects write alike.
SUBSTANTIAL_EVIDENCE = 100
# Tokens of aligned code from which a match is strong evidence on its own (about 25 lines), and the share
# of the local file from which a match of substantial size is strong: most of the file is that code.
STRONG_EVIDENCE = 300
STRONG_SHARE = 0.5


def holder_key(statement: str) -> str:
    """A copyright line reduced to who holds it: ``Copyright 2020 The HuggingFace Inc. team`` -> ``huggingface``."""
    return "".join(_holder_words(statement))


def _holder_words(statement: str) -> list[str]:
    words = re.findall(r"[^\W\d_]+|\d+", statement.casefold().replace("©", " "))
    return [word for word in words if word not in _HOLDER_NOISE and not word.isdigit()]


# Holders known under two names: Facebook, Inc. became Meta Platforms, Inc. in 2021 (whose lines often say just
# "Meta"), and files of one project carry both lines.
_SAME_HOLDER = {"meta": "facebook", "metaplatforms": "facebook", "metaai": "facebook", "facebookairesearch": "facebook"}


@lru_cache(maxsize=4096)  # the same few lines are compared for every match of a run
def holder_keys(statement: str) -> frozenset[str]:
    """Each holder a copyright line names: ``Google AI, Google Brain and the HuggingFace Inc. team`` ->
    ``{googleai, googlebrain, huggingface}``."""
    parts = re.split(r",|;|&|\band\b|\bwith\b|/", statement.casefold())
    keys = {"".join(_holder_words(part)) for part in parts}
    return frozenset(_SAME_HOLDER.get(key, key) for key in keys if len(key) >= _MIN_HOLDER_KEY)


def holds_all(statement: str, lines: Iterable[str]) -> bool:
    """Whether ``lines`` together name every holder ``statement`` names (a notice kept whole)."""
    held = {key for line in lines for key in holder_keys(line)}
    wanted = holder_keys(statement)
    return bool(wanted) and all(any(same_holder(key, other) for other in held) for key in wanted)


def is_copyright(line: str) -> bool:
    """A copyright line, as opposed to another notice (a trademark or patent notice)."""
    return bool(_COPYRIGHT.search(line))


_COPYRIGHT = re.compile(r"(?i)copyright|©|\(c\)")


@lru_cache(maxsize=16384)
def same_holder(first: str, second: str) -> bool:
    """Whether two copyright lines (or holder names) share a holder, spelling, years and co-holders aside."""
    left, right = holder_keys(first), holder_keys(second)
    return any(
        one == other or (min(len(one), len(other)) >= 5 and (one in other or other in one))
        for one in left
        for other in right
    )


@dataclass(frozen=True)
class Derivation:
    """One local file's origin in one upstream, however lintml learned it."""

    path: str
    how: str  # PROVENANCE, VENDORED or HEADER
    upstream: str  # the upstream project; for HEADER, the copyright line that names the third party
    version: str | None
    url: str | None
    license: str | None
    upstream_path: str | None = None
    match: Match | None = None
    by_owner: bool = False  # the upstream's copyright holder is this project's own
    # How strongly lintml knows this file's code came from the upstream (see :func:`graded`); None: a header
    # or a declared vendored folder, graded by :attr:`grade` from how it was found.
    evidence: EvidenceGrade | None = None

    @property
    def label(self) -> str:
        return f"{self.upstream} {self.version}" if self.version else self.upstream

    @property
    def where(self) -> str:
        """The upstream with the file the code came from, as messages name it."""
        return f"{self.label}, {self.upstream_path}" if self.upstream_path else self.label

    @property
    def span(self) -> tuple[int, int]:
        return self.match.span if self.match else (0, 0)

    @property
    def notice(self) -> str | None:
        return self.match.notice if self.match else None

    @property
    def grade(self) -> EvidenceGrade:
        """How strongly lintml knows this file's code came from the upstream (see :func:`graded`)."""
        if self.evidence is not None:
            return self.evidence
        if self.how == VENDORED:
            return EvidenceGrade("strong", f"the configuration declares it vendored from {self.label}")
        return EvidenceGrade("moderate", "its header names a third party; no upstream file to compare it with")

    def as_upstream(self) -> Upstream:
        if self.match is not None:
            return self.match.as_upstream()
        return Upstream(self.upstream, self.version, self.url, self.upstream_path, self.license)


def graded(project: Project, path: str, match: Match) -> EvidenceGrade:
    """The evidence model of docs/provenance.md: what lintml saw maps to a grade, and the grade bounds the
    severity of the obligations it carries (strong: error, moderate: warning, weak: provenance only).

    - A configuration that declares the folder vendored, or a verbatim copy, is strong.
    - A match is strong when its aligned code (outside the catalog's boilerplate) is long on its own, or
      is of substantial size and makes up most of the local file; moderate when it is of substantial
      size only (a function or two in a large file); weak below that. What the file and the upstream file
      say of themselves can lower it (see :func:`match_grade`).
    - A third party's header with no upstream file to compare is moderate: the header says whose code the
      file holds, but lintml cannot tell how much of it is still there, nor always who this project is.
    """
    return match_grade(
        match,
        added_before_release(project, path, match),
        names_upstream_here(project, path, match),
        claims_own_holder(project, path),
        lambda: shared_with_here(project, match),
    )


_GRADE_ORDER = {"weak": 0, "moderate": 1, "strong": 2}


def strongest(grades: Iterable[EvidenceGrade]) -> EvidenceGrade:
    """The strongest of several grades (of the files one finding speaks for)."""
    return max(grades, key=lambda grade: _GRADE_ORDER[grade.level])


def match_grade(
    match: Match,
    added_before: str | None = None,
    named_here: bool = False,
    claims_own: bool = False,
    shared_with: Callable[[], str | None] | None = None,
) -> EvidenceGrade:
    """The grade of one match (see :func:`grade_of`); ``added_before``: the date this file was added here, when
    that is before the matched version was released (then that version is not its source, and the duties
    of the version it came from are not known: at most moderate); ``shared_with``: what the upstream says that
    ties it to this project (see :func:`shared_with_here`), asked only of a strong match nothing else lowers."""
    grade = _measured_grade(match)
    if grade.level == "strong" and not named_here:
        relayed = _relayed_from(match, claims_own)
        if relayed is not None:
            grade = EvidenceGrade(
                "moderate",
                f"{match.upstream_path} {relayed}: this copy may come from that origin instead; {grade.why}",
            )
        elif shared_with is not None and (tie := shared_with()) is not None:
            grade = EvidenceGrade("moderate", f"{tie}; {grade.why}")
    if added_before is None or grade.level == "weak":
        return grade
    older = (
        f"this file was added here on {added_before}, before {match.label} was released"
        f" ({(match.released or '')[:10]}): that version is not its source, the code came from an earlier version"
        f" of {match.project} or from an origin both share"
    )
    return EvidenceGrade("moderate", f"{older}; {grade.why}")


def shared_with_here(project: Project, match: Match) -> str | None:
    """What the upstream says of itself that makes this project as likely a source of the shared code as the
    upstream is of it: its README credits a repository of this project's owner (YOLOv9 thanks
    ultralytics/yolov5, so the code ultralytics shares with it most likely went from there to YOLOv9), or names
    this project's own author among its developers (the code may be that author's own, moved between his
    projects). None when it says neither."""
    owners = project.owners
    for address in match.upstream_acknowledged:  # github.com/owner/name: this project's own repository included
        if set(address.split("/")[1:2]) & set(owners.accounts):  # an index's address may lack parts
            return (
                f"{match.project}'s README credits {address}, a repository of this project's owner:"
                f" the shared code may have gone from there to {match.project}"
            )
    people = [name for name in owners.authors if name.strip()]
    for line in match.upstream_people:
        author = next((name for name in people if same_holder(name, line)), None)
        if author is not None:
            return (
                f"{match.project} names {author}, an author of this project, among its developers ({line[:80]}):"
                " the code may be that author's own"
            )
    return None


def _relayed_from(match: Match, claims_own: bool) -> str | None:
    """What shows the matched upstream file carries another origin's code (errors against origins only), said
    of that file ("says its code came from elsewhere (...)"); None when nothing does."""
    names, owners = origin_names(match.project, match.url)
    # A file kept in a folder named after a repository the upstream's README credits is that repository's code
    # (auto-gptq's exllamav2/ holds turboderp's kernels, which its README thanks).
    credited = _credited_folder(match, [*names, *owners])
    if credited is not None:
        return credited
    # An upstream file that says its code came from elsewhere carries it, and the copy may have come from that
    # origin instead (a verbatim copy of the carrier's file did not). A source of the same owner (another
    # repository of nexB's, say) is not another origin.
    if not match.verbatim:
        for line in match.upstream_credits:
            if gives_a_source(line) and not mentions(line.replace("/", " "), [*names, *owners]):
                return f"says its code came from elsewhere ({line[:80]})"
    main = main_holder(match)
    lines = [line for line in match.upstream_copyrights if is_copyright(line)]
    if main is None or not lines:
        return None
    # An upstream file whose copyright lines all name third parties holds their code, not its project's
    # (auto-gptq's copy of Marlin's kernel, ggml's SYCL port of its CUDA kernels under Intel's line).
    if not any(same_holder(line, main) for line in lines):
        return f"carries only other holders' notices, not {match.project}'s ({lines[0][:80]})"
    # A copy whose header names this project as its holder, matched to an upstream file that opens with a
    # third party's notice rather than its own holder's: both may hold that third party's code (xformers'
    # attention kernels and DeepSpeed's, both from NVIDIA's CUTLASS example, token for token).
    if claims_own and not same_holder(lines[0], main):
        return f"opens with another holder's notice ({lines[0][:80]})"
    return None


def _credited_folder(match: Match, own_names: Sequence[str]) -> str | None:
    """What shows the file is a credited repository's code: it sits in a folder named after one its README credits."""
    folders = {_folded(part): part for part in PurePosixPath(match.upstream_path).parent.parts}
    own = {_folded(name) for name in own_names}
    for address in match.upstream_acknowledged:
        name = _folded(address.rsplit("/", 1)[-1])
        if len(name) >= 4 and name in folders and name not in own and name not in _GENERIC_FOLDERS:
            return f"sits in {folders[name]}/, named after {address}, which {match.project}'s README credits"
    return None


# Folder names every kind of project uses: a credited repository named so (tensorflow/models, pytorch/examples)
# says nothing of the folders of that name.
_GENERIC_FOLDERS = frozenset(
    "models model examples example tools utils util common kernels kernel scripts tests test csrc core data"
    " datasets configs config thirdparty vendor external extern extensions layers modules training inference"
    " benchmarks benchmark demo demos apps assets include python cuda source sources".split()
)


def _folded(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


def names_upstream_here(project: Project, path: str, match: Match) -> bool:
    """Whether the file's own credits or change notes name the matched upstream as where its code came from
    (and, when they give the address of a file, the matched file rather than another one of the upstream's:
    vllm's "copied from .../ggml-cuda/mmq.cu" names ggml's CUDA kernels, not its SYCL port)."""
    names, owners = origin_names(match.project, match.url)
    facts = project.facts_of(path)
    said = [words for _, words in facts.credits] + [words for _, words in facts.change_notes]
    matched = PurePosixPath(match.upstream_path).name
    return any(
        names_origin(words, names, owners) and (not (files := _files_addressed(words)) or matched in files)
        for words in said
    )


_FILE_ADDRESS = re.compile(r"/(?:blob|raw|tree)/[^/\s]+/(?:[^\s#?]+/)?([\w.-]+\.\w+)\b")


def _files_addressed(words: str) -> set[str]:
    """The names of the files a credit's repository addresses point at (``.../blob/main/src/mmq.cu``)."""
    return {found.group(1) for found in _FILE_ADDRESS.finditer(words)}


def claims_own_holder(project: Project, path: str) -> bool:
    """Whether the file's header names the holder this project says it is."""
    lines = [line.statement for line in project.facts_of(path).copyrights]
    return any(same_holder(line, name) for line in lines for name in project.owners.authors)


def added_before_release(project: Project, path: str, match: Match) -> str | None:
    """The date ``path`` was added here (git), when before the matched upstream version was released."""
    history = project.matched_history.get(path)
    if history is None or not match.released or history.added.date >= match.released[:10]:
        return None
    return history.added.date


def _measured_grade(match: Match) -> EvidenceGrade:
    tokens, share = match.evidence_tokens, match.local_share
    spans = "1 span" if match.spans == 1 else f"{match.spans} spans, the longest {match.longest_span} tokens"
    measured = (
        f"{tokens} tokens of code aligned outside common idiom in {spans};"
        f" {round(share * 100)}% of this file, {round(match.upstream_share * 100)}% of the upstream file"
    )
    if match.verbatim and tokens >= SUBSTANTIAL_EVIDENCE:
        return EvidenceGrade("strong", f"a verbatim copy of the upstream file; {measured}")
    if match.verbatim:  # a small file word for word: a copy, but of little enough that it may have gone either way
        return EvidenceGrade("moderate", f"a verbatim copy of a small upstream file; {measured}")
    if tokens >= STRONG_EVIDENCE or (tokens >= SUBSTANTIAL_EVIDENCE and share >= STRONG_SHARE):
        return EvidenceGrade("strong", measured)
    if tokens >= SUBSTANTIAL_EVIDENCE:
        return EvidenceGrade("moderate", measured)
    return EvidenceGrade("weak", measured)


@dataclass(frozen=True)
class Modification:
    """Whether a derived file was changed from what the upstream shipped, and how lintml knows."""

    modified: bool
    reasons: tuple[str, ...] = ()
    commits: tuple[Commit, ...] = ()

    @property
    def explanation(self) -> str:
        return "; ".join(self.reasons)


def find_derivations(project: Project) -> dict[str, list[Derivation]]:
    """Path -> its derivations, for every checked code file that has one (provenance first)."""
    own = project.owners
    found: dict[str, list[Derivation]] = {}
    for item in project.checked_files(*repository.CODE_KINDS):
        derived = [
            _from_match(
                item.path,
                match,
                own,
                graded(project, item.path, match),
                [line.statement for line in project.facts_of(item.path).copyrights],
            )
            for match in project.provenance.get(item.path, ())
            if exemption(project, item.path, match) is None
        ]
        folder = project.vendored_folder(item.path)
        if folder is not None and not derived:
            derived.append(Derivation(item.path, VENDORED, folder.upstream, folder.version, folder.url, folder.license))
        if not derived and (own.authors or own.holders):
            header = _third_party_header(project, item.path, own)
            if header is not None:
                derived.append(header)
        if derived:
            found[item.path] = derived
    return found


@dataclass(frozen=True)
class Owners:
    """Who this project's own code belongs to."""

    # Holder keys heading several of its files that no upstream explains: read only when the project's own
    # word (below) names no one, since a project that copies much carries others' headers in many files.
    holders: tuple[str, ...]
    # Who the project says it is: the authors and maintainers its manifests name, its root license's holders,
    # the people of its AUTHORS file and the owners its CODEOWNERS names (not a NOTICE's: it credits others).
    authors: tuple[str, ...]
    # The accounts its manifests say its repository lives under (``ultralytics`` for
    # github.com/ultralytics/ultralytics): code from another repository of the same account is its own.
    accounts: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()  # the SPDX ids of its own license: an account's code under another is a fork's

    def own(self, statement: str) -> bool:
        """Whether a copyright line names one of this project's holders (among others, perhaps)."""
        return any(same_holder(statement, key) for key in (*self.holders, *self.authors))

    def foreign_holders(self, statement: str) -> list[str]:
        """The holders a copyright line names that are not this project's."""
        return [key for key in sorted(holder_keys(statement)) if not self.own(key)]


_PEOPLE_FILES = frozenset({"authors", "authors.md", "authors.txt", "authors.rst", "contributors", "contributors.md"})
_CODEOWNERS = frozenset({"CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS"})
MAX_PEOPLE = 200  # names read from an AUTHORS or CODEOWNERS file


def own_holders(project: Project) -> Owners:
    """Who this project is, by its own word (manifests, root license, AUTHORS, CODEOWNERS); and,
    only when that names no one, the holders heading many of its files that no upstream explains."""
    named: list[str] = []
    for item in project.files:
        if "/" not in item.path and item.path in ("pyproject.toml", "setup.py", "setup.cfg", "PKG-INFO"):
            text = project.text_of(item.path)
            if text:
                named.extend(authors(item.path, text))
        elif ("/" not in item.path and item.path.lower() in _PEOPLE_FILES) or item.path in _CODEOWNERS:
            named.extend(_people(item.path, project.text_of(item.path) or ""))
    # A root license file's first copyright line: the lines after it are often the notices of what the
    # project bundles ("From CUTLASS: Copyright NVIDIA ..."), not who it is.
    for item in project.root_license_files:
        named.extend(line.statement for line in project.facts_of(item.path).copyrights[:1])
    accounts = tuple(sorted({name.split("/")[0].casefold() for name in project.own_names if "/" in name}))
    licenses = tuple(expression_ids(project.project_license or ""))
    if named:
        return Owners((), tuple(dict.fromkeys(named)), accounts, licenses)
    counts: Counter[str] = Counter()
    for item in project.code_files:
        if project.provenance.get(item.path) or project.vendored_folder(item.path) is not None:
            continue
        keys = {key for line in project.facts_of(item.path).copyrights for key in holder_keys(line.statement)}
        counts.update(keys)
    signed = sum(1 for item in project.code_files if project.facts_of(item.path).copyrights)
    least = max(OWN_HOLDER_MIN_FILES, round(OWN_HOLDER_SHARE * signed))
    return Owners(tuple(sorted(key for key, count in counts.items() if count >= least)), (), accounts, licenses)


def _people(path: str, text: str) -> list[str]:
    """The names an AUTHORS file lists (one per line, an address aside), or the organisations and people a
    CODEOWNERS file names (``@huggingface/core`` -> ``huggingface``)."""
    found: list[str] = []
    for line in text.splitlines()[: MAX_PEOPLE * 4]:
        words = line.split("#", 1)[0].strip() if "CODEOWNERS" in path else line.strip(" \t*-")
        if not words or words.startswith(("#", "=", "<!--")):
            continue
        if "CODEOWNERS" in path:
            found.extend(owner.lstrip("@").split("/")[0] for owner in words.split()[1:] if owner.startswith("@"))
        else:
            found.append(re.sub(r"<[^>]*>|\(.*?\)|\S+@\S+", " ", words).strip())
        if len(found) >= MAX_PEOPLE:
            break
    return [name for name in found if name]


def plain(text: str) -> str:
    """Text with spacing and case folded, for comparing notices as written by different hands."""
    return " ".join(text.split()).casefold()


def repository_address(url: str) -> str:
    """``https://github.com/owner/name.git`` -> ``github.com/owner/name``."""
    return re.sub(r"^[a-z+]+://(www\.)?", "", url.rstrip("/")).removesuffix(".git")


def origin_names(project: str, url: str | None) -> tuple[list[str], list[str]]:
    """How a file could name an upstream: its project and repository names; and its repository's owner."""
    parts = repository_address(url).split("/") if url else []
    return [project, *parts[2:3]], parts[1:2]


@dataclass(frozen=True)
class Exemption:
    """Why a match carries no obligation. ``from_here``: the upstream took the code from this project
    (it says so, depends on it, carries its copyright line, or lacked the code when this project had it):
    then the upstream is not a source of this file at all, and the match is not reported."""

    reason: str
    from_here: bool = False


def exemption(project: Project, path: str, match: Match) -> Exemption | None:
    """Why a match carries no obligation, or None (worked out once per run: several checks ask)."""
    key = (path, match.project, match.upstream_path)
    if key not in project.exemptions:
        project.exemptions[key] = _exemption(project, path, match)
    return project.exemptions[key]


def _exemption(project: Project, path: str, match: Match) -> Exemption | None:
    """Why the code a file shares with an upstream file does not make it that upstream's derivative,
    or None when it does.

    - The two share little code (a few lines of an idiom): enough to show where a file may come
      from, too little to hold it to the upstream's license.
    - The upstream depends on this project (and not the reverse), or the upstream file (or another
      file in its folder, as a vendored package often says it once) says its code came from this
      project: it took the code from here.
    - The upstream file's copyright lines name this project's own holder: it carries code from here
      (an example or fork of this project), whatever else it holds.
    - This file was in this repository (by its git history, or by a release of this project in the
      catalog) before a catalogued version of the upstream that did not hold its code (older than
      every version that does): the upstream took the code up later, so it is not where this file
      came from. A date alone proves nothing (the code may be older than any version catalogued);
      the missing code in a dated version is the evidence.
    - This file says where its code came from (a credit, a change note, a third party's copyright
      line it did not take from the upstream file), and that is not this upstream: the two share
      an ancestor, or the upstream took it from here. lintml takes the file at its word; a file
      that says nothing of its origin is matched as usual.
    """
    if match.requires_you:
        reason = f"{match.project} depends on this project, so the shared code most likely went from here to it"
        return Exemption(reason, from_here=True)
    # Who this project says it is (its manifests' authors, its license's holder), as for by_owner: headers
    # alone do not say it, since a project that copies much of an upstream carries its headers everywhere.
    ours = next(
        (
            line
            for line in match.upstream_copyrights
            if is_copyright(line) and any(same_holder(line, name) for name in project.owners.authors)
        ),
        None,
    )
    if ours is not None:
        where = match.upstream_path
        reason = f"{where} carries this project's own copyright line ({ours[:80]}): it holds code from here"
        # A project of this project's own holder is a source like any other (nothing is owed to oneself);
        # another project carrying this holder's line holds code that went out from here.
        main = main_holder(match)
        return Exemption(reason, from_here=main is not None and not same_holder(ours, main))
    if match.absent_in:
        history = project.matched_history.get(path)
        if history is not None and history.added.date < match.absent_in[:10]:
            reason = (
                f"{match.project} did not hold this code in its version of {match.absent_in[:10]}, and this file"
                f" was added here on {history.added.date}: the code went from here to {match.project}, or both"
                " took it from elsewhere"
            )
            return Exemption(reason, from_here=True)
        if match.held_here is not None and match.held_here[:10] <= match.absent_in[:10]:
            reason = (
                f"{match.project} did not hold this code in its version of {match.absent_in[:10]}, and a release"
                f" of this project in the catalog held it on {match.held_here[:10]}: the code went from here to"
                f" {match.project}, or both took it from elsewhere"
            )
            return Exemption(reason, from_here=True)
    if match.evidence_tokens < SUBSTANTIAL_EVIDENCE and not match.verbatim:
        return Exemption(
            f"only {match.evidence_tokens} tokens in common, too few to tell copying from code written alike"
            f" (obligations need {SUBSTANTIAL_EVIDENCE})"
        )
    own_names = project.own_names
    if own_names and any(names_origin(line, own_names, ()) for line in match.upstream_credits):
        return Exemption(f"{match.upstream_path} says its code came from this project", from_here=True)
    # A vendored package often says once, in one file, where it came from: a file beside the matched one in
    # the upstream's folder saying its code came from here tells the direction for the whole folder.
    beside = next((line for line in match.upstream_folder_credits if names_origin(line, own_names, ())), None)
    if own_names and beside is not None:
        folder = str(PurePosixPath(match.upstream_path).parent)
        reason = (
            f"the files beside {match.upstream_path} in {folder}/ say their code came from this project ({beside[:80]})"
        )
        return Exemption(reason, from_here=True)
    credits, foreign = stated_origins(project, path, match)
    if foreign is None:
        return None  # it kept the upstream file's own notices
    names, owners = origin_names(match.project, match.url)
    if any(names_origin(words, names, owners) for words in credits) or any(
        names_origin(line, names, ()) for line in foreign
    ):
        return None
    # An upstream file written against this project (it imports it) most likely took the code it shares
    # with it from here; a file here that says it came from that upstream is taken at its word (above).
    imported = next((name for name in match.upstream_imports if name in project.own_packages), None)
    if imported is not None:
        return Exemption(
            f"{match.upstream_path} imports {imported} (this project): it builds on this project, so the shared"
            " code most likely went from here to it"
        )
    # Only a credit that names where the code came from tells of another origin: "computed based on the
    # given metrics" or "adapted from the paper" names none, and waives nothing. Nor does one naming a
    # catalogued project that does not hold this code: that project is no ancestor of it.
    named = [words for words in credits if names_an_origin(words) and _plausible(project, path, words)]
    if not named and not foreign:
        return None  # it says nothing of its origin
    stated = (named or foreign)[0]
    return Exemption(f"this file credits another origin ({stated[:100]}), not {match.project}: a shared ancestor")


def _plausible(project: Project, path: str, words: str) -> bool:
    """Whether the origin a credit names could hold a file's code: it is not a catalogued project, or it is
    one that this file also matches."""
    holding = {match.project for match in project.provenance.get(path, ())}
    return all(name in holding for name in _catalogued_named(words, project.catalogued))


@lru_cache(maxsize=4096)  # a credit is asked about once per match of its file, and repeats across files
def _catalogued_named(words: str, catalogued: tuple[tuple[str, str | None], ...]) -> tuple[str, ...]:
    """The catalogued projects a credit names."""
    return tuple(name for name, url in catalogued if names_origin(words, origin_names(name, url)[0], ()))


# Addresses of papers, not of code: a credit that gives only these names no origin of the code.
_PAPER_HOSTS = re.compile(r"arxiv\.org|openreview\.net|doi\.org|aclanthology\.org|papers\.nips\.cc|proceedings\.", re.I)
_REPOSITORY_PATH = re.compile(r"(?<![\w./])[A-Za-z][\w.-]*/[\w.-]+")
_MODULE_PATH = re.compile(r"\b[A-Za-z_]\w*\.[A-Za-z_]\w*\.[A-Za-z_]\w*")  # transformers.models.bert
_PAPER = re.compile(r"\b(?:paper|article|publication|thesis)s?\b", re.I)
_PROPER_NAME = re.compile(r"\b(?:[A-Z][\w-]*[A-Z0-9][\w-]*|[A-Z][a-z][\w-]*)\b")
# Capitalised words that name no origin: sentence openers, and the parts of a paper.
_NOT_NAMES = frozenset(
    "The This That These Those It Its We Our Us You See Note Notes Please Original Paper Papers Section Figure"
    " Table Algorithm Appendix Equation Eq Code Implementation Copied Adapted Modified Based Inspired Taken"
    " Ported Borrowed Derived Forked Extracted Lifted Vendored Translated Credit Credits From Reference"
    " Official Source Repo Repository Some Parts Part Most Much All Any Function Functions Class Classes"
    " Method Methods Module Modules Logic Version Model Models And Or With By For To Of In On At As"
    " Args Returns Return Raises Example Examples Parameters TODO NOTE FIXME".split()
)


def gives_a_source(words: str) -> bool:
    """Whether a credit gives where code came from as an address other than a paper's, or as a repository
    path (``openai/CLIP``): a source a copy could have taken the code from too, unlike a person's name."""
    if any(not _PAPER_HOSTS.search(address) for address in _URL.findall(words)):
        return True
    return bool(_REPOSITORY_PATH.search(_URL.sub(" ", words)))


def names_an_origin(words: str) -> bool:
    """Whether a credit names where the code came from: an address other than a paper's, a repository,
    file or module path (``openai/CLIP``, ``vllm/attention/backends/xformers.py``,
    ``transformers.models.bert``), or, when it speaks of no paper, a proper name (``OpenAI``,
    ``HuggingFace``, ``Blip Diffusion``) beside the sentence's own capitals."""
    text = _URL.sub(" ", words)
    if gives_a_source(words) or _MODULE_PATH.search(text):
        return True
    if _PAPER.search(text):
        return False  # "the original Transformer paper": a paper, not where code came from
    body = text.lstrip("#/*;-%!\"' \t")
    return any(
        name not in _NOT_NAMES and found.start() > 0 for found in _PROPER_NAME.finditer(body) if (name := found.group())
    )


_URL = re.compile(r"https?://\S+|\b(?:github\.com|gitlab\.com|huggingface\.co)/\S+", re.I)


def names_origin(words: str, names: Sequence[str], owners: Sequence[str]) -> bool:
    """Whether a credit names an upstream: by an address of it when it gives addresses, else by name
    (or by the owner of its repository, ``HuggingFace`` for transformers)."""
    addresses = _URL.findall(words)
    if addresses:
        return any(mentions(address.replace("/", " "), names) for address in addresses)
    return mentions(words, [*names, *owners])


def main_holder(match: Match) -> str | None:
    """The holder of the upstream project's own code: the project's own name or repository owner when
    its copyright lines name it, else the one they name most when several lines name it. A project whose few
    copyright lines all come with vendored code (ultralytics carries Meta's) has none."""
    names, owners = origin_names(match.project, match.url)
    return _main_holder(match.project_copyrights, (*names, *owners), match.root_copyrights)


@lru_cache(maxsize=64)
def _main_holder(copyrights: tuple[str, ...], names: tuple[str, ...], root: tuple[str, ...] = ()) -> str | None:
    counts = Counter(key for line in copyrights for key in sorted(holder_keys(line)))
    if not counts:
        return None
    # The repository's owner, when its lines name it, before a holder of code it vendors in bulk
    # (DeepSpeedExamples carries more HuggingFace lines than Microsoft ones).
    named = [key for key, _ in counts.most_common() if any(same_holder(key, name) for name in names)]
    if named:
        return named[0]
    # Else the holder its top license file names: the project's own word (flash-attention's "Tri Dao", though
    # its files carry more of NVIDIA's lines, from the kernels it vendors).
    own = next((key for line in root if is_copyright(line) for key in sorted(holder_keys(line))), None)
    if own is not None:
        return own
    key, count = counts.most_common(1)[0]
    return key if count >= 2 else None


def stated_origins(project: Project, path: str, match: Match) -> tuple[list[str], list[str] | None]:
    """What a file says of where its code came from (credits, third parties' copyright lines), less
    what it took along from the upstream file. The lines are None when the file kept the upstream
    file's own notices: then it is that file's copy, whatever else it says."""
    facts = project.facts_of(path)
    carried = {plain(line) for line in match.upstream_credits}
    # A credit speaks for the copied code from the file's header, beside (or inside) the copied span, or right above
    # the class or function that holds it.
    source_lines: list[str] = []  # read only when a credit is neither in the header nor beside the copy

    def speaks_for_copy(line: int) -> bool:
        if _beside(line, match.lines):
            return True
        if not source_lines:
            source_lines.extend((project.text_of(path) or "").splitlines())
        return _heads_copied_code(source_lines, line, match.lines)

    credits = [
        words
        for line, words in facts.credits
        if (line <= facts.header_end or speaks_for_copy(line)) and not any(kept in plain(words) for kept in carried)
    ]
    # A third party's line the upstream file also carries names the ancestor both took from,
    # unless the copy also kept the upstream's own holder: then it is a copy of the upstream file.
    main = main_holder(match)
    lines = [line.statement for line in facts.copyrights]
    theirs = [line for line in match.upstream_copyrights if is_copyright(line)]
    # An upstream file none of whose lines names the upstream's own holder is a third party's code
    # it vendors: a copy keeping that third party's lines shares the ancestor, it did not copy this.
    vendored_there = main is not None and bool(theirs) and not any(same_holder(line, main) for line in theirs)
    kept_all = bool(theirs) and all(holds_all(line, lines) for line in theirs)
    if (kept_all and not vendored_there) or (main is not None and any(same_holder(line, main) for line in lines)):
        return credits, None
    foreign = [line for line in lines if project.owners.foreign_holders(line)]
    return credits, foreign


# Lines before a copied span within which a comment speaks for it ("# Adapted from X" above a function).
_CREDIT_REACH = 5


def _beside(line: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(first - _CREDIT_REACH <= line <= last for first, last in spans)


_DEFINITION = re.compile(r"^([ \t]*)(?:async[ \t]+)?(?:class|def)[ \t]+\w")


def _heads_copied_code(source_lines: Sequence[str], line: int, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether the comment on ``line`` (1-based) sits right above a Python class or function (decorators
    aside) whose body holds the start of a copied span: "# Inspired from <address>" above a class speaks for
    the whole class, however long its docstring before the copied code."""
    following = line  # 0-based index of the line after the comment
    while following < len(source_lines) and (
        not source_lines[following].strip() or source_lines[following].lstrip().startswith(("#", "@"))
    ):
        following += 1
    if following >= len(source_lines):
        return False
    definition = _DEFINITION.match(source_lines[following])
    if definition is None:
        return False
    first = following + 1  # 1-based line of the definition
    start = min((start for start, _ in spans if start >= first), default=None)
    if start is None:
        return False
    # The copy starts inside the definition when no line before it is back at the definition's indent: the body
    # ends at the first such code line, save the closing bracket of a signature spread over several lines
    # (``) -> None:``). Only the lines up to the copy's start are read, not the whole (perhaps long) body.
    indent = len(definition.group(1).expandtabs())
    for text in source_lines[first:start]:
        text = text.expandtabs()
        stripped = text.lstrip()
        if stripped and not stripped.startswith(("#", ")", "]", "}")) and len(text) - len(stripped) <= indent:
            return False
    return True


def _from_match(
    path: str, match: Match, own: Owners, evidence: EvidenceGrade, local_lines: Sequence[str] = ()
) -> Derivation:
    upstream = [line for line in match.upstream_copyrights or match.project_copyrights[:1] if is_copyright(line)]
    # Code its own holder copied: the upstream's own holder (else the file's first) is who this project
    # says it is, in its manifest's authors or its license's copyright line. Headers alone do not
    # say it: a project that copies much of one upstream carries that upstream's headers everywhere.
    main = main_holder(match)
    primary = next((line for line in upstream if main is not None and same_holder(line, main)), None)
    primary = primary or (upstream[0] if upstream else None)
    # Or the code is held by a repository of this project's own account: the matched one, or a carrier of the
    # same code (yolov9 carries code ultralytics/yolov5 holds too: it is ultralytics' own, wherever matched).
    carriers = {name.split()[0].split("/")[0].casefold() for name in match.carriers if "/" in name.split()[0]}
    # Or the copy's own header names the upstream's holder jointly with this project ("Copyright 2022 Facebook AI
    # and The HuggingFace Inc. team" on transformers' port of MAE): the holder made or licensed the port with it.
    joint = primary is not None and any(
        same_holder(line, primary) and any(same_holder(line, name) for name in own.authors) for line in local_lines
    )
    # The account's code under a license this project does not have is a fork's inheritance, not its own.
    same_terms = bool(set(expression_ids(match.license or "")) & set(own.licenses))
    by_owner = (
        (primary is not None and any(same_holder(primary, name) for name in own.authors))
        or (same_terms and _account(match.url) in own.accounts)
        or bool(carriers & set(own.accounts))
        or joint
    )
    return Derivation(
        path=path,
        how=PROVENANCE,
        upstream=match.project,
        version=match.version,
        url=match.url,
        license=match.license,
        upstream_path=match.upstream_path,
        match=match,
        by_owner=by_owner,
        evidence=evidence,
    )


def _account(url: str | None) -> str | None:
    """The account a GitHub or GitLab address lives under (``ultralytics`` for github.com/ultralytics/yolov5)."""
    parts = repository_address(url or "").casefold().split("/")
    return parts[1] if len(parts) >= 3 and parts[0] in ("github.com", "gitlab.com") else None


def _third_party_header(project: Project, path: str, own: Owners) -> Derivation | None:
    """A header with a license notice and a copyright line naming someone other than this project."""
    facts = project.facts_of(path)
    stated = [notice.expression for notice in facts.notices if notice.kind in STATING_KINDS]
    if not stated or not facts.copyrights:
        return None
    if any(own.own(line.statement) for line in facts.copyrights):
        return None
    holder = facts.copyrights[0].statement
    expression = project.knowledge.normalize_expression(stated[0]) or stated[0]
    return Derivation(path, HEADER, holder, None, None, expression)


# ----------------------------------------------------------------------------- modification


def modification(derivation: Derivation, history: Mapping[str, FileHistory]) -> Modification:
    """Whether the copy differs from the upstream beyond formatting, or git shows it changed after it was added.

    Content decides when lintml has the upstream file: a copy identical to it (layout aside) is
    unmodified whatever its history. Without the upstream file, git history decides.
    """
    found = history.get(derivation.path)
    commits = found.changes if found is not None else ()
    match = derivation.match
    if match is not None:
        if match.verbatim:
            return Modification(False)
        return Modification(True, (_content_difference(match), *_history_reasons(found)), commits)
    if commits:
        return Modification(True, _history_reasons(found), commits)
    return Modification(False)


def _content_difference(match: Match) -> str:
    parts = []
    if match.renames:
        shown = ", ".join(f"{old} -> {new}" for old, new, _ in match.renames[:3])
        more = f" and {len(match.renames) - 3} more" if len(match.renames) > 3 else ""
        parts.append(f"identifiers renamed ({shown}{more})")
    if match.local_share < 0.98:
        parts.append(f"{100 - round(match.local_share * 100)}% of it is not upstream code")
    if match.upstream_share < 0.98:
        parts.append(f"it takes {round(match.upstream_share * 100)}% of the upstream file")
    if not parts:
        parts.append("its code differs from the upstream file")
    return ", ".join(parts)


def _history_reasons(found: FileHistory | None) -> tuple[str, ...]:
    if found is None or not found.changes:
        return ()
    named = ", ".join(f"{commit.short} ({commit.date}, {commit.subject!r})" for commit in found.changes[:3])
    more = f" and {len(found.changes) - 3} more" if len(found.changes) > 3 else ""
    return (f"git history shows it added in {found.added.short} and changed in {named}{more}",)


# ----------------------------------------------------------------------------- notices that name files


def names_file(text: str, path: str, folder: str | None = None) -> list[int]:
    """1-based lines of a notices file that name ``path``: its repository path, its path inside a
    vendored ``folder``, or its file name standing as a word."""
    pure = PurePosixPath(path)
    candidates = {path}
    if folder and path.startswith(folder + "/"):
        candidates.add(path[len(folder) + 1 :])
    if len(pure.parts) > 1:
        candidates.add("/".join(pure.parts[-2:]))
    name_pattern = re.compile(rf"(?<![\w./-]){re.escape(pure.name)}(?![\w-])")
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if any(candidate in line for candidate in candidates) or name_pattern.search(line):
            lines.append(number)
    return lines


def has_date(text: str) -> bool:
    return bool(_YEAR.search(text))


def mentions(text: str, names: Iterable[str]) -> bool:
    """Whether ``text`` names one of ``names`` as a word, case aside: ``open_clip`` = ``OpenCLIP`` = ``open-clip``."""
    folded = text.casefold()
    for name in names:
        parts = _name_parts(name)
        # Most names asked about are not in the text at all: a substring test spares compiling their pattern.
        if parts and parts[0] in folded and _name_pattern(parts).search(folded):
            return True
    return False


@lru_cache(maxsize=4096)  # a warm check asks thousands of times about the same few dozen names
def _name_parts(name: str) -> tuple[str, ...]:
    """The words of a name as :func:`mentions` matches them; () for a name too short to tell."""
    parts = tuple(part for part in re.split(r"[\s_\-]+", name.casefold()) if part)
    return parts if sum(map(len, parts)) >= _MIN_HOLDER_KEY else ()


@lru_cache(maxsize=4096)
def _name_pattern(parts: tuple[str, ...]) -> re.Pattern[str]:
    """The pattern :func:`mentions` looks for: the words, joined by nothing, a space, ``_`` or ``-``."""
    return re.compile(r"(?<![a-z0-9])" + r"[\s_\-]?".join(map(re.escape, parts)) + r"(?![a-z0-9])")
