"""Development mode for ASGI apps (Starlette, FastAPI, Django under ASGI): the door of ``dev``'s core.

``asgi.serve_release`` returns ``DevApp`` around its ``ReleaseApp`` when ``ASSETBUILD_DEV=1``:
the events are an async stream (one task per open page, ended by ``http.disconnect`` or by the
server's shutdown), and the client tag is added to the app's HTML responses.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import warnings
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from .asgi import ASGIApp, Receive, ReleaseApp, Scope, Send, full_path
from .dev import (
    CLIENT_HEADERS,
    CLIENT_JS,
    ENDPOINT,
    EVENTS_HEADERS,
    FollowingManifest,
    astream,
    client_tag,
    inject,
    is_html,
    read_state,
    since_from_query,
)
from .manifest import MANIFEST_NAME, Manifest
from .serving import ReleaseFiles, mount_path

Message = MutableMapping[str, Any]
SHUTTING_DOWN = threading.Event()  # set by the server's SIGINT/SIGTERM: every event stream ends
_hooked_signals = False


class DevApp:
    """The events endpoint, the client script, and the client tag added to every HTML page."""

    def __init__(self, application: ASGIApp, manifest: FollowingManifest, mount: str) -> None:
        self.application, self.mount = application, mount
        self.output, self.prefix = manifest.link.parent, manifest.url_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.application(scope, receive, send)
        path = full_path(scope)
        if path == self.mount + ENDPOINT + "events":
            return await self._events(scope, receive, send)
        if path == self.mount + ENDPOINT + "client.js":
            body = CLIENT_JS.encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": _raw([*CLIENT_HEADERS, ("Content-Length", str(len(body)))])})
            return await send({"type": "http.response.body", "body": body})
        if scope.get("method") == "HEAD":
            return await self.application(scope, receive, send)
        return await self.application(scope, receive, ClientTagAdder(send, self._tag))

    async def _tag(self) -> bytes:
        return client_tag(self.mount, await asyncio.to_thread(read_state, self.output))

    async def _events(self, scope: Scope, receive: Receive, send: Send) -> None:
        end_streams_on_shutdown()
        query = scope.get("query_string", b"").decode("latin-1")
        last = dict(scope.get("headers", [])).get(b"last-event-id", b"").decode("latin-1")
        since = await asyncio.to_thread(since_from_query, query, self.output, last)
        gone = asyncio.Event()
        listener = asyncio.create_task(_until_disconnect(receive, gone))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": _raw(EVENTS_HEADERS)})
            stop = lambda: gone.is_set() or SHUTTING_DOWN.is_set()  # noqa: E731
            async for chunk in astream(self.output, since, self.prefix, stop):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not gone.is_set():
                await send({"type": "http.response.body", "body": b""})
        except OSError:
            pass  # the page went away mid-write (servers that raise instead of ignoring the send)
        finally:
            listener.cancel()


class ClientTagAdder:
    """A ``send`` that holds an HTML response until its last body part, adds the client tag
    and sends it whole with a corrected Content-Length; anything else passes untouched."""

    def __init__(self, send: Send, tag: Callable[[], Any]) -> None:
        self.send, self.tag = send, tag
        self.start: Message | None = None
        self.parts: list[bytes] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = {k.lower(): v for k, v in message.get("headers", [])}
            if is_html(headers.get(b"content-type", b"").decode("latin-1"),
                       headers.get(b"content-encoding", b"").decode("latin-1")):
                self.start = message
                return None
        elif message["type"] == "http.response.body" and self.start is not None:
            self.parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return None
            body = inject(b"".join(self.parts), await self.tag())
            headers = [(k, v) for k, v in self.start.get("headers", []) if k.lower() != b"content-length"]
            await self.send({**self.start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            self.start = None
            return await self.send({"type": "http.response.body", "body": body})
        return await self.send(message)


async def _until_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


def _raw(headers: Any) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]


def end_streams_on_shutdown() -> None:
    """Chain a handler before the server's own SIGINT/SIGTERM handlers that ends every stream.

    Why by hand: uvicorn (before its PR #2829) stops by waiting for every open response to end,
    and tells the app nothing until they have; an event stream never ends on its own, so Ctrl-C
    would hang on "Waiting for connections to close". Only from the main thread (Python's rule);
    a server that installed no handler of its own is left alone."""
    global _hooked_signals
    if _hooked_signals or threading.current_thread() is not threading.main_thread():
        return
    _hooked_signals = True
    for sig in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(sig)
        if callable(previous):
            signal.signal(sig, _chained(previous))


def _chained(previous: Callable[[int, Any], Any]) -> Callable[[int, Any], Any]:
    def handler(signum: int, frame: Any) -> Any:
        SHUTTING_DOWN.set()
        return previous(signum, frame)

    return handler


def serve_following(application: ASGIApp | None, manifest: Manifest | None) -> DevApp:
    """``serve_release`` in development mode: the release of ``current``, followed, and ``DevApp``.

    A pinned ``Manifest`` is swapped for one that follows the ``current`` beside its release;
    pages rendered with the pinned one keep its URLs, so pass ``assetbuild.load_manifest()``."""
    if manifest is None:
        following = FollowingManifest()
    elif isinstance(manifest, FollowingManifest):
        following = manifest
    else:
        following = FollowingManifest(Path(manifest.release_dir).parent.parent / "current" / MANIFEST_NAME)
        warnings.warn(f"development mode: the manifest given to serve_release is pinned to release "
                      f"{manifest.release}, so pages rendered with it keep that release's URLs; "
                      "load it with assetbuild.load_manifest()", RuntimeWarning, stacklevel=3)
    served = ReleaseApp(application, ReleaseFiles(following))  # type: ignore[arg-type]
    return DevApp(served, following, mount_path(following.url_prefix))
