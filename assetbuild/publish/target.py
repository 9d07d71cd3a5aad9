"""Where a release is published (``s3://BUCKET/PREFIX``) and for how long garbage is spared (``--grace``),
each parsed once into plain values, with a one-line error for anything else."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from ..errors import ConfigError

BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}")  # S3's rules are stricter; the store has the last word
DURATION_PART = re.compile(r"(\d+)([smhdw])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Target:
    """A bucket and a key prefix (empty, or ending in ``/``) that belongs to assetbuild alone."""

    bucket: str
    prefix: str

    def key(self, rel: str) -> str:
        return self.prefix + rel

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_target(text: str) -> Target:
    """``s3://assets/static/`` -> Target("assets", "static/"); anything else is a usage error."""
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() != "s3":
        raise ConfigError(f"--to {text!r}: expected s3://BUCKET/PREFIX")
    bucket, _, prefix = rest.partition("/")
    if not BUCKET_NAME.fullmatch(bucket):
        raise ConfigError(f"--to {text!r}: {bucket!r} is not a bucket name")
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise ConfigError(f"--to {text!r}: the prefix may not hold '.' or '..'")
    return Target(bucket, "".join(p + "/" for p in parts))


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``7d``, ``1w``, ``1d12h`` or ``0``."""
    compact = text.strip().lower()
    if compact == "0":
        return timedelta(0)
    if not compact or DURATION_PART.sub("", compact):
        raise ConfigError(f"--grace {text!r}: expected a duration such as 0, 30m, 12h, 7d or 1d12h")
    total = timedelta(0)
    for amount, unit in DURATION_PART.findall(compact):
        total += timedelta(**{UNITS[unit]: int(amount)})
    return total
