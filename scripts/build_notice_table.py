"""Build ``lintml/data/notice_table.json.gz`` from scancode-toolkit's installed license data.

Reads every ``licensedcode/data/rules/*.RULE`` and ``licensedcode/data/licenses/*.LICENSE``
file (YAML front matter between ``---`` lines, then the text; ``{{ }}`` marks required
phrases), keeps the license notices, texts, tags, references and intros that are long
enough not to match by chance, and writes, for each, its SPDX expression, its kind, its
normalised token count and two hashes (its first tokens, for candidate lookup, and its
whole token sequence). Only hashes are shipped, never scancode's texts, with one exception: its
rules of fewer words that hold "public domain" ("100% public domain", "public domain code", four
words at most) are kept as names, their normalised words, so that the bare words, which scancode
takes for a clue only, can be told from them without its index.

lintml adds passages of its own from ``scripts/notice_table_extras.yaml``: licenses scancode
does not know or misnames (the NVIDIA Source Code License, the Meta Llama 3 license, the SDXL
0.9 research license, OpenAI's "Modified MIT"). Short license names are written there as
text; longer passages only as the fingerprint ``--fingerprint`` prints for them, with where
they were read, and they win over a scancode text that normalises alike.

Run with the project's virtualenv, where scancode-toolkit is installed::

    .venv/bin/python scripts/build_notice_table.py [--min-tokens 5] [--output PATH]
    .venv/bin/python scripts/build_notice_table.py --fingerprint LICENSE.txt --lines 9-97 \
        --expression LicenseRef-... --kind text   # prints an entry for the extras file
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import importlib.util
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lintml.facts.notice_table import (  # the repository root, put on sys.path above
    BASE,
    DATA_PATH,
    FORMAT,
    HASH_SCHEME,
    KINDS,
    MAX_NAME_TOKENS,
    MIN_TOKENS,
    PREFIX_TOKENS,
    TOKEN_ALIASES,
    pack,
    sequence_hashes,
    token_value,
    tokenize,
)

# Words that make leftover text worth showing scancode. A plain copyright line
# ("Copyright 2024 The HuggingFace Team. All rights reserved.") has none of them.
# "spdx" is not one: "SPDX-License-Identifier" carries "license", and
# "SPDX-FileCopyrightText" is a copyright line.
KEYWORDS = sorted(
    {"copyleft", "mit", "bsd", "apache", "mpl", "mpl2", "eupl", "cddl", "unlicense", "wtfpl", "cc0", "eula"}
    | {"warranty", "warranties", "merchantability", "noninfringement", "liable", "liability", "indemnify"}
    | {"permission", "redistribution", "redistributions", "redistribute", "redistributed", "redistributable"}
    | {"proprietary", "confidential", "patent", "patents", "creativecommons", "opensource", "fsf", "copyrightable"}
)
# Any token starting so: license, licence, licensed, licensing, sublicense, gplv3, lgpl2, agpl, bsd3 ...
KEYWORD_PREFIXES = ["licen", "sublicen", "gpl", "lgpl", "agpl", "bsd", "apache"]
# Two consecutive tokens; each word alone is too common to count.
KEYWORD_PHRASES = ["free software", "public domain", "creative commons"]
# scancode's rules shorter than the table's texts that hold these words are kept as names (see build()).
_PUBLIC_DOMAIN = ("public", "domain")

FLAG_KINDS = (
    ("is_license_text", "text"),
    ("is_license_notice", "notice"),
    ("is_license_reference", "reference"),
    ("is_license_tag", "tag"),
    ("is_license_intro", "intro"),
)
# When two texts normalise to the same tokens and name the same expression, keep the stronger kind.
KIND_PRIORITY = {"text": 0, "notice": 1, "reference": 2, "tag": 3, "intro": 4}

EXTRAS_PATH = Path(__file__).resolve().parent / "notice_table_extras.yaml"
_EXTRA_KEYS = {"expression", "kind", "name", "read_at", "what", "tokens", "prefix", "full", "first"}

_EXPRESSION_TOKEN = re.compile(r"[()]|[^\s()]+")
_OPERATORS = {"and": "AND", "or": "OR", "with": "WITH"}
_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<front>.*?)^---[ \t]*(?:\r?\n|\Z)(?P<text>.*)", re.DOTALL | re.MULTILINE
)


@dataclass(frozen=True)
class Entry:
    expression: str
    kind: str
    length: int
    prefix: int
    full: int
    first: int  # the value of the first token
    source: str


def read_data_file(path: Path) -> tuple[dict[str, object], str]:
    """The front matter and the text of a scancode ``.RULE`` or ``.LICENSE`` file."""
    content = path.read_text(encoding="utf-8")
    parts = _FRONT_MATTER.match(content)
    if parts is None:
        return {}, content
    data = yaml.load(parts.group("front"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    return data, parts.group("text")


def is_yes(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in {"yes", "true"})


def spdx_expression(expression: str, spdx_by_key: dict[str, str], used_keys: set[str]) -> str:
    """A scancode license expression with its keys replaced by SPDX ids; operators kept."""
    parts = []
    for token in _EXPRESSION_TOKEN.findall(expression):
        if token in "()":
            parts.append(token)
        elif token.lower() in _OPERATORS:
            parts.append(_OPERATORS[token.lower()])
        else:
            key = token.lower()
            used_keys.add(key)
            parts.append(spdx_by_key.get(key, f"LicenseRef-scancode-{key}"))
    return " ".join(parts).replace("( ", "(").replace(" )", ")")


def entry_for(text: str, expression: str, kind: str, source: str, stopwords: frozenset[str]) -> Entry | None:
    tokens = tokenize(text.replace("{{", " ").replace("}}", " "), stopwords)
    return None if not tokens else _entry(tokens, expression, kind, source)


def _entry(tokens: list[str], expression: str, kind: str, source: str) -> Entry:
    values = [token_value(token) for token in tokens]
    prefix, full = sequence_hashes(values)
    return Entry(expression, kind, len(tokens), prefix, full, values[0], source)


def extra_entries(path: Path, stopwords: frozenset[str]) -> list[Entry]:
    """lintml's own passages: a short ``name`` hashed here, or a fingerprint given whole."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = []
    for number, item in enumerate(document.get("passages") or [], 1):
        where = f"{path.name} passage {number}"
        unknown = set(item) - _EXTRA_KEYS
        if unknown or item.get("kind") not in KIND_PRIORITY or not item.get("expression"):
            raise ValueError(f"{where}: needs expression and a kind of {sorted(KIND_PRIORITY)}; unknown {unknown}")
        expression, kind = str(item["expression"]), str(item["kind"])
        if "name" in item:
            entry = entry_for(str(item["name"]), expression, kind, where, stopwords)
            if entry is None or entry.length < PREFIX_TOKENS:
                raise ValueError(f"{where}: a name needs at least {PREFIX_TOKENS} words")
        else:
            fields = {key: int(item[key]) for key in ("tokens", "prefix", "full", "first")}
            if fields["tokens"] < PREFIX_TOKENS:
                raise ValueError(f"{where}: a passage needs at least {PREFIX_TOKENS} tokens")
            entry = Entry(expression, kind, fields["tokens"], fields["prefix"], fields["full"], fields["first"], where)
        entries.append(entry)
    return entries


def extra_names(path: Path, stopwords: frozenset[str]) -> dict[str, str]:
    """lintml's short license names: their normalised words (space-joined) -> the license they name."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names: dict[str, str] = {}
    for expression, spellings in (document.get("names") or {}).items():
        for spelling in spellings:
            words = " ".join(tokenize(str(spelling), stopwords))
            if not words or len(words.split()) > MAX_NAME_TOKENS:
                raise ValueError(f"{path.name}: the name {spelling!r} needs 1 to {MAX_NAME_TOKENS} words")
            if names.setdefault(words, str(expression)) != str(expression):
                raise ValueError(f"{path.name}: {spelling!r} names both {names[words]} and {expression}")
    return dict(sorted(names.items()))


def fingerprint(text: str, stopwords: frozenset[str], skip: int = 0) -> dict[str, int]:
    """What the extras file records for a passage (after its first ``skip`` tokens, a section
    number for instance): its token count and hashes, not its words."""
    tokens = tokenize(text, stopwords)[skip:]
    if len(tokens) < PREFIX_TOKENS:
        raise ValueError(f"a passage needs at least {PREFIX_TOKENS} tokens, this one has {len(tokens)}")
    entry = _entry(tokens, "", "text", "")
    return {"tokens": entry.length, "prefix": entry.prefix, "full": entry.full, "first": entry.first}


def build(data_dir: Path, min_tokens: int, extras: Path | None = EXTRAS_PATH) -> dict[str, object]:
    from license_expression import Licensing  # ships with scancode-toolkit; used to check our output
    from licensedcode.stopwords import STOPWORDS

    stopwords = frozenset(STOPWORDS)
    licensing = Licensing()
    spdx_by_key: dict[str, str] = {}
    deprecated_keys: set[str] = set()
    spdx_ids: set[str] = set()
    key_by_other_spdx_id: dict[str, str] = {}  # older or alternative SPDX ids, "GPL-2.0" -> gpl-2.0
    license_texts: list[tuple[str, str]] = []
    for path in sorted((data_dir / "licenses").glob("*.LICENSE")):
        data, text = read_data_file(path)
        key = str(data.get("key") or path.stem)
        spdx = str(data.get("spdx_license_key") or f"LicenseRef-scancode-{key}")
        spdx_by_key[key] = spdx
        if is_yes(data.get("is_deprecated")):
            deprecated_keys.add(key)
            continue
        spdx_ids.add(spdx)
        for other in data.get("other_spdx_license_keys") or []:
            if re.fullmatch(r"[A-Za-z0-9.+-]+", str(other)) and not str(other).startswith("LicenseRef-"):
                spdx_ids.add(str(other))
                key_by_other_spdx_id.setdefault(str(other), key)
        if text.strip():
            license_texts.append((key, text))

    used_keys: set[str] = set()
    candidates: list[Entry] = []
    short_names: dict[str, set[tuple[str, str]]] = {}  # words -> (expression, kind) of short public-domain rules
    skipped: Counter[str] = Counter()
    for key, text in license_texts:
        entry = entry_for(text, spdx_expression(key, spdx_by_key, used_keys), "text", f"{key}.LICENSE", stopwords)
        if entry is None or entry.length < min_tokens:
            skipped["short"] += 1
            continue
        candidates.append(entry)

    for path in sorted((data_dir / "rules").glob("*.RULE")):
        data, text = read_data_file(path)
        if is_yes(data.get("is_false_positive")):
            skipped["false positive"] += 1
            continue
        if is_yes(data.get("is_deprecated")):
            skipped["deprecated"] += 1
            continue
        kind = next((kind for flag, kind in FLAG_KINDS if is_yes(data.get(flag))), None)
        expression = data.get("license_expression")
        if kind is None or not expression:
            skipped["clue or no kind"] += 1
            continue
        entry = entry_for(text, spdx_expression(str(expression), spdx_by_key, used_keys), kind, path.name, stopwords)
        if entry is None or entry.length < min_tokens:
            skipped["short"] += 1
            words = tokenize(text.replace("{{", " ").replace("}}", " "), stopwords)
            if entry is not None and _PUBLIC_DOMAIN in pairwise(words):
                short_names.setdefault(" ".join(words), set()).add((entry.expression, kind))
            continue
        candidates.append(entry)

    own = extra_entries(extras, stopwords) if extras is not None else []
    # scancode's bare "public domain" is a clue (lintml.facts.notice_table reads it as none); its shorter rules
    # that say more ("100% public domain", "public domain code") are read as names, with their kinds. Words
    # that two rules read differently are left out.
    named_rules = {words: next(iter(found)) for words, found in sorted(short_names.items()) if len(found) == 1}
    names = {words: expression for words, (expression, _) in named_rules.items()}
    names.update(extra_names(extras, stopwords) if extras is not None else {})
    name_kinds = {
        words: kind
        for words, (expression, kind) in named_rules.items()
        if kind != "reference" and names[words] == expression
    }
    for expression in {entry.expression for entry in [*candidates, *own]} | set(names.values()):
        licensing.parse(expression, validate=False)

    # One entry per token sequence. Texts that normalise alike but name different
    # expressions are ambiguous: drop them, scancode will decide. lintml's own passages
    # are read by hand and win over scancode's.
    by_full: dict[int, list[Entry]] = {}
    for entry in candidates:
        by_full.setdefault(entry.full, []).append(entry)
    for entry in own:
        skipped["overridden by extras"] += len(by_full.get(entry.full, []))
        by_full[entry.full] = [entry]
    entries: list[Entry] = []
    for group in by_full.values():
        if len({entry.expression for entry in group}) > 1:
            skipped["ambiguous"] += len(group)
            continue
        entries.append(min(group, key=lambda entry: (KIND_PRIORITY[entry.kind], entry.source)))
        skipped["duplicate"] += len(group) - 1
    entries.sort(key=lambda entry: (entry.prefix, -entry.length, entry.full))

    expressions = sorted({entry.expression for entry in entries})
    expression_index = {expression: index for index, expression in enumerate(expressions)}
    kind_index = {kind: index for index, kind in enumerate(KINDS)}
    # Only what a caller needs beyond the "LicenseRef-scancode-<key>" fallback.
    needed_keys = used_keys | (set(spdx_by_key) - deprecated_keys)
    license_keys = {
        key: spdx_by_key[key]
        for key in sorted(needed_keys)
        if key in spdx_by_key and spdx_by_key[key] != f"LicenseRef-scancode-{key}"
    }
    kinds = Counter(entry.kind for entry in entries)
    print(
        f"{len(entries)} entries ({dict(sorted(kinds.items()))}), {len(expressions)} expressions; "
        f"skipped {dict(sorted(skipped.items()))}",
        file=sys.stderr,
    )
    return {
        "format": FORMAT,
        "scancode_toolkit_version": importlib.metadata.version("scancode-toolkit"),
        "derived_from": (
            "hashes of normalised token sequences of scancode-toolkit's license rules and texts "
            "(licensedcode/data, CC-BY-4.0, Copyright (c) nexB Inc. and others), and of lintml's own "
            "passages (scripts/notice_table_extras.yaml); no text is stored but the normalised words of "
            "short license names (lintml's, and scancode's rules of four words at most that say public domain)"
        ),
        "hash_scheme": HASH_SCHEME,
        "base": BASE,
        "prefix_tokens": PREFIX_TOKENS,
        "min_tokens": min_tokens,
        "token_aliases": TOKEN_ALIASES,
        "stopwords": sorted(stopwords),
        "keywords": KEYWORDS,
        "keyword_prefixes": KEYWORD_PREFIXES,
        "keyword_phrases": KEYWORD_PHRASES,
        "kinds": list(KINDS),
        "expressions": expressions,
        "spdx_ids": sorted(spdx_ids),
        "license_keys": license_keys,
        "other_spdx_ids": dict(sorted(key_by_other_spdx_id.items())),
        "names": dict(sorted(names.items())),
        "name_kinds": name_kinds,
        "entries": {
            "count": len(entries),
            "prefix": pack("Q", (entry.prefix for entry in entries)),
            "full": pack("Q", (entry.full for entry in entries)),
            "length": pack("I", (entry.length for entry in entries)),
            "starters": pack("Q", sorted({entry.first for entry in entries})),
            "payload": pack(
                "I", (expression_index[entry.expression] * 8 + kind_index[entry.kind] for entry in entries)
            ),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-tokens", type=int, default=MIN_TOKENS, help=f"skip shorter texts (default {MIN_TOKENS})")
    parser.add_argument("--output", type=Path, default=DATA_PATH)
    parser.add_argument("--fingerprint", type=Path, metavar="FILE", help="print an extras entry for FILE instead")
    parser.add_argument("--lines", help="with --fingerprint: the 1-based line range FIRST-LAST to read")
    parser.add_argument("--skip", type=int, default=0, help="with --fingerprint: leave out the first N tokens")
    parser.add_argument("--expression", default="LicenseRef-...", help="with --fingerprint: the license it names")
    parser.add_argument("--kind", default="text", choices=sorted(KIND_PRIORITY), help="with --fingerprint")
    options = parser.parse_args(argv)
    if options.fingerprint is not None:
        return _print_fingerprint(options)
    if options.min_tokens < PREFIX_TOKENS:
        parser.error(f"--min-tokens must be at least the lookup prefix, {PREFIX_TOKENS} tokens")
    spec = importlib.util.find_spec("licensedcode")
    if spec is None or not spec.submodule_search_locations:
        parser.error("scancode-toolkit is not installed in this Python")
    data_dir = Path(next(iter(spec.submodule_search_locations))) / "data"
    document = build(data_dir, options.min_tokens)
    payload = json.dumps(document, separators=(",", ":"), sort_keys=True).encode("utf-8")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the file byte-identical across rebuilds of the same data.
    with open(options.output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(payload)
    print(f"wrote {options.output} ({options.output.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


def _print_fingerprint(options: argparse.Namespace) -> int:
    from licensedcode.stopwords import STOPWORDS

    lines = options.fingerprint.read_text(encoding="utf-8").splitlines()
    first, last = (int(part) for part in (options.lines or f"1-{len(lines)}").split("-"))
    found = fingerprint("\n".join(lines[first - 1 : last]), frozenset(STOPWORDS), options.skip)
    skipped = f" from token {options.skip + 1}" if options.skip else ""
    where = f"{options.fingerprint}, lines {first}-{last}{skipped}"
    entry = {"expression": options.expression, "kind": options.kind, "read_at": where}
    print(yaml.safe_dump([{**entry, **found}], sort_keys=False, width=120), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
