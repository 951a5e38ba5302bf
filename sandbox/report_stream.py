"""The report, read from the container's stdout as it is written.

The runner attaches to a sandbox's stdin and stdout in one connection: the
request goes in, and the harness's report comes back on the same socket the
moment it is written. Waiting for the container to exit and then asking the
engine for its log (what the runner did before) costs a grading the
container's teardown and two more Docker API calls, tens of milliseconds.

The report is one line and the harness writes nothing after it (nothing
else in the container can write to that stdout: grader_harness.__main__
keeps the descriptor private), so the first whole line is the whole report.
Without one (the harness died, the output is too long, the deadline passed)
the runner falls back to the container's end and its log (runner._collect).

Docker multiplexes an attachment without a terminal: each frame is an 8-byte
header (stream type: 1 stdout, 2 stderr; three zero bytes; the payload's
length, big-endian) and then the payload.
"""

from __future__ import annotations

import time
from typing import Any

HEADER_BYTES = 8
STDOUT = 1


class ReportStream:
    """One attachment of a sandbox: `raw` takes the request, read_report()
    gives back the report's line."""

    def __init__(self, attached: Any, limit: int) -> None:
        self._attached = attached
        # The SDK hands back a SocketIO around the hijacked connection; writing,
        # half-closing and timeouts need the socket itself.
        self.raw: Any = getattr(attached, "_sock", attached)
        self._limit = limit

    def read_report(self, deadline: float) -> bytes | None:
        """The first line of stdout, newline included; None when the stream
        ends before one, the deadline (time.monotonic()) passes, or more than
        the limit came without one."""
        pending = bytearray()
        out = bytearray()
        while True:
            while len(pending) >= HEADER_BYTES:
                size = int.from_bytes(pending[4:HEADER_BYTES], "big")
                if len(pending) < HEADER_BYTES + size:
                    break
                if pending[0] == STDOUT:
                    out += pending[HEADER_BYTES : HEADER_BYTES + size]
                del pending[: HEADER_BYTES + size]
                end = out.find(b"\n")
                if end >= 0:
                    return bytes(out[: end + 1])
            if len(out) + len(pending) > self._limit + HEADER_BYTES:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                self.raw.settimeout(remaining)
                chunk = self.raw.recv(1 << 16)
            except OSError:  # the timeout included
                return None
            if not chunk:
                return None
            pending += chunk

    def close(self) -> None:
        self._attached.close()
        if self.raw is not self._attached:
            self.raw.close()  # SocketIO.close() leaves the socket itself open
