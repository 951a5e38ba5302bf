"""Metering the student's output: every byte counts against one limit per run,
and every byte is either shown to the student or kept for the author only.

Each student process gets one pipe (stdout and stderr merged); a reader thread
per pipe feeds the meter, which keeps a tail of the whole run (the author's
`author_output`), a tail of what the student may see (the report's `output`),
one per process (the app's log) and one per test (the test's `author_output`,
between begin_test and end_test), and calls back once the run's total
passes the limit so the harness can stop the student.

What the student may see is the exercise's output policy (docs/authoring.md):
`full` everything, `none` nothing, `public` (the default) only what was
printed before the student's code could have seen a hidden test's input.
Phases (phases.py) decides which bytes those are; this module only credits
each chunk to the side that was current when it was read, and drains the
pipes before a switch so a phase's own bytes are credited to it.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from grader_harness.report import MAX_OUTPUT_CHARS, MAX_TEST_OUTPUT_CHARS

CUT_MARK = "[... earlier output cut ...]\n"
_CHUNK = 65_536
_DRAIN_READS = 4


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


@dataclass
class _Pipe:
    fd: int
    own: Tail
    # Held while a chunk is read and credited, so a drain and the reader
    # thread never credit the same pipe at once (or use a closed fd).
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False


class OutputMeter:
    """Counts the bytes of every student pipe against `limit`."""

    def __init__(self, limit: int, on_exceeded: Callable[[], None]) -> None:
        self.limit = limit
        self.total = 0
        self.exceeded = False
        self.tail = Tail()  # everything: the author's
        self.shown = Tail()  # what the student may see
        self.withheld = 0  # bytes kept from the student
        # What the test running now made student code print (the author's
        # per-test copy); None between tests. Switched by the main thread only.
        self.test_tail: Tail | None = None
        # Read by the reader threads without a lock: one bool, switched only
        # by the main thread (phases.py), after draining when it hides.
        self.visible = True
        self._on_exceeded = on_exceeded
        self._lock = threading.Lock()
        self._pipes: list[_Pipe] = []

    def _record(self, chunk: bytes, own: Tail) -> bool:
        with self._lock:
            self.total += len(chunk)
            over = self.total > self.limit
            if over:
                self.exceeded = True
            if not self.visible:
                self.withheld += len(chunk)
        self.tail.add(chunk)
        test_tail = self.test_tail
        if test_tail is not None:
            test_tail.add(chunk)
        if self.visible:
            self.shown.add(chunk)
        own.add(chunk)
        return over

    def add(self, chunk: bytes, own: Tail) -> None:
        if self._record(chunk, own):
            # Called on every chunk past the limit, so a restarted process
            # that keeps printing is stopped as well.
            self._on_exceeded()

    def begin_test(self) -> None:
        """A test starts: what is in the pipes now belongs to what came before."""
        self.drain()
        self.test_tail = Tail(MAX_TEST_OUTPUT_CHARS * 4)

    def end_test(self) -> str:
        """The test ended: what student code printed during it (a tail)."""
        self.drain()
        tail, self.test_tail = self.test_tail, None
        return "" if tail is None else tail.text(MAX_TEST_OUTPUT_CHARS)

    def drain(self) -> None:
        """Credit what sits in the pipes now to the current side. The main
        thread calls this before hiding: a print of the phase that ends is
        in its pipe by then (the call or request it belongs to has returned)."""
        for pipe in list(self._pipes):
            over = False
            with pipe.lock:
                # Bounded: a pipe holds 64 KiB, and a student printing without
                # pause must not keep the main thread here.
                for _ in range(_DRAIN_READS):
                    if pipe.closed:
                        break
                    try:
                        chunk = os.read(pipe.fd, _CHUNK)
                    except OSError:  # BlockingIOError: empty for now
                        break
                    if not chunk:
                        break  # end of file: the reader thread closes it
                    over = self._record(chunk, pipe.own) or over
            if over:
                self._on_exceeded()

    def pump(self, pipe: _Pipe) -> None:
        """Reader thread body: credit `pipe` until every writer has closed it."""
        poller = select.poll()
        poller.register(pipe.fd, select.POLLIN)  # POLLHUP comes unasked
        try:
            while True:
                poller.poll()
                with pipe.lock:
                    try:
                        chunk = os.read(pipe.fd, _CHUNK)
                    except BlockingIOError:
                        continue  # a drain took it first
                    if not chunk:
                        break
                    over = self._record(chunk, pipe.own)
                # Outside the pipe's lock: stopping processes takes a while.
                if over:
                    self._on_exceeded()
        except OSError:
            pass  # the pipe was closed under us at shutdown
        finally:
            with pipe.lock:
                pipe.closed = True
                self._pipes.remove(pipe)
                os.close(pipe.fd)

    def start_reader(self, fd: int, own: Tail, name: str) -> threading.Thread:
        os.set_blocking(fd, False)  # our end only: the student's end stays blocking
        pipe = _Pipe(fd, own)
        self._pipes.append(pipe)
        thread = threading.Thread(target=self.pump, args=(pipe,), name=name, daemon=True)
        thread.start()
        return thread
