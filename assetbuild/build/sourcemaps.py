"""Source map v3 arithmetic: decode and encode ``mappings``, follow edits, look a position up.

Needed because rewriting a reference in one line of compiled CSS shifts every column
after it; a map that is not shifted with it points at the wrong code.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from .references import Edit

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}

Segment = list[int]  # [gen_col, source, line, col(, name)] with absolute values


def decode(mappings: str) -> list[list[Segment]]:
    """Per generated line, its segments with absolute (not relative) fields."""
    lines: list[list[Segment]] = []
    state = [0, 0, 0, 0, 0]
    for text in mappings.split(";"):
        state[0] = 0
        segments = []
        for chunk in filter(None, text.split(",")):
            fields = _vlq_decode(chunk)
            for i, delta in enumerate(fields):
                state[i] += delta
            segments.append(state[: len(fields)].copy())
        lines.append(segments)
    return lines


def encode(lines: Sequence[Sequence[Segment]]) -> str:
    state = [0, 0, 0, 0, 0]
    out = []
    for segments in lines:
        state[0] = 0
        parts = []
        for seg in segments:
            parts.append("".join(_vlq_encode(v - state[i]) for i, v in enumerate(seg)))
            state[: len(seg)] = seg
        out.append(",".join(parts))
    return ";".join(out)


def shift(mappings: str, data: bytes, edits: Sequence[Edit]) -> str:
    """The mappings of ``data`` after ``edits`` were applied to it (columns in UTF-16 units)."""
    if not edits:
        return mappings
    lines = decode(mappings)
    line_starts = [0] + [i + 1 for i, b in enumerate(data) if b == 10]
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        line = bisect.bisect_right(line_starts, edit.start) - 1
        if line >= len(lines):
            continue
        head = data[line_starts[line]: edit.start]
        col = _utf16_len(head)
        old = data[edit.start: edit.start + edit.old]
        if b"\n" in old:  # a dropped line: later lines move up
            del lines[line + 1: line + 1 + old.count(b"\n")]
        delta = edit.new - _utf16_len(old.split(b"\n")[0]) if b"\n" not in old else 0
        for seg in lines[line]:
            if seg[0] > col:
                seg[0] = max(col, seg[0] + delta)
    return encode(lines)


def original_position(mappings: str, line: int, col: int) -> tuple[int, int, int] | None:
    """(source index, 1-based line, 1-based column) of generated ``line``:``col`` (1-based), if mapped."""
    lines = decode(mappings)
    if not 0 < line <= len(lines):
        return None
    best = None
    for seg in lines[line - 1]:
        if len(seg) >= 4 and seg[0] <= col - 1:
            best = seg
    if best is None:
        return None
    return best[1], best[2] + 1, best[3] + 1


def _utf16_len(raw: bytes) -> int:
    return len(raw.decode("utf-8", "replace").encode("utf-16-le")) // 2


def _vlq_decode(chunk: str) -> list[int]:
    values, value, shift_by = [], 0, 0
    for char in chunk:
        digit = _B64_VALUE[char]
        value += (digit & 31) << shift_by
        if digit & 32:
            shift_by += 5
        else:
            values.append(-(value >> 1) if value & 1 else value >> 1)
            value, shift_by = 0, 0
    return values


def _vlq_encode(value: int) -> str:
    vlq = (-value << 1) | 1 if value < 0 else value << 1
    out = ""
    while True:
        digit = vlq & 31
        vlq >>= 5
        out += _B64[digit | (32 if vlq else 0)]
        if not vlq:
            return out
