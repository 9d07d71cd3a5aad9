"""The Embedded Sass protocol's framing: a varint length, then a varint compilation id and a protobuf message.

By hand because it is a dozen lines: protobuf's Python package encodes messages, not
the length-prefixed stream around them.
"""

from __future__ import annotations

from typing import BinaryIO


def write(stream: BinaryIO, compilation_id: int, payload: bytes) -> None:
    body = _varint(compilation_id) + payload
    stream.write(_varint(len(body)) + body)


def read(stream: BinaryIO) -> tuple[int, bytes]:
    """The next packet's compilation id and message bytes; EOFError if the stream ends."""
    body = _read_exactly(stream, _read_varint(stream))
    value = shift = at = 0
    while True:
        byte = body[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, body[at:]


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if not value:
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _read_varint(stream: BinaryIO) -> int:
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            raise EOFError
        value |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            return value


def _read_exactly(stream: BinaryIO, length: int) -> bytes:
    chunks = []
    while length:
        chunk = stream.read(length)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        length -= len(chunk)
    return b"".join(chunks)
