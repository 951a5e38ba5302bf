"""Submissions written in groups (grader.db.group_insert via
services.submission_insert): a burst of concurrent submits is stored once
each, in arrival order, answered each with its own row; a retried
Idempotency-Key and a row at fault are answered alone; the stored size is
the stored files' size."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from grader.db import Database, Role, Submission, User, utcnow
from grader.services import accounts, submission_insert, submissions, submit_caches
from grader.services.catalog import Catalog
from tests.helpers.service_fakes import FakeQueue
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401

LIMITS = submissions.SubmissionCaps(queue_max_depth=1000, max_submission_bytes=10_000)


def _submit(db: Database, catalog: Catalog, queue: FakeQueue, user: User, **fields: Any
            ) -> tuple[Any, bool]:
    return submissions.create_submission(
        db=db, catalog=catalog, queue=queue, limiter=None, limits=LIMITS,
        new=submissions.NewSubmission(user=user, exercise="hello-api", **fields))


def _burst(db: Database, calls: list[dict[str, Any]], submit: Any) -> list[Any]:
    """Each call from its own thread while this thread holds the write turn
    (so they all wait, then go in together). Returns answers or errors."""
    answers: list[Any] = [None] * len(calls)

    def one(i: int) -> None:
        try:
            answers[i] = submit(**calls[i])
        except Exception as exc:
            answers[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    assert db.writers is not None
    inserts = submit_caches.submission_inserts(db)
    with db.writers.hold():
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(inserts._pending) < len(calls) and time.monotonic() < deadline:
            time.sleep(0.005)
    for thread in threads:
        thread.join(timeout=30)
    return answers


@pytest.fixture
def students(db: Database) -> list[User]:
    return [accounts.create_user(db=db, name=f"s{i}", role=Role.STUDENT) for i in range(4)]


def _rows(db: Database) -> list[Any]:
    with db.engine.connect() as conn:  # rowid: the order they were written in
        return list(conn.execute(text(
            "SELECT id, received_at, idempotency_key, files_bytes FROM submissions "
            "ORDER BY rowid")))


def test_forty_concurrent_submits_stored_once_in_arrival_order(
    db: Database, catalog: Catalog, students: list[User],
) -> None:
    queue = FakeQueue()
    _submit(db, catalog, queue, students[0], files={"app/main.py": "warm\n"})  # row known
    start = utcnow()
    calls = [{"user": students[i % 4], "files": {"app/main.py": f"v{i}\n"},
              "received_at": start + timedelta(milliseconds=i)} for i in range(40)]
    for i in (7, 30):  # one request sent twice (a retry): one row, the same answer
        calls[i].update(user=students[3], files={"app/main.py": "retry\n"},
                        idempotency_key="retry-1")
    random.Random(3).shuffle(calls)  # threads start in another order than they arrived
    answers = _burst(db, calls, lambda **c: _submit(db, catalog, queue, **c))

    assert not any(isinstance(a, Exception) for a in answers), answers
    retried = [a for c, a in zip(calls, answers, strict=True) if c.get("idempotency_key")]
    assert retried[0][0].id == retried[1][0].id
    assert sorted(created for _, created in retried) == [False, True]
    rows = _rows(db)[1:]
    assert len(rows) == 39 and len({r.id for r in rows}) == 39
    assert [r.received_at for r in rows] == sorted(r.received_at for r in rows)
    assert {a[0].id for a in answers} == {r.id for r in rows}
    assert sorted(queue.grading[1:]) == sorted(r.id for r in rows)  # each enqueued once
    # The duplicate key failed that group: its rows went in one by one. Without one,
    # a burst is one group.
    inserts = submit_caches.submission_inserts(db)
    groups = inserts.groups
    again = [{"user": students[i % 4], "files": {"app/main.py": f"w{i}\n"},
              "received_at": utcnow()} for i in range(10)]
    assert not any(isinstance(a, Exception)
                   for a in _burst(db, again, lambda **c: _submit(db, catalog, queue, **c)))
    assert inserts.groups == groups + 1 and len(_rows(db)) == 1 + 39 + 10
    with db.engine.connect() as conn:  # stamped as the group was written, once for all
        stamps = conn.execute(text(
            "SELECT DISTINCT enqueued_at FROM "
            "(SELECT enqueued_at FROM submissions ORDER BY rowid DESC LIMIT 10)")).all()
    assert len(stamps) == 1


def test_a_row_at_fault_is_refused_alone(
    db: Database, catalog: Catalog, students: list[User],
) -> None:
    queue = FakeQueue()
    _submit(db, catalog, queue, students[0], files={"app/main.py": "warm\n"})
    ghost = User(id=999_999, name="ghost", role="student")  # no such row: a foreign key fails
    start = utcnow()
    calls = [{"user": ghost if i == 11 else students[i % 4],
              "files": {"app/main.py": f"v{i}\n"},
              "received_at": start + timedelta(milliseconds=i)} for i in range(40)]
    answers = _burst(db, calls, lambda **c: _submit(db, catalog, queue, **c))

    assert isinstance(answers[11], IntegrityError)
    assert all(not isinstance(a, Exception) for i, a in enumerate(answers) if i != 11)
    rows = _rows(db)[1:]
    assert len(rows) == 39
    assert [r.received_at for r in rows] == sorted(r.received_at for r in rows)


def test_stored_size_is_the_stored_files_when_two_names_become_one(
    db: Database, catalog: Catalog, students: list[User],
) -> None:
    queue = FakeQueue()
    view, _ = _submit(db, catalog, queue, students[0],
                      files={"app/main.py": "x", "app//main.py": "yyyy"})
    with db.reading() as session:
        sub = session.scalars(select(Submission).where(Submission.id == view.id)).one()
        assert sub.files == {"app/main.py": "yyyy"} and sub.files_bytes == 4
    view, _ = _submit(db, catalog, queue, students[0],
                      files={"app/main.py": "é", "notes.txt": "ab"})
    assert _rows(db)[-1].files_bytes == 4  # UTF-8 bytes, not characters


def test_the_returned_row_has_every_column_loaded(
    db: Database, catalog: Catalog, students: list[User],
) -> None:
    """A column added to Submission must be added to the Core INSERT's values
    too: the detached row handed to the view cannot load a missing one."""
    for _ in range(2):  # the first creates the exercise row alone, the second joins a group
        sub = submission_insert.insert_submission(
            db=db, user=students[0], pack=catalog.get("hello-api"),
            files={"app/main.py": "x"}, files_bytes=1, callback_url=None,
            idempotency_key=None, received_at=utcnow(), target=None)
        state = inspect(sub)
        assert state.detached and not state.unloaded and not state.modified
        assert sub.user is students[0] and sub.exercise.slug == "hello-api"
