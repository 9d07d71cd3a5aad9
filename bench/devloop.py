"""The edit-to-screen time of development mode: from writing a Sass partial to the new style in Chromium.

    python bench/devloop.py [--edits N] [--sass libsass|dart] [--bootstrap] [--door wsgi|asgi|django]

Runs `assetbuild watch` and the demo app (gunicorn, ASSETBUILD_DEV=1; with --door asgi a
Starlette app under uvicorn, with --door django the Django site under runserver with DEBUG
and `manage.py assetbuild watch`) on a copy of this
repository's demo site, opens the page in Debian's Chromium, then edits the colour of the
page header N times and prints each time from the write to the changed computed style.
The edited file is the demo's `_variables.scss`; with --bootstrap the stylesheet also
compiles Bootstrap 5.3 (from npm, through `load_paths = ["node_modules"]`) and the edited
file is Bootstrap's own `scss/_variables.scss` (`$blue`, which the header then uses).
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
sys.path.insert(0, str(REPO / "bench"))

from conftest import CHROMIUM, CHROMIUM_FLAGS, Gunicorn  # noqa: E402
from frameworks import Server, app_env, write_apps  # noqa: E402
from watching import Watcher  # noqa: E402

ASGI_APP = """
import jinja2
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route
from assetbuild import load_manifest
from assetbuild.asgi import serve_release
from assetbuild.jinja import install

manifest = load_manifest()
env = install(jinja2.Environment(loader=jinja2.FileSystemLoader("templates"), autoescape=True), manifest)

async def index(request):
    return HTMLResponse(env.get_template("index.html").render())

app = serve_release(Starlette(routes=[Route("/", index)]), manifest)
"""
COLOURS = ["#c53030", "#2f855a", "#6b46c1", "#b7791f", "#2b6cb0"]
HEADER = "getComputedStyle(document.querySelector('.site-header')).backgroundColor"


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--sass", choices=["libsass", "dart"], default=None)
    parser.add_argument("--bootstrap", action="store_true", help="compile Bootstrap 5.3 too and edit its partial")
    parser.add_argument("--door", choices=["wsgi", "asgi", "django"], default="wsgi")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        for folder in ("static_src", "templates"):
            shutil.copytree(REPO / folder, root / folder)
        config = (REPO / "pyproject.toml").read_text()
        settings = [f'sass = "{args.sass}"'] if args.sass else []
        partial, variable = root / "static_src/scss/_variables.scss", "$brand"
        if args.bootstrap:
            from make_corpus import fetch_package

            shutil.copytree(fetch_package("bootstrap", "5.3.3"), root / "node_modules/bootstrap")
            with open(root / "static_src/scss/app.scss", "a") as f:
                f.write('\n@import "bootstrap/scss/bootstrap";\n.site-header { background: $blue; }\n')
            settings.append('load_paths = ["node_modules"]')
            partial, variable = root / "node_modules/bootstrap/scss/_variables.scss", "$blue"
        config = config.replace("[tool.assetbuild]\n", "[tool.assetbuild]\n" + "".join(s + "\n" for s in settings), 1)
        (root / "pyproject.toml").write_text(config)
        past = time.time() - 10
        for path in root.rglob("*"):
            os.utime(path, (past, past))
        watcher, server = start_door(args.door, root)
        times = []
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
                page = browser.new_page()
                page.goto(server.url + "/", wait_until="networkidle")
                for n in range(args.edits):
                    colour = COLOURS[n % len(COLOURS)]
                    text = re.sub(re.escape(variable) + r": +#[0-9a-f]{6}", f"{variable}: {colour}",
                                  partial.read_text(), count=1)
                    started = time.perf_counter()
                    partial.write_text(text)
                    page.wait_for_function(f"{HEADER} === '{rgb(colour)}'", polling="raf", timeout=60_000)
                    times.append(time.perf_counter() - started)
                    time.sleep(0.5)
                browser.close()
        finally:
            server.stop()
            watcher.stop()
    compiler = (args.sass or "default") + (" +bootstrap" if args.bootstrap else "")
    print(f"door={args.door} sass={compiler}: edit to screen, {len(times)} edits: "
          f"median {statistics.median(times):.3f} s, "
          f"min {min(times):.3f} s, max {max(times):.3f} s")


def start_door(door: str, root: Path) -> tuple[Watcher, Gunicorn | Server]:
    """`watch` and the app of ``door`` in development mode, on the site at ``root``."""
    if door == "django":
        write_apps(root)
        with open(root / "djsite/settings.py", "a") as f:
            f.write("\nDEBUG = True\n")
    watcher = Watcher(root, program=("manage.py", "assetbuild") if door == "django" else ("-m", "assetbuild"))
    watcher.expect("built release", timeout=300)
    if door == "wsgi":
        server: Gunicorn | Server = Gunicorn(root, workers=1, env={"ASSETBUILD_DEV": "1",
                                                                  "GUNICORN_CMD_ARGS": "--threads 8"})
    elif door == "asgi":
        (root / "dev_app.py").write_text(ASGI_APP)
        server = Server("uvicorn", "dev_app:app", root, app_env(root, ASSETBUILD_DEV="1"))
    else:
        server = Server("runserver", "", root, app_env(root))
    return watcher, server


if __name__ == "__main__":
    main()
