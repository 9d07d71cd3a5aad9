"""What a build tells a person (a table) or a CI job (JSON)."""

from __future__ import annotations

from typing import Any

from .entry import BuildResult


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
        "pruned": list(result.pruned),
    }


def as_table(result: BuildResult) -> str:
    """One row per bundle and a totals row, each total the sum of its column; no table without bundles."""
    data = as_dict(result)
    lines: list[str] = []
    if data["bundles"]:
        lines = _bundle_table(data)
    state = ("written" if data["created"] else "already built, current switched to it" if data["switched"]
             else "unchanged, nothing written")
    lines.append(
        f"release {data['release']} ({state}): {data['files']} files, {_size(data['bytes'])}, "
        f"in {data['seconds']:.2f} s"
    )
    lines.append(f"  {data['path']}")
    if data["pruned"]:
        lines.append(f"  pruned {len(data['pruned'])} old: {', '.join(data['pruned'])}")
    return "\n".join(lines)


def _bundle_table(data: dict[str, Any]) -> list[str]:
    rows = [("bundle", "raw", "minified", "gzip", "brotli")]
    marked = False
    for b in data["bundles"]:
        cells = [b["name"], _size(b["raw"]), _size(b["minified"])]
        for key in ENCODINGS:
            if data["totals"][key] is None:
                cells.append("-")
            elif b[key] is None:  # no copy paid: a client that accepts it gets the minified file
                cells.append(_size(b["minified"]) + "*")
                marked = True
            else:
                cells.append(_size(b[key]))
        rows.append(tuple(cells))
    t = data["totals"]
    rows.append(("all bundles", _size(t["raw"]), _size(t["minified"]), _size(t["gzip"]), _size(t["br"])))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r))
             for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(-1, "-" * len(lines[0]))
    if marked:
        lines.append("* no compressed copy paid: the minified file is what is sent")
    return lines


ENCODINGS = ("gzip", "br")


def _totals(result: BuildResult) -> dict[str, int | None]:
    """Column sums. A compressed column counts what a client that accepts the encoding receives:
    the copy, or the minified file where no copy paid; None when no bundle has a copy at all."""
    totals: dict[str, int | None] = {key: sum(getattr(b, key) for b in result.bundles) for key in ("raw", "minified")}
    for key in ENCODINGS:
        sizes = [getattr(b, key) for b in result.bundles]
        totals[key] = (sum(b.minified if size is None else size for b, size in zip(result.bundles, sizes, strict=True))
                       if any(size is not None for size in sizes) else None)
    return totals


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 10_000:
        return f"{n} B"
    if n < 10_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1e6:.1f} MB"
