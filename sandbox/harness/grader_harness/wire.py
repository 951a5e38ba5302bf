"""Framing of the python runner's pipe protocol: a 4-byte length, then JSON.

Shared by the harness (reading replies, which are untrusted) and the proxy
server (running as the student). Stdlib only; it must import nothing of the
harness that a student's module could shadow.

Requests: {"fn": name, "args": [...], "kwargs": {...}}.
Replies:  {"ok": result} or {"error": {"type": ..., "message": ..., "traceback": ...}}.
"""

from __future__ import annotations

import json
import os
import struct
from typing import Any

HEADER = struct.Struct(">I")
# A reply larger than this is refused: it is data from student code.
MAX_FRAME_BYTES = 1 << 20


class FrameError(ValueError):
    """A frame that breaks the protocol: too large, not JSON, not an object."""


def encode(message: Any) -> bytes:
    data = json.dumps(message).encode("utf-8")
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(f"message of {len(data)} bytes is over {MAX_FRAME_BYTES}")
    return HEADER.pack(len(data)) + data


def frame_length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {length} bytes is over {MAX_FRAME_BYTES}")
    return int(length)


def decode(data: bytes) -> dict[str, Any]:
    try:
        message = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # deep nesting raises RecursionError
        raise FrameError(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(message, dict):
        raise FrameError("not a JSON object")
    return message


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def read_exact(fd: int, count: int) -> bytes | None:
    """Blocking read of `count` bytes; None at end of file."""
    chunks = []
    while count:
        chunk = os.read(fd, count)
        if not chunk:
            return None
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


def receive(fd: int) -> dict[str, Any] | None:
    """Blocking read of one message (the proxy's side); None at end of file."""
    header = read_exact(fd, HEADER.size)
    if header is None:
        return None
    body = read_exact(fd, frame_length(header))
    return None if body is None else decode(body)
