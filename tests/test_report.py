"""The build summary: each total is the sum of its column; no table without bundles; '1 problem'."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import load_manifest, run_cli, write_project

from assetbuild.builder.entry import BuildResult, BundleReport
from assetbuild.builder.report import as_dict, as_table


def result(*bundles: BundleReport) -> BuildResult:
    return BuildResult(release="abc", path=Path("dist/releases/abc"), created=True, switched=True, compiled=True,
                       files=9, bytes=9000, assets=4, bundles=bundles, seconds=0.5)


def test_compressed_totals_count_the_minified_file_where_no_copy_paid() -> None:
    report = result(BundleReport("css/app.css", 5000, 3000, 900, 800), BundleReport("js/tiny.js", 60, 40, None, None))
    totals = as_dict(report)["totals"]
    assert totals == {"raw": 5060, "minified": 3040, "gzip": 940, "br": 840}
    table = as_table(report).splitlines()
    assert table[0].split() == ["bundle", "raw", "minified", "gzip", "brotli"]
    assert table[3].split() == ["js/tiny.js", "60", "B", "40", "B", "40", "B*", "40", "B*"]
    assert table[5].split() == ["all", "bundles", "5060", "B", "3040", "B", "940", "B", "840", "B"]
    assert table[6] == "* no compressed copy paid: the minified file is what is sent"


def test_no_compression_configured_shows_dashes() -> None:
    table = as_table(result(BundleReport("js/a.js", 60, 40, None, None))).splitlines()
    assert table[-3].split() == ["all", "bundles", "60", "B", "40", "B", "-", "-"]


def test_no_table_without_bundles(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"robots.txt": "x"})
    out = run_cli("build", cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("release "), out.stdout
    assert len(out.stdout.splitlines()) == 2


def test_raw_counts_every_file_a_bundle_read(tmp_path: Path) -> None:
    files = {"scss/app.scss": '@import "../vendor/theme";\n.a { color: $c }\n', "vendor/_theme.scss": "$c: red;\n"}
    root = write_project(tmp_path / "p", files, {"css/app.css": ["scss/app.scss"]}, exclude=["vendor/**"])
    out = run_cli("build", "--json", cwd=root)
    assert out.returncode == 0, out.stderr
    (bundle,) = json.loads(out.stdout)["bundles"]
    assert bundle["raw"] == sum(len(text.encode()) for text in files.values())


def test_one_problem_is_singular(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"robots.txt": "x"})
    assert run_cli("build", cwd=root).returncode == 0
    (root / "dist/files" / load_manifest(root / "dist")["assets"]["robots.txt"]["file"]).write_text("y")
    out = run_cli("verify", cwd=root)
    assert out.returncode == 1
    assert out.stderr.splitlines()[-1].endswith(": 1 problem")
