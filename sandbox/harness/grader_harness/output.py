"""Metering the student's output: every byte counts against one limit per run.

Each student process gets one pipe (stdout and stderr merged); a reader thread
per pipe feeds the meter, which keeps a tail of the whole run (the report's
`output`) and one per process (the app's log), and calls back once the run's
total passes the limit so the harness can stop the student.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from grader_harness.report import MAX_OUTPUT_CHARS

CUT_MARK = "[... earlier output cut ...]\n"
_CHUNK = 65_536


class Tail:
    """The last `keep` bytes written to it; appending stays cheap."""

    def __init__(self, keep: int = MAX_OUTPUT_CHARS * 4) -> None:
        self.keep = keep
        self._buffer = bytearray()
        self._cut = False
        self._lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self._lock:
            self._buffer += chunk
            # Trim only when twice the size, so a stream of tiny writes is O(n).
            if len(self._buffer) > 2 * self.keep:
                del self._buffer[: len(self._buffer) - self.keep]
                self._cut = True

    def text(self, max_chars: int = MAX_OUTPUT_CHARS) -> str:
        with self._lock:
            data = bytes(self._buffer)
            cut = self._cut
        text = data.decode("utf-8", errors="replace")
        if len(text) > max_chars or cut:
            # A tail, not head + tail: the last lines explain a crash best.
            text = CUT_MARK + text[len(text) - (max_chars - len(CUT_MARK)) :]
        return text

    def lines(self, count: int) -> str:
        return "\n".join(self.text().rstrip("\n").splitlines()[-count:])


class OutputMeter:
    """Counts the bytes of every student pipe against `limit`."""

    def __init__(self, limit: int, on_exceeded: Callable[[], None]) -> None:
        self.limit = limit
        self.total = 0
        self.exceeded = False
        self.tail = Tail()
        self._on_exceeded = on_exceeded
        self._lock = threading.Lock()

    def add(self, chunk: bytes, own: Tail) -> None:
        with self._lock:
            self.total += len(chunk)
            over = self.total > self.limit
            if over:
                self.exceeded = True
        self.tail.add(chunk)
        own.add(chunk)
        if over:
            # Outside the lock: stopping processes takes a while. Called on
            # every chunk past the limit, so a restarted process that keeps
            # printing is stopped as well.
            self._on_exceeded()

    def pump(self, fd: int, own: Tail) -> None:
        """Reader thread body: drain `fd` until every writer has closed it."""
        try:
            while chunk := os.read(fd, _CHUNK):
                self.add(chunk, own)
        except OSError:
            pass  # the pipe was closed under us at shutdown
        finally:
            os.close(fd)

    def start_reader(self, fd: int, own: Tail, name: str) -> threading.Thread:
        thread = threading.Thread(target=self.pump, args=(fd, own), name=name, daemon=True)
        thread.start()
        return thread
