"""What an upstream says of itself in its README: the repositories it credits, and who develops it.

Two facts about direction that no file header holds. A project whose README thanks another repository
("## Acknowledgements ... github.com/ultralytics/yolov5") built on that repository's code, so code it shares
with that repository's owner most likely went from there to it, not the reverse; and a file kept in a folder
named after a credited repository (auto-gptq's ``exllamav2/``) is that repository's code. A README that says
who leads or maintains the project ("development is led by Ross Wightman") names people whose code in
another project of theirs is their own. Only these facts are kept in an index, never the README's prose.
"""

from __future__ import annotations

import re

README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md", "Readme.md")
MAX_README_BYTES = 512 * 1024
MAX_ACKNOWLEDGED = 64  # repository addresses kept per upstream
MAX_PEOPLE_LINES = 8  # lines naming who develops the upstream
MAX_PEOPLE = 16  # names kept per upstream: its manifests' authors, then its README's lines
MAX_ADDRESS_CHARS = 200
MAX_PEOPLE_CHARS = 200
MAX_LINE_CHARS = 2000  # of one README line, read before any pattern: a hostile line cannot make one slow

# A heading that opens a section of thanks, credits or the work a project builds on.
_CREDIT_HEADING = re.compile(
    r"(?i)acknowledg|credit|thank|reference|related (?:work|project)|built (?:up)?on|based on|borrow|inspir"
)
# A line outside such a section that credits what it names.
_CREDIT_LINE = re.compile(
    r"(?i)\b(?:based|built|borrowed|adapted|taken|copied|forked|derived|ported|modified|heavily relies)"
    r"\s+(?:up)?(?:on|from)\b|\bthanks?\b|\bthank you\b|\backnowledg|\binspired by\b|\bcode (?:is|was) from\b"
)
_ADDRESS = re.compile(r"(?i)(?<![\w.-])(?:https?://)?(?:www\.)?(github\.com|gitlab\.com)/([\w.-]+)/([\w.-]+)")
# Who develops the project, and the names that follow: "led by A, B and C", "Maintainers: A, B".
_PEOPLE = re.compile(
    r"(?i)\b(?:(?:led|maintained|developed|written|created|authored|started)\s+by|maintainers?\s*:|"
    r"core (?:team|developers|maintainers)\s*:|authors?\s*:)\s*(?P<names>.+)"
)
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")
_NOT_OWNERS = frozenset({"orgs", "sponsors", "features", "topics", "marketplace", "apps", "settings"})


def acknowledged_repositories(text: str) -> tuple[str, ...]:
    """The repositories (``github.com/owner/name``, lower case) a README credits: every address in a section
    headed like thanks or credits, and those on a line that credits what it names; in order, at most
    :data:`MAX_ACKNOWLEDGED`."""
    found: dict[str, None] = {}
    in_credits = False
    lines = _prose_lines(text)
    for number, line in enumerate(lines):
        heading = _heading(line, lines[number + 1] if number + 1 < len(lines) else "")
        if heading is not None:
            in_credits = bool(_CREDIT_HEADING.search(heading))
            continue
        if not (in_credits or _CREDIT_LINE.search(line)):
            continue
        for host, owner, name in _ADDRESS.findall(line):
            name = name.removesuffix(".git").rstrip(".")
            if owner.lower() in _NOT_OWNERS or not name:
                continue
            found[f"{host.lower()}/{owner.lower()}/{name.lower()}"] = None
            if len(found) >= MAX_ACKNOWLEDGED:
                return tuple(found)
    return tuple(found)


def developer_lines(text: str) -> tuple[str, ...]:
    """The names a README gives as who leads, maintains or wrote the project (the words after "led by",
    "Maintainers:" ...), links reduced to their text; at most :data:`MAX_PEOPLE_LINES`. Only a list of
    names counts: prose after the words ("written by fine-tuning a model on ...") is not one."""
    found: list[str] = []
    for line in _prose_lines(text):
        matched = _PEOPLE.search(_MARKDOWN_LINK.sub(r"\1", line))
        if matched is None:
            continue
        names = _names(matched.group("names"))[:MAX_PEOPLE_CHARS]
        if names and names not in found:
            found.append(names)
            if len(found) >= MAX_PEOPLE_LINES:
                break
    return tuple(found)


_SENTENCE_END = re.compile(r"[.;:(!?]\s|[.;(!?]$|\s-\s")
_LIST_SEPARATOR = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
MAX_NAME_WORDS = 4


def _names(words: str) -> str:
    """ "Ross Wightman, Cade Gordon, and Vaishaal Shankar" from the words after the cue, up to the end of the
    sentence; "" unless every item is a short capitalised name."""
    words = _SENTENCE_END.split(" ".join(words.replace("*", " ").split()) + " ", maxsplit=1)[0].strip(" .,")
    items = [re.sub(r"^the\s+", "", item.strip(), flags=re.I) for item in _LIST_SEPARATOR.split(words)]
    items = [item for item in items if item]
    return ", ".join(items) if items and all(map(_is_name, items)) else ""


def _is_name(item: str) -> bool:
    """A person's or an organisation's name: a few words, the first capitalised (``Ross Wightman``, ``NVIDIA``,
    ``HuggingFace team``)."""
    return len(item.split()) <= MAX_NAME_WORDS and item[0].isupper()


def _prose_lines(text: str) -> list[str]:
    """The README's lines outside fenced code blocks (a ``# comment`` in a shell example is no heading), each
    cut to :data:`MAX_LINE_CHARS`."""
    lines: list[str] = []
    fence = ""
    for line in text.splitlines():
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        lines.append(line[:MAX_LINE_CHARS])
    return lines


def _heading(line: str, following: str) -> str | None:
    """The title when ``line`` is a Markdown heading (``## Thanks``) or an RST title (underlined next line)."""
    stripped = line.strip()
    if stripped.startswith("#"):
        return stripped.lstrip("#").strip()
    if stripped and _RST_UNDERLINE.match(following.strip()) and len(following.strip()) >= len(stripped) // 2:
        return stripped
    return None
