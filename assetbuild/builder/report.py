"""What a build tells a person (a table) or a CI job (JSON)."""

from __future__ import annotations

from typing import Any

from .pipeline import BuildResult


def as_dict(result: BuildResult) -> dict[str, Any]:
    return {
        "release": result.release,
        "path": str(result.path),
        "created": result.created,
        "switched": result.switched,
        "compiled": result.compiled,
        "files": result.files,
        "bytes": result.bytes,
        "assets": result.assets,
        "seconds": round(result.seconds, 3),
        "bundles": [
            {"name": b.name, "raw": b.raw, "minified": b.minified, "gzip": b.gzip, "br": b.br}
            for b in result.bundles
        ],
        "totals": _totals(result),
    }


def as_table(result: BuildResult) -> str:
    data = as_dict(result)
    rows = [("bundle", "raw", "minified", "gzip", "brotli")]
    rows += [(b["name"], _size(b["raw"]), _size(b["minified"]), _size(b["gzip"]), _size(b["br"]))
             for b in data["bundles"]]
    t = data["totals"]
    rows.append(("all bundles", _size(t["raw"]), _size(t["minified"]), _size(t["gzip"]), _size(t["br"])))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(-1, "-" * len(lines[0]))
    state = ("written" if data["created"] else "already built, current switched to it" if data["switched"]
             else "unchanged, nothing written")
    lines.append(
        f"release {data['release']} ({state}): {data['files']} files, {_size(data['bytes'])}, "
        f"in {data['seconds']:.2f} s"
    )
    lines.append(f"  {data['path']}")
    return "\n".join(lines)


def _totals(result: BuildResult) -> dict[str, int]:
    return {
        key: sum(getattr(b, key) or 0 for b in result.bundles)
        for key in ("raw", "minified", "gzip", "br")
    }


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 10_000:
        return f"{n} B"
    if n < 10_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1e6:.1f} MB"
