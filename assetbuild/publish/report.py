"""What a publish or a garbage collection tells a person (a few lines) or a CI job (JSON)."""

from __future__ import annotations

import dataclasses
from typing import Any

from .gc import GcResult
from .upload import PublishResult


def as_dict(result: PublishResult | GcResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["seconds"] = round(result.seconds, 3)
    return data


def publish_text(result: PublishResult) -> str:
    verb = "would upload" if result.dry_run else "uploaded"
    lines = [f"  {verb} {rel}" for rel in result.uploaded] if result.dry_run else []
    lines.append(
        f"release {result.release} -> {result.target}: {result.objects} files, {result.present} already there, "
        f"{verb} {len(result.uploaded)} objects ({result.uploaded_bytes} bytes); current.json {result.pointer}; "
        f"{sum(result.requests.values())} requests in {result.seconds:.2f} s"
    )
    return "\n".join(lines)


def gc_text(result: GcResult) -> str:
    verb = "would delete" if result.dry_run else "deleted"
    lines = [f"  {verb} {rel}" for rel in result.deleted]
    lines.append(
        f"{result.target}: kept releases {', '.join(result.kept) or '(none)'}; {verb} {len(result.deleted)} keys; "
        f"{result.spared} unused keys younger than the grace period left"
        + (f"; kept the keys of {len(result.publishing)} publishes under way" if result.publishing else "")
    )
    return "\n".join(lines)
