#!/usr/bin/env python3
"""Lay out a realistic front-end source tree from pinned, real npm packages.

    python make_corpus.py OUT_DIR [--copies N] [--cache DIR]

OUT_DIR receives:
  static_src/   the source tree (SCSS, Sass, CSS with url() references, JS, fonts, SVG icons)
  bundles.json  {"bundle output name": ["input", ...]} paths relative to static_src/
  corpus.json   file count, byte count and the package versions used

--copies N replicates the whole tree N times under static_src/s0/ .. s{N-1}/ (bundles too),
to measure how cost grows with the size of the work. Packages are fetched with `npm pack`
once into the cache folder (default: ~/.cache/assetbuild-npm) and reused afterwards.
Nothing in the tree was written by this project: it is third-party code under its own licenses.
"""
import argparse
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

DEFAULT_CACHE = Path.home() / ".cache" / "assetbuild-npm"

PACKAGES = {
    "bootstrap": "5.3.3",
    "@fortawesome/fontawesome-free": "6.5.2",
    "bulma": "0.9.4",
    "bootstrap-icons": "1.11.3",
    "normalize.css": "8.0.1",
    "jquery": "3.7.1",
    "lodash": "4.17.21",
    "moment": "2.30.1",
    "d3": "7.9.0",
    "chart.js": "4.4.4",
    "htmx.org": "1.9.12",
    "alpinejs": "3.14.1",
    "vue": "3.4.38",
}

# (package, path inside the package, destination under static_src/); a trailing / copies a folder
LAYOUT = [
    ("bootstrap", "scss/", "vendor/bootstrap/scss/"),
    ("bootstrap", "dist/js/bootstrap.bundle.js", "js/vendor/bootstrap.bundle.js"),
    ("bootstrap", "dist/js/bootstrap.bundle.js.map", "js/vendor/bootstrap.bundle.js.map"),
    ("@fortawesome/fontawesome-free", "scss/", "vendor/fontawesome/scss/"),
    ("@fortawesome/fontawesome-free", "webfonts/", "webfonts/"),
    ("@fortawesome/fontawesome-free", "css/all.css", "css/fontawesome-all.css"),
    ("bulma", "sass/", "vendor/bulma/sass/"),
    ("bulma", "bulma.sass", "vendor/bulma/bulma.sass"),
    ("bootstrap-icons", "font/bootstrap-icons.css", "css/bootstrap-icons.css"),
    ("bootstrap-icons", "font/fonts/", "css/fonts/"),
    ("bootstrap-icons", "icons/", "icons/"),
    ("normalize.css", "normalize.css", "css/normalize.css"),
    ("jquery", "dist/jquery.js", "js/vendor/jquery.js"),
    ("lodash", "lodash.js", "js/vendor/lodash.js"),
    ("moment", "moment.js", "js/vendor/moment.js"),
    ("d3", "dist/d3.js", "js/vendor/d3.js"),
    ("chart.js", "dist/chart.umd.js", "js/vendor/chart.umd.js"),
    ("chart.js", "dist/chart.umd.js.map", "js/vendor/chart.umd.js.map"),
    ("htmx.org", "dist/htmx.js", "js/vendor/htmx.js"),
    ("alpinejs", "dist/cdn.js", "js/vendor/alpine.js"),
    ("vue", "dist/vue.global.js", "js/vendor/vue.global.js"),
]

OWN_FILES = {
    "scss/app.scss": (
        '$fa-font-path: "../webfonts";\n'
        '@import "../vendor/bootstrap/scss/bootstrap";\n'
        '@import "../vendor/fontawesome/scss/fontawesome";\n'
        '@import "../vendor/fontawesome/scss/solid";\n'
        '@import "../vendor/fontawesome/scss/brands";\n'
        ".hero { background: url(\"../icons/stars.svg\") no-repeat; }\n"
    ),
    "scss/admin.sass": '@import "../vendor/bulma/bulma"\n.admin-logo\n  background: url("../icons/speedometer.svg")\n',
    "js/main.js": (
        "(function () {\n  'use strict';\n  // a page's own script\n"
        "  document.addEventListener('DOMContentLoaded', function () {\n"
        "    var now = moment().format('LLLL');\n    $('#clock').text(now);\n  });\n})();\n"
    ),
}

BUNDLES = {
    "css/app.css": ["scss/app.scss"],
    "css/admin.css": ["css/normalize.css", "scss/admin.sass"],
    "css/icons.css": ["css/bootstrap-icons.css", "css/fontawesome-all.css"],
    "js/vendor.js": [
        "js/vendor/jquery.js",
        "js/vendor/bootstrap.bundle.js",
        "js/vendor/lodash.js",
        "js/vendor/moment.js",
    ],
    "js/site.js": ["js/vendor/htmx.js", "js/vendor/alpine.js", "js/main.js"],
    "js/charts.js": ["js/vendor/d3.js", "js/vendor/chart.umd.js"],
    "js/vue.js": ["js/vendor/vue.global.js"],
}


def fetch_package(name: str, version: str, cache: Path = DEFAULT_CACHE) -> Path:
    """npm-pack one pinned package into ``cache`` once; return its unpacked ``package/`` folder.

    Only the npm registry is reached, through the machine's own npm; a second call reuses the folder.
    """
    root = cache / f"{name.replace('/', '__')}-{version}"
    if not (root / "package").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        out = subprocess.run(
            ["npm", "pack", "--silent", f"{name}@{version}"],
            cwd=root, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        unpacking = root / "unpacking"
        shutil.rmtree(unpacking, ignore_errors=True)
        with tarfile.open(root / out) as tar:
            tar.extractall(unpacking, filter="data")
        (unpacking / "package").rename(root / "package")  # whole or not at all
    return root / "package"


def fetch(cache: Path) -> dict[str, Path]:
    """Every package of the corpus, unpacked: package -> folder."""
    return {name: fetch_package(name, version, cache) for name, version in PACKAGES.items()}


def lay_out(roots: dict[str, Path], dest: Path) -> None:
    for package, src, dst in LAYOUT:
        source, target = roots[package] / src, dest / dst
        if src.endswith("/"):
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    for rel, text in OWN_FILES.items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        (dest / rel).write_text(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)

    roots = fetch(args.cache)
    src = args.out / "static_src"
    if src.exists():
        shutil.rmtree(src)
    bundles = {}
    prefixes = [""] if args.copies == 1 else [f"s{i}/" for i in range(args.copies)]
    for prefix in prefixes:
        lay_out(roots, src / prefix)
        for name, inputs in BUNDLES.items():
            bundles[prefix + name] = [prefix + i for i in inputs]
    files = [p for p in src.rglob("*") if p.is_file()]
    (args.out / "bundles.json").write_text(json.dumps(bundles, indent=2) + "\n")
    summary = {"files": len(files), "bytes": sum(p.stat().st_size for p in files),
               "copies": args.copies, "packages": PACKAGES}
    (args.out / "corpus.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{args.out}: {summary['files']} files, {summary['bytes'] / 1e6:.1f} MB, {len(bundles)} bundles")


if __name__ == "__main__":
    main()
