"""Python normalisation through CPython's C tokenizer against the reference ``tokenize``: same streams, and how
much faster.

Reads every ``.py`` file of the precision benchmark's trees (``benchmarks/.work/precision/*/``) and of the
catalog's pinned sources (the snapshots in ``../shared/upstreams/snapshots`` and the sdists in
``benchmarks/.work/catalog``, as ``scripts/build_catalog.py`` keeps them), normalises each twice, with
:func:`lintml.provenance.normalize.normalize_python` and with the reference path (``tokenize``, then the
lenient lexer where ``tokenize`` fails), and counts the files whose streams differ (symbols, lines, texts or
language) and the time of each path. Like ``bench_scancode_need.py`` it reaches inside lintml on purpose.

    .venv/bin/python benchmarks/bench_tokenizer.py            # prints the counts and the first differences
"""

from __future__ import annotations

import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT

from lintml.provenance import normalize

MAX_BYTES = 2_000_000


def reference(text: str) -> normalize.TokenStream:
    try:
        return normalize._python_stream(normalize._reference_tokens(text))
    except (normalize.tokenize.TokenError, SyntaxError, ValueError, RecursionError):
        return normalize.normalize_generic("source.py", text).with_language(normalize.FALLBACK_LANGUAGE)


def python_files() -> Iterator[tuple[str, bytes]]:
    for tree in sorted((ROOT / "benchmarks" / ".work" / "precision").glob("*/")):
        for path in sorted(tree.rglob("*.py")):
            if path.is_file() and not path.is_symlink() and path.stat().st_size <= MAX_BYTES:
                yield str(path.relative_to(ROOT)), path.read_bytes()
    archives = sorted((ROOT.parent / "shared" / "upstreams" / "snapshots").glob("*.tar.gz"))
    archives += sorted((ROOT / "benchmarks" / ".work" / "catalog").glob("*.tar.gz"))
    for archive in archives:
        with tarfile.open(archive) as opened:
            for member in opened:
                if member.isfile() and member.name.endswith(".py") and member.size <= MAX_BYTES:
                    handle = opened.extractfile(member)
                    if handle is not None:
                        yield f"{archive.name}:{member.name}", handle.read()


def main() -> int:
    files = differ = 0
    fast = slow = 0.0
    for name, data in python_files():
        text = data.decode("utf-8", errors="replace")
        files += 1
        started = time.perf_counter()
        made = normalize.normalize_python(text)
        fast += time.perf_counter() - started
        started = time.perf_counter()
        expected = reference(text)
        slow += time.perf_counter() - started
        if made != expected:
            differ += 1
            if differ <= 20:
                print(
                    f"differs: {name} ({len(made)} tokens, {made.language}; reference {len(expected)}, "
                    f"{expected.language})"
                )
    print(f"{files:,} Python files, {differ} differ; normalise_python {fast:.1f} s, reference {slow:.1f} s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
