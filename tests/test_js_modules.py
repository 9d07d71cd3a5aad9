"""The specifier finder as a table of shapes: what it must find, and the decoys it must not."""

from __future__ import annotations

import pytest

from assetbuild.builder import js_modules
from assetbuild.builder.js_modules import DYNAMIC, RESOLVE, STATIC, URL, scan

FOUND = [
    # The shapes of Django's own ManifestStaticFilesStorage JS tests, and SPEC section 7.
    ('import { a } from "./x.js";', [("./x.js", STATIC)]),
    ("import a from '../lib/x.js'", [("../lib/x.js", STATIC)]),
    ('import a from "/static/x.js"', [("/static/x.js", STATIC)]),
    ('import * as m from "./x.js"', [("./x.js", STATIC)]),
    ('import*as m from"./x.js"', [("./x.js", STATIC)]),
    ('import "./side-effect.js"', [("./side-effect.js", STATIC)]),
    ('import {\n  a,\n  b as c,\n} from "./multi.js"', [("./multi.js", STATIC)]),
    ('import data from "./d.json" with { type: "json" };', [("./d.json", STATIC)]),
    ('export * from "./all.js"', [("./all.js", STATIC)]),
    ('export { x as y } from "./x.js"', [("./x.js", STATIC)]),
    ("export { default } from './forEach.js'\nexport { y } from './y.js'",
     [("./forEach.js", STATIC), ("./y.js", STATIC)]),
    ('import("./d.js")', [("./d.js", DYNAMIC)]),
    ("import('./d.js')", [("./d.js", DYNAMIC)]),
    ("import(`./d.js`)", [("./d.js", DYNAMIC)]),
    ('const w = new URL("./w.js", import.meta.url)', [("./w.js", URL)]),
    ('import.meta.resolve("./r.js")', [("./r.js", RESOLVE)]),
    ('import vue from "vue"', [("vue", STATIC)]),
]

DECOYS = [
    '// @returns {import("./x").T}',
    '/** @type {import("./x").T} */ let t;',
    "const s = 'import(\"./x.js\")';",
    'const s = "import a from \'./x.js\'";',
    "const t = `import(\"./x.js\")`;",
    'const r = /import("x")/;',
    'const u = new URL("./x.js", location.href);',  # a page URL, not the module's
    "const notImport = { import: 1 }; x.import('./x.js');",
]


@pytest.mark.parametrize(("source", "expected"), FOUND, ids=[s for s, _ in FOUND])
def test_specifier_shapes(source: str, expected: list[tuple[str, str]]) -> None:
    data = source.encode()
    found = scan(data)
    assert found.syntax_error is None
    assert [(ref.text, ref.kind) for ref in found.specifiers] == expected
    for ref in found.specifiers:
        assert data[ref.start:ref.end] == ref.target  # exactly the text between the quotes


@pytest.mark.parametrize("source", DECOYS)
def test_decoys_are_not_specifiers(source: str) -> None:
    found = scan(source.encode())
    assert found.syntax_error is None
    assert found.specifiers == ()


def test_line_and_column_of_a_specifier() -> None:
    (ref,) = scan(b'const a = 1;\n  import("./far.js");\n').specifiers
    assert (ref.line, ref.col) == (2, 11)  # the first character inside the quotes


def test_computed_import_is_reported_by_line_not_followed() -> None:
    found = scan(b"let name = 'a';\nimport(`./pages/${name}.js`);\nimport(name);\n")
    assert found.specifiers == ()
    assert found.dynamic_lines == (2, 3)


@pytest.mark.parametrize(("source", "where"), [
    ("var a = 1;\nfunction( {\n", (2, 1)),
    ("let x = [1, 2;\n", (1, 14)),  # where the "]" is missing
    ("const s = `open\n", (1, 11)),
])
def test_syntax_errors_have_line_and_column(source: str, where: tuple[int, int]) -> None:
    error = scan(source.encode()).syntax_error
    assert error is not None and error[:2] == where and error[2].startswith("syntax error")


def test_module_statements_are_located_and_classic_scripts_are_not_modules() -> None:
    assert scan(b"var a = 1;\n\nexport const b = 2;\n").module_at == (3, 1)
    assert scan(b'var a;\nimport x from "./x.js";\n').module_at == (2, 1)
    assert scan(b'var a = import("./lazy.js");\n').module_at is None  # dynamic import works in scripts


@pytest.mark.parametrize(("specifier", "expected"), [
    ("vue", "vendor/vue.js"),
    ("lit/html.js", "vendor/lit/html.js"),
    ("lit/directives/x.js", "vendor/lit-directives/x.js"),  # the longest prefix wins
    ("lit", None),
    ("react", None),
])
def test_bare_specifiers_through_the_configured_map(specifier: str, expected: str | None) -> None:
    importmap = {"vue": "vendor/vue.js", "lit/": "vendor/lit/", "lit/directives/": "vendor/lit-directives/"}
    assert js_modules.map_bare(specifier, importmap) == expected


@pytest.mark.parametrize(("specifier", "bare"), [
    ("vue", True), ("@scope/pkg", True), ("./x.js", False), ("../x.js", False), ("/x.js", False),
    ("https://cdn.example/x.js", False), ("node:fs", False),
])
def test_what_counts_as_bare(specifier: str, bare: bool) -> None:
    assert js_modules.is_bare(specifier) is bare


def test_a_cached_scan_is_the_scan(tmp_path) -> None:
    from assetbuild.builder.cache import Cache

    data = 'import a from "./a.js";\nimport("./caf\xe9.js");\nfunction( {\nexport const x = 1;\n'.encode() + b"\xff"
    cache = Cache(tmp_path / "cache")
    fresh = scan(data)
    assert js_modules.cached_scan(data, cache) == fresh  # a miss: parsed and stored
    assert js_modules.cached_scan(data, cache) == fresh  # a hit: read back
    assert js_modules.cached_scan(data, Cache(None)) == fresh
