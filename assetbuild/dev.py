"""Development mode: the runtime follows `current`, and open pages hear about every rebuild.

Off by default: ``ASSETBUILD_DEV=1`` (or a framework's debug setting) turns it on, and
production code paths never import this module. `assetbuild watch` rebuilds and records
each round in ``<output>/watch.json``; here the app re-reads the manifest when `current`
moves, and an endpoint of server-sent events tells each open page what changed: new
stylesheets are swapped in place, any other change reloads the page, and a failed build
is shown over the page until the next good one. Nothing here compiles or writes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from .manifest import MANIFEST_NAME, Manifest

STATUS_NAME = "watch.json"  # written by `assetbuild watch` beside `current`
ENDPOINT = "__assetbuild__/"  # below the URL prefix's path: events and client.js
POLL_SECONDS = 0.05
HEARTBEAT_SECONDS = 15.0
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def enabled() -> bool:
    return os.environ.get("ASSETBUILD_DEV", "").strip().lower() in {"1", "true", "yes", "on"}


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


def stream(output: Path, since: State, prefix: str, stop: Callable[[], bool] = lambda: False) -> Iterator[bytes]:
    """Server-sent events from ``since`` on: each change as it happens, a comment now and then."""
    yield b"retry: 500\n\n"
    state, quiet = since, 0.0
    while not stop():
        now = read_state(output)
        for name, data in events(state, now, output, prefix):
            yield f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
            quiet = 0.0
        state = now
        time.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= HEARTBEAT_SECONDS:
            yield b": still here\n\n"  # a closed page shows up as a failed write
            quiet = 0.0


def client_tag(mount: str, state: State) -> bytes:
    query = f"release={state.release}&generation={state.generation}&ok={int(state.ok)}"
    return f'<script src="{mount}{ENDPOINT}client.js?{query}" data-assetbuild-dev></script>'.encode()


def since_from_query(query: str, output: Path) -> State:
    q = {k: v[0] for k, v in parse_qs(query).items()}
    now = read_state(output)
    try:
        return State(q["release"], int(q["generation"]), q["ok"] == "1", now.errors if q["ok"] != "1" else ())
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


class DevMiddleware:
    """WSGI: the events endpoint, the client script and the client tag added to every HTML page.

    The files of releases built after start-up are served by the app's ``ReleaseFiles``, as in
    production: it looks at the releases folder for a hashed URL it does not know yet."""

    def __init__(self, application: WSGIApp, manifest: FollowingManifest, mount: str) -> None:
        self.application, self.manifest, self.mount = application, manifest, mount
        self.output, self.prefix = manifest.link.parent, manifest.url_prefix

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == self.mount + ENDPOINT + "events":
            since = since_from_query(environ.get("QUERY_STRING", ""), self.output)
            start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"),
                                      ("X-Accel-Buffering", "no")])
            return stream(self.output, since, self.prefix)
        if path == self.mount + ENDPOINT + "client.js":
            body = CLIENT_JS.encode()
            start_response("200 OK", [("Content-Type", "text/javascript; charset=utf-8"),
                                      ("Content-Length", str(len(body))), ("Cache-Control", "no-store")])
            return [body]
        return self._with_client(environ, start_response)

    def _with_client(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None  # the legacy write() callable: pages here return their body

        body_parts = self.application(environ, capture)
        try:
            body = b"".join(body_parts)
        finally:
            close = getattr(body_parts, "close", None)
            if close:
                close()
        headers = captured["headers"]
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        if kind.startswith("text/html"):
            body = inject(body, client_tag(self.mount, read_state(self.output)))
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers, captured["exc_info"])
        return [body]


def inject(html: bytes, tag: bytes) -> bytes:
    """Put ``tag`` before ``</head>`` (or ``</body>``, or at the end)."""
    lower = html.lower()
    for marker in (b"</head>", b"</body>"):
        at = lower.rfind(marker)
        if at != -1:
            return html[:at] + tag + html[at:]
    return html + tag


def wrap_wsgi(application: WSGIApp, manifest: FollowingManifest) -> DevMiddleware:
    """Development mode around a WSGI app that serves ``manifest``'s releases."""
    from .wsgi import mount_path

    return DevMiddleware(application, manifest, mount_path(manifest.url_prefix))
