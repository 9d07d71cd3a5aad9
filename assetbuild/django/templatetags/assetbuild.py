"""``{% load assetbuild %}``: ``{% asset_url name %}``, ``{% asset_tag name attr=value %}``,
``{% asset_importmap %}``; the same output as the Jinja2 globals."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from ...jinja import asset_tag as render_tag
from .. import release_manifest

register = template.Library()


@register.simple_tag
def asset_url(name: str) -> str:
    return release_manifest().url(name)


@register.simple_tag
def asset_tag(name: str, **attrs: Any) -> SafeString:
    return mark_safe(str(render_tag(release_manifest(), name, **attrs)))  # noqa: S308 - escaped by render_tag


@register.simple_tag
def asset_importmap() -> SafeString:
    manifest = release_manifest()
    if not hasattr(manifest, "importmap"):
        raise template.TemplateSyntaxError("asset_importmap: import maps are not yet supported by this "
                                           "version of assetbuild")
    import json

    data = json.dumps(manifest.importmap(), sort_keys=True).replace("<", "\\u003c")
    return mark_safe(f'<script type="importmap">{data}</script>')  # noqa: S308 - JSON with '<' escaped
