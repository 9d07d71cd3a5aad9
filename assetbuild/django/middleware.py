"""``ReleaseMiddleware``: the Django door of the serving contract (``assetbuild.serving``).

Put it first in ``MIDDLEWARE``: a request for a release file is answered before sessions,
authentication or CSRF look at it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase

from ..serving import ReleaseFiles
from . import release_manifest


class ReleaseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.files = ReleaseFiles(release_manifest())

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        static_file = self.files.lookup(request.path_info)
        if static_file is None:
            if self.files.owns(request.path_info):
                return HttpResponse(b"Not Found\n", status=404, content_type="text/plain; charset=utf-8",
                                    headers={"Cache-Control": "no-cache"})
            return self.get_response(request)
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
