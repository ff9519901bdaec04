"""Full license texts for ``lintml fix`` to write, from scancode-toolkit's license data.

scancode ships one ``licensedcode/data/licenses/<key>.LICENSE`` file per license: YAML
front matter (``key``, ``spdx_license_key``, ``other_spdx_license_keys``, ...) between two
``---`` lines, then the text. Reading those files is all it takes; neither scancode's
license index (seconds to build) nor its models are loaded, and the package is found
without being imported, so nothing of scancode's start-up (its cache and temporary
folders) happens here.

The SPDX id -> scancode key map is built once per process from the front matters of the
installed scancode (~2,600 files, ~0.1 s), so it always matches the texts
it points to. SPDX ids are case-insensitive. scancode keeps "only" and "or later" apart:
``GPL-3.0-only`` is ``gpl-3.0`` (the GPL's text), ``GPL-3.0-or-later`` is ``gpl-3.0-plus``
(the "either version 3 of the License, or (at your option) any later version" notice,
then the same text).
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path

_LICENSEREF_SCANCODE = "licenseref-scancode-"
_FRONT_MATTER_FENCE = "---"
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")


def license_text(spdx_id: str) -> str | None:
    """The full text of an SPDX license, from scancode-toolkit's license data; None if scancode has no text for it.

    ``spdx_id`` is one license id, not an expression: ``MIT``, ``GPL-3.0-or-later``, a
    deprecated id such as ``GPL-3.0``, or ``LicenseRef-scancode-<key>``. The text has no
    front matter, no leading blank lines, and ends with exactly one newline.
    """
    key = scancode_key(spdx_id)
    if key is None:
        return None
    return _text_for_key(key)


def scancode_key(spdx_id: str) -> str | None:
    """The scancode license key an SPDX id names (case-insensitive), or None."""
    return _keys_by_spdx_id().get(spdx_id.strip().lower())


@functools.lru_cache(maxsize=32)
def _text_for_key(key: str) -> str | None:
    folder = _licenses_dir()
    if folder is None:
        return None
    try:
        content = (folder / f"{key}.LICENSE").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    _, text = _split_front_matter(content)
    text = _LEADING_BLANK_LINES.sub("", text).rstrip()  # keep the first line's indent: Apache centres its title
    return text + "\n" if text else None  # some licenses (public-domain, unknown) are a name without a text


@functools.cache
def _keys_by_spdx_id() -> dict[str, str]:
    """Lowercased SPDX id -> scancode key, for every license the installed scancode knows."""
    folder = _licenses_dir()
    if folder is None:
        return {}
    current: list[tuple[str, list[str]]] = []
    deprecated: list[tuple[str, list[str]]] = []
    for path in sorted(folder.glob("*.LICENSE")):
        key = path.name[: -len(".LICENSE")]
        try:
            with path.open(encoding="utf-8") as stream:
                fields = _front_matter_fields(stream)
        except (OSError, UnicodeDecodeError):
            continue
        ids = [*fields.get("spdx_license_key", []), *fields.get("other_spdx_license_keys", [])]
        (deprecated if fields.get("is_deprecated") == ["yes"] else current).append((key, ids))
    keys: dict[str, str] = {}
    # First claim wins: a license's own SPDX id, then its older or alternative ids, then the
    # LicenseRef-scancode-<key> form of every key, then what only deprecated licenses claim.
    for key, ids in current:
        if ids:
            keys.setdefault(ids[0].lower(), key)
    for key, ids in current:
        for spdx_id in ids[1:]:
            keys.setdefault(spdx_id.lower(), key)
    for key, _ in current:
        keys.setdefault(_LICENSEREF_SCANCODE + key.lower(), key)
    for key, ids in deprecated:
        for spdx_id in ids:
            keys.setdefault(spdx_id.lower(), key)
        keys.setdefault(_LICENSEREF_SCANCODE + key.lower(), key)
    return keys


def _front_matter_fields(lines: Iterable[str]) -> dict[str, list[str]]:
    """The few front-matter fields needed here, read line by line up to the closing fence.

    scancode writes its front matter with saneyaml in one regular layout (``name: value``
    at the left margin, list items indented as ``- value``). Over the ~2,600 files this
    takes ~0.1 s where PyYAML takes 0.45 s with libyaml and 2.8 s without; a test checks
    that both read the same fields.
    """
    fields: dict[str, list[str]] = {}
    wanted = {"spdx_license_key", "other_spdx_license_keys", "is_deprecated"}
    listing: str | None = None  # the list field whose items are being read
    for number, raw in enumerate(lines):
        line = raw.rstrip("\r\n")
        if line == _FRONT_MATTER_FENCE:
            if number:
                break
            continue
        if number == 0:
            return {}  # no front matter
        if line[:1] in (" ", "\t"):
            item = line.strip()
            if listing is not None and item.startswith("- "):
                fields[listing].append(_unquote(item[2:]))
            continue
        name, _, value = line.partition(":")
        listing = None
        if name not in wanted:
            continue
        value = value.strip()
        if value:
            fields[name] = [_unquote(value)]
        else:
            fields[name] = []
            listing = name
    return fields


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _split_front_matter(content: str) -> tuple[str, str]:
    """``(front matter, text)`` of a ``.LICENSE`` file."""
    if not content.startswith(_FRONT_MATTER_FENCE):
        return "", content
    lines = content.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == _FRONT_MATTER_FENCE:
            return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
    return content, ""


def _licenses_dir() -> Path | None:
    """scancode's license data folder, found without importing the package."""
    try:
        spec = importlib.util.find_spec("licensedcode")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "licenses"
    return folder if folder.is_dir() else None
