"""Shared helpers: lay out real projects in tmp_path and run the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


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
    """Relative path -> bytes of every file in a release."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


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
