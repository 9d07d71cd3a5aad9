"""Find the asset names that a Django template names literally, for the build's template check.

Django's own template lexer reads the tags, so quoting, ``as`` clauses and comments are
understood as Django understands them; a template that loads tag libraries (``{% load %}``)
is a Django template, since Jinja2 has no such tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

LOAD_TAG = re.compile(r"{%-?\s*load\s")
TAGS = frozenset({"static", "asset_url", "asset_tag"})


@dataclass(frozen=True)
class NamedAsset:
    """One ``{% static %}``/``{% asset_url %}``/``{% asset_tag %}``: its name, or None when not a literal."""

    tag: str
    name: str | None
    line: int
    col: int


def is_django_template(source: str) -> bool:
    return LOAD_TAG.search(source) is not None


def named_assets(source: str) -> Iterator[NamedAsset]:
    """Every asset tag of a Django template, in order."""
    from django.template.base import DebugLexer, TokenType  # Django is there when its templates are

    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
    in_comment = False
    for token in DebugLexer(source).tokenize():  # the debug lexer records where each tag starts
        if token.token_type != TokenType.BLOCK:
            continue
        bits = token.split_contents()
        if bits[:1] == ["comment"] or bits[:1] == ["endcomment"]:
            in_comment = bits[0] == "comment"
        if in_comment or not bits or bits[0] not in TAGS:
            continue
        col = token.position[0] - line_starts[token.lineno - 1] + 1
        arg = bits[1] if len(bits) > 1 else ""
        literal = len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "\"'"
        yield NamedAsset(bits[0], arg[1:-1] if literal else None, token.lineno, col)
