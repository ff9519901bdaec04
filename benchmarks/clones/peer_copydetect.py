"""The peer: copydetect's similarity for the clone benchmark's pairs and negatives.

Runs inside copydetect's own virtualenv (``bench_clones.py`` makes it under
``benchmarks/.work/clones/``), so copydetect and its dependencies (numpy, matplotlib) never
enter lintml's environment. It reads a job file and writes a result file, both JSON::

    python peer_copydetect.py JOB.json RESULT.json

The job names the upstream files (copydetect's reference files), the (copy, true upstream
file) pairs and the negative files. With copydetect's defaults (noise threshold 25,
guarantee threshold 25, so a winnowing window of 1, display threshold 0.33) it gives:

- for each pair, the copy's similarity to its upstream file, as copydetect reports it (the
  share of the copy's fingerprinted tokens found in the upstream file);
- for each negative, its best similarity to any upstream file.

copydetect's own loop compares every test file with every reference file. A pair that shares
no fingerprint has similarity 0, so comparing a negative only with the upstream files that
share at least one fingerprint with it (found through an inverted index) gives exactly the
same best similarity, in a fraction of the time; the result file says so and counts both.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from copydetect import CodeFingerprint, __version__, compare_files, defaults


def fingerprint(path: str, noise: int, window: int) -> CodeFingerprint | None:
    try:
        return CodeFingerprint(path, noise, window, boilerplate=[], filter=True)
    except (UnicodeDecodeError, OSError, ValueError):
        return None


def similarity(test: CodeFingerprint, reference: CodeFingerprint) -> float:
    """copydetect's similarity of ``test`` to ``reference`` (the share of the test file)."""
    _, (test_share, _), _ = compare_files(test, reference)
    return float(test_share)


def main(job_path: str, result_path: str) -> int:
    job: dict[str, Any] = json.loads(Path(job_path).read_text(encoding="utf-8"))
    noise = int(job.get("noise_t") or defaults.NOISE_THRESHOLD)
    guarantee = int(job.get("guarantee_t") or defaults.GUARANTEE_THRESHOLD)
    display = float(job.get("display_t") or defaults.DISPLAY_THRESHOLD)
    window = guarantee - noise + 1
    skipped: list[str] = []
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    upstream_paths: list[str] = job["upstream_files"]
    upstreams: dict[str, CodeFingerprint] = {}
    for path in upstream_paths:
        found = fingerprint(path, noise, window)
        if found is None:
            skipped.append(path)
        else:
            upstreams[path] = found
    seconds["fingerprint_upstreams"] = time.perf_counter() - start

    start = time.perf_counter()
    pairs: list[float | None] = []
    for copy_path, upstream_path in job["pairs"]:
        copy = fingerprint(copy_path, noise, window)
        reference = upstreams.get(upstream_path) or fingerprint(upstream_path, noise, window)
        if copy is None or reference is None:
            skipped.append(copy_path)
            pairs.append(None)
        else:
            pairs.append(similarity(copy, reference))
    seconds["pairs"] = time.perf_counter() - start

    start = time.perf_counter()
    index: dict[int, list[str]] = {}
    for path, found in upstreams.items():
        for value in found.hashes:
            index.setdefault(int(value), []).append(path)
    negatives: dict[str, dict[str, Any]] = {}
    compared = 0
    for path in job["negatives"]:
        found = fingerprint(path, noise, window)
        if found is None:
            skipped.append(path)
            continue
        candidates = sorted({candidate for value in found.hashes for candidate in index.get(int(value), ())})
        best, best_path = 0.0, None
        for candidate in candidates:
            compared += 1
            share = similarity(found, upstreams[candidate])
            if share > best:
                best, best_path = share, candidate
        negatives[path] = {"similarity": best, "upstream": best_path}
    seconds["negatives"] = time.perf_counter() - start

    result = {
        "copydetect": __version__,
        "settings": {"noise_t": noise, "guarantee_t": guarantee, "window_size": window, "display_t": display},
        "pairs": pairs,
        "negatives": negatives,
        "negative_comparisons": {
            "made": compared,
            "all_pairs": len(negatives) * len(upstreams),
        },
        "upstream_files": len(upstreams),
        "skipped": skipped,
        "seconds": seconds,
    }
    Path(result_path).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} JOB.json RESULT.json")
    sys.exit(main(sys.argv[1], sys.argv[2]))
