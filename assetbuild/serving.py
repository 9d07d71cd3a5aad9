"""The one serving contract: which URLs answer with which file and headers, for every door.

WSGI, ASGI, Django and Flask all serve through ``ReleaseFiles``. It is built once at
start-up from the manifest of the loaded release and of every other release kept beside
it, so a known URL is one dictionary lookup; a hashed URL that is not known yet costs one
look at the releases folder (a release built after the process started). Anything else
under the prefix (the manifest, unhashed names, ``..``, backslashes) is simply not in the
table. The HTTP side (``Accept-Encoding`` with q-values, ``Vary``, 304 on a matching
``ETag``, HEAD, ranges) is ServeStatic's ``StaticFile``, the same object in every door.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

from servestatic.responders import MissingFileError, StaticFile

from .errors import AssetbuildError
from .headers import CACHE_CONTROL, content_type
from .manifest import MANIFEST_NAME, Entry, Manifest

# What a fingerprinted file name looks like: worth a look at the releases folder when unknown.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}(\.[^/]*)?$")
ETAG_CHARS = 24  # of the base64 sha384 digest: 144 bits, far beyond any collision
# Below the prefix, the paths of development mode (its events and client script): never a
# release file, and left to the app, whose development layer answers them (or its 404).
DEV_ENDPOINT = "__assetbuild__/"


class ReleaseFiles:
    """The table of served files of one process: its own release first, then the kept ones."""

    def __init__(self, manifest: Manifest, mount: str | None = None) -> None:
        if manifest.release_dir is None:
            raise ValueError("the manifest was not loaded from a release folder")
        self.manifest = manifest
        self.mount = mount or mount_path(manifest.url_prefix)
        self.release_dir = Path(os.path.realpath(manifest.release_dir))
        self.releases_dir = self.release_dir.parent
        self._files: dict[str, tuple[str, StaticFile]] = {}  # URL -> (path on disk, its responder)
        self._known: set[str] = set()
        self._lock = threading.Lock()
        self._add_release(self.release_dir.name, manifest)
        self._look_for_releases()

    def lookup(self, path: str) -> StaticFile | None:
        """The file served at a request path (already percent-decoded), or None."""
        found = self._files.get(path)
        if found is None and path.startswith(self.mount) and HASHED_NAME.search(path):
            self._look_for_releases()
            found = self._files.get(path)
        if found is None or not os.path.isfile(found[0]):
            return None  # unknown, or its release was pruned since: a 404, never a 500
        return found[1]

    def owns(self, path: str) -> bool:
        """Whether a request path is under the prefix, so that an unknown one is a 404 (the
        development endpoint aside: it is the app's, as Django's middleware serves it)."""
        return path.startswith(self.mount) and not path.startswith(self.mount + DEV_ENDPOINT)

    def _look_for_releases(self) -> None:
        """Add every release of the releases folder not seen yet (one listing)."""
        try:
            names = set(os.listdir(self.releases_dir))
        except OSError:
            return
        with self._lock:
            for name in sorted(names - self._known):
                if name.startswith("."):
                    continue  # a release being written (releases/.tmp-*), renamed whole when done
                self._known.add(name)  # a release appears whole, by one rename: one look is enough
                try:
                    other = Manifest.load(self.releases_dir / name / MANIFEST_NAME)
                except AssetbuildError:  # not a readable release: nothing of it is served
                    continue
                self._add_release(name, other)

    def _add_release(self, name: str, manifest: Manifest) -> None:
        """Serve a release's files from where it keeps them (the output folder's store)."""
        self._known.add(name)
        folder = manifest.files_dir or self.release_dir
        for entry in manifest.entries.values():
            url = self.mount + entry.file
            if url in self._files:
                continue  # the same hashed name is the same bytes; the loaded release came first
            try:
                self._files[url] = (str(folder / entry.file), _static_file(folder, entry))
            except MissingFileError:
                continue


def _static_file(folder: Path, entry: Entry) -> StaticFile:
    path = str(folder / entry.file)
    media_type = content_type(entry.type)
    digest = entry.integrity.partition("-")[2][:ETAG_CHARS] or entry.file
    headers = [
        ("Content-Type", media_type),
        ("Cache-Control", CACHE_CONTROL),
        ("Access-Control-Allow-Origin", "*"),  # Subresource Integrity from a CDN needs CORS
        ("ETag", f'"{digest}"'),
    ]
    encodings = {encoding: str(folder / file) for encoding, file in entry.encodings.items()}
    return StaticFile(path, headers, encodings=encodings)


def mount_path(url_prefix: str) -> str:
    """Where a prefix is served: its path part, so a CDN origin pulls from the same path."""
    path = urlsplit(url_prefix).path or "/"
    return path if path.endswith("/") else path + "/"
