"""libsass compiles what we read for it (the entry as a string, imports through its hook), and the
result is what libsass gives when it opens the files itself: the same CSS, the same map."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sass

from assetbuild.builder.sass_compile import SassOptions, compile_sass

FILES = {
    "s/app.scss": '@import "sub/a", "lib", "plain", "x.css";\n.z{w:1}\n// a comment\n',
    "s/sub/_a.sass": "$c: red\n=m\n  color: $c\n.a\n  +m\n  x: 1\n",
    "s/lib/_index.scss": ".l{y:2}\n",
    "s/plain.css": ".p{q:3}\n",
    "s/indented.sass": '@import "sub/a"\n.i\n  +m\n  y: 2px\n',
    "s/empty.scss": "",
    "s/pkg.scss": '@import "kit/k";\n.q{r:$k}\n',
    "vendor/kit/_k.scss": "$k: 4px;\n.k{s:$k}\n",
}


def libsass_on_its_own(entry: Path, load_paths: list[str]) -> tuple[str, dict]:
    """What libsass makes of ``entry`` when it reads it and its imports itself, with a hook that only
    watches (as the build compiled before; with no hook at all, libsass 3.6.6 leaves a file that
    produces no CSS, Bootstrap's ``_variables-dark.scss``, out of the map's sources)."""
    css, raw_map = sass.compile(filename=str(entry), source_map_filename=f"{entry}.map", source_map_contents=True,
                                output_style="compressed", omit_source_map_url=True, include_paths=load_paths,
                                importers=[(0, lambda path, prev: None)])
    source_map = json.loads(raw_map)
    source_map["sources"] = [os.path.normpath(entry.parent / s) for s in source_map["sources"]]
    return css, source_map


@pytest.mark.parametrize("entry", ["s/app.scss", "s/indented.sass", "s/empty.scss", "s/pkg.scss"])
def test_libsass_output_is_what_it_gives_reading_the_files_itself(tmp_path: Path, entry: str) -> None:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    options = SassOptions("libsass", str(tmp_path / "s"), (str(tmp_path / "vendor"),))
    out = compile_sass(str(tmp_path / entry), options, str)
    css, source_map = libsass_on_its_own(tmp_path / entry, [str(tmp_path / "vendor")])
    assert out.css == css
    assert dict(out.source_map) == source_map
    assert out.read[0] == str(tmp_path / entry) and set(out.read) == set(source_map["sources"])


@pytest.mark.npm
def test_bootstrap_with_libsass_is_byte_identical_to_libsass_reading_it(tmp_path: Path, npm_package) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules/bootstrap").symlink_to(npm_package("bootstrap", "5.3.3"))  # a linked package
    entry = tmp_path / "src/app.scss"
    entry.write_text('$primary: #336699;\n@import "bootstrap/scss/bootstrap";\n')
    load_paths = [str(tmp_path / "node_modules")]
    out = compile_sass(str(entry), SassOptions("libsass", str(tmp_path / "src"), tuple(load_paths)), str)
    css, source_map = libsass_on_its_own(entry, load_paths)
    same_css, same_map = out.css == css, json.dumps(dict(out.source_map)) == json.dumps(source_map)
    assert len(out.css) > 200_000 and same_css and same_map  # (no diff of 800 kB shown: it takes minutes)
    assert set(out.read) == set(source_map["sources"]) and len(out.read) > 50
