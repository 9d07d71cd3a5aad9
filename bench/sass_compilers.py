#!/usr/bin/env python3
"""Bootstrap 5.3.3's compile time with each Sass compiler: cold, and after one partial changed.

    python bench/sass_compilers.py [--runs 5]

A project compiles ``@import "bootstrap/scss/bootstrap"`` from ``load_paths = ["node_modules"]``
after a partial of its own (``_theme.scss``, the one that changes). Figures are medians of
whole ``assetbuild build`` processes (wall time, as a person waits for them):

- cold: a fresh project folder, no cache, no earlier release;
- changed: the same project after ``_theme.scss`` changed (the bundle's cache entry misses,
  everything else is as a second build finds it);
- compile: ``compile_sass`` alone in this process, compiler already running (Dart Sass
  keeps one process per build process; libsass is a library).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMPILERS = ("dart", "libsass")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))


def project(folder: Path, bootstrap: Path, compiler: str) -> Path:
    (folder / "static_src/scss").mkdir(parents=True)
    (folder / "node_modules").mkdir()
    (folder / "node_modules/bootstrap").symlink_to(bootstrap)
    (folder / "static_src/scss/_theme.scss").write_text("$primary: #336699;\n")
    (folder / "static_src/scss/app.scss").write_text('@import "theme";\n@import "bootstrap/scss/bootstrap";\n')
    (folder / "pyproject.toml").write_text(
        f'[tool.assetbuild]\ntemplates = ""\nsass = "{compiler}"\nload_paths = ["node_modules"]\n'
        '[tool.assetbuild.bundles]\n"css/app.css" = ["scss/app.scss"]\n')
    return folder


def timed_build(folder: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "assetbuild", "build"], cwd=folder, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return elapsed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from make_corpus import fetch_package

    from assetbuild.builder.sass_compile import SassOptions, compile_sass

    bootstrap = fetch_package("bootstrap", "5.3.3")
    print(f"Bootstrap 5.3.3, median of {args.runs} runs, {os.cpu_count()} cores\n")
    print("| compiler | cold build | build after one partial changed | compile alone (warm) | CSS bytes |")
    print("|---|---|---|---|---|")
    figures: dict[str, dict[str, list[float]]] = {c: {"cold": [], "changed": [], "alone": []} for c in COMPILERS}
    sizes = {}
    for run in range(args.runs):
        for compiler in COMPILERS:  # interleaved, so that a busy moment of the machine hits both alike
            with tempfile.TemporaryDirectory() as tmp:
                folder = project(Path(tmp) / "p", bootstrap, compiler)
                figures[compiler]["cold"].append(timed_build(folder))
                theme = folder / "static_src/scss/_theme.scss"
                theme.write_text(f"$primary: #{run + 1:02d}6699;\n")
                figures[compiler]["changed"].append(timed_build(folder))
                options = SassOptions(compiler, str(folder / "static_src"), (str(folder / "node_modules"),))
                entry = str(folder / "static_src/scss/app.scss")
                compile_sass(entry, options, str)  # the compiler is started (Dart) and warm
                started = time.perf_counter()
                sizes[compiler] = len(compile_sass(entry, options, str).css)
                figures[compiler]["alone"].append(time.perf_counter() - started)
                shutil.rmtree(folder)
    for compiler, f in figures.items():
        print(f"| {compiler} | {statistics.median(f['cold']):.2f} s | {statistics.median(f['changed']):.2f} s "
              f"| {statistics.median(f['alone']):.2f} s | {sizes[compiler]:,} |")

if __name__ == "__main__":
    main()
