#!/usr/bin/env python3
"""Benchmark the serving table (assetbuild/serving.py) over real releases.

    python bench/serving.py [OUTPUT_DIR]     # default: dist (build first: python build.py)

Prints the start-up cost (the table built from every kept release), the cost of a known URL
(one lookup, in-process through the WSGI door, identity and brotli) and of an unknown hashed
URL (one look at the releases folder). Medians of repeated runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from assetbuild import Manifest  # noqa: E402
from assetbuild.serving import ReleaseFiles  # noqa: E402
from assetbuild.wsgi import ReleaseApp  # noqa: E402


def timed(work, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(output: str = "dist") -> None:
    manifest = Manifest.load(Path(output) / "current" / "manifest.json")
    releases = [p for p in (Path(output) / "releases").iterdir() if not p.name.startswith(".")]
    startup = timed(lambda: ReleaseFiles(manifest), 20)
    files = ReleaseFiles(manifest)
    app = ReleaseApp(None, files)
    urls = [manifest.url(name) for name in manifest]

    def serve_all(accept: str) -> None:
        for url in urls:
            environ: dict = {}
            setup_testing_defaults(environ)
            environ.update(PATH_INFO=url, HTTP_ACCEPT_ENCODING=accept)
            response = app(environ, lambda status, headers: None)
            b"".join(response)
            response.close()

    identity = timed(lambda: serve_all(""), 10) / len(urls)
    brotli = timed(lambda: serve_all("br"), 10) / len(urls)
    lookup = timed(lambda: [files.lookup(u) for u in urls], 50) / len(urls)
    unknown = timed(lambda: files.lookup(manifest.url_prefix + "css/app.0123456789ab.css"), 200)
    print(f"releases kept: {len(releases)}, files in the table: {len(files._files)}, in this release: {len(urls)}")
    print(f"start-up (table of every kept release): {startup * 1000:.1f} ms")
    print(f"known URL, lookup only:                 {lookup * 1e6:.1f} us")
    print(f"known URL, whole WSGI response:         {identity * 1e6:.1f} us (identity), {brotli * 1e6:.1f} us (br)")
    print(f"unknown hashed URL (look at releases/): {unknown * 1e6:.1f} us")


if __name__ == "__main__":
    main(*sys.argv[1:])
