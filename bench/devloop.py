"""The edit-to-screen time of development mode: from writing a Sass partial to the new style in Chromium.

    python bench/devloop.py [--edits N] [--sass libsass|dart] [--project DIR]

Runs `assetbuild watch` and the demo app (gunicorn, ASSETBUILD_DEV=1) on a copy of this
repository's demo site (or of --project, a folder with pyproject.toml and a stylesheet whose
`.site-header` background comes from `$brand`), opens the page in Debian's Chromium, then
edits `$brand` N times and prints each time from the write to the changed computed style.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from conftest import CHROMIUM, CHROMIUM_FLAGS, Gunicorn  # noqa: E402
from watching import Watcher  # noqa: E402

COLOURS = ["#c53030", "#2f855a", "#6b46c1", "#b7791f", "#2b6cb0"]
HEADER = "getComputedStyle(document.querySelector('.site-header')).backgroundColor"


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--sass", choices=["libsass", "dart"], default=None)
    parser.add_argument("--project", type=Path, default=REPO)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        for folder in ("static_src", "templates"):
            shutil.copytree(args.project / folder, root / folder)
        config = (args.project / "pyproject.toml").read_text()
        if args.sass:
            config = config.replace("[tool.assetbuild]\n", f'[tool.assetbuild]\nsass = "{args.sass}"\n', 1)
        (root / "pyproject.toml").write_text(config)
        past = time.time() - 10
        for path in root.rglob("*"):
            os.utime(path, (past, past))
        partial = next(p for p in (root / "static_src").rglob("_variables.scss"))
        watcher = Watcher(root)
        watcher.expect("built release", timeout=300)
        server = Gunicorn(root, workers=1, env={"ASSETBUILD_DEV": "1", "GUNICORN_CMD_ARGS": "--threads 8"})
        times = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
                page = browser.new_page()
                page.goto(server.url + "/", wait_until="networkidle")
                for n in range(args.edits):
                    colour = COLOURS[n % len(COLOURS)]
                    text = re.sub(r"\$brand: #[0-9a-f]{6};", f"$brand: {colour};", partial.read_text())
                    started = time.perf_counter()
                    partial.write_text(text)
                    page.wait_for_function(f"{HEADER} === '{rgb(colour)}'", polling="raf", timeout=60_000)
                    times.append(time.perf_counter() - started)
                    time.sleep(0.5)
                browser.close()
        finally:
            server.stop()
            watcher.stop()
    compiler = args.sass or "configured"
    print(f"sass={compiler}: edit to screen, {len(times)} edits: median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
