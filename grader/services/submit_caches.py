"""Per-process caches that keep database round trips off POST /submissions.

A deadline burst is hundreds of submissions a second; on SQLite every query
inside the write transaction lengthens the time all the others queue for the
write lock, and every query outside it costs CPU the API has little of. Two
answers change rarely enough to keep here:

- the depth of the grading queue (a COUNT over submissions), asked again at
  most once a `ttl`; this process's own inserts in between are added, so one
  process cannot overshoot the cap by a burst of its own;
- the exercise-version row for a pack's content hash: rows are only ever
  added (a new hash is a new row), so a known one stays right.

Both are kept per Database object (weakly), so tests with their own
database never see another's answers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from grader.db import Database, Exercise, Submission, utcnow
from grader.db.group_insert import GroupInsert
from grader.exercises.pack import ExercisePack
from grader.services.catalog import exercise_version
from grader.services.per_database import PerDatabase

QUEUE_DEPTH_TTL = 1.0  # seconds; how stale the cap's count may be (docs/service.md)


class QueueDepth:
    """The number of queued submissions, counted by `count` at most once a `ttl`."""

    def __init__(self, count: Callable[[], int], *, ttl: float = QUEUE_DEPTH_TTL) -> None:
        self.count = count
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value = 0
        self._at = float("-inf")

    def current(self) -> int:
        with self._lock:
            if time.monotonic() - self._at < self.ttl:
                return self._value
        value = self.count()  # outside the lock: a slow count blocks nobody else
        with self._lock:
            self._value, self._at = value, time.monotonic()
        return value

    def added(self) -> None:
        """One more queued by this process since the last count."""
        with self._lock:
            self._value += 1


class ExerciseRows:
    """(slug, content hash) -> its exercise row, detached: read its columns only."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Exercise] = {}

    def known(self, pack: ExercisePack) -> Exercise | None:
        """The row if remembered (no session needed)."""
        return self._rows.get((pack.slug, pack.content_hash))

    def row(self, session: Session, pack: ExercisePack) -> Exercise:
        """The row, from memory or from `session` (created there on first use;
        it is remembered only once `remember` is called after the commit)."""
        known = self._rows.get((pack.slug, pack.content_hash))
        return known if known is not None else exercise_version(session, pack)

    def remember(self, row: Exercise) -> None:
        # After the commit: a row created in a transaction that rolled back
        # must not be remembered.
        self._rows[(row.slug, row.content_hash)] = row


_depths: PerDatabase[QueueDepth] = PerDatabase()
_exercise_rows: PerDatabase[ExerciseRows] = PerDatabase()
_inserts: PerDatabase[GroupInsert] = PerDatabase()


def queue_depth(db: Database, count: Callable[[], int]) -> QueueDepth:
    return _depths.get(db, lambda: QueueDepth(count))


def exercise_rows(db: Database) -> ExerciseRows:
    return _exercise_rows.get(db, ExerciseRows)


def submission_inserts(db: Database) -> GroupInsert:
    """The process's one group of submission inserts (grader.db.group_insert)."""
    # enqueued_at as the row is written, as a lone insert sets it.
    return _inserts.get(db, lambda: GroupInsert(
        db, Submission.__table__,  # type: ignore[arg-type]
        stamp=lambda: {"enqueued_at": utcnow()}))
