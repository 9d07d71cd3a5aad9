"""The ASGI door of the serving contract (``serving.py``): Starlette, FastAPI, Litestar, Django.

As middleware, ``serve_release(app)`` answers the release's URLs and passes the rest on;
alone, ``serve_release()`` is an app to mount under the prefix (``app.mount("/static",
serve_release())``): a mounted app sees its mount point in ``root_path``, and the full path
is what the table knows. ServeStatic streams the file, so both doors send the same response.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from servestatic.asgi import FileServerASGI

from .manifest import Manifest
from .mode import development
from .serving import ReleaseFiles

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ReleaseApp:
    """Answers the release's URLs; passes every other request (and websockets) to ``application``."""

    def __init__(self, application: ASGIApp | None, files: ReleaseFiles) -> None:
        self.application = application
        self.files = files

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if self.application is not None:
                return await self.application(scope, receive, send)
            if scope["type"] == "lifespan":  # run alone (`uvicorn module:files`): nothing to start
                return await _lifespan(receive, send)
            return None
        path = full_path(scope)
        static_file = self.files.lookup(path)
        if static_file is not None:
            return await FileServerASGI(static_file)(scope, receive, send)  # type: ignore[arg-type]
        if self.application is None or self.files.owns(path):
            return await not_found(send)
        return await self.application(scope, receive, send)


def full_path(scope: Scope) -> str:
    """The request path from the server's root, also when mounted (Starlette keeps it in ``path``
    and the mount point in ``root_path``; servers following the ASGI spec strictly drop it)."""
    path = scope["path"]  # already decoded to text by the server (WSGI gives latin-1 bytes)
    root = scope.get("root_path") or ""
    return path if not root or path.startswith(root.rstrip("/") + "/") else root.rstrip("/") + path


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def not_found(send: Send) -> None:
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-cache")]})
    await send({"type": "http.response.body", "body": b"Not Found\n"})


def serve_release(application: ASGIApp | None = None, manifest: Manifest | None = None) -> ASGIApp:
    """Wrap ``application`` so that it also serves the release of ``manifest`` (default:
    ``Manifest.load()``) and the releases kept beside it; without an application, serve only them.

    With ``ASSETBUILD_DEV=1``, development mode (``dev_asgi``): it follows ``current`` and tells
    open pages about each rebuild. The signature fits ``app.add_middleware(serve_release, manifest=m)``."""
    if development():
        from .dev_asgi import serve_following  # production never imports development mode

        return serve_following(application, manifest)
    return ReleaseApp(application, ReleaseFiles(manifest if manifest is not None else Manifest.load()))
