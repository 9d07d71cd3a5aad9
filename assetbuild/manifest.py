"""The run-time view of a release: read manifest.json once, answer lookups from memory.

Nothing here compiles, caches to disk or writes; every URL is computed at load time,
so a lookup is one dictionary access.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import AssetNotFound, ManifestError

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.json"
DEFAULT_MANIFEST = Path("dist") / "current" / MANIFEST_NAME
# An output folder keeps each release's files once, in one store shared by its releases:
# dist/files/<file>, beside dist/releases/<id>/manifest.json (see ``Manifest.files_dir``).
RELEASES = "releases"
STORE = "files"
# The build refuses to write a larger manifest, so every release it makes loads. About
# 2,000,000 assets of the build's shape (~500 bytes each); stops a runaway read.
MAX_MANIFEST_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One published asset as the manifest lists it."""

    name: str
    file: str
    integrity: str
    type: str
    size: int
    encodings: Mapping[str, str]


@dataclass(frozen=True)
class ModuleGraph:
    """What the manifest says about ES modules: each module's imports and the configured import map."""

    imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dynamic_imports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bare: Mapping[str, str] = field(default_factory=dict)  # bare specifier (or "/"-ended prefix) -> logical name
    mode: str = "rewrite"  # "importmap": modules keep their specifiers, the import map maps their URLs


class Manifest:
    """Logical names to URLs for one release."""

    def __init__(
        self, entries: Mapping[str, Entry], url_prefix: str, release: str, path: Path | None = None,
        modules: ModuleGraph | None = None,
    ) -> None:
        self.entries = dict(entries)
        self.url_prefix = url_prefix
        self.release = release
        self.path = path
        self.modules = modules or ModuleGraph()
        # File names may hold spaces, '#', '?' or any Unicode: a URL needs them percent-encoded.
        self._urls = {name: url_prefix + quote(e.file) for name, e in self.entries.items()}
        self._importmap: dict[str, dict[str, str]] | None = None
        self._preloads: dict[str, tuple[str, ...]] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Manifest:
        """Read a manifest: ``path``, else ``$ASSETBUILD_MANIFEST``, else dist/current/manifest.json.

        ``$ASSETBUILD_URL_PREFIX`` replaces the prefix the build recorded (a CDN origin, say).
        The path is resolved once, before reading: through ``current`` to ``releases/<id>``, so
        the process stays pinned to the release it loaded whatever ``current`` points at later.
        """
        given = Path(path or os.environ.get("ASSETBUILD_MANIFEST") or DEFAULT_MANIFEST)
        where = Path(os.path.realpath(given)) if given.exists() else given
        data = _read_json(where)
        release, prefix, entries = _parse(data, where)
        prefix = os.environ.get("ASSETBUILD_URL_PREFIX") or prefix
        if not prefix.endswith("/"):
            prefix += "/"
        return cls(entries, prefix, release, where, _parse_modules(data, where))

    @property
    def release_dir(self) -> Path | None:
        """The folder the manifest was loaded from (``releases/<id>`` in an output folder)."""
        return self.path.parent if self.path else None

    @functools.cached_property
    def files_dir(self) -> Path | None:
        """The folder the manifest's ``file`` paths are relative to: the output folder's store
        (``dist/files``) for a release under ``dist/releases/``, else the manifest's own folder
        (a release copied out whole: an unpacked ``--archive``, a release of an older version)."""
        folder = self.release_dir
        if folder is None:
            return None
        store = folder.parent.parent / STORE
        if folder.parent.name == RELEASES and store.is_dir():
            first = next(iter(self.entries.values()), None)
            if first is None or not os.path.lexists(folder / first.file):
                return store
        return folder

    def url(self, name: str) -> str:
        """The URL of a logical name; ``AssetNotFound`` names the closest known names."""
        try:
            return self._urls[name]
        except KeyError:
            raise AssetNotFound(name, self._urls) from None

    def integrity(self, name: str) -> str:
        """The Subresource Integrity value (``sha384-...``) of a logical name."""
        return self.entry(name).integrity

    def entry(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            raise AssetNotFound(name, self.entries) from None

    def importmap(self) -> dict[str, dict[str, str]]:
        """The page's import map, ``{"imports": ..., "integrity": ...}``, with hashed URLs.

        A prefix entry (``"lit/"``) becomes one entry per file under its folder: mapped onto the
        folder, the browser would ask for unhashed names, which are not served. With
        ``modules = "importmap"`` every module's unhashed URL maps to its hashed one.
        """
        if self._importmap is None:
            self._importmap = _importmap(self)
        return self._importmap

    def preloads(self, name: str) -> tuple[str, ...]:
        """Every module ``name`` imports statically, directly or not, in a stable order: what a
        page should ``modulepreload`` so the browser does not discover them one level at a time."""
        if name not in self._preloads:
            seen: dict[str, None] = {}
            todo = list(reversed(self.modules.imports.get(self.entry(name).name, ())))
            while todo:
                current = todo.pop()
                if current in seen or current == name or current not in self.entries:
                    continue
                seen[current] = None
                todo.extend(reversed(self.modules.imports.get(current, ())))
            self._preloads[name] = tuple(seen)
        return self._preloads[name]

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _importmap(manifest: Manifest) -> dict[str, dict[str, str]]:
    graph = manifest.modules
    mapped: dict[str, str] = {}  # specifier -> logical name
    for specifier, target in graph.bare.items():
        if specifier.endswith("/"):
            under = (name for name in manifest.entries if name.startswith(target))
            mapped.update({specifier + name[len(target):]: name for name in under})
        elif target in manifest.entries:
            mapped[specifier] = target
    modules = {n for n in manifest.entries if n in graph.imports}
    modules |= {t for found in (graph.imports, graph.dynamic_imports) for ts in found.values() for t in ts}
    modules = {n for n in modules if n in manifest.entries}
    if graph.mode == "importmap":
        mapped.update({manifest.url_prefix + quote(name): name for name in modules})
    imports = {specifier: manifest.url(name) for specifier, name in sorted(mapped.items())}
    integrity = {manifest.url(n): manifest.entries[n].integrity for n in sorted(modules | set(mapped.values()))}
    return {"imports": imports, "integrity": integrity}


def _parse_modules(data: Mapping[str, Any], path: Path) -> ModuleGraph:
    """The ``imports``, ``dynamic_imports``, ``importmap`` and ``modules`` keys (all optional)."""
    def names(value: Any, what: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{path}: not an assetbuild manifest: {what} is not a list of names")
        return tuple(value)

    imports, dynamic = {}, {}
    for name, raw in data["assets"].items():
        if "imports" in raw:
            imports[name] = names(raw["imports"], f"asset {name!r}: 'imports'")
            dynamic[name] = names(raw.get("dynamic_imports", []), f"asset {name!r}: 'dynamic_imports'")
    bare = data.get("importmap", {})
    if not isinstance(bare, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in bare.items()):
        raise ManifestError(f"{path}: not an assetbuild manifest: 'importmap' is not an object of names")
    mode = data.get("modules", "rewrite")
    return ModuleGraph(imports, dynamic, dict(bare), mode if mode == "importmap" else "rewrite")


def _read_json(path: Path) -> Any:
    try:
        with open(path, "rb") as f:
            # The size first: a huge file is refused without reading it.
            too_big = os.fstat(f.fileno()).st_size > MAX_MANIFEST_BYTES
            raw = b"" if too_big else f.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest here (run `assetbuild build` first?)") from None
    except IsADirectoryError:
        raise ManifestError(f"{path}: is a folder, not a manifest file") from None
    except OSError as err:
        raise ManifestError(f"{path}: cannot read: {err.strerror}") from None
    if too_big or len(raw) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{path}: larger than {MAX_MANIFEST_BYTES} bytes, not a manifest")
    try:
        text = raw.decode("utf-8")
        del raw  # a large manifest is held once as text, not twice
        return json.loads(text)
    except UnicodeDecodeError as err:
        raise ManifestError(f"{path}: not UTF-8 (byte {err.start})") from None
    except json.JSONDecodeError as err:
        raise ManifestError(f"{path}:{err.lineno}:{err.colno}: malformed JSON: {err.msg}") from None
    except RecursionError:
        raise ManifestError(f"{path}: malformed JSON: nested too deeply") from None
    except ValueError as err:  # a number too long to convert, say
        raise ManifestError(f"{path}: malformed JSON: {err}") from None


def _parse(data: Any, path: Path) -> tuple[str, str, dict[str, Entry]]:
    """Check a manifest's shape; any malformed value is a ``ManifestError``, never another exception."""
    def fail(problem: str) -> ManifestError:
        return ManifestError(f"{path}: not an assetbuild manifest: {problem}")

    if not isinstance(data, dict) or "assets" not in data or "version" not in data:
        raise fail("expected an object with 'version' and 'assets'")
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail(f"'version' is {_short(version)}, not a number")
    if version > MANIFEST_VERSION:
        raise ManifestError(
            f"{path}: manifest version {version} is newer than this assetbuild reads "
            f"(version {MANIFEST_VERSION}); upgrade assetbuild"
        )
    if version < MANIFEST_VERSION:
        raise fail(f"unknown version {version}")
    assets, prefix, release = data["assets"], data.get("url_prefix", "/static/"), data.get("release", "")
    if not isinstance(assets, dict):
        raise fail("'assets' is not an object")
    if not _text(prefix) or not _text(release):
        raise fail("'url_prefix' and 'release' must be strings of valid Unicode")
    entries = {}
    for name, raw in assets.items():
        if not _text(name):
            raise fail(f"asset name {_short(name)} is not valid Unicode")
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
            raise fail(f"asset {name!r} has no 'file'")
        encodings = raw.get("encodings", {})
        if not isinstance(encodings, dict) or not all(isinstance(v, str) for v in encodings.values()):
            raise fail(f"asset {name!r}: 'encodings' is not an object of file names")
        for file in (raw["file"], *encodings.values()):
            problem = file_problem(file)
            if problem:
                raise fail(f"asset {name!r}: file {_short(file)} {problem}")
        integrity, kind, size = raw.get("integrity", ""), raw.get("type", "application/octet-stream"), raw.get("size")
        if not _text(integrity) or not _text(kind) or not all(_text(k) for k in encodings):
            raise fail(f"asset {name!r}: 'integrity', 'type' and 'encodings' must hold strings of valid Unicode")
        entries[name] = Entry(
            name=name,
            file=raw["file"],
            integrity=integrity,
            type=kind,
            size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
            encodings=dict(encodings),
        )
    return release, prefix, entries


def file_problem(file: str) -> str | None:
    """Why a manifest's file path is not a plain path inside the release folder, or None."""
    if not _text(file) or not file:
        return "is not a file name"
    if file.startswith("/") or "\\" in file or "\0" in file:
        return "is absolute or holds a backslash"
    if any(part in ("", ".", "..") for part in file.split("/")):
        return "climbs out of the release folder or holds an empty or '.' part"
    return None


def _text(value: object) -> bool:
    """A string that can be written out as UTF-8 (JSON allows lone surrogates; URLs and paths do not)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _short(value: object) -> str:
    text = ascii(value)
    return text if len(text) <= 60 else text[:57] + "..."
