"""Development mode for WSGI apps (the demo, Flask, any WSGI app): the door of ``dev``'s core."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .dev import (
    CLIENT_HEADERS,
    CLIENT_JS,
    ENDPOINT,
    EVENTS_HEADERS,
    FollowingManifest,
    client_tag,
    inject,
    is_html,
    read_state,
    since_from_query,
    stream,
)
from .serving import mount_path

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
            since = since_from_query(environ.get("QUERY_STRING", ""), self.output,
                                     environ.get("HTTP_LAST_EVENT_ID", ""))
            start_response("200 OK", list(EVENTS_HEADERS))
            return stream(self.output, since, self.prefix, once=not environ.get("wsgi.multithread", False))
        if path == self.mount + ENDPOINT + "client.js":
            body = CLIENT_JS.encode()
            start_response("200 OK", [*CLIENT_HEADERS, ("Content-Length", str(len(body)))])
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
        encoding = next((v for k, v in headers if k.lower() == "content-encoding"), "")
        if is_html(kind, encoding) and environ.get("REQUEST_METHOD") != "HEAD":
            body = inject(body, client_tag(self.mount, read_state(self.output)))
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers, captured["exc_info"])
        return [body]


def wrap_wsgi(application: WSGIApp, manifest: FollowingManifest) -> DevMiddleware:
    """Development mode around a WSGI app that serves ``manifest``'s releases."""
    return DevMiddleware(application, manifest, mount_path(manifest.url_prefix))
