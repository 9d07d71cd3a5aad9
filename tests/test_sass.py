"""Both Sass compilers through the real command line: load paths, warnings, errors with places, the cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import load_manifest, release_tree, run_cli, write_project

from assetbuild.builder import sass_resolve

BOTH = pytest.mark.parametrize("compiler", ["dart", "libsass"])


def built_css(root: Path, name: str = "s.css") -> str:
    manifest = load_manifest(root / "dist")
    return (root / "dist/files" / manifest["assets"][name]["file"]).read_text()


def with_package(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "node_modules" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@BOTH
def test_load_paths_supply_partials_that_are_compiled_in_and_never_published(tmp_path: Path, compiler: str) -> None:
    root = write_project(tmp_path / "p", {"s.scss": '@import "kit/base";\n.a { color: $kit-color; }\n',
                                          "vendor/_local.scss": ".local { x: y; }\n",
                                          "vendor/logo.svg": "<svg/>"},
                         {"s.css": ["s.scss"]}, sass=compiler, load_paths=["node_modules", "static_src/vendor"])
    with_package(root, {"kit/_base.scss": '$kit-color: #123456;\n@import "local";\n.kit { margin: 0; }\n'})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    css = built_css(root)
    assert ".kit{margin:0}" in css and ".local{x:y}" in css and "#123456" in css
    assert sorted(load_manifest(root / "dist")["assets"]) == ["s.css", "s.css.map"], \
        "files of a load path (also one inside source) are not published on their own"


@BOTH
def test_an_import_leaving_source_and_the_load_paths_is_refused_at_its_line(tmp_path: Path, compiler: str) -> None:
    root = write_project(tmp_path / "p", {"scss/s.scss": ".a { b: c; }\n\n@import '../../secret';\n"},
                         {"s.css": ["scss/s.scss"]}, sass=compiler, load_paths=["node_modules"])
    (root / "secret.scss").write_text(".stolen { b: c; }")
    with_package(root, {"kit/_x.scss": "@import '../../secret';\n"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("static_src/scss/s.scss:3:9: error: @import '../../secret' leads outside "
                                    "the source folder and the load paths"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "dist").exists()
    # the same from a file of a load path (by a load path lookup, not relative to the importing file)
    (root / "static_src/scss/s.scss").write_text('@import "kit/x";\n')
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert "node_modules/kit/_x.scss:1:9: error: @import '../../secret' leads outside" in result.stderr


MODULE_SYSTEM = {
    "use.scss": '@use "sass:math";\n.a { width: math.div(10px, 3); }\n',
    "forward.scss": '.a { b: c; }\n  @forward "parts";\n',
    "_parts.scss": "$x: 1;\n",
}


@pytest.mark.parametrize(("entry", "place", "what"), [("use.scss", "1:1", "@use"), ("forward.scss", "2:3", "@forward")])
def test_libsass_says_the_module_system_needs_dart_sass(tmp_path: Path, entry: str, place: str, what: str) -> None:
    root = write_project(tmp_path / "p", MODULE_SYSTEM, {"s.css": [entry]}, sass="libsass")
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr == (f"static_src/{entry}:{place}: error: {what} is Sass's module system, which libsass "
                             'does not support; Sass\'s module system needs Dart Sass: set sass = "dart" in '
                             "[tool.assetbuild]\n")
    assert not (root / "dist").exists(), "never a release that carries @use"


def test_libsass_never_publishes_module_system_syntax_from_a_load_path(tmp_path: Path) -> None:
    """Bulma 1's shape: libsass passes an unknown @use through as CSS; that must be an error."""
    root = write_project(tmp_path / "p", {"s.scss": '@import "pkg/pkg";\n'}, {"s.css": ["s.scss"]},
                         sass="libsass", load_paths=["node_modules"])
    with_package(root, {"pkg/pkg.scss": '@charset "utf-8";\n@use "sass";\n', "pkg/sass/index.scss": ".x{y:z}"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("node_modules/pkg/pkg.scss:2:1: error: @use is Sass's module system"), result.stderr
    assert not (root / "dist").exists()


def test_dart_sass_compiles_the_module_system(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {**MODULE_SYSTEM, "both.scss": '@use "sass:math";\n@use "parts";\n'
                                          ".a { width: math.div(10px, 4); z: parts.$x; }\n"},
                         {"s.css": ["both.scss"]}, sass="dart")
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert built_css(root).startswith(".a{width:2.5px;z:1}")
    css = [data for name, data in release_tree(root / "dist/current").items() if name.endswith(".css")]
    assert css and not any(b"@use" in data for data in css)


@pytest.mark.parametrize(("source", "place"), [
    (".a {\n  width: min(100%, 40rem);\n}\n", "2:10"),
    (".a {\n  color: rgb(0 0 0 / 50%);\n}\n", "2:10"),
])
def test_every_libsass_error_has_a_line_and_column(tmp_path: Path, source: str, place: str) -> None:
    root = write_project(tmp_path / "p", {"s.scss": source}, {"s.css": ["s.scss"]}, sass="libsass")
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith(f"static_src/s.scss:{place}: error: "), result.stderr
    # Dart Sass compiles both
    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text().replace('"libsass"', '"dart"'))
    assert run_cli("build", cwd=root).returncode == 0


def test_dart_errors_name_the_partial(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"s.scss": '@use "parts";\n', "_parts.scss": ".a {\n  b: $nope;\n}\n"},
                         {"s.css": ["s.scss"]}, sass="dart")
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr == "static_src/_parts.scss:2:6: error: Undefined variable\n"


WARNS = {
    "s.scss": '@import "a";\n.x { c: mix(red, blue); }\n',
    "_a.scss": "".join(f".w{i} {{ c: darken(red, {i}%); }}\n" for i in range(12)),
}


def test_dart_warnings_are_one_line_each_and_counted(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", WARNS, {"s.css": ["s.scss"]}, sass="dart", load_paths=["node_modules"])
    (root / "static_src/s.scss").write_text('@import "a";\n@import "kit/k";\n.x { c: mix(red, blue); }\n')
    with_package(root, {"kit/_k.scss": "".join(f".k{i} {{ c: lighten(red, {i}%); }}\n" for i in range(7))})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "static_src/s.scss:1:9: warning: Sass @import rules are deprecated and will be removed in Dart Sass " \
           "3.0.0. [import]" in lines
    darken = [ln for ln in lines if ln.startswith("static_src/_a.scss:") and ln.endswith("[color-functions]")]
    assert len(darken) == 10, "ten places per deprecation, the rest counted"
    assert darken[1].startswith("static_src/_a.scss:2:10: warning: darken() is deprecated; instead: color.")
    assert "warning: 2 more places with the warning [color-functions]" in lines
    assert "warning: 3 more places with the warning [global-builtin]" in lines, "12 in _a.scss, 1 in s.scss"
    assert "node_modules/kit/_k.scss:1:10: warning: 7 'color-functions' deprecation warnings in files of the " \
           "load paths (the first here); add 'color-functions' to silence_deprecations to hide them" in lines
    assert all(": warning: " in ln or ln.startswith("warning: ") for ln in lines), "nothing dumped"
    # a cached build reports the same warnings
    again = run_cli("build", cwd=root)
    assert again.returncode == 0 and sorted(again.stderr.splitlines()) == sorted(lines)


def test_silence_and_fatal_deprecations(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", WARNS, {"s.css": ["s.scss"]}, sass="dart",
                         silence_deprecations=["import", "color-functions", "global-builtin"])
    result = run_cli("build", cwd=root)
    assert (result.returncode, result.stderr) == (0, "")
    root = write_project(tmp_path / "q", WARNS, {"s.css": ["s.scss"]}, sass="dart", fatal_deprecations=["import"])
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("static_src/s.scss:1:9: error: Sass @import rules are deprecated"), result.stderr
    root = write_project(tmp_path / "r", WARNS, {"s.css": ["s.scss"]}, sass="dart", silence_deprecations=["imprt"])
    result = run_cli("build", cwd=root)
    assert result.returncode == 2
    assert "error: 'silence_deprecations': Dart Sass" in result.stderr and "no deprecation 'imprt'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("settings", "message"), [
    ({"sass": "libsas"}, "'sass' takes \"dart\" or \"libsass\", not 'libsas' (did you mean 'libsass'?)"),
    ({"load_paths": ["nowhere"]}, "'load_paths': folder 'nowhere' does not exist"),
    ({"load_paths": "node_modules"}, "'load_paths' must be a list"),
    ({"sass": "libsass", "silence_deprecations": ["import"]}, "'silence_deprecations' applies to Dart Sass only"),
])
def test_sass_configuration_mistakes(tmp_path: Path, settings: dict, message: str) -> None:
    root = write_project(tmp_path / "p", {"s.scss": ".a{b:c}"}, {"s.css": ["s.scss"]}, **settings)
    result = run_cli("build", cwd=root)
    assert result.returncode == 2
    assert message in result.stderr


def _age(root: Path) -> None:
    """Wait out the no-op stamp's racy window, so that the next build can be recognised as unchanged."""
    time.sleep(2.1)


@pytest.mark.slow
def test_editing_a_partial_only_dart_sass_reports_invalidates_the_cache(tmp_path: Path) -> None:
    """A file reached through a load path is in no source listing: only the compiler's loaded list knows it."""
    root = write_project(tmp_path / "p", {"s.scss": '@use "kit/colors";\n.a { color: colors.$main; }\n'},
                         {"s.css": ["s.scss"]}, sass="dart", load_paths=["node_modules"])
    with_package(root, {"kit/_colors.scss": "$main: #111111;\n"})
    _age(root)
    assert run_cli("build", cwd=root).returncode == 0
    assert "#111" in built_css(root)
    unchanged = run_cli("build", "--json", cwd=root)
    assert '"compiled": false' in unchanged.stdout, "an unchanged tree is recognised"
    (root / "node_modules/kit/_colors.scss").write_text("$main: #222222;\n")
    assert run_cli("build", cwd=root).returncode == 0
    assert "#222" in built_css(root)
    (root / "node_modules/kit/_colors.scss").write_text("$main: #333333;\n")
    _age(root)  # old enough for the stamp, yet changed: its own signature is checked
    assert run_cli("build", cwd=root).returncode == 0
    assert "#333" in built_css(root)


def test_switching_compiler_never_reuses_the_other_compilers_output(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"s.scss": ".a { c: mix(red, blue); }\n"}, {"s.css": ["s.scss"]},
                         sass="libsass", silence_deprecations=[])
    assert run_cli("build", cwd=root).returncode == 0
    assert built_css(root).startswith(".a{c:purple}")
    config = root / "pyproject.toml"
    config.write_text(config.read_text().replace('"libsass"', '"dart"'))
    assert run_cli("build", cwd=root).returncode == 0
    assert built_css(root).startswith(".a{c:hsl(300,100%,25%)}"), "Dart Sass's own output, not the cached one"


@pytest.mark.parametrize(("files", "load", "from_import", "expected"), [
    ({"_a.scss"}, "a", False, "_a.scss"),
    ({"a.sass"}, "a", False, "a.sass"),
    ({"a.css"}, "a", False, "a.css"),
    ({"a.scss", "a.css"}, "a", False, "a.scss"),
    ({"a.scss", "a.import.scss"}, "a", True, "a.import.scss"),
    ({"a.scss", "a.import.scss"}, "a", False, "a.scss"),
    ({"a/_index.scss"}, "a", False, "a/_index.scss"),
    ({"a/index.import.scss", "a/index.scss"}, "a", True, "a/index.import.scss"),
    ({"_a.scss"}, "a.scss", False, "_a.scss"),
    ({"b.scss"}, "a", False, None),
])
def test_sass_resolution_rules(tmp_path: Path, files: set[str], load: str, from_import: bool, expected: str | None):
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = sass_resolve.resolve(str(tmp_path / load), from_import)
    assert found == (str(tmp_path / expected) if expected else None)


def test_sass_resolution_refuses_to_guess(tmp_path: Path) -> None:
    (tmp_path / "_a.scss").write_text("")
    (tmp_path / "a.scss").write_text("")
    with pytest.raises(sass_resolve.Ambiguous):
        sass_resolve.resolve(str(tmp_path / "a"), False)
    assert os.path.isfile(tmp_path / "a.scss")


MAPPED = {
    "img/a.png": b"\x89PNG",
    "scss/app.scss": '@import "parts";\n.top { color: red; }\n',
    "scss/_parts.scss": ".one {\n  background: url(../img/a.png);\n}\n.two {\n  background: url('../img/a.png');\n}\n"
                        ".three {\n  color: blue;\n}\n",
}


@BOTH
def test_source_map_follows_rewritten_urls_to_the_partial(tmp_path: Path, compiler: str) -> None:
    """url()s rebased (../img/ -> img/) and fingerprinted shift columns; the map still leads to the partial."""
    from assetbuild.builder import sourcemaps

    root = write_project(tmp_path / "p", MAPPED, {"app.css": ["scss/app.scss"]}, sass=compiler)
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")
    css = built_css(root, "app.css")
    source_map = __import__("json").loads((root / "dist/files" / manifest["assets"]["app.css.map"]["file"])
                                          .read_text())
    assert source_map["sources"][:2] == ["scss/app.scss", "scss/_parts.scss"]
    lines = css.split("\n")
    for selector, line_text in [(".two{", ".two {"), (".three{", ".three {"), (".top{", ".top { color: red; }")]:
        line = next(i for i, text in enumerate(lines, 1) if selector in text)
        index, at, _ = sourcemaps.original_position(source_map["mappings"], line, lines[line - 1].index(selector) + 1)
        partial = root / "static_src" / source_map["sources"][index]
        assert partial.resolve().read_text().splitlines()[at - 1] == line_text, (compiler, selector)


@BOTH
def test_a_missing_reference_in_a_partial_is_reported_at_its_url(tmp_path: Path, compiler: str) -> None:
    files = {**MAPPED, "scss/_parts.scss": MAPPED["scss/_parts.scss"].replace("'../img/a.png'", "'../img/b.png'")}
    root = write_project(tmp_path / "p", files, {"css/app.css": ["scss/app.scss"]}, sass=compiler)
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert result.stderr.startswith("static_src/scss/_parts.scss:5:15: error: reference to missing file "
                                    "'../img/b.png'"), result.stderr


@pytest.mark.slow
def test_watch_rebuilds_when_a_load_paths_partial_changes(tmp_path: Path) -> None:
    import signal

    from watching import Watcher

    root = write_project(tmp_path / "p", {"s.scss": '@use "kit/colors";\n.a { color: colors.$main; }\n'},
                         {"s.css": ["s.scss"]}, sass="dart", load_paths=["node_modules"])
    with_package(root, {"kit/_colors.scss": "$main: #111111;\n"})
    watcher = Watcher(root)
    try:
        watcher.expect("built release")
        assert "#111" in built_css(root)
        (root / "node_modules/kit/_colors.scss").write_text("$main: #222222;\n")
        watcher.expect("built release")
        assert "#222" in built_css(root)
    finally:
        watcher.stop(signal.SIGKILL)


@BOTH
def test_a_file_appearing_earlier_in_the_load_paths_is_compiled_in(tmp_path: Path, compiler: str) -> None:
    """The cache remembers where the compiler looked and found nothing, not only what it read."""
    root = write_project(tmp_path / "p", {"s.scss": '@import "kit/colors";\n.a { color: $main; }\n'},
                         {"s.css": ["s.scss"]}, sass=compiler, load_paths=["first", "second"])
    (root / "first").mkdir()
    with_package(root, {"kit/_colors.scss": "$main: #111111;\n"})
    (root / "node_modules").rename(root / "second")
    _age(root)
    assert run_cli("build", cwd=root).returncode == 0
    assert "#111" in built_css(root)
    (root / "first/kit").mkdir()
    (root / "first/kit/_colors.scss").write_text("$main: #222222;\n")
    assert run_cli("build", cwd=root).returncode == 0
    assert "#222" in built_css(root), "the new file in the first load path wins"


@pytest.mark.parametrize("compilation_id", [0, 1, 127, 128, 300, 2**32 - 1])
def test_embedded_protocol_packets_round_trip(compilation_id: int) -> None:
    import io

    from assetbuild.builder import sass_packets

    stream = io.BytesIO()
    payloads = [b"", b"x" * 200, bytes(range(256)) * 3]
    for payload in payloads:
        sass_packets.write(stream, compilation_id, payload)
    stream.seek(0)
    assert [sass_packets.read(stream) for _ in payloads] == [(compilation_id, p) for p in payloads]
    with pytest.raises(EOFError):
        sass_packets.read(stream)


def test_a_repeated_warning_is_one_line_with_its_count() -> None:
    from assetbuild.builder.sass_warnings import Tally, format_warning

    tally = Tally("/src")
    for _ in range(3):
        tally.add("/src/_a.scss", 2, 5, "darken() is deprecated.\n\nMore info: https://sass-lang.com/d/x", "x")
    tally.add(None, None, None, "a warning of @warn", None)
    assert [format_warning(w, lambda p: p.removeprefix("/")) for w in tally.warnings()] == [
        "src/_a.scss:2:5: warning: darken() is deprecated. [x] (3 times)",
        "warning: a warning of @warn",
    ]


def test_a_load_path_inside_source_publishes_only_what_the_css_reaches(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"s.scss": '@import "kit/k";\n',
                                          "vendor/kit/_k.scss": ".i { background: url(vendor/kit/a.png); }\n",
                                          "vendor/kit/a.png": b"\x89PNG a", "vendor/kit/b.png": b"\x89PNG b"},
                         {"s.css": ["s.scss"]}, load_paths=["static_src/vendor"])
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    assert sorted(load_manifest(root / "dist")["assets"]) == ["s.css", "s.css.map", "vendor/kit/a.png"]


def test_deprecations_in_a_load_path_inside_source_are_summed_up() -> None:
    from assetbuild.builder.sass_warnings import Tally, format_warning

    tally = Tally("/src", ("/src/vendor",))
    for line in (1, 2):
        tally.add("/src/vendor/_k.scss", line, 3, "mix() is deprecated.", "global-builtin")
    tally.add("/src/_mine.scss", 4, 5, "mix() is deprecated.", "global-builtin")
    assert [format_warning(w, str) for w in tally.warnings()] == [
        "/src/_mine.scss:4:5: warning: mix() is deprecated. [global-builtin]",
        "/src/vendor/_k.scss:1:3: warning: 2 'global-builtin' deprecation warnings in files of the load paths "
        "(the first here); add 'global-builtin' to silence_deprecations to hide them",
    ]
