"""Screenshot an HTML audit report with headless Chromium: ``python scripts/screenshot_audit.py REPORT.html OUT.png``.

Used for ``docs/audit-example.png``: ``lintml audit examples/vision-adapter --upstream
examples/upstreams/minivlm --format html > /tmp/audit.html``, then this script. Needs Debian's
``chromium`` (``apt-get install chromium``); the page is read from the file, nothing from the network.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def screenshot(report: Path, out: Path, *, width: int = 1280, height: int = 1600, chromium: str | None = None) -> None:
    """Write a ``width`` x ``height`` PNG of the top of ``report`` to ``out``."""
    executable = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    out = out.resolve()
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="lintml-screenshot-") as profile:
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            report.resolve().as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 or not out.is_file():
        raise SystemExit(f"chromium failed ({result.returncode}):\n{result.stderr[-2000:]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="the HTML report (lintml audit --format html)")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1600)
    arguments = parser.parse_args(argv)
    if not arguments.report.is_file():
        parser.error(f"{arguments.report} is not a file")
    screenshot(arguments.report, arguments.out, width=arguments.width, height=arguments.height)
    print(f"wrote {arguments.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
