"""Find the module specifiers of a JavaScript file with a real parser: a pure function of bytes.

tree-sitter's JavaScript grammar parses scripts and modules alike, so comments, strings,
template literals and regular expressions are never mistaken for an ``import`` (regular
expressions cannot tell ``/import("x")/`` from a call; a parser can). The query runs in
C; Python only sees the few nodes that match. Files whose bytes hold none of the words a
specifier needs are parsed for syntax errors only, and ``cached_scan`` keeps each parse
in the build cache by content, so a rebuild parses only what changed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from .cache import Cache, key_of
from .references import Reference

# Kinds of specifier: STATIC (import/export ... from), DYNAMIC (import("x")), URL
# (new URL("x", import.meta.url)) and RESOLVE (import.meta.resolve("x")).
STATIC, DYNAMIC, URL, RESOLVE = "es-import", "es-dynamic", "es-url", "es-resolve"
MODULE_KINDS = (STATIC, DYNAMIC, RESOLVE)
SPECIFIER_WORDS = (b"import", b"export", b"URL")  # a file without them has no specifier
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_QUERY = """
(import_statement source: (string) @import)
(export_statement source: (string) @import)
(call_expression function: (import) arguments: (arguments . (_) @dynamic))
(new_expression constructor: (identifier) @url.ctor
  arguments: (arguments . (_) @url
    . (member_expression object: (meta_property) property: (property_identifier) @url.meta)))
(call_expression function: (member_expression object: (meta_property) property: (property_identifier) @resolve.meta)
  arguments: (arguments . (_) @resolve))
"""


@dataclass(frozen=True)
class Scan:
    """What a JavaScript file says about modules: its specifiers, its first syntax error,
    non-literal ``import(expr)`` lines, and where its first ``import``/``export`` statement is
    (None in a classic script)."""

    specifiers: tuple[Reference, ...] = ()
    syntax_error: tuple[int, int, str] | None = None
    dynamic_lines: tuple[int, ...] = ()
    module_at: tuple[int, int] | None = None


@cache
def _parser() -> tuple[Any, Any]:
    """One parser and query per process (workers build their own after the fork)."""
    import tree_sitter_javascript
    from tree_sitter import Language, Parser, Query

    language = Language(tree_sitter_javascript.language())
    return Parser(language), Query(language, _QUERY)


def scan(data: bytes) -> Scan:
    """Parse ``data`` once; every specifier in source order."""
    from tree_sitter import QueryCursor

    parser, query = _parser()
    tree = parser.parse(data)
    root = tree.root_node
    error = _first_error(root) if root.has_error else None
    if not any(word in data for word in SPECIFIER_WORDS):
        return Scan(syntax_error=error)
    found: list[Reference] = []
    dynamic_lines: list[int] = []
    statements: list[Any] = []
    for _, captures in QueryCursor(query).matches(root):
        if "import" in captures:
            node = captures["import"][0]
            statements.append(node.parent)
            found.append(_specifier(node, STATIC))
        elif "dynamic" in captures:
            node = captures["dynamic"][0]
            if _literal(node):
                found.append(_specifier(node, DYNAMIC))
            else:
                dynamic_lines.append(node.start_point[0] + 1)
        elif "url" in captures:
            if (captures["url.ctor"][0].text == b"URL" and captures["url.meta"][0].text == b"url"
                    and _literal(captures["url"][0])):
                found.append(_specifier(captures["url"][0], URL))
        elif "resolve" in captures and captures["resolve.meta"][0].text == b"resolve" and _literal(
                captures["resolve"][0]):
            found.append(_specifier(captures["resolve"][0], RESOLVE))
    if b"export" in data:
        statements.extend(child for child in root.children if child.type == "export_statement")
    first = min(statements, key=lambda node: node.start_byte, default=None)
    module_at = (first.start_point[0] + 1, first.start_point[1] + 1) if first is not None else None
    found.sort(key=lambda ref: ref.start)
    return Scan(tuple(found), error, tuple(dynamic_lines), module_at)


def is_relative(specifier: str) -> bool:
    """``./x`` and ``../x``: resolved against the importing file, as browsers do."""
    return specifier.startswith(("./", "../"))


def is_bare(specifier: str) -> bool:
    """``vue`` or ``lit/html.js``: only an import map gives it a meaning."""
    return not (is_relative(specifier) or specifier.startswith("/") or _SCHEME.match(specifier))


def map_bare(specifier: str, importmap: Mapping[str, str]) -> str | None:
    """The logical name an import map gives a bare specifier: an exact entry, else the longest
    ``/``-ended prefix entry (as browsers resolve import maps); None if none fits."""
    if specifier in importmap:
        return importmap[specifier]
    prefixes = [key for key in importmap if key.endswith("/") and specifier.startswith(key)]
    if not prefixes:
        return None
    key = max(prefixes, key=len)
    return importmap[key] + specifier[len(key):]


def cached_scan(data: bytes, cache: Cache) -> Scan:
    """``scan``, remembered in the build cache by the file's content (and the parser's version):
    a rebuild parses only the scripts that changed."""
    return remembered_scan(data, cache) or scan_and_remember(data, cache)


def scan_and_remember(data: bytes, cache: Cache) -> Scan:
    """``scan``, and its result put in the cache (for a script the cache was asked about already)."""
    found = scan(data)
    fields = asdict(found)
    for ref in fields["specifiers"]:
        ref["target"] = ref["target"].decode("utf-8", "surrogateescape")
    cache.put("js-scan", _scan_key(data), json.dumps(fields, ensure_ascii=True).encode())
    return found


def remembered_scan(data: bytes, cache: Cache) -> Scan | None:
    """The scan the cache holds for these bytes, or None; a damaged entry is a miss."""
    raw = cache.get("js-scan", _scan_key(data))
    if raw is None:
        return None
    try:
        fields = json.loads(raw)
        refs = (Reference(**{**r, "target": r["target"].encode("utf-8", "surrogateescape")})
                for r in fields["specifiers"])
        return Scan(tuple(refs),
                    tuple(fields["syntax_error"]) if fields["syntax_error"] else None,  # type: ignore[arg-type]
                    tuple(fields["dynamic_lines"]),
                    tuple(fields["module_at"]) if fields["module_at"] else None)  # type: ignore[arg-type]
    except (ValueError, KeyError, TypeError):
        return None


def _scan_key(data: bytes) -> str:
    return key_of("js-scan", _parser_versions(), hashlib.sha256(data).digest())


@cache
def _parser_versions() -> str:
    from importlib import metadata

    return " ".join(f"{name}={metadata.version(name)}" for name in ("tree-sitter", "tree-sitter-javascript"))


def _literal(node: Any) -> bool:
    """A string, or a template literal without ``${}``."""
    if node.type == "string":
        return True
    return node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children)


def _specifier(node: Any, kind: str) -> Reference:
    """The text between the quotes or backticks, with its place (line and column count from 1)."""
    start, end = node.start_byte + 1, node.end_byte - 1
    row, column = node.start_point
    return Reference(start, end, node.text[1:-1], kind, row + 1, column + 2)


def _first_error(root: Any) -> tuple[int, int, str]:
    """The first ERROR or MISSING node, depth first: where a person starts reading."""
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.is_missing:
            row, column = node.start_point
            return row + 1, column + 1, f"syntax error: missing {node.type!r}"
        if node.type == "ERROR":
            row, column = node.start_point
            return row + 1, column + 1, "syntax error" + _near(node)
        if node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                row, column = root.start_point
                return row + 1, column + 1, "syntax error"


def _near(node: Any) -> str:
    text = node.text.split(b"\n", 1)[0][:30].decode("utf-8", "replace").strip()
    return f" near {text!r}" if text else ""
