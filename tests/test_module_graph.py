"""ES modules end to end through the real CLI: rewriting, import maps, errors, and names by reachability."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from conftest import load_manifest, release_tree, run_cli, write_project

MODULES = {
    "js/main.js": (
        'import { util } from "./lib/util.js?v=1#top";\n'
        "import * as shared from '../shared/shared.js';\n"
        'export { util };\n'
        'const lazy = () => import(`./lib/other.js`);\n'
        'const worker = new URL("./worker.js", import.meta.url);\n'
        "// import('./nowhere.js') in a comment is not a specifier\n"
    ),
    "js/lib/util.js": 'export const util = "util";\n',
    "js/lib/other.js": 'export const other = "other";\n',
    "js/worker.js": 'import { util } from "./lib/util.js";\npostMessage(util);\n',
    "shared/shared.js": "export const shared = 1;\n",
}


def with_importmap(root: Path, entries: dict[str, str]) -> Path:
    """Add a ``[tool.assetbuild.importmap]`` table to a project written by ``write_project``."""
    with (root / "pyproject.toml").open("a") as f:
        f.write("[tool.assetbuild.importmap]\n" + "".join(f'"{k}" = "{v}"\n' for k, v in entries.items()))
    return root


def published(root: Path, name: str) -> tuple[str, str]:
    entry = load_manifest(root / "dist")["assets"][name]
    return entry["file"], (root / "dist/files" / entry["file"]).read_text()


def test_relative_specifiers_point_at_hashed_files_keeping_query_and_fragment(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", MODULES)
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")["assets"]
    file, text = published(root, "js/main.js")
    util = Path(manifest["js/lib/util.js"]["file"]).name
    other = Path(manifest["js/lib/other.js"]["file"]).name
    worker = Path(manifest["js/worker.js"]["file"]).name
    shared = manifest["shared/shared.js"]["file"]
    assert f'from "./lib/{util}?v=1#top";' in text
    assert f"from '../{shared}';" in text
    assert f"import(`./lib/{other}`)" in text
    assert f'new URL("./{worker}", import.meta.url)' in text
    assert "import('./nowhere.js') in a comment" in text
    assert f'from "./lib/{util}"' in published(root, "js/worker.js")[1]
    main = manifest["js/main.js"]
    assert main["imports"] == ["js/lib/util.js", "shared/shared.js"]
    assert main["dynamic_imports"] == ["js/lib/other.js"]
    assert main["references"] == ["js/lib/other.js", "js/lib/util.js", "js/worker.js", "shared/shared.js"]
    assert manifest["js/lib/util.js"]["imports"] == []  # a module that imports nothing
    assert manifest["js/worker.js"]["imports"] == ["js/lib/util.js"]


def test_missing_module_is_an_error_at_its_line_and_column(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "js/main.js": 'import "./ok.js";\nimport { x } from "./gone.js";\n  import("./lazy-gone.js");\n',
        "js/ok.js": "",
    })
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert "static_src/js/main.js:2:20: error: reference to missing file './gone.js' (no 'js/gone.js' in the " \
           "source folder)" in lines
    assert any(line.startswith("static_src/js/main.js:3:11: error: reference to missing file './lazy-gone.js'")
               for line in lines)
    assert not (root / "dist").exists()


def test_bare_specifiers_need_the_import_map(tmp_path: Path) -> None:
    files = {"js/app.js": 'import { h } from "vue";\nimport { html } from "lit/html.js";\n',
             "vendor/vue.js": "export const h = 1;\n", "vendor/lit/html.js": "export const html = 2;\n"}
    root = write_project(tmp_path / "p", files)
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    assert "static_src/js/app.js:1:20: error: bare module specifier 'vue' is not in [tool.assetbuild.importmap]" \
        in result.stderr.splitlines()
    assert "static_src/js/app.js:2:23: error: bare module specifier 'lit/html.js'" in result.stderr

    with_importmap(root, {"vue": "vendor/vue.js", "lit/": "vendor/lit/"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")
    assert manifest["importmap"] == {"lit/": "vendor/lit/", "vue": "vendor/vue.js"}
    assert manifest["assets"]["js/app.js"]["imports"] == ["vendor/vue.js", "vendor/lit/html.js"]
    assert published(root, "js/app.js")[1] == files["js/app.js"]  # bare specifiers stay as written


def test_import_map_entry_to_a_missing_file_is_an_error(tmp_path: Path) -> None:
    root = with_importmap(write_project(tmp_path / "p", {"js/app.js": 'import "vue";\n'}), {"vue": "vendor/vue.js"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 2  # the configuration is at fault
    assert "[tool.assetbuild.importmap]: error: importmap 'vue': no published file 'vendor/vue.js'" \
        in result.stderr.splitlines()
    assert "static_src/js/app.js:1:9: error: reference to missing file 'vue' (no 'vendor/vue.js'" in result.stderr


CYCLE = {
    "js/a.js": 'import { b } from "./b.js";\nexport const a = () => "a" + b();\n',
    "js/b.js": 'import { c } from "./c.js";\nexport const b = () => "b" + c();\n',
    "js/c.js": 'import { a } from "./a.js";\nexport const c = () => "c";\nexport const again = a;\n',
    "js/self.js": 'import * as me from "./self.js";\nexport const x = 1;\nexport const y = () => me.x;\n',
    "js/leaf.js": "export const leaf = 1;\n",
}


def test_import_cycles_build_and_every_member_keeps_its_own_name(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", CYCLE)
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")["assets"]
    files = {name: manifest[name]["file"] for name in CYCLE}
    assert len(set(files.values())) == len(files)
    a, b, c = (Path(files[f"js/{n}.js"]).name for n in "abc")
    assert f'from "./{b}"' in published(root, "js/a.js")[1]
    assert f'from "./{c}"' in published(root, "js/b.js")[1]
    assert f'from "./{a}"' in published(root, "js/c.js")[1]
    assert f'from "./{Path(files["js/self.js"]).name}"' in published(root, "js/self.js")[1]
    leaf = (root / "dist/files" / files["js/leaf.js"]).read_bytes()
    assert files["js/leaf.js"] == f"js/leaf.{hashlib.sha256(leaf).hexdigest()[:12]}.js"

    (root / "static_src/js/c.js").write_text(CYCLE["js/c.js"] + "// edited\n")
    assert run_cli("build", cwd=root).returncode == 0
    after = {name: entry["file"] for name, entry in load_manifest(root / "dist")["assets"].items()}
    for name in ("js/a.js", "js/b.js", "js/c.js"):
        assert after[name] != files[name], f"{name} reaches the edited c.js"
    assert after["js/self.js"] == files["js/self.js"] and after["js/leaf.js"] == files["js/leaf.js"]


def test_two_builds_of_a_cyclic_tree_are_byte_identical(tmp_path: Path) -> None:
    trees = []
    for folder in ("one", "two"):
        root = write_project(tmp_path / folder, CYCLE)
        assert run_cli("build", "--no-cache", cwd=root).returncode == 0
        trees.append(release_tree(root / "dist/current"))
    assert trees[0] == trees[1]


def test_css_cycles_build_too(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"a.css": '@import "b.css";', "b.css": "x{y:url(a.css)}"})
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")["assets"]
    a, b = manifest["a.css"]["file"], manifest["b.css"]["file"]
    assert published(root, "a.css")[1] == f'@import "{b}";'
    assert published(root, "b.css")[1] == f"x{{y:url({a})}}"


def test_a_change_below_renames_everything_that_reaches_it(tmp_path: Path) -> None:
    files = {"css/app.css": "a{background:url(../img/dot.png)}", "img/dot.png": b"\x89PNG one",
             "css/other.css": "b{color:red}"}
    root = write_project(tmp_path / "p", files)
    assert run_cli("build", cwd=root).returncode == 0
    before = {n: e["file"] for n, e in load_manifest(root / "dist")["assets"].items()}
    (root / "static_src/img/dot.png").write_bytes(b"\x89PNG two")
    assert run_cli("build", cwd=root).returncode == 0
    after = {n: e["file"] for n, e in load_manifest(root / "dist")["assets"].items()}
    assert after["img/dot.png"] != before["img/dot.png"] and after["css/app.css"] != before["css/app.css"]
    assert after["css/other.css"] == before["css/other.css"]


def test_script_errors_name_the_file_a_person_edits(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "js/a.js": "var a = 1;\nimport('./lazy.js');\nimport('https://cdn.example/x.js');\n",
        "js/mod.js": "var m;\nexport const b = 2;\n", "js/broken.js": "function( {\n",
        "js/page.js": "let x = [1, 2;\n", "js/lazy.js": "const name = 'x';\nimport(`./${name}.js`);\n",
    }, {"js/app.js": ["js/a.js", "js/mod.js", "js/broken.js"]})
    result = run_cli("build", cwd=root)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("static_src/js/mod.js:2:1: error: an ES module (import/export) cannot go into "
                               "the classic-script bundle 'js/app.js'") for line in lines)
    assert any(line.startswith("static_src/js/broken.js:1:1: error: syntax error") for line in lines)
    assert "static_src/js/page.js:1:14: error: syntax error: missing ']'" in lines
    assert "static_src/js/a.js:2:9: error: './lazy.js' is relative to this file, which the bundle 'js/app.js' " \
           "moves; publish this script as a file instead" in lines
    assert "static_src/js/lazy.js:2: warning: import() of a computed specifier" in result.stderr
    assert lines[-1] == "assetbuild: 4 errors"


def test_importmap_mode_publishes_modules_untouched(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", MODULES, modules="importmap")
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")
    assert manifest["modules"] == "importmap"
    text = published(root, "js/main.js")[1]
    worker = Path(manifest["assets"]["js/worker.js"]["file"]).name
    util_file = Path(manifest["assets"]["js/lib/util.js"]["file"]).name
    # Specifiers stay for the import map; a worker URL is a URL, which no import map reaches,
    # and a worker does not see the page's import map, so its own imports are rewritten.
    assert text == MODULES["js/main.js"].replace('"./worker.js"', f'"./{worker}"')
    assert published(root, "js/worker.js")[1] == MODULES["js/worker.js"].replace("util.js", util_file)
    assert manifest["assets"]["js/main.js"]["imports"] == ["js/lib/util.js", "shared/shared.js"]
    # Untouched files are named by their own bytes: a change in util.js renames only util.js.
    util = (root / "dist/files" / manifest["assets"]["js/lib/util.js"]["file"]).read_bytes()
    assert re.search(hashlib.sha256(util).hexdigest()[:12], manifest["assets"]["js/lib/util.js"]["file"])


def test_root_absolute_specifiers_and_excluded_modules_that_are_imported(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {
        "js/app.js": 'import { x } from "/static/vendor/x.js";\nimport("../vendor/y.js");\n'
                     'import "https://cdn.example/z.js";\n',
        "vendor/x.js": 'import { y } from "./y.js";\nexport const x = y;\n',
        "vendor/y.js": "export const y = 1;\n",
        "vendor/unused.js": "export const unused = 1;\n",
    }, exclude=["vendor/**"])
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stderr
    manifest = load_manifest(root / "dist")["assets"]
    assert set(manifest) == {"js/app.js", "vendor/x.js", "vendor/y.js"}, "excluded, but imported: published"
    x, y = manifest["vendor/x.js"]["file"], manifest["vendor/y.js"]["file"]
    text = published(root, "js/app.js")[1]
    assert f'from "../{x}";' in text and f'import("../{y}")' in text and '"https://cdn.example/z.js"' in text
    assert f'from "./{Path(y).name}"' in published(root, "vendor/x.js")[1]
