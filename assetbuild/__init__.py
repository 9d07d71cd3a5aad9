"""assetbuild: build assets into an immutable release at build time; read its manifest at run time.

Importing this package loads only the run-time side; the build lives in
``assetbuild.builder`` and is imported by the command line alone.
"""

from .errors import AssetbuildError, AssetNotFound, ManifestError
from .manifest import Manifest
from .mode import load_manifest

__all__ = ["AssetNotFound", "AssetbuildError", "Manifest", "ManifestError", "load_manifest"]
__version__ = "0.1.0"
