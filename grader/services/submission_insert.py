"""Writing a new submission's row: the one write transaction of a POST
/submissions, kept as short as it can be (on SQLite every other writer of
the process queues behind it, grader.db.writer_queue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm.attributes import set_committed_value

from grader.db import Database, Submission, SubmissionStatus, User, utcnow
from grader.exercises.pack import ExercisePack
from grader.services import assignment_submissions, submit_caches


def insert_submission(
    db: Database, user: User, pack: ExercisePack, files: dict[str, str],
    callback_url: str | None, idempotency_key: str | None, *, received_at: datetime,
    target: assignment_submissions.Target | None,
) -> Submission:
    """The new row, committed and detached, with `user` and `exercise` set for
    its view. They are set as loaded values, not assigned: the User is the
    request's, and assigning it would attach it to this session."""
    versions = submit_caches.exercise_rows(db)
    # Our turn among this process's writers by arrival, not by who got here first.
    with db.session(arrived=received_at.timestamp()) as session:
        penalty = None
        if target is not None:
            # Counted and inserted in this one transaction (see admit).
            penalty = assignment_submissions.admit(session, target=target, user=user,
                                                   exercise=pack.slug, received_at=received_at)
        exercise = versions.row(session, pack)  # no query once known
        sub = Submission(
            user_id=user.id, exercise_id=exercise.id, exercise_slug=pack.slug, files=files,
            # Already checked to be UTF-8 text within the cap.
            files_bytes=sum(len(text.encode("utf-8")) for text in files.values()),
            status=SubmissionStatus.QUEUED.value, callback_url=callback_url,
            idempotency_key=idempotency_key, queued_at=received_at,
            received_at=received_at, late_penalty=penalty,
            assignment_id=target.assignment_id if target is not None else None,
            # Set before the enqueue so the sweep leaves it alone meanwhile;
            # cleared again if the broker refuses it.
            enqueued_at=utcnow(),
        )
        session.add(sub)
        session.flush()
    versions.remember(exercise)
    set_committed_value(sub, "user", user)
    set_committed_value(sub, "exercise", exercise)
    set_committed_value(sub, "current_grading", None)  # queued: no result yet
    return sub
