"""``{% load assetbuild %}``: ``{% asset_url name %}``, ``{% asset_tag name attr=value %}``,
``{% asset_importmap %}``; the Jinja2 helpers' own output, so both template languages agree."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from ...jinja import asset_importmap as render_importmap
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
    return mark_safe(str(render_importmap(release_manifest())))  # noqa: S308 - JSON with '<' escaped
