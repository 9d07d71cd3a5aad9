"""The exceptions assetbuild raises, shared by the build and the runtime side.

A user's mistake is an ``AssetbuildError``: the command line prints it as one line
and exits with its ``exit_code``; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Iterable

EXIT_SOURCES = 1
EXIT_USAGE = 2


class AssetbuildError(Exception):
    """Base of every error assetbuild reports to a person."""

    exit_code = EXIT_SOURCES


class ConfigError(AssetbuildError):
    """The configuration or the command line is wrong (exit 2)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: error: {message}" if path else f"error: {message}")

    def __reduce__(self):  # so errors cross process boundaries intact
        return (self.__class__, (self.message, self.path))


class SourceError(AssetbuildError):
    """A source file is at fault; carries its location (exit 1)."""

    def __init__(
        self, path: str, message: str, line: int | None = None, col: int | None = None
    ) -> None:
        self.path, self.message, self.line, self.col = path, message, line, col
        where = path + "".join(f":{n}" for n in (line, col) if n is not None)
        super().__init__(f"{where}: error: {message}")

    def __reduce__(self):
        return (self.__class__, (self.path, self.message, self.line, self.col))


class BuildFailed(AssetbuildError):
    """Every error one build found, reported together."""

    def __init__(self, errors: Iterable[AssetbuildError]) -> None:
        self.errors = list(errors)
        self.exit_code = max(e.exit_code for e in self.errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class LockHeld(AssetbuildError):
    """Another build or clean holds the output folder's lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


class ManifestError(AssetbuildError):
    """A manifest cannot be read: names the path and the problem."""


class AssetNotFound(AssetbuildError, LookupError):
    """A logical name that the manifest does not list; suggests the closest names."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.suggestions = closest(name, known)
        hint = f" (did you mean {' or '.join(map(repr, self.suggestions))}?)" if self.suggestions else ""
        super().__init__(f"unknown asset {name!r}{hint}")

    def __str__(self) -> str:  # LookupError would repr() the message
        return self.args[0]


def closest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names most like ``name``, best first."""
    import difflib  # here: only a mistake needs it, and every run imports this module

    return difflib.get_close_matches(name, list(known), n=n, cutoff=0.7)
