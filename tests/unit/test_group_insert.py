"""Group commit (grader.db.group_insert) on a real SQLite file: rows that
queue up while another writer holds the turn go in as one group, in arrival
order, each stored once; a row at fault fails alone; a database-wide failure
answers every caller."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError, StatementError

from grader.db import Database
from grader.db.group_insert import GroupInsert, GroupWriteFailed

METADATA = MetaData()
NOTES = Table("notes", METADATA, Column("id", Integer, primary_key=True),
              Column("key", String(20), unique=True), Column("arrived", Float))


@pytest.fixture
def db(tmp_path: Path) -> Any:
    database = Database(f"sqlite:///{tmp_path / 'notes.db'}")
    METADATA.create_all(database.engine)
    yield database
    database.dispose()


def _burst(db: Database, inserts: GroupInsert, rows: list[dict[str, Any]], *,
           hold_for: float | None = None) -> list[BaseException | None]:
    """Insert every row from its own thread while this thread holds the write
    turn (until all of them wait, or `hold_for` seconds). Returns each row's
    error, in the order of `rows` (None: stored)."""
    answers: list[BaseException | None] = [None] * len(rows)
    assert db.writers is not None

    def one(i: int) -> None:
        try:
            inserts.insert(rows[i], arrived=rows[i]["arrived"])
        except Exception as exc:
            answers[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(rows))]
    with db.writers.hold():
        for thread in threads:
            thread.start()
        if hold_for is not None:
            time.sleep(hold_for)
        deadline = time.monotonic() + 10
        while (hold_for is None and len(inserts._pending) < len(rows)
               and time.monotonic() < deadline):
            time.sleep(0.005)
    for thread in threads:
        thread.join(timeout=30)
    return answers


def _rows(n: int) -> list[dict[str, Any]]:
    """n rows whose threads start in an order unlike their arrival times."""
    now = time.time()
    rows = [{"key": f"k{i:02d}", "arrived": now + i / 1000} for i in range(n)]
    random.Random(7).shuffle(rows)
    return rows


def _stored(db: Database) -> list[tuple[str, float]]:
    with db.engine.connect() as conn:
        return [(r.key, r.arrived) for r in conn.execute(select(NOTES).order_by(NOTES.c.id))]


def test_forty_waiting_rows_are_one_group_in_arrival_order(db: Database) -> None:
    inserts = GroupInsert(db, NOTES)
    rows = _rows(40)
    assert _burst(db, inserts, rows) == [None] * 40
    stored = _stored(db)
    assert [key for key, _ in stored] == sorted(r["key"] for r in rows)  # once each, in order
    assert [a for _, a in stored] == sorted(a for _, a in stored)
    assert inserts.groups == 1


def test_a_duplicate_key_fails_alone_and_the_rest_are_stored_in_order(db: Database) -> None:
    inserts = GroupInsert(db, NOTES)
    rows = _rows(40)
    first = next(r for r in rows if r["key"] == "k05")
    duplicate = {"key": "k05", "arrived": first["arrived"] + 1}  # arrived later: it loses
    answers = _burst(db, inserts, [*rows, duplicate])
    assert isinstance(answers[-1], IntegrityError)
    assert answers[:-1] == [None] * 40
    stored = _stored(db)
    assert [key for key, _ in stored] == sorted(r["key"] for r in rows)
    assert (first["key"], first["arrived"]) in stored


def test_a_bad_value_fails_only_its_own_caller(db: Database) -> None:
    inserts = GroupInsert(db, NOTES)
    rows = _rows(40)
    rows[3] = {**rows[3], "key": object()}  # not text: the driver refuses it
    answers = _burst(db, inserts, rows)
    assert isinstance(answers[3], StatementError)
    assert answers[:3] + answers[4:] == [None] * 39
    assert len(_stored(db)) == 39


def test_no_write_turn_in_time_answers_every_caller_and_stores_nothing(db: Database) -> None:
    assert db.writers is not None
    db.writers.timeout = 0.2
    inserts = GroupInsert(db, NOTES)
    # The turn is held past every caller's timeout (each leader gives up in turn).
    answers = _burst(db, inserts, _rows(5), hold_for=2.0)
    assert all(isinstance(error, TimeoutError | GroupWriteFailed) for error in answers)
    assert _stored(db) == []
    assert not inserts._leading and inserts._pending == []  # the next caller leads afresh
    inserts.insert({"key": "after", "arrived": time.time()}, arrived=time.time())
    assert [key for key, _ in _stored(db)] == ["after"]


def test_rows_that_arrived_after_another_waiting_writer_are_written_after_it(
    db: Database,
) -> None:
    """A lone writer (a submission into an assignment) waits in the writer
    queue with its arrival: a group takes only rows that arrived before it."""
    assert db.writers is not None
    inserts = GroupInsert(db, NOTES)
    now = time.time()
    rows = [{"key": f"g{i:02d}", "arrived": now + i / 1000} for i in range(20)]
    lone = {"key": "lone", "arrived": now + 9.5 / 1000}  # between g09 and g10

    def lone_writer() -> None:
        with db.session(arrived=lone["arrived"]) as session:
            session.execute(NOTES.insert(), lone)

    threads = [threading.Thread(target=lambda r=r: inserts.insert(r, arrived=r["arrived"]))
               for r in rows]
    with db.writers.hold():
        threads[0].start()  # the leader, waiting for the turn
        while db.writers.waiting < 1:
            time.sleep(0.005)
        writer = threading.Thread(target=lone_writer)
        writer.start()
        while db.writers.waiting < 2:
            time.sleep(0.005)
        for thread in threads[1:]:
            thread.start()
        while len(inserts._pending) < len(rows):
            time.sleep(0.005)
    for thread in [*threads, writer]:
        thread.join(timeout=30)
    keys = [key for key, _ in _stored(db)]
    assert keys == [f"g{i:02d}" for i in range(10)] + ["lone"] + [
        f"g{i:02d}" for i in range(10, 20)]
    assert inserts.groups == 2  # the ten before it, then the ten after


def test_an_error_before_the_turn_fails_the_leader_alone(
    db: Database, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The leader's own row fails (here: taking the turn raises); the rows
    waiting behind it are led by the next and stored, and none hangs."""
    assert db.writers is not None
    inserts = GroupInsert(db, NOTES)
    acquire = db.writers.acquire
    calls = []

    def failing_once(ticket: float | None = None) -> None:
        calls.append(ticket)
        acquire(ticket)
        if len(calls) == 2:  # the first is _burst's own hold
            db.writers.release()  # type: ignore[union-attr]
            raise RuntimeError("no turn for you")

    monkeypatch.setattr(db.writers, "acquire", failing_once)
    rows = _rows(10)
    answers = _burst(db, inserts, rows)
    failed = [i for i, error in enumerate(answers) if error is not None]
    assert len(failed) == 1 and isinstance(answers[failed[0]], RuntimeError)
    assert len(_stored(db)) == 9
    assert not inserts._leading and inserts._pending == []
