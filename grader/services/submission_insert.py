"""Writing a new submission's row: the one write transaction of a POST
/submissions, kept as short as it can be (on SQLite every other writer of
the process queues behind it, grader.db.writer_queue).

The row goes in with one Core INSERT, not through the ORM's unit of work: a
flush (identity map, dependency sort, attribute history, then the same
INSERT) was about a tenth of a POST's CPU in a deadline burst, all of it
while holding the process's write turn. The Submission handed back is built
from the same values and marked as loaded, as the flushed one was. Practice
submissions on SQLite are written in groups (grader.db.group_insert)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from grader.db import Database, Exercise, Submission, SubmissionStatus, User, utcnow
from grader.exercises.pack import ExercisePack
from grader.services import assignment_submissions, submit_caches

_TABLE: Table = Submission.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)
# Columns a new row always starts with; the model's defaults, spelled out so
# the detached Submission below has every column loaded.
_FRESH: dict[str, Any] = {
    "tries": 0, "infra_failures": 0, "run_failures": 0, "grading_attempts": 0,
    "attempt_number": None, "reason": None, "claim": None, "lease_until": None,
    "current_grading_id": None, "started_at": None, "finished_at": None,
}


def insert_submission(
    *, db: Database, user: User, pack: ExercisePack, files: dict[str, str], files_bytes: int,
    callback_url: str | None, idempotency_key: str | None, received_at: datetime,
    target: assignment_submissions.Target | None,
) -> Submission:
    """The new row, committed, as a detached Submission with `user` and
    `exercise` set for its view. They are set as loaded values, not assigned:
    the User is the request's, and assigning it would attach it to a session.
    `files_bytes`: the files' UTF-8 size, already counted by the caller."""
    versions = submit_caches.exercise_rows(db)
    arrived = received_at.timestamp()  # our turn among this process's writers

    def row(exercise: Exercise, penalty: float | None) -> dict[str, Any]:
        return {
            **_FRESH, "id": str(uuid.uuid4()), "user_id": user.id, "exercise_id": exercise.id,
            "exercise_slug": pack.slug, "files": files, "files_bytes": files_bytes,
            "status": SubmissionStatus.QUEUED.value, "callback_url": callback_url,
            "idempotency_key": idempotency_key, "queued_at": received_at,
            "received_at": received_at, "late_penalty": penalty,
            "assignment_id": target.assignment_id if target is not None else None,
            # Set before the enqueue so the sweep leaves it alone meanwhile;
            # cleared again if the broker refuses it.
            "enqueued_at": utcnow(),
        }

    known = versions.known(pack)
    if known is not None and target is None and db.writers is not None:
        # Practice on SQLite: nothing to read first, so it joins the group
        # being written (grader.db.group_insert).
        exercise, values = known, row(known, None)
        submit_caches.submission_inserts(db).insert(values, arrived=arrived)
    else:
        with db.session(arrived=arrived) as session:
            penalty = None
            if target is not None:
                # Counted and inserted in this one transaction (see admit).
                penalty = assignment_submissions.admit(
                    session, target=target, user=user, exercise=pack.slug,
                    received_at=received_at)
            exercise = known or versions.row(session, pack)
            values = row(exercise, penalty)
            session.connection().execute(_INSERT, values)
        versions.remember(exercise)
    sub = Submission(**values)
    make_transient_to_detached(sub)  # as if loaded: every column set, nothing to flush
    set_committed_value(sub, "user", user)
    set_committed_value(sub, "exercise", exercise)
    set_committed_value(sub, "current_grading", None)  # queued: no result yet
    return sub
