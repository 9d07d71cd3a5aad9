"""Stale releases and the finishing of a build: what becomes `current`, and when (issue 10)."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import load_manifest, run_cli, write_project

from assetbuild.builder.stamp import RACY_SECONDS
from assetbuild.builder.verify import verify

SITE = {
    "scss/app.scss": '@import "../vendor/v";\n.a { color: $c; }\n',
    "vendor/_v.scss": "$c: #111111;\n",
    "img/a.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n" * 40,
    "js/a.js": "var a = 1;\n" * 100,
}
BUNDLES = {"css/app.css": ["scss/app.scss"], "js/app.js": ["js/a.js"]}


def aged() -> None:
    time.sleep(RACY_SECONDS + 0.2)


def build(root: Path, *args: str) -> subprocess.CompletedProcess:
    result = run_cli("build", *args, cwd=root)
    assert result.returncode == 0, result.stderr
    return result


def errors_of(stderr: str) -> list[str]:
    """What a build said, without the compiler's deprecation warnings."""
    return [line for line in stderr.splitlines() if ": warning: " not in line]


def current(root: Path) -> Path:
    return (root / "dist/current").resolve(strict=True)


def test_url_prefix_is_part_of_the_release(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    build(site, "--no-cache")
    first = load_manifest(site / "dist")
    config = site / "pyproject.toml"
    text = config.read_text().replace("[tool.assetbuild]\n", '[tool.assetbuild]\nurl_prefix = "/cdn/"\n')
    (site / "pyproject.toml").write_text(text)
    result = build(site, "--no-cache")
    second = load_manifest(site / "dist")
    assert second["url_prefix"] == "/cdn/"
    assert second["release"] != first["release"] and "nothing written" not in result.stdout
    assert verify(current(site)) == []


def test_an_excluded_partial_that_is_imported_is_in_the_stamp(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES, exclude=["vendor/**"])
    aged()
    build(site)
    (site / "static_src/vendor/_v.scss").write_text("$c: #222222;\n")
    aged()
    build(site)
    css = site / "dist/files" / load_manifest(site / "dist")["assets"]["css/app.css"]["file"]
    assert "#222" in css.read_text()


def test_a_half_copied_release_folder_is_replaced_not_made_current(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    reference = write_project(tmp_path / "r", SITE, BUNDLES)
    build(reference, "--no-cache")
    release_id = load_manifest(reference / "dist")["release"]
    partial = site / "dist/releases" / release_id
    shutil.copytree(current(reference), partial)
    (partial / "manifest.json").unlink()  # an interrupted rsync: the manifest comes last
    result = build(site, "--no-cache")
    assert f"release {release_id} (written)" in result.stdout
    assert current(site) == partial.resolve() and verify(partial) == []


def test_a_damaged_current_release_is_repaired_by_the_next_build(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    aged()
    build(site)
    release = current(site)
    manifest = load_manifest(site / "dist")
    (site / "dist/files" / manifest["assets"]["img/a.svg"]["file"]).unlink()
    result = build(site)  # the no-op stamp matches: the release must still be checked
    assert "nothing written" not in result.stdout
    assert verify(current(site)) == [] and current(site) == release


def test_a_hand_edited_manifest_fails_verify_and_is_repaired(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    aged()
    build(site)
    path = current(site) / "manifest.json"
    original = path.read_bytes()
    path.write_bytes(original.replace(b'"type": "image/svg+xml"', b'"type": "text/html"'))
    result = run_cli("verify", cwd=site)
    assert result.returncode == 1 and "no longer hashes to its release id" in result.stderr
    build(site)
    assert path.read_bytes() == original


def test_a_manifest_edited_after_no_op_builds_trusted_it_is_still_repaired(tmp_path: Path) -> None:
    """A no-op build keeps the manifest's signature to skip reading it next time: an edit of the
    same size, with its modification time put back, changes the signature all the same."""
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    aged()
    build(site)
    aged()
    for _ in range(2):  # the first no-op reads the manifest and keeps its signature; the second trusts it
        assert "(unchanged, nothing written)" in build(site).stdout
    path = current(site) / "manifest.json"
    original, before = path.read_bytes(), path.stat()
    edited = original.replace(b'"type": "image/svg+xml"', b'"type": "image/svg+xmm"')
    assert len(edited) == len(original) and edited != original
    path.write_bytes(edited)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    build(site)
    assert path.read_bytes() == original
    assert verify(current(site)) == []


def hold_lock(output: Path) -> int:
    output.mkdir(parents=True, exist_ok=True)
    fd = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def wait_for_lock_waiter(folder: Path, proc: subprocess.Popen) -> None:
    """Until a process is blocked on the flock of ``folder`` (/proc/locks lists waiters with '->')."""
    inode = os.stat(folder).st_ino
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        locks = Path("/proc/locks").read_text().splitlines()
        if any("->" in line and line.split()[-3].endswith(f":{inode}") for line in locks):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the build never waited for the lock")


def test_a_clean_between_check_and_switch_cannot_leave_current_dangling(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    aged()
    build(site)
    first = load_manifest(site / "dist")["release"]
    js = site / "static_src/js/a.js"
    original = js.read_bytes()
    js.write_text("var b = 2;\n")
    aged()
    build(site)
    js.write_bytes(original)  # back to the first tree: the no-op stamp knows its release
    os.utime(js, (time.time() - 10, time.time() - 10))
    aged()
    fd = hold_lock(site / "dist")
    proc = subprocess.Popen([sys.executable, "-m", "assetbuild", "build", "--wait"], cwd=site,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_lock_waiter(site / "dist", proc)
        shutil.rmtree(site / "dist/releases" / first)  # what a `clean --keep 1` does in that gap
    finally:
        os.close(fd)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert current(site).name == first and verify(current(site)) == []


def test_the_build_that_started_last_wins(tmp_path: Path) -> None:
    """A starts first and is frozen mid-write; B starts later and finishes; A finishes last."""
    big = {f"data/{i:03}.txt": (f"line {i} " * 4000) + "\n" for i in range(60)}
    a = write_project(tmp_path / "a", {**SITE, **big}, BUNDLES)
    b = write_project(tmp_path / "b", {**SITE, "js/a.js": "var b = 2;\n"}, BUNDLES)
    output = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "assetbuild", "build", "--no-cache", "--wait", "--jobs", "2",
                             "--output", str(output)], cwd=a, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((output / "releases").glob(".tmp-*")):
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.005)
    while True:  # frozen, but not while it holds the output lock (it creates the staging folder under it)
        os.killpg(proc.pid, signal.SIGSTOP)
        fd = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            os.killpg(proc.pid, signal.SIGCONT)
            time.sleep(0.001)
        finally:
            os.close(fd)
    try:
        assert not [p for p in (output / "releases").iterdir() if not p.name.startswith(".")], "A was not slow enough"
        later = run_cli("build", "--no-cache", "--wait", "--output", str(output), cwd=b)
        assert later.returncode == 0, later.stderr
        b_release = os.readlink(output / "current")
    finally:
        os.killpg(proc.pid, signal.SIGCONT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert os.readlink(output / "current") == b_release
    assert "a build that started later has switched current already" in err
    assert len([p for p in (output / "releases").iterdir() if not p.name.startswith(".")]) == 2


def test_an_unwritable_archive_fails_before_current_is_switched(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    result = run_cli("build", "--archive", "/proc/nowhere/site.tar.gz", cwd=site)
    assert result.returncode == 2, result.stderr
    assert errors_of(result.stderr) == [
        "/proc/nowhere/site.tar.gz: error: cannot write the archive: no such file or directory"]
    assert not os.path.lexists(site / "dist/current")


def test_a_closed_stdout_is_not_a_failed_build(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    read, write = os.pipe()
    os.close(read)  # whoever reads the report is gone before it is printed
    proc = subprocess.run([sys.executable, "-m", "assetbuild", "build", "--json"], cwd=site, stdout=write,
                          stderr=subprocess.PIPE, text=True, timeout=300)
    os.close(write)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "output was closed" in proc.stderr
    assert verify(current(site)) == []


def test_current_as_a_real_folder_is_one_error_and_no_debris(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    build(site)
    shutil.copytree(current(site), site / "dist/copy")
    (site / "dist/current").unlink()
    (site / "dist/copy").rename(site / "dist/current")  # someone ran `cp -rL`
    (site / "static_src/js/a.js").write_text("var c = 3;\n")
    before = listing(site / "dist")
    result = run_cli("build", cwd=site)
    assert result.returncode == 2
    [line] = errors_of(result.stderr)
    assert re.fullmatch(r".*dist/current: error: is a folder, not the link assetbuild switches; move it away "
                        r"\(releases are under releases/\)", line), result.stderr
    assert listing(site / "dist") == before


def listing(output: Path) -> list[str]:
    return sorted(p.relative_to(output).as_posix() for p in [*output.iterdir(), *(output / "releases").iterdir()])


needs_strace = pytest.mark.skipif(shutil.which("strace") is None and not os.environ.get("CI"),
                                  reason="strace is not installed")


def traced_build(site: Path, trace: Path) -> tuple[list[str], list[str]]:
    """Build under strace: the flushes before the rename that publishes the release (fsync with
    the path flushed), and every call after it."""
    command = ["strace", "-f", "-qq", "-y", "-o", str(trace), "-e", "trace=fsync,syncfs,rename,renameat,renameat2",
               sys.executable, "-m", "assetbuild", "build", "--no-cache", "--jobs", "1"]
    result = subprocess.run(command, cwd=site, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    calls = [line.split(None, 1)[1] for line in trace.read_text().splitlines() if "resumed" not in line]
    # the staging folder renamed into place (its new files were renamed into the store before)
    renames = [i for i, c in enumerate(calls) if c.startswith("rename") and re.search(r'/releases/\.tmp-[0-9a-f]+"', c)]
    links = [i for i, c in enumerate(calls) if c.startswith("rename") and "current" in c]
    assert len(renames) == 1 and len(links) == 1
    assert any(c.startswith("fsync") for c in calls[renames[0] + 1:links[0]])  # the releases folder
    assert any(c.startswith("fsync") for c in calls[links[0] + 1:])  # the output folder, after the switch
    return [c for c in calls[:renames[0]] if c.startswith(("fsync", "syncfs"))], calls[renames[0]:]


def flushed_paths(calls: list[str]) -> set[str]:
    """What each ``fsync(3</site/dist/releases/.tmp-x/css/a.css>)`` flushed, relative to the release."""
    found = (re.search(r"/releases/\.tmp-[0-9a-f]+(/[^>]*)?>", c) for c in calls if c.startswith("fsync"))
    return {(m.group(1) or "/")[1:] for m in found if m}


@needs_strace
def test_an_edit_flushes_only_the_files_it_wrote_and_the_folders(tmp_path: Path) -> None:
    site = write_project(tmp_path / "s", SITE, BUNDLES)
    build(site, "--no-cache")
    aged()
    (site / "static_src/js/a.js").write_text("var a = 2;\n" * 100)
    store = site / "dist/files"
    stored = {p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file()}
    before, _ = traced_build(site, tmp_path / "trace")
    written = {p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file()} - stored
    assert written and all(f.startswith("js/app.") for f in written)  # the image and the CSS did not change
    folders = {os.path.dirname(f) for f in written} | {""}
    assert not any(c.startswith("syncfs") for c in before)  # not the whole filesystem for one edit
    # each new file and its folders in the staging folder, then its manifest, before the rename
    assert flushed_paths(before) == written | folders | {"manifest.json"}


@needs_strace
def test_many_files_written_are_flushed_with_one_syncfs(tmp_path: Path) -> None:
    files = {**SITE, **{f"img/many/{i}.txt": f"file {i}\n" for i in range(300)}}
    site = write_project(tmp_path / "s", files, BUNDLES)
    before, _ = traced_build(site, tmp_path / "trace")
    files_in_release = sum(1 for p in (site / "dist/files").rglob("*") if p.is_file())
    assert files_in_release > 300
    # the whole filesystem at once, not one fsync per file
    assert any(c.startswith("syncfs") for c in before) and len(before) < 10
