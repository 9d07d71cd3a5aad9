"""The Django app of assetbuild: registers the system checks."""

from __future__ import annotations

from django.apps import AppConfig


class AssetbuildConfig(AppConfig):
    name = "assetbuild.django"
    label = "assetbuild"
    verbose_name = "assetbuild"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers them
