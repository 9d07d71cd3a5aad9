"""Check at build time that templates name only assets the release has.

Reads each template's Jinja2 syntax tree (not its text), so a call is found however
it is written, and a name that is not a literal is reported as a warning. The pages
(by suffix) are checked, and every file they include, extend or import, whatever its suffix.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import jinja2
from jinja2 import nodes

from ..errors import AssetbuildError, SourceError, closest
from .django_templates import is_django_template, named_assets
from .sources import is_page, template_files

HELPERS = frozenset({"asset_url", "asset_tag"})


def check_templates(
    folders: Iterable[Path],
    assets: Iterable[str],
    display: Callable[[Path], str],
    warn: Callable[[str], None],
) -> list[AssetbuildError]:
    """Every unknown asset name and syntax error under ``folders``; warnings go to ``warn``."""
    known = frozenset(assets)
    env = jinja2.Environment()
    errors: list[AssetbuildError] = []
    folders = list(folders)
    every = template_files(folders)
    queue = [p for p in every if is_page(p)]
    reachable = set(every)
    checked: set[Path] = set()
    while queue:
        path = queue.pop(0)
        if path in checked:
            continue
        checked.add(path)
        shown = display(path)
        try:
            source = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            errors.append(SourceError(shown, f"not valid UTF-8 (byte {err.start})"))
            continue
        if is_django_template(source):
            errors.extend(_check_django(source, shown, known, warn))
            continue
        try:
            tree = env.parse(source, name=path.name, filename=os.fspath(path))
        except jinja2.TemplateSyntaxError as err:
            errors.append(SourceError(shown, f"template syntax: {err.message}", err.lineno))
            continue
        queue += [t for t in _included(tree, folders, reachable) if t not in checked]
        for call in tree.find_all(nodes.Call):
            if not (isinstance(call.node, nodes.Name) and call.node.name in HELPERS):
                continue
            first = call.args[0] if call.args else None
            if isinstance(first, nodes.Const) and isinstance(first.value, str):
                if first.value not in known:
                    errors.append(_unknown(shown, first.value, known, call.lineno))
            else:
                warn(f"{shown}:{call.lineno}: warning: {call.node.name}() with a name that is not "
                     "a literal string cannot be checked at build time")
    return errors


def _check_django(source: str, shown: str, known: frozenset[str], warn: Callable[[str], None]) -> list[AssetbuildError]:
    errors: list[AssetbuildError] = []
    for found in named_assets(source):
        if found.name is None:
            warn(f"{shown}:{found.line}:{found.col}: warning: {{% {found.tag} %}} with a name that is not "
                 "a literal string cannot be checked at build time")
        elif found.name not in known and not found.name.endswith("/"):
            errors.append(_unknown(shown, found.name, known, found.line, found.col))
    return errors


def _unknown(shown: str, name: str, known: frozenset[str], line: int, col: int | None = None) -> SourceError:
    hint = closest(name, known, n=1)
    return SourceError(shown, f"unknown asset {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""), line, col)


def _included(tree: nodes.Template, folders: list[Path], reachable: set[Path]) -> list[Path]:
    """The files a template includes, extends or imports by a literal name, whatever their suffix
    (``.inc``, ``.tpl``, ``.njk``): the loader reaches them (in the first folder that has them),
    so the build checks them too."""
    found = []
    for node in tree.find_all((nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
        target = node.template
        names = target.items if isinstance(target, (nodes.List, nodes.Tuple)) else [target]
        for name in names:
            if isinstance(name, nodes.Const) and isinstance(name.value, str):
                for folder in folders:
                    path = Path(os.path.normpath(folder / name.value))
                    if path in reachable:
                        found.append(path)
                        break
    return found
