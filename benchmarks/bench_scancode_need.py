"""Which license notices still need scancode: the header texts and license files the notice table leaves unexplained.

For each tree given (by default the 13 projects the precision benchmark keeps in
``benchmarks/.work/precision/*/``), this script reads every file a ``lintml check`` reads, in
this process, with a ``FactExtractor`` and no facts cache, and hooks
``lintml.facts.extract.needs_scancode`` (the one place lintml decides to load scancode's license
index) to note each text it answers yes for. scancode itself is never loaded: its
``detect_licenses`` is replaced by one that finds nothing, so a run takes seconds a tree and
little memory (the copyright reader, cluecode, still runs as in a real check).

Unlike the other benchmarks this one reaches inside lintml on purpose: what it measures is that
decision, which no public function reports. It prints, per project, the files read, the files
whose header needs scancode and the unique header texts among them (and the same for license
files), as a Markdown table for ``benchmarks/RESULTS.md``; ``--texts`` lists each unique text with
how many files carry it and the first of them; ``--json FILE`` keeps everything, to compare
two runs.

    .venv/bin/python benchmarks/bench_scancode_need.py                    # the 13 precision trees
    .venv/bin/python benchmarks/bench_scancode_need.py --texts TREE ...   # with the texts themselves
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, logger

from lintml import repository
from lintml.api import READ_KINDS
from lintml.facts import extract, scancode_adapter
from lintml.facts.cache import FactCache
from lintml.repository import DEFAULT_MAX_FILE_SIZE

PRECISION_TREES = ROOT / "benchmarks" / ".work" / "precision"
log = logger("scancode-need")


@dataclass
class TreeNeed:
    """What one tree leaves to scancode: per kind (header or license file), text -> the files that carry it."""

    name: str
    files: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    headers: dict[str, list[str]] = field(default_factory=dict)
    license_files: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "files": self.files,
            "seconds": round(self.seconds, 2),
            "cpu_seconds": round(self.cpu_seconds, 2),
            "headers": self.headers,
            "license_files": self.license_files,
        }


class _Recorder:
    """Hooks ``needs_scancode``: the texts it said yes for, and which file was being read at the time."""

    def __init__(self) -> None:
        self.decided: dict[tuple[str, bool], bool] = {}
        self._decide = extract.needs_scancode

    def needs_scancode(self, text: str, whole_file: bool, table: object = None) -> bool:
        answer = self._decide(text, whole_file, table)  # type: ignore[arg-type]
        self.decided[(text, whole_file)] = answer
        return answer


def _nothing_found(text: str, approximate: bool = True) -> tuple[()]:
    return ()


def measure(tree: Path) -> TreeNeed:
    """Read ``tree`` as a check does and note which of its texts the table leaves to scancode."""
    recorder = _Recorder()
    extractor = extract.FactExtractor(FactCache(None))
    need = TreeNeed(tree.name)
    wanted: list[tuple[str, bool]] = []
    licenses_in = extractor._licenses_in

    def licenses_noting(text: str, whole_file: bool, use_scancode: bool = True) -> tuple[extract.Notice, ...]:
        found = licenses_in(text, whole_file, use_scancode)
        if use_scancode and recorder.decided.get((text, whole_file)):
            wanted.append((text, whole_file))
        return found

    extractor._licenses_in = licenses_noting  # type: ignore[method-assign]
    saved = extract.needs_scancode, scancode_adapter.detect_licenses
    extract.needs_scancode = recorder.needs_scancode  # type: ignore[assignment]
    scancode_adapter.detect_licenses = _nothing_found  # type: ignore[assignment]
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        source = repository.DiskSource(tree)
        for item in source.files():
            if item.kind not in READ_KINDS or item.size > DEFAULT_MAX_FILE_SIZE:
                continue
            try:
                data = source.read(item.path)
            except OSError:
                continue
            need.files += 1
            wanted.clear()
            extractor.facts(item, data)
            for text, whole_file in dict.fromkeys(wanted):
                kept = need.license_files if whole_file else need.headers
                kept.setdefault(text, []).append(item.path)
    finally:
        extract.needs_scancode, scancode_adapter.detect_licenses = saved
    need.seconds = time.perf_counter() - started
    need.cpu_seconds = time.process_time() - started_cpu
    return need


def _count(texts: dict[str, list[str]]) -> str:
    return f"{sum(len(paths) for paths in texts.values()):,} ({len(texts):,})"


def table(needs: Sequence[TreeNeed]) -> str:
    """The Markdown table of what each tree leaves to scancode."""
    rows = [
        "| project | files read | headers needing scancode (unique texts) | license files needing scancode (unique) |",
        "|---|---|---|---|",
    ]
    for need in needs:
        rows.append(f"| {need.name} | {need.files:,} | {_count(need.headers)} | {_count(need.license_files)} |")
    headers: dict[str, list[str]] = {}
    license_files: dict[str, list[str]] = {}
    for need in needs:
        for text, paths in need.headers.items():
            headers.setdefault(text, []).extend(f"{need.name}/{path}" for path in paths)
        for text, paths in need.license_files.items():
            license_files.setdefault(text, []).extend(f"{need.name}/{path}" for path in paths)
    total = sum(need.files for need in needs)
    rows.append(f"| **all {len(needs)}** | {total:,} | {_count(headers)} | {_count(license_files)} |")
    return "\n".join(rows)


def texts_listing(needs: Sequence[TreeNeed]) -> str:
    """Each unique text left to scancode, most files first, with the first file that carries it."""
    out = []
    for need in needs:
        for label, texts in (("header", need.headers), ("license file", need.license_files)):
            for text, paths in sorted(texts.items(), key=lambda item: (-len(item[1]), item[1][0])):
                body = "\n".join(f"    | {line}" for line in text.strip("\n").splitlines())
                out.append(f"--- {need.name}: {label} in {len(paths)} file(s), e.g. {paths[0]}\n{body}")
    return "\n".join(out)


def default_trees() -> list[Path]:
    return sorted(path for path in PRECISION_TREES.iterdir() if path.is_dir() and path.name != "sdists")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path, help=f"folders to read (default: those in {PRECISION_TREES})")
    parser.add_argument("--texts", action="store_true", help="also print each unique text left to scancode")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every text and file to FILE")
    arguments = parser.parse_args(argv)
    trees = arguments.trees or default_trees()
    if not trees:
        print(f"no trees given and none in {PRECISION_TREES}", file=sys.stderr)
        return 2
    needs = []
    for tree in trees:
        if not tree.is_dir():
            print(f"not a folder: {tree}", file=sys.stderr)
            return 2
        log(f"reading {tree}")
        needs.append(measure(tree))
        log(f"{tree.name}: {needs[-1].files} files in {needs[-1].seconds:.1f} s ({needs[-1].cpu_seconds:.1f} CPU-s)")
    print(table(needs))
    if arguments.texts:
        print()
        print(texts_listing(needs))
    if arguments.json:
        arguments.json.write_text(json.dumps([need.as_dict() for need in needs], indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
