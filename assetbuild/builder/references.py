"""Find and rewrite the references one file makes to others: a pure function of bytes.

CSS: ``url(...)``, ``@import "..."`` and ``/*# sourceMappingURL=... */``; JS: the
``//# sourceMappingURL=...`` comment and the module specifiers ``js_modules`` finds.
Comments and strings are skipped, so ``content: "url(x)"`` is not a reference. Working on bytes keeps every byte that
is not rewritten, whatever its encoding.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from .cache import key_of

if TYPE_CHECKING:
    from .cache import Cache

# Linear on any input: quantifiers are possessive (``*+``), so a failed match never retries
# shorter spans, and a string without its closing quote ends at the line's end (CSS's
# "bad string"), so it is consumed once instead of being rescanned from each quote inside it.
_STRING = rb""""(?:[^"\\\n]|\\.)*+"?|'(?:[^'\\\n]|\\.)*+'?"""
_CSS = re.compile(
    rb"(?P<comment>/\*.*?(?:\*/|\Z))"
    rb"|(?P<url>\burl\(\s*+(?:\"(?P<dq>(?:[^\"\\\n]|\\.)*+)\"|'(?P<sq>(?:[^'\\\n]|\\.)*+)'"
    rb"|(?P<bare>[^\s\"'()\\]*+))\s*+\))"
    rb"|(?P<import>@import\s++(?:\"(?P<idq>(?:[^\"\\\n]|\\.)*+)\"|'(?P<isq>(?:[^'\\\n]|\\.)*+)'))"
    rb"|(?P<string>" + _STRING + rb")",
    re.S | re.I,
)
_CSS_MAP = re.compile(rb"/\*[#@]\s*sourceMappingURL=(?P<target>[^\s*]+)\s*\*/")
_JS_MAP = re.compile(rb"(?m)^[ \t]*//[#@][ \t]*sourceMappingURL=(?P<target>\S+)[ \t]*\r?$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True)
class Reference:
    """One reference as written: ``target`` spans ``start:end`` of the file's bytes."""

    start: int
    end: int
    target: bytes
    kind: str  # "url", "import" or "sourcemap"; in JS also js_modules.MODULE_KINDS and URL
    line: int
    col: int
    comment: tuple[int, int] | None = None  # the whole sourceMappingURL comment, to drop it

    @property
    def text(self) -> str:
        return self.target.decode("utf-8", "surrogateescape")


def kind_of(name: str) -> str | None:
    """Which finder reads a file: 'css', 'js' or none."""
    lower = name.lower()
    if lower.endswith(".css"):
        return "css"
    if lower.endswith((".js", ".mjs")):
        return "js"
    return None


def find(data: bytes, kind: str, specifiers: Sequence[Reference] | None = None) -> list[Reference]:
    """Every reference in ``data`` (a 'css' or 'js' file), in order; a script's module
    ``specifiers`` are found by parsing it unless the caller scanned it already."""
    refs = list(_located(data, _spans(data, kind)))
    if kind == "js":
        if specifiers is None:
            from .js_modules import scan  # tree-sitter: loaded only where a script is scanned

            specifiers = scan(data).specifiers
        refs = sorted([*refs, *specifiers], key=lambda ref: ref.start)
    return refs


def find_cached(data: bytes, cache: Cache) -> list[Reference]:
    """``find`` for a stylesheet, its spans remembered in the build cache by the file's content:
    a rebuild scans only the stylesheets that changed (20 MB of vendor CSS took 0.5 s). A
    damaged entry is a miss."""
    key = key_of("css-refs", hashlib.sha256(data).digest())
    raw = cache.get("css-refs", key)
    if raw is not None:
        try:
            spans = [(start, end, kind, tuple(comment) if comment else None)
                     for start, end, kind, comment in json.loads(raw)]
            if all(0 <= start <= end <= len(data) for start, end, _, _ in spans):
                return list(_located(data, spans))  # type: ignore[arg-type]
        except (ValueError, TypeError):
            pass
    spans = _spans(data, "css")
    cache.put("css-refs", key, json.dumps(spans).encode())
    return list(_located(data, spans))


def _spans(data: bytes, kind: str) -> list[tuple[int, int, str, tuple[int, int] | None]]:
    """Where each reference's target is (start, end), its kind, and the whole comment around a
    source map's (to drop it): every reference but a script's module specifiers."""
    found: list[tuple[int, int, str, tuple[int, int] | None]] = []
    if kind == "css":
        for m in _CSS.finditer(data):
            group = m.lastgroup
            if group == "comment":
                mapped = _CSS_MAP.fullmatch(m.group())
                if mapped:
                    start = m.start() + mapped.start("target")
                    found.append((start, start + len(mapped.group("target")), "sourcemap", m.span()))
            elif m.group("url") is not None:
                name = next(g for g in ("dq", "sq", "bare") if m.group(g) is not None)
                found.append((m.start(name), m.end(name), "url", None))
            elif m.group("import") is not None:
                name = "idq" if m.group("idq") is not None else "isq"
                found.append((m.start(name), m.end(name), "import", None))
    elif kind == "js":
        # Only the lines that name a source map are matched: finding them is a byte search, where
        # the line-anchored pattern would be tried at every line of megabytes of vendor scripts.
        at, done = data.find(b"sourceMappingURL="), 0
        while at >= 0:
            start = data.rfind(b"\n", 0, at) + 1
            m = _JS_MAP.match(data, start) if start >= done else None
            if m:
                found.append((m.start("target"), m.end("target"), "sourcemap", m.span()))
                done = m.end()
            at = data.find(b"sourceMappingURL=", at + 1)
    return found


def _located(data: bytes, found: list[tuple[int, int, str, tuple[int, int] | None]]) -> Iterator[Reference]:
    """References with their line and column, counted incrementally: each byte is looked at once."""
    line, line_start, pos = 1, 0, 0
    for start, end, kind, comment in sorted(found, key=lambda f: f[0]):
        newlines = data.count(b"\n", pos, start)
        if newlines:
            line += newlines
            line_start = data.rfind(b"\n", pos, start) + 1
        pos = start
        yield Reference(start, end, data[start:end], kind, line, start - line_start + 1, comment)


def is_local(target: str, root: str = "") -> bool:
    """True for a path to another file of the release: relative, or root-absolute under ``root``
    (the URL prefix's path, see ``root_of``); false for data:, other absolute, scheme, //cdn and #frag."""
    if root and target.startswith(root) and not target.startswith("//") and target.strip() == target:
        return True
    return bool(target) and not (
        target.startswith(("/", "#", "\\")) or _SCHEME.match(target) or target.strip() != target
    )


def root_of(url_prefix: str) -> str:
    """The path a release is served under (``/static/`` of ``https://cdn.example.com/static/``):
    a root-absolute reference under it names a logical file (SPEC section 4)."""
    path = urlsplit(url_prefix).path or "/"
    return path if path.endswith("/") else path + "/"


def split(target: str) -> tuple[str, str]:
    """``img/a.png?v=2#x`` -> (``img/a.png``, ``?v=2#x``)."""
    cut = min((i for i in (target.find("?"), target.find("#")) if i >= 0), default=len(target))
    return target[:cut], target[cut:]


def resolve(referrer: str, target: str, root: str = "") -> str | None:
    """The logical name a local reference points at, or None where it climbs out of the root."""
    path, _ = split(target)
    if root and path.startswith(root):  # root-absolute under the prefix: relative to the release
        joined = posixpath.normpath(unquote(path[len(root):]) or ".")
    else:
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(referrer), unquote(path)))
    if joined == "." or joined.startswith("../") or joined == ".." or joined.startswith("/"):
        return None
    return joined


def check_target(
    target: str | None, written: str, published: frozenset[str], unpublished: Mapping[str, str]
) -> str | None:
    """Why a local reference is wrong, or None when it points at a published file."""
    if target is None:
        return f"reference {written!r} leads outside the source folder"
    if target in published:
        return None
    if target in unpublished:
        return f"reference {written!r} points at {target!r}, {unpublished[target]}"
    return f"reference to missing file {written!r} (no {target!r} in the source folder)"


@dataclass(frozen=True)
class Edit:
    """One replacement made by ``rewrite``: at ``start`` (in the old bytes), ``old`` bytes became ``new``."""

    start: int
    old: int
    new: int


def rewrite(
    data: bytes, references: Iterable[Reference], replace: Callable[[Reference], bytes | None]
) -> tuple[bytes, list[Edit]]:
    """Replace each reference's target with ``replace(ref)``; None drops a sourceMappingURL
    comment (or keeps any other reference as it is). Returns the new bytes and the edits."""
    out: list[bytes] = []
    edits: list[Edit] = []
    pos = 0
    for ref in sorted(references, key=lambda r: r.start):
        new = replace(ref)
        if new is None and ref.comment is not None:
            start, end = ref.comment
            if end < len(data) and data[end:end + 1] == b"\n" and (start == 0 or data[start - 1:start] == b"\n"):
                end += 1
        elif new is None or new == ref.target:
            continue
        else:
            start, end = ref.start, ref.end
        out.append(data[pos:start])
        out.append(new or b"")
        edits.append(Edit(start, end - start, len(new or b"")))
        pos = end
    out.append(data[pos:])
    return b"".join(out), edits


def relative_url(target: str, folder: str) -> str:
    """The URL path from files in ``folder`` to the logical name ``target``, percent-encoded
    where a character could end or break a ``url()`` (quotes, parentheses, spaces, '#', '?')."""
    return quote(posixpath.relpath(target, folder or "."), safe="/:@!$&*+,;=~-._")


def hashed_name(name: str, digest: str) -> str:
    """``css/app.css`` -> ``css/app.<digest>.css``; a name without a suffix gets ``.<digest>``."""
    folder, _, base = name.rpartition("/")
    stem, dot, suffix = base.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot and stem else f"{base}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed
