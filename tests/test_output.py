"""Production output: precompressed copies, the Sass source map, the archive, the report."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pty
import random
import subprocess
import sys
import tarfile
import zlib
from pathlib import Path

import brotli
import pytest
from conftest import REPO, load_manifest, release_tree, run_cli, write_project

from assetbuild.builder import sourcemaps
from assetbuild.builder.compress import compressed_copies


def test_every_copy_decompresses_to_its_file_and_is_reproducible(built_demo: Path) -> None:
    release = built_demo / "dist/files"
    assets = load_manifest(built_demo / "dist")["assets"]
    copies = 0
    for entry in assets.values():
        data = (release / entry["file"]).read_bytes()
        for encoding, file in entry["encodings"].items():
            packed = (release / file).read_bytes()
            assert file == entry["file"] + {"gzip": ".gz", "br": ".br"}[encoding]
            if encoding == "gzip":
                assert gzip.decompress(packed) == data
                assert packed[3] == 0, "no FNAME or other optional header fields"
                assert packed[4:8] == b"\0\0\0\0", "mtime 0"
                assert packed == gzip.compress(data, compresslevel=9, mtime=0)
            else:
                assert brotli.decompress(packed) == data
                assert packed == brotli.compress(data, quality=9 if file.endswith(".map.br") else 11)
            assert len(packed) <= 0.95 * len(data)
            copies += 1
    assert copies >= 10
    assert assets["css/app.css"]["encodings"].keys() == {"gzip", "br"}
    for already_compressed in ("fonts/demo.woff2", "img/pattern.png"):
        assert assets[already_compressed]["encodings"] == {}
    assert assets["robots.txt"]["encodings"] == {}, "a tiny file does not pay"


def test_five_percent_rule() -> None:
    rng = random.Random(7)
    noise = bytes(rng.randrange(256) for _ in range(20_000))
    small_gain = noise + b"a" * 600    # gzip saves about 3 %
    large_gain = noise + b"a" * 3_000  # gzip saves about 13 %
    assert 0 < 1 - len(gzip.compress(small_gain, 9)) / len(small_gain) < 0.05
    assert 1 - len(gzip.compress(large_gain, 9)) / len(large_gain) > 0.05
    assert compressed_copies("x.txt", small_gain, ("gzip",)) == {}
    assert set(compressed_copies("x.txt", large_gain, ("gzip", "br"))) == {"gzip", "br"}
    assert compressed_copies("x.woff2", b"a" * 10_000, ("gzip", "br")) == {}


def test_compress_off(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": ".a{color:red}" * 500}, compress=[])
    assert run_cli("build", cwd=root).returncode == 0
    assert load_manifest(root / "dist")["assets"]["a.css"]["encodings"] == {}
    assert not [p for p in (root / "dist").rglob("*") if p.suffix in (".gz", ".br")]


def test_sass_bundle_source_map(built_demo: Path) -> None:
    release = built_demo / "dist/files"
    assets = load_manifest(built_demo / "dist")["assets"]
    css_file = release / assets["css/app.css"]["file"]
    css = css_file.read_text()
    map_file = release / assets["css/app.css.map"]["file"]
    assert css.endswith(f"/*# sourceMappingURL={map_file.name} */")
    assert "css/app.css.map" in assets["css/app.css"]["references"]
    source_map = json.loads(map_file.read_text())
    src = built_demo / "static_src"
    # relative to the map's logical place (css/), naming the files of the source tree
    sources = [(src / "css" / s).resolve() for s in source_map["sources"]]
    assert sources[0] == (src / "scss/app.scss").resolve()
    assert {p.name for p in sources} >= {"_variables.scss", "_mixins.scss", "_layout.scss", "_typography.scss"}
    for path, content in zip(sources, source_map["sourcesContent"], strict=True):
        assert path.read_text() == content
    assert "/tmp" not in map_file.read_text()
    # `.card{` stands after the rewritten url()s on the same (only) line: its mapping must follow the shift
    for selector, partial, line_text in [(".card{", "_layout.scss", ".card {"),
                                         (".site-header{", "_layout.scss", ".site-header {"),
                                         ("a:hover{", "_layout.scss", "&:hover {")]:
        col = css.index(selector) + 1
        index, line, _ = sourcemaps.original_position(source_map["mappings"], 1, col)
        assert sources[index].name == partial, selector
        assert sources[index].read_text().splitlines()[line - 1].strip() == line_text, selector
    assert "css/print.css.map" not in assets, "a joined, minified bundle gets no map"


def test_source_maps_off(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"s.scss": "a{b:c}"}, {"s.css": ["s.scss"]}, source_maps=False)
    assert run_cli("build", cwd=root).returncode == 0
    assets = load_manifest(root / "dist")["assets"]
    assert set(assets) == {"s.css"}
    assert "sourceMappingURL" not in (root / "dist/files" / assets["s.css"]["file"]).read_text()


def test_archive_is_the_same_from_two_folders(demo: Path, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "elsewhere" / "copy"
    shutil.copytree(demo, other)
    os.utime(other / "static_src/robots.txt", (0, 0))
    digests = []
    for root in (demo, other):
        result = run_cli("build", "--archive", "out/release.tar.gz", cwd=root)
        assert result.returncode == 0, result.stderr
        digests.append(hashlib.sha256((root / "out/release.tar.gz").read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    release_id = load_manifest(demo / "dist")["release"]
    with tarfile.open(demo / "out/release.tar.gz") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names[0] == release_id and f"{release_id}/manifest.json" in names
        assert names == [names[0], *sorted(names[1:])]
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
        manifest = json.loads(tar.extractfile(f"{release_id}/manifest.json").read())
    assert manifest["release"] == release_id
    raw = (demo / "out/release.tar.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0" and raw[3] == 0
    assert zlib.decompress(raw, 31)


def test_json_report_is_all_of_stdout(demo: Path) -> None:
    result = run_cli("build", "--json", cwd=demo)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["release"] == load_manifest(demo / "dist")["release"]
    assert report["created"] is True and report["files"] == len(release_tree(demo / "dist/current"))
    app = next(b for b in report["bundles"] if b["name"] == "css/app.css")
    assert app["raw"] > app["minified"] > app["gzip"] > app["br"] > 0
    assert report["totals"]["minified"] == sum(b["minified"] for b in report["bundles"])


def test_table_report_and_progress_only_on_a_terminal(demo: Path) -> None:
    piped = run_cli("build", cwd=demo)
    assert "compiling bundles" not in piped.stderr
    assert "css/app.css" in piped.stdout and "brotli" in piped.stdout
    (demo / "static_src/robots.txt").write_text("changed\n")
    main, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.run([sys.executable, "-m", "assetbuild", "build"], cwd=demo, stdin=secondary,
                          stdout=subprocess.PIPE, stderr=secondary, env=env, timeout=120)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.returncode == 0
    assert b"compiling bundles: 3/3" in shown and b"compressing and writing:" in shown


@pytest.mark.parametrize("jobs", ["1", "2", "3"])
def test_output_is_the_same_whatever_the_number_of_jobs(demo: Path, jobs: str) -> None:
    result = run_cli("build", "--jobs", jobs, "--json", cwd=demo)
    assert result.returncode == 0
    expected = run_cli("build", "--json", cwd=REPO)
    assert json.loads(result.stdout)["release"] == json.loads(expected.stdout)["release"]
