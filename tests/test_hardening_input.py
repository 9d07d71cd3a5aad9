"""Paths and hostile input: `..`, raced links, quadratic scans, scale edges, manifests, templates (issue 10)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, load_manifest, run_cli, write_project

from assetbuild import Manifest
from assetbuild.builder import entry, pipeline, references, sass_read
from assetbuild.builder.config import load_config
from assetbuild.builder.folders import remove_tree
from assetbuild.builder.sass_compile import SassOptions
from assetbuild.errors import BuildFailed, ManifestError

SITE = {
    "scss/_v.scss": "$c: #123456;\n",
    "scss/app.scss": '@import "v";\n.a { color: $c; background: url("../img/x.svg"); }\n',
    "img/x.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    "js/a.js": "var a = 1;\n",
    "secret.txt": "public\n",
}
BUNDLES = {"css/app.css": ["scss/app.scss"], "js/app.js": ["js/a.js"]}


def test_a_source_folder_given_with_dotdot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monorepo = tmp_path / "repo"
    write_project(monorepo / "frontend", SITE)
    app = monorepo / "app"
    app.mkdir()
    lines = ['[tool.assetbuild]', 'source = "../frontend/static_src"', 'templates = ""', "[tool.assetbuild.bundles]"]
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in BUNDLES.items()]
    (app / "pyproject.toml").write_text("\n".join(lines) + "\n")
    result = run_cli("build", "--no-cache", cwd=app)
    assert result.returncode == 0, result.stderr
    (app / "sub").mkdir()
    result = run_cli("build", "--no-cache", "--config", "../pyproject.toml", cwd=app / "sub")
    assert result.returncode == 0, result.stderr
    monkeypatch.chdir(app / "sub")
    config = load_config("../pyproject.toml")
    assert ".." not in config.source.parts and ".." not in config.root.parts


def swap_for_link_after_scan(monkeypatch, site: Path, rel: str, outside: Path) -> None:
    """The race: ``rel`` is replaced by a link to ``outside`` after the scan checked it, before it is read."""
    real_scan = entry.scan

    def scan_then_race(config):
        tree = real_scan(config)
        target = site / "static_src" / rel
        target.unlink()
        target.symlink_to(outside)
        return tree

    monkeypatch.setattr(entry, "scan", scan_then_race)


def test_a_file_swapped_for_an_outside_link_after_the_scan_is_refused(tmp_path: Path, monkeypatch) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0\n")
    swap_for_link_after_scan(monkeypatch, site, "secret.txt", outside)
    config = load_config(site / "pyproject.toml")
    with pytest.raises(BuildFailed) as failed:
        entry.build(config, jobs=1, use_cache=False)
    assert [str(e) for e in failed.value.errors] == [
        f"{config.display(site / 'static_src/secret.txt')}: error: symbolic link leads outside the source folder "
        f"(to {outside}); set follow_symlinks_outside = true to allow it"]
    assert not (site / "dist").exists() or not list((site / "dist").rglob("secret*"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_bundle_input_swapped_for_an_outside_link_after_the_scan_is_refused(
    tmp_path: Path, monkeypatch, jobs: int
) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    outside = tmp_path / "passwd"
    outside.write_text("var root = 0;\n")
    swap_for_link_after_scan(monkeypatch, site, "js/a.js", outside)  # between the check and the bundle's read
    config = load_config(site / "pyproject.toml")
    with pytest.raises(BuildFailed) as failed:
        entry.build(config, jobs=jobs, use_cache=False)
    assert [str(e) for e in failed.value.errors] == [
        f"{config.display(site / 'static_src/js/a.js')}: error: symbolic link leads outside the source folder "
        f"(to {outside}); set follow_symlinks_outside = true to allow it"]
    assert not list((site / "dist").rglob("app*.js"))


@pytest.mark.parametrize(("name", "jobs"), [("secret.txt", 1), ("clip.webm", 2)])  # compressed; copied as is
def test_a_file_left_on_disk_swapped_after_it_was_hashed_is_refused(
    tmp_path: Path, monkeypatch, name: str, jobs: int
) -> None:
    """Files that reference nothing are hashed, then read or copied from their path: what is read is checked."""
    site = write_project(tmp_path / "s", {**SITE, "clip.webm": b"\x1aE\xdf\xa3" * 1000}, BUNDLES)
    outside = tmp_path / "passwd"
    outside.write_text("root:x:0:0\n")
    real_fingerprint = pipeline.fingerprint

    def fingerprint_then_race(*args, **kwargs):
        published = real_fingerprint(*args, **kwargs)
        target = site / "static_src" / name
        target.unlink()
        target.symlink_to(outside)  # the race: between the hash and the copy
        return published

    monkeypatch.setattr(pipeline, "fingerprint", fingerprint_then_race)
    config = load_config(site / "pyproject.toml")
    with pytest.raises(BuildFailed) as failed:
        entry.build(config, jobs=jobs, use_cache=False)
    assert [str(e) for e in failed.value.errors] == [
        f"{config.display(site / 'static_src' / name)}: error: the file changed while the build ran; build again"]
    assert not list((site / "dist").rglob(name.split(".")[0] + "*"))


@pytest.mark.parametrize("unit", [
    b'\\"',  # an unterminated string of escaped quotes
    b"url(" + b" " * 40,  # spaces that two \s* could share
    b"a{b:url(x.png)}\n",  # many references: line numbers counted once
    b"'",
])
def test_the_css_scanner_is_linear(unit: bytes) -> None:
    data = b".x{content:\"" + unit * (2_000_000 // len(unit))  # 2 MB: quadratic would take hours
    started = time.process_time()
    found = references.find(data, "css")
    assert time.process_time() - started < 20  # linear takes well under a second
    if unit.startswith(b"a{"):
        assert found[-1].line == data.count(b"\n") and found[-1].col == 9


def make_deep(top: Path, depth: int) -> Path:
    """``depth`` nested folders (os.makedirs recurses, once per level)."""
    for _ in range(depth):
        top = top / "d"
        top.mkdir()
    return top


@pytest.mark.slow
def test_a_source_tree_1200_folders_deep(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    try:
        rel = "/".join(["d"] * 1200)
        (make_deep(site / "static_src", 1200) / "leaf.txt").write_text("deep\n")
        (site / "templates").mkdir()
        make_deep(site / "templates", 1200)
        result = run_cli("build", cwd=site)
        assert result.returncode == 0, result.stderr
        assert f"{rel}/leaf.txt" in load_manifest(site / "dist")["assets"]
        assert run_cli("verify", cwd=site).returncode == 0
        remove_tree(site / "static_src/d")
        assert run_cli("build", cwd=site).returncode == 0
        result = run_cli("clean", "--keep", "1", cwd=site)
        assert result.returncode == 0, result.stderr
        assert len(list((site / "dist/releases").iterdir())) == 1
    finally:
        remove_tree(site)  # pytest's own clean-up would recurse too


def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    with open(os.fsencode(site / "static_src/img") + b"/caf\xe9.png", "wb") as f:
        f.write(b"png")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    assert result.stderr == "static_src/img/caf\\xe9.png: error: the file name is not valid UTF-8; rename it\n"


def write_build_shaped_manifest(path: Path, count: int) -> None:
    from assetbuild import integrity

    with open(path, "w") as f:
        f.write('{\n  "assets": {\n')
        for i in range(count):
            name = f"vendor/package-{i % 997}/dist/module-{i}.js"
            file = f"vendor/package-{i % 997}/dist/module-{i}.0123456789ab.js"
            item = {"encodings": {"br": file + ".br", "gzip": file + ".gz"}, "file": file,
                    "integrity": integrity.of(name.encode()), "references": [], "size": 123456, "sources": [name],
                    "type": "text/javascript"}
            f.write(f"    {json.dumps(name)}: {json.dumps(item, indent=2, sort_keys=True)},\n".replace("\n", "\n    "))
        f.write('    "last.js": {"file": "last.js"}\n  },\n  "release": "0123456789abcdef",\n')
        f.write('  "url_prefix": "/static/",\n  "version": 1\n}\n')


@pytest.mark.slow
def test_manifests_the_build_writes_are_manifests_the_run_time_loads(tmp_path: Path) -> None:
    """Past about 210,000 assets the build wrote manifests the run time refused. Both sides
    now share one limit, which a million assets of the build's shape fit (measured: 561 MB,
    loaded in about 25 s with a peak RSS of 1.9 GB); here 250,000 are loaded for real."""
    from assetbuild.manifest import MAX_MANIFEST_BYTES

    sample = tmp_path / "sample.json"
    write_build_shaped_manifest(sample, 1000)
    assert sample.stat().st_size * 1000 < MAX_MANIFEST_BYTES
    path = tmp_path / "manifest.json"
    write_build_shaped_manifest(path, 250_000)
    script = ("import resource, sys, time; from assetbuild import Manifest; t = time.perf_counter(); "
              "m = Manifest.load(sys.argv[1]); print(len(m), time.perf_counter() - t, "
              "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    count, seconds, peak_mb = done.stdout.split()
    print(f"250,000 assets, {path.stat().st_size / 1e6:.0f} MB: loaded in {float(seconds):.1f} s, "
          f"peak RSS {peak_mb} MB")
    assert int(count) == 250_001
    assert int(peak_mb) < 8 * path.stat().st_size / 1e6  # bounded: a small multiple of the file


MALFORMED = {
    "nested too deeply": b'{"version": 1, "assets": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a number too long": b'{"version": 1, "assets": {}, "x": ' + b"9" * 5000 + b"}",
    "a lone surrogate in a name": b'{"version": 1, "assets": {"\\ud800": {"file": "a.js"}}}',
    "a lone surrogate in a file": b'{"version": 1, "assets": {"a.js": {"file": "a\\udc80.js"}}}',
    "an absolute file": b'{"version": 1, "assets": {"a.js": {"file": "/etc/passwd"}}}',
    "a climbing file": b'{"version": 1, "assets": {"a.js": {"file": "../../../etc/passwd"}}}',
    "a climbing encoding": b'{"version": 1, "assets": {"a.js": {"file": "a.js", "encodings": {"br": "../x"}}}}',
    "an encoding that is not a string": b'{"version": 1, "assets": {"a.js": {"file": "a.js", "encodings": {"br": 1}}}}',
    "an integrity that is not a string": b'{"version": 1, "assets": {"a.js": {"file": "a.js", "integrity": []}}}',
}


@pytest.mark.parametrize("problem", MALFORMED)
def test_a_malformed_manifest_is_always_a_manifest_error(tmp_path: Path, problem: str) -> None:
    path = tmp_path / "manifest.json"
    path.write_bytes(MALFORMED[problem])
    with pytest.raises(ManifestError) as err:
        Manifest.load(path)
    assert str(err.value).startswith(f"{path}: ")


@pytest.mark.server
def test_a_manifest_naming_etc_passwd_is_not_served(tmp_path: Path) -> None:
    from conftest import Gunicorn, http_get

    site = tmp_path / "site"
    shutil.copytree(REPO / "templates", site / "templates")
    release = site / "dist/current"
    release.mkdir(parents=True)
    (release / "manifest.json").write_text(json.dumps(
        {"version": 1, "release": "x", "url_prefix": "/static/", "assets": {"p": {"file": "/etc/passwd"}}}))
    try:
        server = Gunicorn(site, workers=1)
    except RuntimeError:
        return  # the app refused to start: nothing is served
    try:
        status, _, body = http_get(server.url, "/static//etc/passwd")
    except OSError:
        return
    finally:
        server.stop()
    assert status != 200 and b"root:" not in body


@pytest.mark.parametrize("suffix", [".inc", ".tpl", ".njk", ".tmpl"])
def test_templates_included_under_any_suffix_are_checked(tmp_path: Path, suffix: str) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES, templates="templates")
    (site / "templates/partials").mkdir(parents=True)
    (site / "templates/page.html").write_text(f'{{% include "partials/head{suffix}" %}}\n<p>hi</p>\n')
    (site / "templates/partials" / f"head{suffix}").write_text('<link href="{{ asset_url(\'css/ap.css\') }}">\n')
    (site / "templates/notes.bin").write_bytes(b"\xff\xfe not a template, never included")
    result = run_cli("build", cwd=site)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": warning: " not in line]
    assert errors == [f"templates/partials/head{suffix}:1: error: unknown asset 'css/ap.css' "
                      "(did you mean 'css/app.css'?)"]


def peak_rss_mb(site: Path) -> float:
    """The peak RSS of the build's largest process (the CLI or a worker), in MB, and its output."""
    script = ("import resource, subprocess, sys; done = subprocess.run([sys.executable, '-m', 'assetbuild', "
              "'build', '--no-cache']); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024); "
              "sys.exit(done.returncode)")
    done = subprocess.run([sys.executable, "-c", script], cwd=site, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return float(done.stdout.split()[-1])


@pytest.mark.slow
def test_memory_follows_the_largest_file_not_the_tree(tmp_path: Path) -> None:
    """Every plain file was held in memory before writing (1 GB of media needed 1.08 GB RSS)."""
    baseline = peak_rss_mb(write_project(tmp_path / "tiny", {"img/a.webm": b"x" * 1000}))
    media = {f"media/{i}.webm": os.urandom(5 * 2**20) for i in range(40)}  # 200 MiB in all
    site = write_project(tmp_path / "s", {**SITE, **media}, BUNDLES)
    del media
    peak = peak_rss_mb(site)
    print(f"peak RSS: {peak:.0f} MB for 200 MiB of media; {baseline:.0f} MB for a tiny build")
    assert peak < baseline + 100
    manifest = load_manifest(site / "dist")
    release = site / "dist/files"
    entry = manifest["assets"]["media/7.webm"]
    assert (release / entry["file"]).read_bytes() == (site / "static_src/media/7.webm").read_bytes()
    assert entry["size"] == 5 * 2**20


@pytest.mark.parametrize("compiler", ["dart", "libsass"])
@pytest.mark.parametrize("swapped", ["scss/_v.scss", "scss/app.scss"])  # an import, the entry itself
def test_a_sass_file_swapped_for_an_outside_link_after_the_scan_is_refused(
    tmp_path: Path, monkeypatch, swapped: str, compiler: str
) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES, sass=compiler)
    outside = tmp_path / "secret.scss"
    outside.write_text(".leaked { color: red; }\n")
    swap_for_link_after_scan(monkeypatch, site, swapped, outside)  # before the compiler reads the file
    config = load_config(site / "pyproject.toml")
    with pytest.raises(BuildFailed) as failed:
        entry.build(config, jobs=1, use_cache=False)
    errors = [str(e) for e in failed.value.errors]
    assert len(errors) == 1 and f"symbolic link leads outside the source folder (to {outside})" in errors[0], errors
    assert errors[0].startswith(config.display(site / "static_src/scss/app.scss") + ":")
    assert not list((site / "dist").rglob("app*.css"))



def test_a_sass_file_that_is_not_a_regular_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    """The narrow race left after resolving (a FIFO put where a partial was found): reading it must not block."""
    fifo = tmp_path / "s/_v.scss"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            sass_read.read_checked(str(fifo), SassOptions("libsass", str(tmp_path / "s")))
        except OSError as err:
            outcome.append(err)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        with open(fifo, "wb"):  # let the blocked reader go
            pass
    assert [str(e) for e in outcome] == [f"[Errno 22] not a regular file: '{fifo}'"]
