"""Find the source files and decide what is published: bundles, and every other plain file."""

from __future__ import annotations

import functools
import operator
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import AssetbuildError, BuildFailed, ConfigError, SourceError, closest
from .config import SASS_SUFFIXES, Config, bundle_kind
from .folders import walk

GLOB_CHARS = frozenset("*?[{")
TEMPLATE_SUFFIXES = (".html", ".htm", ".jinja", ".jinja2", ".j2", ".xml", ".txt", ".svg")


@dataclass(frozen=True)
class SourceTree:
    """Every file under ``source`` (after ``exclude``): logical name (a relative POSIX path) -> path on disk.

    ``excluded`` holds the files ``exclude`` matched: not published on their own, but still a bundle
    input or a reference target (a vendor package's fonts that its CSS reaches, SPEC section 2).
    """

    root: Path
    files: Mapping[str, str]
    excluded: Mapping[str, str] = field(default_factory=dict)

    @functools.cached_property  # asked once per name in some loops: made once (22,530 files: 2 s)
    def all_files(self) -> dict[str, str]:
        return {**self.files, **self.excluded}


@dataclass(frozen=True)
class Plan:
    """What one build publishes: bundle name -> its inputs, and the plain files published as they are."""

    tree: SourceTree
    bundles: Mapping[str, tuple[str, ...]]
    plain: tuple[str, ...]

    @functools.cached_property
    def published(self) -> frozenset[str]:
        return frozenset(self.bundles) | frozenset(self.plain)

    @functools.cached_property
    def on_demand(self) -> dict[str, str]:
        """Files published only if a published file references them: bundle inputs and excluded
        files (Sass sources never: they are compiled, not served)."""
        inputs = {i: self.tree.all_files[i] for group in self.bundles.values() for i in group}
        return {name: path for name, path in sorted({**self.tree.excluded, **inputs}.items())
                if name not in self.published and not name.lower().endswith(SASS_SUFFIXES)}


def scan(config: Config) -> SourceTree:
    """Walk ``config.source``, then each of ``config.extra_sources``, in sorted order; a name found
    in an earlier folder wins. Links that lead outside their folder are refused unless allowed,
    and file names that are not UTF-8 (they cannot be written into a manifest or a URL)."""
    roots = [("", config.source), *config.extra_sources]
    if not config.source.is_dir() and not config.extra_sources:
        raise BuildFailed([ConfigError(f"'source' folder {config.display(config.source)} does not exist",
                                       config.origin)])
    files: dict[str, str] = {}
    left_out: dict[str, str] = {}
    errors: list[AssetbuildError] = []
    for prefix, root in roots:
        if root.is_dir():
            found, excluded = _walk(config, root, prefix.strip("/") + "/" if prefix.strip("/") else "", errors)
            for name, path in found.items():
                if name not in files and name not in left_out:
                    files[name] = path
            for name, path in excluded.items():
                if name not in files and name not in left_out:
                    left_out[name] = path
    if errors:
        raise BuildFailed(sorted(errors, key=str))  # the walk's order is the file system's
    return SourceTree(root=config.source, files=_sorted(files), excluded=_sorted(left_out))


def _sorted(found: dict[str, str]) -> dict[str, str]:
    names = sorted(found)  # the names alone: comparing (name, path) pairs takes twice as long
    return dict(zip(names, map(found.__getitem__, names), strict=True))


def _walk(config: Config, root: Path, prefix: str, errors: list[AssetbuildError]
          ) -> tuple[dict[str, str], dict[str, str]]:
    """Every file under one source folder, logical name -> path: those published, those excluded.

    The walk keeps its own stack, so a tree of any depth is read."""
    excluded = _matcher(config.exclude)
    real_root = os.path.realpath(root)
    # The build's own folders never count as sources, even when configured inside `source`.
    own = {os.path.realpath(config.output), os.path.realpath(config.cache_dir)}
    files: dict[str, str] = {}
    left_out: dict[str, str] = {}
    # Sass load paths inside this folder, by logical name
    supplied = {prefix + p.relative_to(root).as_posix() for p in config.load_paths
                if p.is_relative_to(root) and p != root}
    stack = [(str(root), prefix, real_root, False)]
    while stack:
        folder, prefix, real_folder, held = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)  # in the folder's order: `scan` sorts the names, once
        except OSError as err:
            errors.append(SourceError(config.display(Path(folder)), f"cannot read folder: {err.strerror}"))
            continue
        for entry in entries:
            name = entry.name
            if entry.is_file(follow_symlinks=False) and name.isascii():  # most entries: no more to check
                logical = prefix + name
                (left_out if held or (excluded and excluded(logical)) else files)[logical] = entry.path
                continue
            if not _is_utf8(name):
                errors.append(SourceError(_shown(config, entry.path),
                                          "the file name is not valid UTF-8; rename it"))
                continue
            logical = prefix + name
            real = ""
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                if not config.follow_symlinks_outside and not _inside(real, real_root):
                    errors.append(SourceError(
                        config.display(Path(entry.path)),
                        f"symbolic link leads outside the source folder (to {real}); "
                        "set follow_symlinks_outside = true to allow it",
                    ))
                    continue
            if entry.is_dir():
                real = real or os.path.join(real_folder, name)
                if not _inside(real_folder, real) and real not in own:  # a link to a holding folder would loop
                    # A Sass load path's files are held back like excluded ones: compiled in, or
                    # published only when a published file reaches them.
                    stack.append((entry.path, logical + "/", real, held or logical in supplied))
            elif entry.is_file():
                (left_out if held or (excluded and excluded(logical)) else files)[logical] = entry.path
    return files, left_out


def _matcher(patterns: tuple[str, ...]) -> Callable[[str], object] | None:
    """One compiled regular expression for all the exclude globs (wcmatch's own translation):
    a few microseconds a file instead of wcmatch's matcher per file."""
    if not patterns:
        return None
    # `**/*.md` (the default) is a suffix test: every name ending so, in any folder, dotted too
    suffixes = tuple(p[4:] for p in patterns if p.startswith("**/*") and not _GLOB_CHARS.search(p[4:]))
    others = [p for p in patterns if not (p.startswith("**/*") and p[4:] in suffixes)]
    if not others:
        return operator.methodcaller("endswith", suffixes)  # no Python frame per file
    from wcmatch import glob  # here, not above: the default excludes need no glob translation

    include, _ = glob.translate(others, flags=_glob_flags(glob))
    match = re.compile("|".join(f"(?:{regex})" for regex in include)).match
    if not suffixes:
        return match
    return lambda name: name.endswith(suffixes) or match(name)


def _glob_flags(glob: Any) -> int:
    return glob.GLOBSTAR | glob.DOTGLOB | glob.BRACE


_GLOB_CHARS = re.compile(r"[*?\[\]{}!|\\/]")


def _inside(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder + os.sep)


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes come back from the OS as lone surrogates
        return False
    return True


def _shown(config: Config, path: str) -> str:
    """A path with bytes that are not UTF-8 shown as ``\\xNN``, printable on one line anywhere."""
    return os.fsencode(config.display(Path(path))).decode("utf-8", "backslashreplace")


def read_source(config: Config, path: Path) -> bytes:
    """The bytes of a source file, read as checked (see ``open_source``)."""
    with open_source(config, path) as f:
        return f.read()


def open_source(config: Config, path: Path) -> BinaryIO:
    """A source file opened for reading, checked on the descriptor actually opened: a file swapped
    for a link that leads outside ``source`` after the scan (a race) is refused as the scan would."""
    f = open(path, "rb")  # noqa: SIM115 - returned open, or closed below
    if not config.follow_symlinks_outside:
        try:
            real = os.readlink(f"/proc/self/fd/{f.fileno()}")
        except OSError:
            real = os.path.realpath(path)  # no /proc: the best check left
        folders = [config.source, *(folder for _, folder in config.extra_sources)]
        if not any(_inside(real, _real_folder(str(folder), _inode(folder))) for folder in folders):
            f.close()
            raise SourceError(config.display(path), f"symbolic link leads outside the source folder (to {real}); "
                              "set follow_symlinks_outside = true to allow it")
    return f


def _inode(folder: Path) -> int:
    try:
        return os.stat(folder).st_ino
    except OSError:
        return -1


@functools.lru_cache(maxsize=64)
def _real_folder(folder: str, inode: int) -> str:
    """A source folder's real path, once per folder and inode (it is asked for every file read;
    a folder that now resolves elsewhere has another inode and is resolved again)."""
    return os.path.realpath(folder)


def plan(config: Config, tree: SourceTree) -> Plan:
    """Expand each bundle's inputs (globs in sorted order, duplicates once) and list the plain files."""
    errors: list[AssetbuildError] = []
    bundles: dict[str, tuple[str, ...]] = {}
    names = list(tree.files)
    from wcmatch import glob  # here, not above: a no-op build never expands a glob

    for output, patterns in config.bundles.items():
        kind = bundle_kind(output)
        inputs: dict[str, None] = {}
        for pattern in patterns:
            if GLOB_CHARS.intersection(pattern):
                matched = [n for n in names if glob.globmatch(n, pattern, flags=_glob_flags(glob))]
                if not matched:
                    errors.append(ConfigError(f"bundle {output!r}: glob {pattern!r} matches no file", config.origin))
                matched = [n for n in matched if not _is_partial(n)]
            elif pattern in tree.files or pattern in tree.excluded:  # named: excluded files too
                matched = [pattern]
            else:
                hint = closest(pattern, [*names, *tree.excluded], n=1)
                errors.append(ConfigError(
                    f"bundle {output!r}: input {pattern!r} does not exist "
                    + (f"(did you mean {hint[0]!r}?)" if hint else f"({config.display(config.source / pattern)})"),
                    config.origin))
                matched = []
            for name in matched:
                if bundle_kind(name) != kind:
                    errors.append(ConfigError(
                        f"bundle {output!r}: input {name!r} is not {kind.upper()}; "
                        "a bundle cannot mix CSS and JS", config.origin))
                inputs[name] = None
        bundles[output] = tuple(inputs)
    used = {i for inputs in bundles.values() for i in inputs}
    plain = tuple(
        n for n in names if n not in used and not n.lower().endswith(SASS_SUFFIXES)
    )
    lower_plain = {n.lower(): n for n in plain}
    for output in bundles:
        if output.lower() in lower_plain:
            errors.append(ConfigError(
                f"bundle {output!r}: two outputs with one name: the source file "
                f"{lower_plain[output.lower()]!r} is published under it too", config.origin))
    if errors:
        raise BuildFailed(errors)
    return Plan(tree=tree, bundles=bundles, plain=plain)


def _is_partial(name: str) -> bool:
    """Sass partials (``_x.scss``) are imported, never bundled on their own."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith("_") and base.lower().endswith(SASS_SUFFIXES)


def template_files(folders: Iterable[Path]) -> list[Path]:
    """Every file under each of ``folders``, folder by folder, sorted: the build checks the pages
    among them (``is_page``) and whatever they include, so a change to any of them counts."""
    found: dict[Path, None] = {}
    for folder in folders:
        if folder.is_dir():
            found.update(dict.fromkeys(sorted(
                Path(entry.path) for _, _, others in walk(str(folder)) for entry in others if entry.is_file())))
    return list(found)


def is_page(path: Path) -> bool:
    """A template checked on its own, by its suffix; others are checked when a page includes them."""
    return path.name.lower().endswith(TEMPLATE_SUFFIXES)
