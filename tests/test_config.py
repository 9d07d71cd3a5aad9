"""Configuration mistakes: each names its key or path, all are reported, exit status 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli, write_project

FILES = {"css/a.css": ".a{}", "js/a.js": "var a;", "scss/s.scss": "a{b:c}"}


@pytest.mark.parametrize(
    ("settings", "bundles", "message"),
    [
        ({"sourc": "x"}, {}, "unknown key 'sourc' (did you mean 'source'?)"),
        ({"keep": "five"}, {}, "'keep' must be a whole number"),
        ({"compress": ["zip"]}, {}, "'compress' takes ['gzip', 'br']"),
        ({}, {"css/out.css": ["css/nope.css"]}, "bundle 'css/out.css': input 'css/nope.css' does not exist"),
        ({}, {"css/out.css": ["css/b.css"]}, "input 'css/b.css' does not exist (did you mean 'css/a.css'?)"),
        ({"templates": [""]}, {}, "'templates' must be a folder or a list of folders"),
        ({}, {"js/out.js": ["js/lib/*.js"]}, "bundle 'js/out.js': glob 'js/lib/*.js' matches no file"),
        ({}, {"css/out.css": ["css/a.css", "js/a.js"]}, "a bundle cannot mix CSS and JS"),
        ({}, {"css/out.css": ["css/*"], "CSS/OUT.css": ["css/a.css"]}, "two outputs with one name"),
        ({}, {"css/a.css": ["scss/s.scss"]}, "two outputs with one name: the source file 'css/a.css'"),
        ({}, {"out.txt": ["css/a.css"]}, "an output must end in .css or .js"),
        ({}, {"../out.css": ["css/a.css"]}, "must be a relative path inside the release"),
        ({"source": "nothing_here"}, {}, "'source' folder nothing_here does not exist"),
        ({"modules": "bundle"}, {}, "'modules' takes 'rewrite' or 'importmap', not 'bundle'"),
    ],
)
def test_configuration_errors(tmp_path: Path, settings: dict, bundles: dict, message: str) -> None:
    root = write_project(tmp_path / "p", FILES, bundles, **settings)
    result = run_cli("build", cwd=root)
    assert result.returncode == 2, result.stderr
    assert "pyproject.toml [tool.assetbuild]: error: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "dist").exists()


def test_all_configuration_errors_at_once(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES, {"a.css": ["x.css"], "b.js": ["y/*.js"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 2
    assert "'x.css' does not exist" in result.stderr and "'y/*.js' matches no file" in result.stderr


def test_config_file_with_top_level_keys(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES)
    (root / "pyproject.toml").unlink()
    (root / "assets.toml").write_text('output = "out"\ncompress = []\n[bundles]\n"all.css" = ["css/a.css"]\n')
    result = run_cli("build", "--config", "assets.toml", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "out/current/manifest.json").is_file()
    assert not list((root / "out/current").rglob("*.gz"))


def test_no_configuration_builds_static_src_with_defaults_and_says_so(tmp_path: Path) -> None:
    root = tmp_path / "bare"
    (root / ".git").mkdir(parents=True)  # a repository with no configuration: the search ends here
    (root / "static_src").mkdir(parents=True)
    (root / "static_src/robots.txt").write_text("User-agent: *\n")
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "dist/current/manifest.json").is_file()
    assert result.stderr.splitlines() == [
        "assetbuild: no [tool.assetbuild] in a pyproject.toml here or in a parent folder; "
        "using the defaults (source static_src, output dist)"]


def test_configuration_found_from_a_subfolder(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", FILES, output="out")
    result = run_cli("build", cwd=root / "static_src/css")
    assert result.returncode == 0, result.stderr
    assert (root / "out/current/manifest.json").is_file()
    assert not (root / "static_src/css/out").exists() and result.stderr == ""


def test_defaults_are_relative_to_the_nearest_pyproject(tmp_path: Path) -> None:
    root = tmp_path / "app"
    (root / ".git").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (root / "static_src/css").mkdir(parents=True)
    (root / "static_src/css/a.css").write_text(".a{}")
    (root / "src/app").mkdir(parents=True)
    result = run_cli("build", cwd=root / "src/app")
    assert result.returncode == 0, result.stderr
    assert (root / "dist/current/manifest.json").is_file()
    assert "using the defaults (source ../../static_src, output ../../dist)" in result.stderr


def test_version(tmp_path: Path) -> None:
    import tomllib

    result = run_cli("--version", cwd=tmp_path)
    assert result.returncode == 0
    version = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["version"]
    assert result.stdout == f"assetbuild {version}\n"


TEMPLATE = '{{ asset_url("%s") }}\n'


@pytest.mark.parametrize(("templates", "errors"), [
    (["blog/templates", "shop/templates"], ["blog/templates/post.html:1", "shop/templates/cart.html:1"]),
    ("shop/templates", ["shop/templates/cart.html:1"]),
    ([], []),
    ("", []),
])
def test_templates_takes_a_list_of_folders(tmp_path: Path, templates: object, errors: list[str]) -> None:
    root = write_project(tmp_path / "p", FILES, templates=templates)
    for rel, name in [("blog/templates/post.html", "css/nope.css"), ("shop/templates/cart.html", "js/b.js"),
                      ("shop/templates/ok.html", "css/a.css")]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(TEMPLATE % name)
    result = run_cli("build", cwd=root)
    found = [line.split(": error")[0] for line in result.stderr.splitlines() if ": error: unknown asset" in line]
    assert found == errors, result.stderr
    assert result.returncode == (1 if errors else 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--jobs", "0"], "must be at least 1"),
        (["build", "--config", "missing.toml"], "missing.toml: error: configuration file not found"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.assetbuild\n")
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("pyproject.toml: error: invalid TOML")


@pytest.mark.parametrize("output", ["/proc/assetbuild-test", "/dev/null/x"])
def test_unusable_output_folder_is_one_line(tmp_path: Path, output: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    result = run_cli("build", "--output", output, cwd=root)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{output}: error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("importmap", "message"), [
    ({"vue": 3}, "importmap 'vue': must map to a logical name"),
    ({"./x.js": "x.js"}, "importmap './x.js': only bare specifiers go here"),
    ({"vue": "../vue.js"}, "importmap 'vue': '../vue.js' must be a path relative to the source folder"),
    ({"lit/": "vendor/lit.js"}, "importmap 'lit/': a prefix (ending in '/') maps onto a folder"),
    ({"lit": "vendor/lit/"}, "importmap 'lit': a prefix (ending in '/') maps onto a folder"),
])
def test_importmap_entries_are_checked(importmap: dict, message: str) -> None:
    from assetbuild.builder.config import from_mapping
    from assetbuild.errors import BuildFailed

    with pytest.raises(BuildFailed) as failed:
        from_mapping({"importmap": importmap}, Path("/p"), "pyproject.toml [tool.assetbuild]")
    assert failed.value.exit_code == 2
    assert f"pyproject.toml [tool.assetbuild]: error: {message}" in str(failed.value)
