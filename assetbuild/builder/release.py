"""Write a release: its new files into the store, its manifest into a folder renamed into place.

Readers never see half a release: every new file is flushed to disk, then renamed into the
output folder's store (``store.py``), and only then does the release's manifest appear, in
a folder renamed into place whole. An intact existing release is never touched, which also
makes a rebuild of unchanged sources write nothing; one that is not complete is replaced.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import mimetypes
import os
import posixpath
import secrets
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import integrity
from ..errors import BuildFailed, ConfigError
from ..manifest import MANIFEST_NAME, MANIFEST_VERSION, MAX_MANIFEST_BYTES
from .current import RELEASES, TEMP_PREFIX, current_release
from .folders import flush_tree, fsync_folder, make_folders, remove_tree, walk
from .lock import flock_folder
from .stamp import stamp_of_file
from .store import listed, move_in, present, store_of, trusted_stamps, unchanged_folders

if TYPE_CHECKING:
    from .fingerprint import Published
    from .leaves import OnDisk

FILE_MODE = 0o644
# The system's mime.types differs between machines; the release must not.
_EXTRA_TYPES = [
    ("font/woff2", ".woff2"), ("font/woff", ".woff"), ("font/ttf", ".ttf"), ("font/otf", ".otf"),
    ("application/vnd.ms-fontobject", ".eot"), ("application/json", ".map"),
    ("image/webp", ".webp"), ("image/avif", ".avif"), ("text/javascript", ".js"),
    ("text/javascript", ".mjs"), ("application/wasm", ".wasm"), ("image/x-icon", ".ico"),
]


@functools.cache
def _types() -> mimetypes.MimeTypes:
    """Made when a manifest is first written: a no-op build never needs it."""
    types = mimetypes.MimeTypes()
    for media_type, ext in _EXTRA_TYPES:
        types.add_type(media_type, ext)
    return types


@dataclass(frozen=True)
class Release:
    """A release's id and manifest, with the count and size of its files (the manifest included)."""

    id: str
    manifest: bytes
    files: int
    bytes: int


def content_type(name: str) -> str:
    dot, slash = name.rfind("."), name.rfind("/")
    if dot > slash + 1 and name[slash + 1] != "." and ":" not in name:  # what splitext takes as the suffix
        found = _type_of_suffix(name[dot:])
        if found is not None:
            return found
    return _types().guess_type(name, strict=False)[0] or "application/octet-stream"


@functools.cache
def _type_of_suffix(ext: str) -> str | None:
    """What ``guess_type`` finds from the last suffix alone, asked once per suffix; None for a suffix
    that makes it look further (``.gz``, ``.tgz``...)."""
    types = _types()
    if ext in types.suffix_map or ext in types.encodings_map:
        return None
    return types.guess_type("x" + ext, strict=False)[0] or "application/octet-stream"


def assemble(
    published: Mapping[str, Published],
    copies: Mapping[str, Mapping[str, int]],
    url_prefix: str,
    modules: Mapping[str, object] | None = None,
) -> Release:
    """The manifest of a release; its id is the hash of everything else in the manifest.

    ``copies`` gives, per logical name, the size of each compressed copy that was kept;
    ``modules`` the top-level ``importmap`` (and ``modules`` mode) keys.
    """
    from .compress import SUFFIXES  # brotli: only when a manifest is made

    assets = {}
    files = sizes = 0
    for name, item in sorted(published.items()):
        kept = copies.get(name, {})
        assets[name] = {
            "file": item.file,
            "size": item.size,
            "integrity": item.stored.integrity if item.stored else integrity.of(item.data),
            "type": content_type(name),
            "encodings": {encoding: item.file + SUFFIXES[encoding] for encoding in sorted(kept)},
            "sources": list(item.sources),
            "references": list(item.references),
        }
        if item.module:
            assets[name].update(imports=list(item.imports), dynamic_imports=list(item.dynamic_imports))
        files += 1 + len(kept)
        sizes += item.size + sum(kept.values())
    document: dict[str, Any] = {"version": MANIFEST_VERSION, "url_prefix": url_prefix, "assets": assets,
                                **dict(modules or {})}
    manifest, release = manifest_and_id(document)
    if len(manifest) > MAX_MANIFEST_BYTES:  # the run time would refuse to load it
        raise BuildFailed([ConfigError(
            f"the manifest of {len(assets)} assets would take {len(manifest)} bytes, more than the "
            f"{MAX_MANIFEST_BYTES} an app loads; publish fewer files (see 'exclude')")])
    return Release(release, manifest, files + 1, sizes + len(manifest))


# Sorted keys, one asset a line. (``json.dumps`` with ``indent`` runs its pure-Python encoder:
# 1.3 s for 20,000 assets; one encoder made once, its C encoder, line by line.)
_LINE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": "))
ID_LENGTH = 16


def dump_manifest(document: Mapping[str, Any]) -> bytes:
    """The manifest's bytes."""
    return _dump(document, None)[0].getvalue()


def manifest_and_id(document: Mapping[str, Any]) -> tuple[bytes, str]:
    """The manifest of ``document`` (which has no ``release`` key) with its release id, and the id:
    the hash of the very text without the id's line, taken as it is written (one encoding, not two)."""
    digest = hashlib.sha256()
    text, at = _dump({**document, "release": "0" * ID_LENGTH}, digest)
    release = digest.hexdigest()[:ID_LENGTH]
    with text.getbuffer() as view:
        view[at:at + ID_LENGTH] = release.encode()
    return text.getvalue(), release  # the buffer's own bytes, not a copy


def release_id(document: Mapping[str, Any]) -> str:
    """The hash of a manifest's text without its ``release`` key: every byte a release follows from
    (each file's bytes through its integrity, the URL prefix, any other key) is in its id."""
    return hashlib.sha256(dump_manifest({k: v for k, v in document.items() if k != "release"})).hexdigest()[:ID_LENGTH]


def _dump(document: Mapping[str, Any], digest: Any) -> tuple[io.BytesIO, int]:
    """The text, and where the release id's value starts in it; with ``digest``, every line but the
    id's is hashed as it is written ("assets" comes first, so no other line's comma depends on it).
    Written into one buffer line by line: lists of lines and their joins held several copies of
    the text at once (80 MB each for 200,000 assets)."""
    encode = _LINE.encode
    out = io.BytesIO()
    at = -1

    def put(data: bytes) -> None:
        out.write(data)
        if digest is not None:
            digest.update(data)

    put(b"{")
    for i, (key, value) in enumerate(sorted(document.items())):
        separator = ",\n  " if i else "\n  "
        if key == "assets" and value:
            put(f'{separator}"assets": {{'.encode())
            for j, (name, entry) in enumerate(sorted(value.items())):
                put(f"{',' if j else ''}\n    {encode(name)}: {encode(entry)}".encode())
            put(b"\n  }")
        elif key == "release" and digest is not None:  # written, not hashed: the id is not known yet
            line = f"{separator}{encode(key)}: {encode(value)}".encode()
            at = out.tell() + len(line) - ID_LENGTH - 1
            out.write(line)
        else:
            put(f"{separator}{encode(key)}: {encode(value)}".encode())
    put(b"\n}\n")
    return out, at


def looks_complete(
    folder: Path, manifest: bytes | None = None, digest: str | None = None, stamps: dict[str, str] | None = None,
) -> bool:
    """Whether a release folder can become ``current``, checked cheaply: its manifest (equal to
    ``manifest``, or with the SHA-256 ``digest``, when given; else hashing to its own id and to the
    folder's name) and every file it lists there in the store, a regular file. A half-copied,
    hand-edited or damaged release is not. (About 50 ms for a store of 62,000 files; a file
    changed in place is ``verify``'s to find.)

    ``stamps``: the store's folder signatures when this release was last found complete (and, with
    ``digest``, the manifest's own): if none changed since, nothing can be missing and neither the
    store is walked nor the manifest read. Updated in place to the signatures of a new walk (empty
    when too recent to be trusted).
    """
    store = store_of(folder.parent.parent)
    own = f"../{RELEASES}/{folder.name}/{MANIFEST_NAME}"  # the manifest's signature, kept with the store's
    if digest is not None and stamps and own in stamps and unchanged_folders(store, stamps):
        return True  # the manifest that had the digest, and no file of the store removed, since
    try:
        signature = stamp_of_file(str(folder / MANIFEST_NAME)) or ""  # taken before it is read
        raw = _read_small(folder / MANIFEST_NAME)
        if manifest is not None and raw != manifest:
            return False
        if digest is not None and hashlib.sha256(raw).hexdigest() != digest:
            return False
        if (manifest is not None or digest is not None) and stamps and unchanged_folders(store, stamps):
            complete = True  # the very manifest, and no file of the store removed since it was complete
        else:
            document = json.loads(raw)
            if manifest is None and digest is None and not (document["release"] == folder.name == release_id(document)):
                return False
            found: dict[str, str] = {}
            complete = listed(document) <= present(store, found)
            if stamps is not None:
                stamps.clear()
                stamps.update(trusted_stamps(found) if complete else {})
        if stamps and digest is not None and signature:  # stamps left only when complete and trusted
            stamps[own] = signature
        return complete
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _read_small(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read(MAX_MANIFEST_BYTES + 1)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ValueError("too large")
    return raw


class Staging:
    """A release being written: a temporary folder beside the releases, locked while it lives.

    Many processes write the files new to the store into it at once (``put_file``); ``place``
    moves them into the store, adds the manifest and renames the folder into place. Its own
    flock tells ``sweep`` that a live build still owns it, and a prune that the store's files
    may be relied on (``store.collect``).
    """

    def __init__(self, output: Path) -> None:
        """Create the folder and take its lock; the caller holds the output lock, so ``sweep``
        cannot come between the two."""
        releases = output / RELEASES
        releases.mkdir(parents=True, exist_ok=True)
        self.output = output
        self.path = releases / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        self.path.mkdir()
        self._fd: int | None = flock_folder(self.path, wait=True)
        self.previous = current_release(output)
        self.store = store_of(output)
        self.written: list[str] = []  # files written here, new to the store

    def wrote(self, files: Iterable[str]) -> None:
        """Record which files were written: they move into the store (few of them are flushed
        one by one, instead of the whole filesystem)."""
        self.written.extend(files)

    def place(self, release: Release) -> bool:
        """Put the release in place, flushed to disk; False when an intact copy was there already.

        A folder of that name that is not complete (an interrupted copy, a deleted or
        hand-edited file) is replaced. The caller holds the output lock.
        """
        final = self.output / RELEASES / release.id
        if looks_complete(final, release.manifest):
            return False
        flush_tree(self.path, self.written)  # on disk before a rename can make them visible
        move_in(self.path, self.store, self.written)
        _remove_empty_folders(self.path)
        write_file(self.path / MANIFEST_NAME, release.manifest)  # last: it vouches for the rest
        flush_tree(self.path, [MANIFEST_NAME])
        if os.path.lexists(final):
            aside = final.with_name(f"{TEMP_PREFIX}damaged-{secrets.token_hex(4)}")
            os.rename(final, aside)
            remove_tree(aside)
        os.rename(self.path, final)
        fsync_folder(final.parent)
        return True

    def discard(self) -> None:
        if self.path.exists():
            remove_tree(self.path)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def sweep(output: Path) -> list[Path]:
    """Remove what killed builds left behind: temporary folders no live build holds, temporary links.

    The caller holds the output lock (so no live build is between symlink and rename).
    """
    removed = []
    for leftover in sorted(output.glob(TEMP_PREFIX + "*")):
        if leftover.is_symlink() or leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed.append(leftover)
    for folder in sorted((output / RELEASES).glob(TEMP_PREFIX + "*")):
        if _held(folder) is False:  # not gone already, and no live build is writing it
            remove_tree(folder)
            removed.append(folder)
    return removed


def building(output: Path, own: Path | None = None) -> bool:
    """Whether a build other than ``own`` is writing a release (holds its staging folder's lock)."""
    return any(_held(folder) for folder in (output / RELEASES).glob(TEMP_PREFIX + "*")
               if folder != own and folder.is_dir())


def _held(folder: Path) -> bool | None:
    """Whether a live build holds a staging folder's lock; None when the folder is gone."""
    try:
        fd = flock_folder(folder, wait=False)
    except OSError:
        return None
    if fd is None:
        return True
    os.close(fd)
    return False


_made: set[str] = set()  # folders this process made already: one mkdir each, not one per file


def put_file(staging: Path, store: Path, rel: str, data: bytes | OnDisk) -> bool:
    """Write one file into a staging folder unless the store has it with exactly these bytes
    (then nothing is written: a damaged copy there is replaced, never relied on); True when
    written. Runs in many processes at once.

    Folders are made one level at a time below ``staging``, never ``staging`` itself: once
    the build has removed it (a failure, Ctrl-C), a worker still busy cannot bring it back.
    """
    if _same_bytes(store / rel, data):
        return False
    target = staging / rel
    make_folders(str(staging), posixpath.dirname(rel), _made)
    if isinstance(data, bytes):
        write_file(target, data)
    else:
        data.copy_to(str(target), FILE_MODE)  # streamed from the source file
    return True


def write_file(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` (flushed to disk with the whole folder by ``Staging.place``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _same_bytes(path: Path, data: bytes | OnDisk) -> bool:
    """Whether the file at ``path`` holds exactly ``data`` (size and mode first, then the bytes)."""
    try:
        st = os.stat(path, follow_symlinks=False)
        size = len(data) if isinstance(data, bytes) else data.size
        if not stat.S_ISREG(st.st_mode) or st.st_size != size or st.st_mode & 0o777 != FILE_MODE:
            return False
        if not isinstance(data, bytes):
            return data.same_as(str(path))
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def _remove_empty_folders(top: Path) -> None:
    """The folders of a staging folder whose files moved into the store, deepest first."""
    folders = [folder for folder, _, _ in walk(str(top))][1:]
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            os.rmdir(folder)
