#!/usr/bin/env python3
"""Peak memory of a cold build of many tiny files: what a tree of that shape costs per file.

    python bench/many_files_memory.py [--files 200000] [--folders 200] [--where DIR]

Writes ``--files`` files of 20 to 200 bytes (``.txt``: each gets gzip and brotli copies)
over ``--folders`` folders, no bundles, no templates, in a fresh folder under ``--where``
(the disk, not /tmp: that may be RAM), runs ``assetbuild build --no-cache`` once, prints
its wall time, the peak RSS of its largest process (the build or a worker) and the
manifest's size, then deletes the tree. Issue 10 measured 808 MB for 200,000 files.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def write_tree(root: Path, files: int, folders: int) -> None:
    rng = random.Random(1)
    per_folder = -(-files // folders)
    for i in range(files):
        folder = root / "static_src" / f"d{i // per_folder:03d}"
        if i % per_folder == 0:
            folder.mkdir(parents=True)
        (folder / f"f{i % per_folder:04d}.txt").write_text(f"file {i} " + "x" * rng.randint(10, 190) + "\n")
    (root / "pyproject.toml").write_text('[tool.assetbuild]\nsource = "static_src"\ntemplates = ""\n')


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--where", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args(argv)
    args.where.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="many-files-", dir=args.where))
    try:
        write_tree(root, args.files, args.folders)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "assetbuild", "build", "--no-cache"], cwd=root,
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        manifest = (root / "dist/current/manifest.json").stat().st_size
        print(f"{args.files:,} files in {args.folders} folders: cold build {wall:.1f} s, peak RSS {peak:.0f} MB "
              f"({peak * 2**20 / args.files:.0f} bytes per file), manifest {manifest / 2**20:.1f} MB")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
