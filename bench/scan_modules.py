#!/usr/bin/env python3
"""What the ES module scan costs: tree-sitter over every script of a tree, on one core.

    python bench/scan_modules.py                 # the corpus (bench/make_corpus.py) and lodash-es from npm
    python bench/scan_modules.py FOLDER [...]    # any source trees

Prints, per tree: scripts, megabytes, how many hold none of the words a specifier needs
(parsed for syntax errors only), specifiers found, and the median of ``--runs`` timed passes.
A build spreads the same work over its worker pool.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from assetbuild.builder import js_modules  # noqa: E402


def measure(folder: Path, runs: int) -> dict[str, float]:
    scripts = [p.read_bytes() for p in sorted(folder.rglob("*")) if p.suffix in (".js", ".mjs") and p.is_file()]
    plain = sum(1 for data in scripts if not any(word in data for word in js_modules.SPECIFIER_WORDS))
    times, found = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        scans = [js_modules.scan(data) for data in scripts]
        times.append(time.perf_counter() - start)
        found = sum(len(s.specifiers) for s in scans)
    size = sum(map(len, scripts)) / 1e6
    seconds = statistics.median(times)
    return {"scripts": len(scripts), "mb": size, "plain": plain, "specifiers": found, "seconds": seconds,
            "mb_per_s": size / seconds if seconds else 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    folders = list(args.folders)
    if not folders:
        from make_corpus import fetch_package

        corpus = Path(tempfile.mkdtemp(prefix="scan-corpus-")) / "corpus"
        import subprocess

        subprocess.run([sys.executable, str(HERE / "make_corpus.py"), str(corpus)], check=True,
                       stdout=subprocess.DEVNULL)
        folders = [corpus / "static_src", fetch_package("lodash-es", "4.17.21")]
    print("| tree | scripts | MB | no specifier words | specifiers | scan (s, median) | MB/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for folder in folders:
        r = measure(folder, args.runs)
        print(f"| {folder.name if folder.name != 'package' else folder.parent.name} | {r['scripts']} | {r['mb']:.2f} "
              f"| {r['plain']} | {r['specifiers']} | {r['seconds']:.3f} | {r['mb_per_s']:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
