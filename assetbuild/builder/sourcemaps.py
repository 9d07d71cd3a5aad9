"""Source map v3 arithmetic: decode and encode ``mappings``, follow edits, look a position up.

Needed because rewriting a reference in one line of compiled CSS shifts every column
after it; a map that is not shifted with it points at the wrong code.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence

from .references import Edit

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}
_FIRST_FIELD = re.compile(r"[g-z0-9+/]*[A-Za-f]")  # one VLQ value: continuation digits, then a last one

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
    """The mappings of ``data`` after ``edits`` were applied to it (columns in UTF-16 units).

    Columns are delta-coded within a line, so an edit changes only the first segment
    after it: that one segment is re-encoded and the rest of the string is kept as it is.
    """
    if not edits:
        return mappings
    lines = mappings.split(";")
    line_starts = [0]
    pos = data.find(b"\n")
    while pos >= 0:
        line_starts.append(pos + 1)
        pos = data.find(b"\n", pos + 1)
    per_line: dict[int, list[tuple[int, int]]] = {}
    dropped: list[int] = []
    for edit in edits:
        line = bisect.bisect_right(line_starts, edit.start) - 1
        old = data[edit.start: edit.start + edit.old]
        if b"\n" in old:  # a dropped comment line: the lines it spanned go
            dropped.extend(range(line + 1, line + 1 + old.count(b"\n")))
            continue
        col = _utf16_len(data[line_starts[line]: edit.start])
        per_line.setdefault(line, []).append((col, edit.new - _utf16_len(old)))
    for line, changes in per_line.items():
        if line < len(lines) and lines[line]:
            lines[line] = _shift_line(lines[line], sorted(changes))
    for line in sorted(set(dropped), reverse=True):
        if line < len(lines):
            del lines[line]
    return ";".join(lines)


def _shift_line(text: str, changes: list[tuple[int, int]]) -> str:
    segments = text.split(",")
    col = applied = carry = 0
    i = 0
    for n, segment in enumerate(segments):
        first = _FIRST_FIELD.match(segment)
        if first is None:
            continue
        delta = _first_value(first.group())
        col += delta
        while i < len(changes) and changes[i][0] < col:
            carry += changes[i][1]
            i += 1
        if carry != applied:
            segments[n] = _vlq_encode(delta + carry - applied) + segment[first.end():]
            applied = carry
        if i == len(changes) and carry == applied:
            break
    return ",".join(segments)


@functools.lru_cache(maxsize=4096)
def _first_value(field: str) -> int:
    return _vlq_decode(field)[0]


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
