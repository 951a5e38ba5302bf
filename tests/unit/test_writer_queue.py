"""The SQLite writers' queue (grader.db.writer_queue): first come first served
within a process, and a BEGIN IMMEDIATE that waits for another connection in
short steps. Real threads and a real SQLite file; no timing asserts."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text

from grader.db import Database
from grader.db.writer_queue import WriterQueue, WriterQueueTimeout, begin_immediate


def _wait_until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def _queue_up(lock: WriterQueue, n: int, body: Callable[[int], None]) -> list[threading.Thread]:
    """n threads that take `lock` and run body(i), started one after another:
    each is waiting in the queue before the next one starts."""
    threads: list[threading.Thread] = []
    for i in range(n):
        thread = threading.Thread(target=_locked, args=(lock, body, i))
        thread.start()
        _wait_until(partial(_has_waiting, lock, i + 1))
        threads.append(thread)
    return threads


def _has_waiting(lock: WriterQueue, n: int) -> bool:
    return lock.waiting == n


def _locked(lock: WriterQueue, body: Callable[[int], None], i: int) -> None:
    with lock.hold():
        body(i)


def test_waiters_get_the_lock_in_arrival_order() -> None:
    lock, order = WriterQueue(), list[int]()
    lock.acquire()
    threads = _queue_up(lock, 12, order.append)
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == list(range(12))
    assert lock.waiting == 0


def test_a_newcomer_does_not_overtake_a_waiter_being_handed_the_lock() -> None:
    lock, order = WriterQueue(), list[int]()
    lock.acquire()
    threads = _queue_up(lock, 1, order.append)
    lock.release()  # handed to the waiter, which may not have run yet
    with lock.hold():  # arrives after: must come second
        order.append(99)
    threads[0].join(10)
    assert order == [0, 99]


def test_an_earlier_arrival_goes_first_among_those_waiting() -> None:
    """Tickets are arrival times: a request that arrived first but reached the
    queue second (it waited for a thread meanwhile) is still written first."""
    lock, order = WriterQueue(), list[str]()
    lock.acquire()
    threads: list[threading.Thread] = []
    for name, ticket in (("late", 200.0), ("early", 100.0), ("latest", 300.0)):
        thread = threading.Thread(target=_take, args=(lock, ticket, order, name))
        thread.start()
        _wait_until(partial(_has_waiting, lock, len(threads) + 1))
        threads.append(thread)
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == ["early", "late", "latest"]


def _take(lock: WriterQueue, ticket: float, order: list[str], name: str) -> None:
    with lock.hold(ticket):
        order.append(name)


def test_reentrant_on_one_thread_and_only_its_holder_releases_it() -> None:
    lock = WriterQueue()
    with lock.hold(), lock.hold():
        other: list[BaseException] = []
        thread = threading.Thread(target=lambda: _catch(lock.release, other))
        thread.start()
        thread.join(10)
        assert isinstance(other[0], RuntimeError)
    with lock.hold():  # free again after the outer release
        pass


def _catch(call: Callable[[], None], into: list[BaseException]) -> None:
    try:
        call()
    except BaseException as exc:  # handed to the test thread
        into.append(exc)


def test_a_waiter_that_times_out_leaves_the_queue() -> None:
    lock = WriterQueue(timeout=0.05)
    lock.acquire()
    failed: list[BaseException] = []
    thread = threading.Thread(target=lambda: _catch(lock.acquire, failed))
    thread.start()
    thread.join(10)
    assert isinstance(failed[0], WriterQueueTimeout)
    assert "database write lock" in str(failed[0])
    assert lock.waiting == 0
    lock.release()
    with lock.hold():  # nobody stale is handed the lock
        pass


def test_a_forked_child_is_not_held_by_the_parents_holder() -> None:
    lock = WriterQueue(timeout=5)
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock.hold():
            held.set()
            done.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: the holding thread does not exist here
        try:
            with lock.hold():
                pass
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    done.set()
    thread.join(10)
    assert os.waitstatus_to_exitcode(status) == 0


def test_sqlite_writers_of_one_process_commit_in_arrival_order(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'order.db'}")
    with db.session() as session:
        session.execute(text("CREATE TABLE arrivals (n INTEGER)"))
    assert db.writers is not None

    def insert(i: int) -> None:
        with db.session() as session:
            session.execute(text("INSERT INTO arrivals (n) VALUES (:n)"), {"n": i})

    db.writers.acquire()
    threads = _queue_up(db.writers, 10, insert)
    db.writers.release()
    for thread in threads:
        thread.join(30)
    with db.reading() as session:
        rows = session.execute(text("SELECT n FROM arrivals ORDER BY rowid")).scalars().all()
    assert rows == list(range(10))
    db.dispose()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def test_begin_immediate_waits_for_another_connection_and_restores_busy_timeout(
        tmp_path: Path) -> None:
    holder, waiter = _connect(tmp_path / "x.db"), _connect(tmp_path / "x.db")
    holder.execute("CREATE TABLE t (n INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    got: list[str] = []

    def write() -> None:
        begin_immediate(waiter, timeout=30, busy_timeout_ms=30000, fallback=lambda: None)
        got.append("began")
        waiter.execute("INSERT INTO t VALUES (2)")
        waiter.execute("COMMIT")

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.1)  # it is retrying meanwhile, not through
    assert got == []
    holder.execute("COMMIT")
    thread.join(10)
    assert got == ["began"]
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
    assert [r[0] for r in holder.execute("SELECT n FROM t ORDER BY n")] == [1, 2]


def test_begin_immediate_past_its_timeout_gives_the_locked_error(tmp_path: Path) -> None:
    holder, waiter = _connect(tmp_path / "y.db"), _connect(tmp_path / "y.db")
    holder.execute("CREATE TABLE t (n INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        begin_immediate(waiter, timeout=0.05, busy_timeout_ms=1234,
                        fallback=lambda: waiter.execute("BEGIN IMMEDIATE"))
    holder.execute("ROLLBACK")
    assert waiter.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
