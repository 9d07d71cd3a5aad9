"""Development mode in Django (SPEC section 10): ``ReleaseMiddleware``'s part, on with ``DEBUG``.

The events are a ``StreamingHttpResponse``: a generator under WSGI (``runserver`` and
gunicorn give each open page a thread), an async generator under ASGI (a task, cancelled by
Django when the page goes away). HTML responses get the client tag.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from ..dev import (
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
    stream,
)
from ..serving import mount_path


class DevPages:
    """The events endpoint, the client script, and the client tag for the pages of one site."""

    def __init__(self, manifest: FollowingManifest) -> None:
        self.output, self.prefix = manifest.link.parent, manifest.url_prefix
        self.mount = mount_path(self.prefix)
        self.events_path, self.client_path = self.mount + ENDPOINT + "events", self.mount + ENDPOINT + "client.js"

    def answer(self, request: HttpRequest, asynchronous: bool = False) -> HttpResponseBase | None:
        """The response to a request for the endpoint; None for any other request."""
        if request.path_info == self.events_path:
            since = since_from_query(request.META.get("QUERY_STRING", ""), self.output,
                                     request.META.get("HTTP_LAST_EVENT_ID", ""))
            if asynchronous:
                from ..dev_asgi import SHUTTING_DOWN, end_streams_on_shutdown

                end_streams_on_shutdown()
                content = astream(self.output, since, self.prefix, SHUTTING_DOWN.is_set)
            else:
                content = stream(self.output, since, self.prefix, once=not request.META.get("wsgi.multithread"))
            return StreamingHttpResponse(content, headers=dict(EVENTS_HEADERS))  # type: ignore[arg-type]
        if request.path_info == self.client_path:
            return HttpResponse(CLIENT_JS.encode(), headers=dict(CLIENT_HEADERS))
        return None

    def add_client(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        """``response`` with the client tag, if it is a whole HTML page."""
        if (not isinstance(response, HttpResponse) or request.method == "HEAD"
                or not is_html(response.get("Content-Type", ""), response.get("Content-Encoding", ""))):
            return response
        response.content = inject(response.content, client_tag(self.mount, read_state(self.output)))
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        if response.has_header("ETag"):  # ConditionalGetMiddleware's, for the page without the tag
            del response["ETag"]
        return response
