"""Jinja2 helpers: ``asset_url(name)``, ``asset_tag(name, **attrs)`` and ``asset_importmap()`` as plain globals.

Plain functions, not a template tag, so the build can find every call in a
template's syntax tree and check the names before anything is deployed.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .manifest import Manifest

_STYLE_TYPES = ("text/css",)
_SCRIPT_TYPES = ("text/javascript", "application/javascript")


def install(env: jinja2.Environment, manifest: Manifest) -> jinja2.Environment:
    """Add ``asset_url``, ``asset_tag`` and ``asset_importmap`` to ``env.globals``; returns ``env``."""
    env.globals["asset_url"] = manifest.url
    env.globals["asset_tag"] = lambda name, **attrs: asset_tag(manifest, name, **attrs)
    env.globals["asset_importmap"] = lambda: asset_importmap(manifest)
    return env


def asset_importmap(manifest: Manifest) -> Markup:
    """``<script type="importmap">`` with the release's hashed URLs and their integrity; it must
    come before any module script of the page."""
    # "<" escaped, so no URL or name can close the script element early.
    text = json.dumps(manifest.importmap(), sort_keys=True, ensure_ascii=False).replace("<", "\\u003c")
    return Markup(f'<script type="importmap">{text}</script>')


def asset_tag(manifest: Manifest, name: str, **attrs: Any) -> Markup:
    """``<link rel="stylesheet">`` for CSS, ``<script>`` for JS, with Subresource Integrity.

    ``attrs`` become attributes: ``defer=True`` a bare ``defer``, ``False``/``None`` nothing,
    ``data_x`` ``data-x``, ``class_`` ``class``; values are escaped.
    """
    entry = manifest.entry(name)
    url = manifest.url(name)
    base = {"integrity": entry.integrity, "crossorigin": "anonymous"}
    if entry.type in _STYLE_TYPES:
        return Markup(f'<link rel="stylesheet" href="{escape(url)}"{_attributes(base, attrs)}>')
    if entry.type in _SCRIPT_TYPES:
        preload = ""
        if attrs.get("type") == "module":  # the static import closure, fetched at once, not level by level
            preload = "".join(
                f'<link rel="modulepreload" href="{escape(manifest.url(dep))}"'
                f'{_attributes({"integrity": manifest.integrity(dep), "crossorigin": "anonymous"}, {})}>\n'
                for dep in manifest.preloads(name)
            )
        return Markup(f'{preload}<script src="{escape(url)}"{_attributes(base, attrs)}></script>')
    raise ValueError(f"asset_tag makes tags for stylesheets and scripts; use asset_url({name!r}) for {entry.type}")


def _attributes(base: dict[str, str], extra: dict[str, Any]) -> str:
    merged: dict[str, Any] = dict(base)
    for key, value in extra.items():
        merged[key.rstrip("_").replace("_", "-")] = value
    parts = []
    for key, value in merged.items():
        if value is True:
            parts.append(f" {escape(key)}")
        elif value is not False and value is not None:
            parts.append(f' {escape(key)}="{escape(value)}"')
    return "".join(parts)
