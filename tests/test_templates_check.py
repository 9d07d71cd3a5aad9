"""The build reads every template's syntax tree and refuses names the release does not have."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli, snapshot, write_project

FILES = {"css/app.css": ".a{}", "js/app.js": "var a;"}


def project(tmp_path: Path, templates: dict[str, str]) -> Path:
    root = write_project(tmp_path / "p", FILES, templates="templates")
    for name, text in templates.items():
        (root / "templates" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "templates" / name).write_text(text)
    return root


def test_unknown_asset_fails_the_build_with_a_suggestion(tmp_path: Path) -> None:
    root = project(tmp_path, {
        "page.html": "<html>\n{{ asset_tag('css/app.css') }}\n{{ asset_url(\"css/ap.css\") }}\n",
        "sub/other.html": "{% if x %}\n  {{ asset_tag('js/nope.js', defer=True) }}\n{% endif %}\n",
    })
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert "templates/page.html:3: error: unknown asset 'css/ap.css' (did you mean 'css/app.css'?)" in result.stderr
    assert "templates/sub/other.html:2: error: unknown asset 'js/nope.js' (did you mean 'js/app.js'?)" in result.stderr
    assert not (root / "dist").exists()


def test_name_that_is_not_a_literal_is_a_warning(tmp_path: Path) -> None:
    root = project(tmp_path, {"page.html": "{% set n = 'css/app.css' %}\n\n{{ asset_url(n) }}\n"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert "templates/page.html:3: warning: asset_url() with a name that is not a literal" in result.stderr


def test_template_syntax_error_is_reported_like_the_rest(tmp_path: Path) -> None:
    root = project(tmp_path, {"ok.html": "{{ asset_url('css/app.css') }}", "bad.html": "a\n{% if %}\n"})
    (root / "templates/bad.html").rename(root / "bad.html.keep")
    assert run_cli("build", cwd=root).returncode == 0
    before = snapshot(root / "dist")
    (root / "bad.html.keep").rename(root / "templates/bad.html")
    (root / "static_src/css/app.css").write_text(".changed{}")
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("templates/bad.html:2: error: template syntax:")
    assert snapshot(root / "dist") == before


def test_the_repository_templates_pass(built_demo: Path) -> None:
    assert (built_demo / "dist/current/manifest.json").is_file()
