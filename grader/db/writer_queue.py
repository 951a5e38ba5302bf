"""A first-come-first-served lock for one process's SQLite writers.

SQLite lets one writer at a time hold the database; the others wait in its
busy handler, which sleeps and retries (1, 2, 5 ... 100 ms) with no notion of
who came first. Under a burst of submissions that turns into multi-second
tails and inserts out of arrival order: a writer that just arrived can win
the lock over one that has slept for a second. So the writers of one process
queue here, in arrival order, before BEGIN IMMEDIATE; only the head of the
queue waits for SQLite's lock (and only against other processes: the worker,
another API process, the CLI; begin_immediate below).

Arrival is a ticket: the time the caller says its work arrived (a submission
passes the time its request reached the server, grader.http.arrival), else
the time it asked. Waiters go in ticket order, so two requests that overtook
each other on the way (the thread pool, reading the body) are still written
in the order they arrived, as far as both are waiting here.
"""

from __future__ import annotations

import heapq
import itertools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HANDED_OVER = -1


class WriterQueueTimeout(TimeoutError):
    """A writer waited longer than the queue's timeout for its turn."""


class WriterQueue:
    """A ticket lock: `hold()` returns in the order of the callers' tickets
    (arrival times; without one, first come first served).

    The holder hands the lock straight to the waiter with the earliest ticket
    on release, so a newcomer with a later ticket never overtakes one that
    waits. Re-entrant per thread: a write session opened inside another on
    the same thread would deadlock on SQLite anyway, but this lock must not
    be the one to hang it.
    """

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.timeout = timeout  # like SQLite's busy_timeout: then "locked" is the answer
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._mutex = threading.Lock()
        # (ticket, sequence, the waiter's turn): a heap, earliest ticket first.
        self._waiters: list[tuple[float, int, threading.Lock]] = []
        self._sequence = itertools.count()
        self._owner: int | None = None
        self._depth = 0

    @property
    def waiting(self) -> int:
        """How many writers wait for their turn now (for tests and figures)."""
        with self._mutex:
            return len(self._waiters)

    def earliest_waiting(self) -> float | None:
        """The earliest ticket that waits now, if any (a group writer takes
        no row that arrived after it: grader.db.group_insert)."""
        with self._mutex:
            return self._waiters[0][0] if self._waiters else None

    def acquire(self, ticket: float | None = None) -> None:
        """Wait for the turn of `ticket` (a time.time() value; default: now)."""
        if ticket is None:
            ticket = time.time()
        if self._pid != os.getpid():
            # A forked child (a prefork pool): the parent's holder and waiters
            # are not in this process, and never will release.
            self._reset()
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
                return
            # A lock taken once here, released by whoever hands us the turn.
            turn = threading.Lock()
            turn.acquire()
            entry = (ticket, next(self._sequence), turn)
            heapq.heappush(self._waiters, entry)
        if not turn.acquire(timeout=self.timeout):
            with self._mutex:
                if entry in self._waiters:
                    self._waiters.remove(entry)
                    heapq.heapify(self._waiters)
                    raise WriterQueueTimeout(
                        f"waited over {self.timeout:g} s for the database write lock")
            # Handed to us just as the wait ran out: it is ours after all.
        with self._mutex:
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("WriterQueue released by a thread that does not hold it")
            self._depth -= 1
            if self._depth:
                return
            if self._waiters:
                # Hand over: held by "someone" (no thread id is negative)
                # until the woken waiter writes its own id, so a newcomer in
                # between queues up instead of taking it.
                self._owner = HANDED_OVER
                heapq.heappop(self._waiters)[2].release()
            else:
                self._owner = None

    @contextmanager
    def hold(self, ticket: float | None = None) -> Iterator[float]:
        """Hold the lock for the block; yields the seconds spent waiting."""
        start = time.perf_counter()
        self.acquire(ticket)
        try:
            yield time.perf_counter() - start
        finally:
            self.release()


def begin_immediate(raw: sqlite3.Connection, *, timeout: float, busy_timeout_ms: int,
                    fallback: Callable[[], object]) -> None:
    """BEGIN IMMEDIATE on `raw`, retried every 0.5-2 ms while another process
    holds the write lock, instead of in SQLite's busy handler: that one sleeps
    1, 2, 5 ... 100 ms between tries, so a lock held 80 ms by the worker cost
    a request 103 ms, or 128 (the POST /submissions outliers of 105-165 ms).
    Past `timeout`, `fallback` runs the statement once more so the caller gets
    its driver's usual "database is locked" error; `busy_timeout_ms` is put
    back for the rest of the transaction (COMMIT, and any other waits)."""
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + timeout
        pause = 0.0005
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                # The primary code: extended ones (BUSY_RECOVERY...) are busy too.
                code = getattr(exc, "sqlite_errorcode", sqlite3.SQLITE_BUSY) & 0xFF
                if code != sqlite3.SQLITE_BUSY:
                    raise
            time.sleep(pause)
            pause = min(2 * pause, 0.002)
        fallback()
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
