"""Development mode: the runtime follows `current`, and open pages hear about every rebuild.

Off by default: ``ASSETBUILD_DEV=1`` (or a framework's debug setting) turns it on, and
production code paths never import this module. `assetbuild watch` rebuilds and records
each round in ``<output>/watch.json``; here the app re-reads the manifest when `current`
moves, and an endpoint of server-sent events tells each open page what changed: new
stylesheets are swapped in place, any other change reloads the page, and a failed build
is shown over the page until the next good one. Nothing here compiles or writes.

This is the core every door shares: ``dev_wsgi`` (WSGI, Flask), ``dev_asgi`` (ASGI) and
``django.development`` put it into HTTP.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .manifest import MANIFEST_NAME, Manifest
from .mode import development
from .serving import DEV_ENDPOINT as ENDPOINT  # below the URL prefix's path: events and client.js

STATUS_NAME = "watch.json"  # written by `assetbuild watch` beside `current`
POLL_SECONDS = 0.05
# A comment this often: a closed page shows up as a failed write, which frees a sync server's thread.
HEARTBEAT_SECONDS = 1.0
EVENTS_HEADERS = (("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"), ("X-Accel-Buffering", "no"))
CLIENT_HEADERS = (("Content-Type", "text/javascript; charset=utf-8"), ("Cache-Control", "no-store"))
MARKER = b"data-assetbuild-dev"  # on the client tag: a page gets it once, however many layers add it


def enabled() -> bool:
    """``$ASSETBUILD_DEV`` asks for development mode."""
    return development()


class FollowingManifest:
    """A ``Manifest`` that re-reads ``current`` whenever it points at another release."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        first = Manifest.load(path)
        self.link = Path(path or os.environ.get("ASSETBUILD_MANIFEST") or "dist/current/manifest.json").parent
        self._target = os.path.realpath(self.link)
        self._manifest = first

    def now(self) -> Manifest:
        target = os.path.realpath(self.link)
        if target != self._target:
            try:
                self._manifest = Manifest.load(Path(target) / MANIFEST_NAME)
                self._target = target
            except Exception:  # noqa: BLE001 - mid-switch: keep the last good one, look again next time
                pass
        return self._manifest

    # Spelled out, not only through __getattr__: helpers keep bound methods (``env.globals["asset_url"]``).
    def url(self, name: str) -> str:
        return self.now().url(name)

    def integrity(self, name: str) -> str:
        return self.now().integrity(name)

    def entry(self, name: str) -> Any:
        return self.now().entry(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.now(), name)

    def __contains__(self, name: object) -> bool:
        return name in self.now()

    def __iter__(self) -> Iterator[str]:
        return iter(self.now())

    def __len__(self) -> int:
        return len(self.now())


@dataclass(frozen=True)
class State:
    """What a page was rendered with, or what is there now: a release and a watch round."""

    release: str
    generation: int
    ok: bool
    errors: tuple[str, ...]
    templates_changed: bool = False


def read_state(output: Path) -> State:
    release = Path(os.path.realpath(output / "current")).name
    try:
        status = json.loads((output / STATUS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    return State(release, int(status.get("generation", 0)), bool(status.get("ok", True)),
                 tuple(str(e) for e in status.get("errors", [])), bool(status.get("templates_changed", False)))


def events(before: State, after: State, output: Path, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """The events that take a page from ``before`` to ``after``."""
    out: list[tuple[str, dict[str, Any]]] = []
    if not after.ok:
        if after.errors != before.errors or before.ok:
            out.append(("error", {"errors": list(after.errors)}))
        return out
    if not before.ok:
        out.append(("ok", {}))
    if after.release != before.release:
        swaps = _stylesheet_swaps(output, before.release, after.release, prefix)
        out.append(("css", {"swaps": swaps}) if swaps is not None else ("reload", {}))
    elif after.generation != before.generation and after.templates_changed:
        out.append(("reload", {}))
    return out


def _stylesheet_swaps(output: Path, old: str, new: str, prefix: str) -> list[dict[str, str]] | None:
    """Old URL -> new URL and integrity for each changed stylesheet, or None if anything else changed."""
    try:
        a = Manifest.load(output / "releases" / old / MANIFEST_NAME).entries
        b = Manifest.load(output / "releases" / new / MANIFEST_NAME).entries
    except Exception:  # noqa: BLE001 - the old release was pruned: a reload is always right
        return None
    changed = {n for n in a.keys() | b.keys() if (a.get(n) and a[n].file) != (b.get(n) and b[n].file)}
    if not changed or any(n not in a or n not in b for n in changed):
        return None
    sheets = [n for n in sorted(changed) if b[n].type == "text/css"]
    if any(n not in sheets and not n.endswith(".map") for n in changed):
        return None
    return [{"old": prefix + a[n].file, "new": prefix + b[n].file, "integrity": b[n].integrity} for n in sheets]


FIRST_CHUNK = b"retry: 500\n\n"
HEARTBEAT = b": still here\n\n"


def changes(output: Path, state: State, prefix: str) -> tuple[State, bytes]:
    """One look at the output folder: the state now and the server-sent events from ``state`` to it,
    ending with the state's id (which the browser sends back as ``Last-Event-ID`` when it reconnects)."""
    now = read_state(output)
    found = events(state, now, output, prefix)
    if not found:
        return now, b""
    text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in found)
    return now, (text + f"id: {now.release} {now.generation} {int(now.ok)}\n\n").encode()


def stream(output: Path, since: State, prefix: str, stop: Callable[[], bool] = lambda: False,
           once: bool = False) -> Iterator[bytes]:
    """Server-sent events from ``since`` on: each change as it happens, a comment now and then.

    ``once``: one look, then the response ends and the browser asks again in half a second, for
    a server without threads, where a stream left open would hold its only worker."""
    yield FIRST_CHUNK
    if once:
        yield changes(output, since, prefix)[1]
        return
    state, quiet = since, 0.0
    while not stop():
        state, chunk = changes(output, state, prefix)
        if chunk:
            yield chunk
            quiet = 0.0
        time.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= HEARTBEAT_SECONDS:
            yield HEARTBEAT
            quiet = 0.0


async def astream(output: Path, since: State, prefix: str, stop: Callable[[], bool] = lambda: False
                  ) -> AsyncIterator[bytes]:
    """``stream`` for an event loop: each look at the disk runs in a worker thread, the waits are
    ``asyncio.sleep``, so one open page never holds up another request."""
    yield FIRST_CHUNK
    state, quiet = since, 0.0
    while not stop():
        state, chunk = await asyncio.to_thread(changes, output, state, prefix)
        if chunk:
            yield chunk
            quiet = 0.0
        await asyncio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= HEARTBEAT_SECONDS:
            yield HEARTBEAT
            quiet = 0.0


def client_tag(mount: str, state: State) -> bytes:
    query = f"release={state.release}&generation={state.generation}&ok={int(state.ok)}"
    return f'<script src="{mount}{ENDPOINT}client.js?{query}" data-assetbuild-dev></script>'.encode()


def since_from_query(query: str, output: Path, last_event_id: str = "") -> State:
    """What the page has seen: the last event's id on a reconnection, else the state it was
    rendered with (the client script's query), else what is there now."""
    q = {k: v[0] for k, v in parse_qs(query).items()}
    if last_event_id.count(" ") == 2:
        q["release"], q["generation"], q["ok"] = last_event_id.split(" ")
    now = read_state(output)
    try:
        generation, ok = int(q["generation"]), q["ok"] == "1"
        # A failed round the page has seen is the one now only if no round ran since.
        return State(q["release"], generation, ok, now.errors if not ok and generation == now.generation else ())
    except (KeyError, ValueError):
        return now


CLIENT_JS = r"""// assetbuild development client: stylesheets swapped in place, reloads, build errors shown.
(() => {
  const me = document.currentScript;
  const events = new EventSource(me.src.replace("client.js", "events"));
  const same = (a, b) => new URL(a, location.href).pathname === new URL(b, location.href).pathname;
  events.addEventListener("css", (e) => {
    for (const swap of JSON.parse(e.data).swaps) {
      for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
        if (!same(link.href, swap.old)) continue;
        const next = link.cloneNode();
        next.href = swap.new;
        next.integrity = swap.integrity;
        next.onload = () => link.remove();
        link.after(next);
      }
    }
  });
  events.addEventListener("reload", () => location.reload());
  events.addEventListener("error", (e) => {
    if (!e.data) return;  // the connection itself: EventSource reconnects on its own
    let box = document.getElementById("assetbuild-overlay");
    if (!box) {
      box = document.createElement("pre");
      box.id = "assetbuild-overlay";
      box.style.cssText = "position:fixed;inset:0;margin:0;padding:2em;z-index:2147483647;overflow:auto;" +
        "background:rgba(20,20,20,.93);color:#ff8a80;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap";
      document.documentElement.append(box);
    }
    box.textContent = "assetbuild: the build failed\n\n" + JSON.parse(e.data).errors.join("\n");
  });
  events.addEventListener("ok", () => document.getElementById("assetbuild-overlay")?.remove());
})();
"""


def inject(html: bytes, tag: bytes) -> bytes:
    """Put ``tag`` before ``</head>`` (or ``</body>``, or at the end), unless a layer nearer the
    app already did (Django's middleware inside an ASGI or WSGI door in development mode)."""
    if MARKER in html:
        return html
    lower = html.lower()
    for marker in (b"</head>", b"</body>"):
        at = lower.rfind(marker)
        if at != -1:
            return html[:at] + tag + html[at:]
    return html + tag


def is_html(content_type: str, content_encoding: str = "") -> bool:
    """Whether a response is a page the client tag can be added to (not compressed already)."""
    return content_type.lower().startswith("text/html") and not content_encoding


def __getattr__(name: str) -> Any:
    """``dev.DevMiddleware`` and ``dev.wrap_wsgi``, now in ``dev_wsgi``, for code that imported them here."""
    if name in ("DevMiddleware", "wrap_wsgi"):
        from . import dev_wsgi

        return getattr(dev_wsgi, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
