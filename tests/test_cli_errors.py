"""What the command line prints for a user's mistakes."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, write_project


def test_a_broken_partial_shared_by_two_bundles_is_reported_once(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "site",
        {"scss/_shared.scss": "$a: 1px;\nbroken: ;\n", "scss/one.scss": '@import "shared";\n',
         "scss/two.scss": '@import "shared";\n'},
        {"css/one.css": ["scss/one.scss"], "css/two.css": ["scss/two.scss"]},
    )
    result = run_cli("build", cwd=project)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("static_src/scss/_shared.scss:")
