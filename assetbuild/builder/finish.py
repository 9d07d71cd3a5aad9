"""One way to finish a build: under the output lock, check, place, archive, switch.

Whether the release was just written or found already built (by the no-op stamp or the
cache), the verdict is reached here, the same way, under the lock: a release folder
that is not complete is never made current, and a ``clean`` that ran since the build
looked cannot leave ``current`` dangling. Everything that can fail (the archive too)
happens before ``current`` is switched.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .config import Config
from .current import RELEASES, TEMP_PREFIX, Ticket, check_link, superseded, switch_current
from .lock import locked
from .release import Release, Staging, looks_complete


@dataclass(frozen=True)
class Written:
    path: Path
    created: bool  # False: that release existed already
    switched: bool  # False: current pointed at it already, or a later build switched it
    superseded: bool = False  # a build that started later made its own release current
    pruned: tuple[str, ...] = ()  # ids of the old releases removed to keep ``keep``


def finish(
    config: Config, release: Release | str, staging: Staging | None, ticket: Ticket, wait: bool,
    archive: Path | None = None, digest: str | None = None, stamps: dict[str, str] | None = None,
) -> Written | None:
    """Make ``release`` current: from ``staging``, or (None) as it already is on disk; then, if
    ``current`` moved, keep only ``config.keep`` releases.

    Returns None when there is no staging and the release on disk is missing or incomplete:
    the caller builds it. ``release`` is a ``Release`` (its manifest is compared byte for
    byte) or only an id (the manifest must have the SHA-256 ``digest``, or hash to the id).
    ``stamps``: the store's folder signatures, as ``looks_complete`` takes and updates them.
    """
    output = config.output
    release_id, manifest = (release.id, release.manifest) if isinstance(release, Release) else (release, None)
    final = output / RELEASES / release_id
    with locked(output, wait), writing(output):
        check_link(output)
        if staging is None:
            if not looks_complete(final, manifest, digest, stamps):
                return None
            created = False
        else:
            assert isinstance(release, Release)
            created = staging.place(release)
        if archive is not None:
            _archive(final, archive)
        if superseded(output, ticket):
            return Written(final, created, False, True)
        if not switch_current(output, release_id, ticket):
            return Written(final, created, False)
        from .clean import clean  # here: only a build that moved `current` prunes

        removed = clean(output, config.keep, staging and staging.path)
        pruned = tuple(p.name for p in removed if not p.name.startswith(TEMP_PREFIX))
        return Written(final, created, True, pruned=pruned)


def _archive(folder: Path, target: Path) -> None:
    from .archive import write_archive

    try:
        write_archive(folder, target)
    except OSError as err:
        raise ConfigError(f"cannot write the archive: {_reason(err)}", str(target)) from None


class writing:  # noqa: N801 - used as a context manager, like contextlib's
    """Turn a failure to write under ``output`` (a full disk, no inodes left, no permission)
    into one error line naming the output folder, exit status 2."""

    def __init__(self, output: Path) -> None:
        self.output = output

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: object) -> None:
        if isinstance(err, OSError):
            raise ConfigError(f"cannot write the release: {_reason(err)}", os.path.relpath(self.output)) from None


def _reason(err: OSError) -> str:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on device (or no free inodes)"
    text = err.strerror or str(err)
    return text[:1].lower() + text[1:]
