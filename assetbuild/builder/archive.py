"""A .tar.gz of a release whose bytes depend on the release alone.

Sorted entries, fixed mtime, owner and modes, and a gzip header without a time or
name: two machines that build the same release get archives with one sha256.
"""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import tarfile
from pathlib import Path

from ..manifest import MANIFEST_NAME, Manifest


def write_archive(release_dir: Path, target: Path) -> None:
    """Pack ``release_dir`` as ``<release-id>/...`` into ``target``, written atomically: the
    manifest and every file it lists (from the output folder's store), a release whole."""
    top = release_dir.resolve()
    manifest = Manifest.load(top / MANIFEST_NAME)
    files_dir = manifest.files_dir or top
    members = {MANIFEST_NAME: top / MANIFEST_NAME}
    for entry in manifest.entries.values():
        for file in (entry.file, *entry.encodings.values()):
            members[file] = files_dir / file
    folders: set[str] = set()  # every folder above a member
    for rel in members:
        folder = posixpath.dirname(rel)
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.addfile(_entry(top.name + "/", tarfile.DIRTYPE, 0o755))
        for rel in sorted({*members, *folders}):
            name = f"{top.name}/{rel}"
            if rel in folders:
                tar.addfile(_entry(name + "/", tarfile.DIRTYPE, 0o755))
            else:
                data = members[rel].read_bytes()
                info = _entry(name, tarfile.REGTYPE, 0o644)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, compresslevel=9, mtime=0) as gz:
        gz.write(buffer.getvalue())
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    temp.write_bytes(packed.getvalue())
    os.replace(temp, target)


def _entry(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
