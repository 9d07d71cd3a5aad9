"""``ReleaseMiddleware``: the Django door of the serving contract (``assetbuild.serving``).

Put it first in ``MIDDLEWARE``: a request for a release file is answered before sessions,
authentication or CSRF look at it. Sync and async capable, so that under ASGI it runs on the
event loop (a lookup in a table) rather than in a thread. In development mode (``DEBUG``) it
also serves the events of development mode and adds their client to HTML pages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase

from ..serving import ReleaseFiles
from . import development, release_manifest


class ReleaseMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        manifest = release_manifest()
        self.files = ReleaseFiles(manifest)
        self.dev = None
        if development():
            from .development import DevPages  # production never imports development mode

            self.dev = DevPages(manifest)  # type: ignore[arg-type]  # a FollowingManifest in development

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self._acall(request)
        response = self.serve(request)
        if response is not None:
            return response
        if self.dev is None:
            return self.get_response(request)
        answer = self.dev.answer(request)
        return answer if answer is not None else self.dev.add_client(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        response = self.serve(request)
        if response is not None:
            return response
        if self.dev is None:
            return await self.get_response(request)
        answer = self.dev.answer(request, asynchronous=True)
        return answer if answer is not None else self.dev.add_client(request, await self.get_response(request))

    def serve(self, request: HttpRequest) -> HttpResponseBase | None:
        """The response for a path under the prefix (a release file or a 404); None for others."""
        static_file = self.files.lookup(request.path_info)
        if static_file is None:
            if self.files.owns(request.path_info):
                return HttpResponse(b"Not Found\n", status=404, content_type="text/plain; charset=utf-8",
                                    headers={"Cache-Control": "no-cache"})
            return None
        served = static_file.get_response(request.method or "GET", request.META)
        response: HttpResponseBase = (
            FileResponse(served.file, status=int(served.status)) if served.file is not None
            else HttpResponse(status=int(served.status))
        )
        for header in ("Content-Type", "Content-Length", "Content-Disposition"):  # FileResponse guesses them
            if header in response:
                del response[header]
        for key, value in served.headers:
            if value is not None:
                response[key] = value
        return response
