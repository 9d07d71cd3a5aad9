"""System checks, as errors: a Django app that cannot find its assets must not start quietly."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from ..errors import ManifestError
from . import release_manifest

APP = "assetbuild.django"
STORAGE = "assetbuild.django.ReleaseStorage"


@checks.register(checks.Tags.staticfiles)
def check_release(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    apps = list(settings.INSTALLED_APPS)
    if "django.contrib.staticfiles" in apps and apps.index("django.contrib.staticfiles") < apps.index(APP):
        errors.append(checks.Error(
            f"{APP!r} comes after 'django.contrib.staticfiles' in INSTALLED_APPS, so staticfiles' "
            "runserver and collectstatic win over assetbuild's",
            hint=f"list {APP!r} before 'django.contrib.staticfiles'", id="assetbuild.E003"))
    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND")
    if backend != STORAGE:
        errors.append(checks.Error(
            f"STORAGES['staticfiles']['BACKEND'] is {backend!r}, so {{% static %}} gives URLs "
            "that are not in the release",
            hint=f"set it to {STORAGE!r}", id="assetbuild.E004"))
    try:
        manifest = release_manifest()
    except ManifestError as err:
        errors.append(checks.Error(str(err), hint="run `python manage.py assetbuild build`, or set "
                                   "ASSETBUILD_MANIFEST to the release's manifest.json", id="assetbuild.E001"))
        return errors
    if manifest.url_prefix != settings.STATIC_URL:
        errors.append(checks.Error(
            f"STATIC_URL is {settings.STATIC_URL!r} but the release at {manifest.path} is served at "
            f"{manifest.url_prefix!r}",
            hint="run `python manage.py assetbuild build` again (it builds for STATIC_URL), "
                 "or set ASSETBUILD_URL_PREFIX", id="assetbuild.E002"))
    return errors
