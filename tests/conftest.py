"""Shared helpers: lay out real projects in tmp_path and run the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))  # the project's own corpus and npm fixture generator

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--no-first-run", "--disable-sync", "--disable-quic"]


def toml_value(value: object) -> str:
    return json.dumps(value)  # JSON strings, lists, numbers and booleans are valid TOML


def write_project(root: Path, files: dict[str, str | bytes], bundles: dict[str, list[str]] | None = None,
                  **settings: object) -> Path:
    """A project folder: ``static_src/`` holding ``files`` and a pyproject.toml with ``settings``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        path = root / "static_src" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    lines = ["[tool.assetbuild]"]
    settings.setdefault("templates", "")
    lines += [f"{key} = {toml_value(value)}" for key, value in settings.items()]
    lines.append("[tool.assetbuild.bundles]")
    lines += [f"{toml_value(name)} = {toml_value(inputs)}" for name, inputs in (bundles or {}).items()]
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return root


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """The real command line in a subprocess, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "assetbuild", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=timeout,
    )


def snapshot(folder: Path) -> dict[str, object]:
    """Every path under ``folder`` with its bytes (or link target) and mtime: what 'unchanged' means."""
    if not folder.exists():
        return {}
    out: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path), path.lstat().st_mtime_ns)
        elif path.is_file():
            out[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
        else:
            out[rel] = ("dir", path.stat().st_mtime_ns)
    return out


def release_tree(folder: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file of a release: its manifest, and each file it lists
    (from the output folder's store) and anything else in its folder."""
    from assetbuild import Manifest

    files_dir = Manifest.load(folder / "manifest.json").files_dir
    tree = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    document = json.loads(tree["manifest.json"])
    for entry in document["assets"].values():
        for file in (entry["file"], *entry["encodings"].values()):
            tree[file] = (files_dir / file).read_bytes()
    return dict(sorted(tree.items()))


def load_manifest(output: Path) -> dict:
    return json.loads((output / "current" / "manifest.json").read_text())


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of this repository's demo site (sources, templates, configuration)."""
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(REPO / "static_src", target / "static_src")
    shutil.copytree(REPO / "templates", target / "templates")
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    return target


@pytest.fixture(scope="module")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's demo site copied and built with the real command line."""
    import shutil

    target = tmp_path_factory.mktemp("built") / "demo"
    shutil.copytree(REPO / "static_src", target / "static_src")
    shutil.copytree(REPO / "templates", target / "templates")
    shutil.copy(REPO / "pyproject.toml", target / "pyproject.toml")
    result = run_cli("build", cwd=target)
    assert result.returncode == 0, result.stderr
    return target


class Gunicorn:
    """A real gunicorn serving the demo app on 127.0.0.1; stopped by the test that started it."""

    def __init__(self, site: Path, workers: int = 4, env: dict[str, str] | None = None) -> None:
        import tempfile

        self.log_path = Path(tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", "127.0.0.1:0",
             "--graceful-timeout", "5", "assetbuild.demo:create_app()"],
            cwd=site, stderr=self._log, stdout=subprocess.DEVNULL,
            env={**os.environ, "ASSETBUILD_MANIFEST": str(site / "dist/current/manifest.json"),
                 "ASSETBUILD_TEMPLATES": str(site / "templates"), **(env or {})},
        )
        found = self._wait_for(r"Listening at: (http://127\.0\.0\.1:\d+)")
        self.url = found.group(1)
        self._wait_for("Booting worker", count=workers)

    def _wait_for(self, pattern: str, count: int = 1, since: int = 0):  # -> re.Match
        import re
        import time

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = self.log_path.read_text()[since:]
            matches = list(re.finditer(pattern, text))
            if len(matches) >= count:
                return matches[0]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn: no {pattern!r} in its log:\n{self.log_path.read_text()}")

    def reload(self, workers: int = 4) -> None:
        """SIGHUP: gunicorn replaces every worker with a new process."""
        import signal

        since = len(self.log_path.read_text())
        self.process.send_signal(signal.SIGHUP)
        self._wait_for("Booting worker", count=workers, since=since)
        self._wait_for(r"Worker exiting \(pid", count=workers, since=since)

    def stop(self) -> None:
        end_process(self.process)
        self._log.close()
        self.log_path.unlink(missing_ok=True)


def end_process(process: subprocess.Popen) -> None:
    """Stop a server process a test started: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http_get(base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
             ) -> tuple[int, dict[str, str], bytes]:
    """One raw request, a GET unless told (the path is sent exactly as given, no normalising)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def npm_package():
    """``npm_package("bootstrap", "5.3.3")`` -> the unpacked package folder (npm-packed once, then cached)."""
    from make_corpus import fetch_package

    return fetch_package


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium through Playwright, one per test module."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the README's test command does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()
