"""Read and check ``[tool.assetbuild]``: every key has a default, every mistake names its key."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BuildFailed, ConfigError, closest

COMPRESSORS = ("gzip", "br")
CSS_INPUTS = (".css", ".scss", ".sass")
JS_INPUTS = (".js", ".mjs")
SASS_SUFFIXES = (".scss", ".sass")
SASS_COMPILERS = ("dart", "libsass")
DEFAULT_SASS = "dart"
MODULE_MODES = ("rewrite", "importmap")


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know, with paths made absolute."""

    root: Path
    source: Path
    templates: tuple[Path, ...]
    output: Path
    cache_dir: Path
    url_prefix: str = "/static/"
    compress: tuple[str, ...] = COMPRESSORS
    keep: int = 5
    exclude: tuple[str, ...] = ("**/*.md",)
    bundles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    modules: str = "rewrite"
    importmap: Mapping[str, str] = field(default_factory=dict)
    source_maps: bool = True
    follow_symlinks_outside: bool = False
    sass: str = DEFAULT_SASS
    load_paths: tuple[Path, ...] = ()
    silence_deprecations: tuple[str, ...] = ()
    fatal_deprecations: tuple[str, ...] = ()
    origin: str = "defaults"
    # More source folders after `source`, each under a logical prefix ("" = none); the first
    # folder that has a name wins, as with Django's static finders (which fill this in).
    extra_sources: tuple[tuple[str, Path], ...] = ()

    def display(self, path: Path | str) -> str:
        """A path as a person wants to read it: relative to the working folder where possible."""
        return _display(str(path), os.getcwd())

    def displayer(self) -> Callable[[Path | str], str]:
        """``display``, with the working folder asked once: for a step that names every file."""
        here = os.getcwd()
        return lambda path: _display(str(path), here)


def _display(text: str, here: str) -> str:
    if text.startswith(here + os.sep) and "/./" not in text and "/../" not in text:
        return text[len(here) + 1:]  # the common case, without relpath's cost (one call per file)
    try:
        return os.path.relpath(text, here)
    except ValueError:
        return text


DEFAULTS: dict[str, Any] = {
    "source": "static_src",
    "templates": ["templates"],
    "output": "dist",
    "cache_dir": ".assetbuild-cache",
    "url_prefix": "/static/",
    "compress": list(COMPRESSORS),
    "keep": 5,
    "exclude": ["**/*.md"],
    "bundles": {},
    "modules": "rewrite",
    "importmap": {},
    "source_maps": True,
    "follow_symlinks_outside": False,
    "sass": DEFAULT_SASS,
    "load_paths": [],
    "silence_deprecations": [],
    "fatal_deprecations": [],
}


def load_config(config_file: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Config:
    """The configuration of ``config_file``, else of the nearest ``pyproject.toml`` with a
    ``[tool.assetbuild]`` table in ``cwd`` or a parent (as ruff finds its own), else the defaults.

    A file named ``pyproject.toml`` is read at ``[tool.assetbuild]``; any other file at its top level.
    Relative paths are relative to the file's folder; the defaults are relative to the nearest
    ``pyproject.toml`` (the project's root), or to ``cwd`` where there is none.
    """
    cwd = (cwd or Path.cwd()).absolute()
    if config_file is None:
        found, nearest = _find_pyproject(cwd)
        if found is None:
            return from_mapping({}, nearest.parent if nearest else cwd, DEFAULTS_ORIGIN)
        config_file = found
    path = absolute(config_file)
    return _from_file(path)


def config_file(given: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Path | None:
    """The file ``load_config`` reads (``given``, else the nearest pyproject.toml with the table, else the
    nearest one, where the table may be added): what ``assetbuild watch`` watches besides the sources."""
    if given is not None:
        return absolute(given)
    found, nearest = _find_pyproject((cwd or Path.cwd()).absolute())
    return found or nearest


def _from_file(path: Path) -> Config:
    table = _read_toml(path)
    shown = _shown(path)
    if path.name == "pyproject.toml":
        table = table.get("tool", {}).get("assetbuild", {})
        shown += " [tool.assetbuild]"
    return from_mapping(table, path.parent, shown)


DEFAULTS_ORIGIN = "defaults"
REPOSITORY_MARKERS = (".git", ".hg")


def _find_pyproject(cwd: Path) -> tuple[Path | None, Path | None]:
    """The nearest ``pyproject.toml`` holding ``[tool.assetbuild]``, and the nearest one at all.

    The search stops at a repository's root (a folder with ``.git`` or ``.hg``), as black's does:
    a stray file above a checkout (say in /tmp) must not configure it.
    """
    nearest = None
    for folder in (cwd, *cwd.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            nearest = nearest or candidate
            if "assetbuild" in _read_toml(candidate).get("tool", {}):
                return candidate, nearest
        if any((folder / marker).exists() for marker in REPOSITORY_MARKERS):
            break
    return None, nearest


def _shown(path: Path) -> str:
    return os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    shown = _shown(path)
    shown = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    try:
        with open(path, "rb") as f:
            document = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("configuration file not found", shown) from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a configuration file", shown) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"invalid TOML: {err}", shown) from None
    return document


def from_mapping(table: Mapping[str, Any], root: Path, origin: str) -> Config:
    """Check a configuration table and turn it into a ``Config``; all mistakes at once."""
    errors: list[ConfigError] = []

    def bad(message: str) -> None:
        errors.append(ConfigError(message, origin))

    for key in table:
        if key not in DEFAULTS:
            hint = closest(key, DEFAULTS)
            bad(f"unknown key {key!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    values = {**DEFAULTS, **{k: v for k, v in table.items() if k in DEFAULTS}}
    if isinstance(values["templates"], str):  # one folder, as before lists were accepted; "" = none
        values["templates"] = [values["templates"]] if values["templates"] else []
    for key, default in DEFAULTS.items():
        value = values[key]
        expected = type(default)
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            bad(f"{key!r} must be a whole number, not {value!r}")
        elif expected is not int and not isinstance(value, expected):
            bad(f"{key!r} must be a {_kind(expected)}, not {value!r}")
    if errors:
        raise BuildFailed(errors)

    if any(not isinstance(c, str) or c not in COMPRESSORS for c in values["compress"]):
        bad(f"'compress' takes {list(COMPRESSORS)}, not {values['compress']!r}")
    if values["keep"] < 1:
        bad(f"'keep' must be at least 1, not {values['keep']}")
    if any(not isinstance(g, str) for g in values["exclude"]):
        bad("'exclude' must be a list of glob strings")
    if any(not isinstance(t, str) or not t for t in values["templates"]):
        bad(f"'templates' must be a folder or a list of folders, not {values['templates']!r}")
    if not values["url_prefix"]:
        bad("'url_prefix' must not be empty")
    for key in ("source", "output"):
        if not values[key]:
            bad(f"{key!r} must not be empty")
    bundles = _check_bundles(values["bundles"], bad)
    load_paths = _check_sass(values, root, bad)
    if values["modules"] not in MODULE_MODES:
        bad(f"'modules' takes {' or '.join(map(repr, MODULE_MODES))}, not {values['modules']!r}")
    _check_importmap(values["importmap"], bad)
    if errors:
        raise BuildFailed(errors)

    prefix = values["url_prefix"] if values["url_prefix"].endswith("/") else values["url_prefix"] + "/"
    root = absolute(root)
    return Config(
        root=root,
        source=absolute(root / values["source"]),
        templates=tuple(dict.fromkeys(absolute(root / t) for t in values["templates"])),
        output=absolute(root / values["output"]),
        cache_dir=absolute(root / values["cache_dir"]),
        url_prefix=prefix,
        compress=tuple(dict.fromkeys(values["compress"])),
        keep=values["keep"],
        exclude=tuple(values["exclude"]),
        bundles=bundles,
        modules=values["modules"],
        importmap=dict(sorted(values["importmap"].items())),
        source_maps=values["source_maps"],
        follow_symlinks_outside=values["follow_symlinks_outside"],
        sass=values["sass"],
        load_paths=load_paths,
        silence_deprecations=tuple(values["silence_deprecations"]),
        fatal_deprecations=tuple(values["fatal_deprecations"]),
        origin=origin,
    )


def absolute(path: str | os.PathLike[str]) -> Path:
    """An absolute path without ``.`` or ``..`` parts (``../frontend/static_src`` in a monorepo):
    made once, here, so every later comparison of paths sees one spelling of each."""
    return Path(os.path.normpath(os.path.abspath(path)))


def bundle_kind(name: str) -> str | None:
    """'css' or 'js' by a bundle's or an input's suffix; None for anything else."""
    lower = name.lower()
    if lower.endswith(CSS_INPUTS):
        return "css"
    if lower.endswith(JS_INPUTS):
        return "js"
    return None


def _check_bundles(raw: Mapping[str, Any], bad: Any) -> dict[str, tuple[str, ...]]:
    bundles: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for name, inputs in raw.items():
        where = f"bundle {name!r}"
        if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
            bad(f"{where}: inputs must be a non-empty list of paths")
            continue
        kind = bundle_kind(name)
        if kind is None or name.lower().endswith(SASS_SUFFIXES):
            bad(f"{where}: an output must end in .css or .js")
            continue
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            bad(f"{where}: an output must be a relative path inside the release")
            continue
        if name.lower() in seen:
            bad(f"{where}: two outputs with one name ({seen[name.lower()]!r} and {name!r})")
            continue
        seen[name.lower()] = name
        for item in inputs:
            if bundle_kind(item) not in (None, kind) and not any(c in item for c in "*?["):
                bad(f"{where}: input {item!r} is not {kind.upper()}; a bundle cannot mix CSS and JS")
            if item.startswith("/") or ".." in item.split("/"):
                bad(f"{where}: input {item!r} must be relative to the source folder")
        bundles[name] = tuple(inputs)
    return bundles


def _check_sass(values: Mapping[str, Any], root: Path, bad: Any) -> tuple[Path, ...]:
    """The Sass keys (SPEC section 8); returns the load paths made absolute."""
    if values["sass"] not in SASS_COMPILERS:
        hint = closest(str(values["sass"]), SASS_COMPILERS)
        bad(f"'sass' takes \"dart\" or \"libsass\", not {values['sass']!r}"
            + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    for key in ("load_paths", "silence_deprecations", "fatal_deprecations"):
        if any(not isinstance(v, str) or not v for v in values[key]):
            bad(f"{key!r} must be a list of non-empty strings")
            return ()
    for key in ("silence_deprecations", "fatal_deprecations"):
        if values[key] and values["sass"] != "dart":
            bad(f"{key!r} applies to Dart Sass only; set sass = \"dart\" or remove it")
    found = []
    for entry in values["load_paths"]:
        path = Path(os.path.normpath(root / entry))
        if not path.is_dir():
            bad(f"'load_paths': folder {entry!r} does not exist ({path})")
        elif path == Path(os.path.normpath(root / values["source"])):
            bad(f"'load_paths': {entry!r} is the source folder itself, which Sass searches anyway")
        found.append(path)
    return tuple(found)


def _check_importmap(raw: Mapping[str, Any], bad: Any) -> None:
    """Bare specifier -> logical name; a ``/``-ended specifier maps a prefix onto a folder."""
    for specifier, target in raw.items():
        where = f"importmap {specifier!r}"
        if not isinstance(target, str) or not target:
            bad(f"{where}: must map to a logical name (a path inside the source folder)")
        elif specifier.startswith(("./", "../", "/")) or ":" in specifier:
            bad(f"{where}: only bare specifiers go here; relative ones are resolved by the build")
        elif target.startswith("/") or ".." in target.split("/") or "://" in target:
            bad(f"{where}: {target!r} must be a path relative to the source folder")
        elif specifier.endswith("/") != target.endswith("/"):
            bad(f"{where}: a prefix (ending in '/') maps onto a folder (ending in '/'), and only then")


def _kind(t: type) -> str:
    return {str: "string", bool: "boolean (true/false)", list: "list", dict: "table"}.get(t, t.__name__)
