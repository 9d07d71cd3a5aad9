#!/usr/bin/env python3
"""Benchmark assetbuild against webassets, Django's collectstatic and whitenoise on the real corpus.

    python -m pip install -e '.[bench]'
    python bench/run.py [--copies 1 10] [--runs 5] [--peers-copies 1] [--out bench/out]

Every figure is a median of whole-process runs (wall time; peak RSS of the process and
its children). The corpus comes from bench/make_corpus.py (pinned npm packages).
Prints a Markdown table per corpus size, with ratios to each peer, and writes
``<out>/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MAKE_CORPUS = REPO / "bench" / "make_corpus.py"
PARTIAL = "vendor/bootstrap/scss/_buttons.scss"
RACY_WAIT = 2.2  # the no-op stamp trusts only files older than 2 s

WEBASSETS_SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from webassets import Bundle, Environment
    root = Path(sys.argv[1])
    (root / ".webassets-cache").mkdir(exist_ok=True)
    env = Environment(directory=str(root / "webassets_out"), url="/static/", load_path=[str(root / "static_src")],
                      cache=str(root / ".webassets-cache"), manifest=False, url_expire=False)
    for name, inputs in json.loads((root / "bundles.json").read_text()).items():
        sass = [i for i in inputs if i.endswith((".scss", ".sass"))]
        contents = [Bundle(i, filters="libsass") if i in sass else i for i in inputs]
        minify = "rcssmin" if name.endswith(".css") else "rjsmin"
        env.register(name, Bundle(*contents, filters=minify, output=name))
    for bundle in env:
        bundle.build()
""")

DJANGO_SETTINGS = textwrap.dedent("""
    SECRET_KEY = "benchmark"
    INSTALLED_APPS = ["django.contrib.staticfiles"]
    STATIC_URL = "/static/"
    STATIC_ROOT = {root!r}
    STATICFILES_DIRS = [{source!r}]
    STORAGES = {{"default": {{"BACKEND": "django.core.files.storage.FileSystemStorage"}},
                "staticfiles": {{"BACKEND": {backend!r}}}}}
    USE_TZ = True
""")

RUNTIME_SCRIPT = textwrap.dedent("""
    import sys, time, timeit, statistics
    from assetbuild import Manifest
    path = sys.argv[1]
    loads = []
    for _ in range(20):
        t = time.perf_counter(); m = Manifest.load(path); loads.append(time.perf_counter() - t)
    name = sorted(m)[len(m) // 2]
    n = 1_000_000
    per_call = min(timeit.repeat(lambda: m.url(name), number=n, repeat=5)) / n
    print(statistics.median(loads), per_call, len(m))
""")


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one whole process and its children."""
    with tempfile.TemporaryFile() as stderr:  # a pipe read after the wait would fill and hang the build
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                                stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stderr.seek(0)
        err = stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}:\n{err[-2000:]}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(usage.ru_maxrss, 0) / 1024 if usage.ru_maxrss else children / 1024


def median_of(runs: int, prepare, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict:
    walls, rss = [], []
    for _ in range(runs):
        prepare()
        wall, peak = measure(cmd, cwd, env)
        walls.append(wall)
        rss.append(peak)
    return {"wall": statistics.median(walls), "rss": statistics.median(rss), "runs": walls}


def lay_out(out: Path, copies: int) -> Path:
    target = out / f"copies{copies}"
    if not (target / "bundles.json").is_file():
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(target), "--copies", str(copies)], check=True)
    bundles = json.loads((target / "bundles.json").read_text())
    lines = ["[tool.assetbuild]", 'templates = ""', "[tool.assetbuild.bundles]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in bundles.items()]
    (target / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return target


TRASH: list[Path] = []


def remove(*paths: Path) -> None:
    """Set earlier output aside (a rename) rather than delete it just before a timed run.

    On this machine's ext4, creating files under the very names that were deleted a moment
    before costs several times the system time of creating them fresh (8 s instead of 5 s for
    a cold build); a cold build in CI writes into a fresh checkout. Every tool gets the same
    treatment; `empty_trash` deletes it all, untimed.
    """
    for path in paths:
        if path.exists():
            aside = path.parent / ".bench-trash" / f"{path.name}-{time.time_ns()}"
            aside.parent.mkdir(exist_ok=True)
            path.rename(aside)
            TRASH.append(aside)


def empty_trash() -> None:
    while TRASH:
        shutil.rmtree(TRASH.pop(), ignore_errors=True)


def bench_ours(root: Path, runs: int) -> dict:
    cmd = [sys.executable, "-m", "assetbuild", "build"]
    results = {"cold": median_of(runs, lambda: remove(root / "dist", root / ".assetbuild-cache"), cmd, root)}
    time.sleep(RACY_WAIT)
    subprocess.run(cmd, cwd=root, check=True, capture_output=True)  # records the stamp
    results["noop"] = median_of(runs, lambda: None, cmd, root)
    partial = next((root / "static_src").rglob(PARTIAL.split("/")[-1]))

    def touch_partial() -> None:
        with open(partial, "a") as f:
            f.write(f"\n.bench-{time.time_ns()} {{ color: red; }}\n")

    results["partial"] = median_of(runs, touch_partial, cmd, root)
    return results


def bench_webassets(root: Path, runs: int) -> dict:
    script = root / "webassets_build.py"
    script.write_text(WEBASSETS_SCRIPT)
    cmd = [sys.executable, str(script), str(root)]
    cold = median_of(runs, lambda: remove(root / "webassets_out", root / ".webassets-cache"), cmd, root)
    return {"cold": cold, "warm": median_of(runs, lambda: None, cmd, root)}


def bench_django(root: Path, runs: int, backend: str, label: str, rerun: bool) -> dict:
    settings = root / f"settings_{label}"
    settings.mkdir(exist_ok=True)
    static_root = root / f"collected_{label}"
    (settings / f"bench_{label}.py").write_text(DJANGO_SETTINGS.format(
        root=str(static_root), source=str(root / "static_src"), backend=backend))
    env = {"DJANGO_SETTINGS_MODULE": f"bench_{label}", "PYTHONPATH": str(settings)}
    cmd = [sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"]
    out = {"cold": median_of(runs, lambda: remove(static_root), cmd, root, env)}
    if rerun:
        out["rerun"] = median_of(runs, lambda: None, cmd, root, env)
    return out


def bench_runtime(root: Path) -> dict:
    script = root / "runtime_bench.py"
    script.write_text(RUNTIME_SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(root / "dist/current/manifest.json")],
                            capture_output=True, text=True, check=True)
    load, per_call, assets = result.stdout.split()
    return {"load_ms": float(load) * 1000, "url_ns": float(per_call) * 1e9, "assets": int(assets)}


def table(copies: int, r: dict) -> str:
    ours = r["ours"]
    rows = [("assetbuild cold (Sass, bundles, minify, hash, gzip+brotli)", ours["cold"]),
            ("assetbuild no-op rebuild", ours["noop"]),
            ("assetbuild after one Sass partial changed", ours["partial"])]
    for key, label in [("webassets", "webassets"), ("django", "Django ManifestStaticFilesStorage"),
                       ("whitenoise", "whitenoise CompressedManifestStaticFilesStorage")]:
        for phase, value in r.get(key, {}).items():
            rows.append((f"{label} {phase}", value))
    lines = [f"### corpus copies={copies} ({r['corpus']['files']} files, {r['corpus']['bytes'] / 1e6:.1f} MB)", "",
             "| run | wall (s) | peak RSS (MB) |", "|---|---:|---:|"]
    lines += [f"| {label} | {v['wall']:.2f} | {v['rss']:.0f} |" for label, v in rows]
    ratios = []
    if "whitenoise" in r:
        ratios.append(("cold / whitenoise cold", ours["cold"]["wall"] / r["whitenoise"]["cold"]["wall"], "<= 0.5"))
    if "django" in r:
        ratios.append(("cold / Django cold", ours["cold"]["wall"] / r["django"]["cold"]["wall"], ""))
        ratios.append(("no-op / Django re-run", ours["noop"]["wall"] / r["django"]["rerun"]["wall"], "<= 0.5"))
    if "webassets" in r:
        ratios.append(("cold / webassets cold", ours["cold"]["wall"] / r["webassets"]["cold"]["wall"], ""))
        ratios.append(("no-op / webassets warm", ours["noop"]["wall"] / r["webassets"]["warm"]["wall"], ""))
    ratios.append(("one partial changed (s)", ours["partial"]["wall"], "<= 2.5"))
    lines += ["", "| ratio | measured | target |", "|---|---:|---|"]
    lines += [f"| {label} | {value:.2f} | {target} |" for label, value, target in ratios]
    rt = r["runtime"]
    lines += ["", f"Run time: `Manifest.load()` {rt['load_ms']:.1f} ms for {rt['assets']} assets; "
              f"`Manifest.url()` {rt['url_ns']:.0f} ns per call."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-runs", type=int, default=3)
    parser.add_argument("--peers-copies", type=int, nargs="*", default=[1],
                        help="corpus sizes at which the peers run too (whitenoise takes minutes at 10)")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args(argv)
    if not MAKE_CORPUS.is_file():
        parser.error(f"{MAKE_CORPUS} is missing")
    results = {}
    for copies in args.copies:
        root = lay_out(args.out, copies)
        r: dict = {"corpus": json.loads((root / "corpus.json").read_text())}
        runs = args.runs if copies == 1 else max(1, args.runs // 2)
        r["ours"] = bench_ours(root, runs)
        r["runtime"] = bench_runtime(root)
        if copies in args.peers_copies:
            peer_runs = args.peer_runs if copies == 1 else 1
            r["webassets"] = bench_webassets(root, peer_runs)
            r["django"] = bench_django(root, peer_runs, "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
                                       "django", rerun=True)
            r["whitenoise"] = bench_django(root, peer_runs, "whitenoise.storage.CompressedManifestStaticFilesStorage",
                                           "whitenoise", rerun=False)
        results[copies] = r
        empty_trash()
        print(table(copies, r), flush=True)
        print(flush=True)
    if 1 in results and 10 in results:
        one, ten = results[1]["ours"]["cold"], results[10]["ours"]["cold"]
        print(f"copies=10 / copies=1 cold: {ten['wall'] / one['wall']:.1f} x (target <= 11); "
              f"peak RSS at copies=10: {ten['rss']:.0f} MB (target <= 300)")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
