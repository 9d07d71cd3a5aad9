"""`assetbuild watch` as a developer runs it: a real process beside an editor's changes."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import write_project
from watching import Watcher

pytestmark = pytest.mark.slow
SETTLE = 2.5  # files older than the no-op stamp's racy window, so the first build is an ordinary one


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(
        tmp_path / "site",
        {"scss/app.scss": '@import "colors";\nbody { color: $ink; }\n', "scss/_colors.scss": "$ink: #123456;\n",
         "js/a.js": "var a = 1;\n", "img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>"},
        {"css/app.css": ["scss/app.scss"], "js/app.js": ["js/a.js"]},
        templates="templates", keep=2,
    )
    (root / "templates").mkdir()
    (root / "templates" / "index.html").write_text("{{ asset_url('css/app.css') }}\n")
    _age(root)
    return root


@pytest.fixture
def watcher(project: Path) -> Iterator[Watcher]:
    w = Watcher(project)
    w.expect("built release")
    yield w
    w.stop(signal.SIGKILL)


def _age(root: Path) -> None:
    past = time.time() - 10
    for path in root.rglob("*"):
        os.utime(path, (past, past))
    time.sleep(0.1)


def current(project: Path) -> dict:
    return json.loads((project / "dist" / "current" / "manifest.json").read_text())


def css(project: Path) -> str:
    release = project / "dist" / "files"
    return (release / current(project)["assets"]["css/app.css"]["file"]).read_text()


def test_a_partial_edit_rebuilds_the_stylesheet(project: Path, watcher: Watcher) -> None:
    assert "#123456" in css(project)
    (project / "static_src/scss/_colors.scss").write_text("$ink: #abcdef;\n")
    watcher.expect("changed: static_src/scss/_colors.scss")
    watcher.expect("built release")
    assert "#abcdef" in css(project)


def test_added_deleted_and_renamed_files_are_published_or_gone(project: Path, watcher: Watcher) -> None:
    (project / "static_src/img/new.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    watcher.expect("built release")
    assert "img/new.svg" in current(project)["assets"]
    (project / "static_src/img/new.svg").rename(project / "static_src/img/renamed.svg")
    watcher.expect("built release")
    assert "img/renamed.svg" in current(project)["assets"] and "img/new.svg" not in current(project)["assets"]
    (project / "static_src/img/renamed.svg").unlink()
    watcher.expect("built release")
    assert not {"img/new.svg", "img/renamed.svg"} & set(current(project)["assets"])


def test_a_failed_rebuild_shows_the_error_and_keeps_the_last_good_release(project: Path, watcher: Watcher) -> None:
    good = current(project)["release"]
    (project / "static_src/scss/_colors.scss").write_text("$ink: #abcdef\nbroken: ;\n")
    error = watcher.expect("_colors.scss:")
    assert "_colors.scss:" in error
    watcher.expect("the last good release stays current")
    assert current(project)["release"] == good
    (project / "static_src/scss/_colors.scss").write_text("$ink: #0a0b0c;\n")
    watcher.expect("built release")
    assert "#0a0b0c" in css(project)


def test_template_and_configuration_changes_are_watched(project: Path, watcher: Watcher) -> None:
    (project / "templates" / "index.html").write_text("{{ asset_url('css/ap.css') }}\n")
    error = watcher.expect("error:")
    assert "templates/index.html:1" in error and "did you mean 'css/app.css'" in error
    (project / "templates" / "index.html").write_text("{{ asset_url('css/app.css') }}\n")
    watcher.expect("changed: templates/index.html")
    watcher.settle()
    assert watcher.seen[-1].startswith("unchanged: release ")  # the fixed page needs no new release
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('"js/app.js"', '"js/site.js"'))
    watcher.expect("changed: pyproject.toml")
    watcher.expect("built release")
    assert "js/site.js" in current(project)["assets"] and "js/app.js" not in current(project)["assets"]
    config.write_text(config.read_text().replace("[tool.assetbuild]\n", "[tool.assetbuild]\nnonsense = 1\n"))
    error = watcher.expect("unknown key 'nonsense'")
    assert error.startswith("pyproject.toml [tool.assetbuild]: error: ")
    assert "js/site.js" in current(project)["assets"]


def test_releases_are_pruned_to_keep(project: Path, watcher: Watcher) -> None:
    for n in range(4):
        (project / "static_src/js/a.js").write_text(f"var a = {n + 10};\n")
        watcher.expect("built release")
    watcher.settle()
    releases = [p for p in (project / "dist/releases").iterdir() if not p.name.startswith(".")]
    assert len(releases) == 2  # keep = 2


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_exit_cleanly(project: Path, sig: int) -> None:
    w = Watcher(project)
    w.expect("built release")
    assert w.stop(sig) == 0
    w.expect("stopped")
    assert not list((project / "dist/releases").glob(".tmp-*"))
