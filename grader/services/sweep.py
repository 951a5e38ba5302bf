"""The periodic sweep: nothing the database holds may stay stuck because Redis
lost a message or a worker died.

- `running` past its lease (the worker went away): back to `queued`.
- `queued` and not put on the queue for a while (enqueue failed, Redis lost
  its data, or the message sits behind a dead worker): put on the queue again.
- either, with its attempt budget spent (GRADER_GRADE_MAX_ATTEMPTS gradings
  started and never finished): `not_gradable`, never queued again. Without
  this a submission that kills its worker, or whose result cannot be
  recorded, would be graded for ever (services.grading_jobs).

Re-enqueueing is safe: the grade task is idempotent (services.grading_jobs).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload

from grader.db import Database, Submission, SubmissionStatus, utcnow
from grader.services import webhooks
from grader.services.grading_jobs import DEFAULT_MAX_ATTEMPTS, spent
from grader.services.queue import Queue
from grader.services.recording import give_up
from grader.services.submissions import mark_enqueued

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    requeued_running: list[str]
    enqueued: list[str]
    failed: list[str]  # ids the broker did not take; the next sweep tries again
    gave_up: list[str]  # attempt budget spent: now not_gradable


def sweep(*, db: Database, queue: Queue, queued_deadline: float,
          max_attempts: int = DEFAULT_MAX_ATTEMPTS, batch: int = 500) -> SweepResult:
    now = utcnow()
    gave_up = _give_up_spent(db, max_attempts, now, batch)
    with db.session() as session:
        stale = session.scalars(
            select(Submission)
            .where(Submission.status == SubmissionStatus.RUNNING, Submission.lease_until < now)
            .limit(batch).options(lazyload("*")).with_for_update(skip_locked=True)
        ).unique().all()
        for sub in stale:
            log.warning("submission %s: worker lost (lease ran out); queued again", sub.id)
            sub.status = SubmissionStatus.QUEUED.value
            sub.claim = None
            sub.lease_until = None
            sub.enqueued_at = None
            sub.reason = "the grading stopped before it finished (the worker's lease ran out)"
        requeued = [sub.id for sub in stale]
    cutoff = now - timedelta(seconds=queued_deadline)
    aged = Submission.enqueued_at < cutoff
    if _backlog_intact(db, queue):
        # A long backlog, not a lost queue: the broker holds at least as many
        # messages as there are queued submissions, so sending the old ones
        # again would only add duplicates. Never-sent ones still go.
        aged = Submission.id.is_(None)
    with db.reading() as session:
        waiting = [(row.id, row.exercise_slug) for row in session.execute(
            select(Submission.id, Submission.exercise_slug)
            .where(
                Submission.status == SubmissionStatus.QUEUED,
                or_(Submission.enqueued_at.is_(None), aged),
            )
            .order_by(Submission.queued_at)
            .limit(batch)
        )]
    # The slug routes it (services.routing); the queue asks its catalogue for the runner.
    sent = [sub_id for sub_id, slug in waiting if queue.enqueue(sub_id, exercise=slug)]
    if sent:
        mark_enqueued(db=db, ids=sent)
    taken = set(sent)
    failed = [sub_id for sub_id, _ in waiting if sub_id not in taken]
    for sub_id in gave_up:
        if webhooks.wanted(db=db, submission_id=sub_id):
            queue.enqueue_webhook(sub_id)  # final now: its callback is due
    return SweepResult(requeued_running=requeued, enqueued=sent, failed=failed, gave_up=gave_up)


def _give_up_spent(db: Database, max_attempts: int, now: datetime, batch: int) -> list[str]:
    """Running past its lease, or queued (the cap was lowered), with no attempt
    left: no claim can take it (services.grading_jobs.claim), so it ends here. Rows
    are locked (PostgreSQL re-checks the condition under the lock), so a late
    worker's result written meanwhile is never overwritten."""
    with db.session() as session:
        rows = session.scalars(
            select(Submission)
            .where(spent(max_attempts),
                   (Submission.status == SubmissionStatus.QUEUED)
                   | ((Submission.status == SubmissionStatus.RUNNING)
                      & (Submission.lease_until < now)))
            .limit(batch).options(lazyload("*")).with_for_update(skip_locked=True)
        ).unique().all()
        for sub in rows:
            unfinished = sub.grading_attempts - sub.run_failures
            last = f"; the last: {sub.reason}" if sub.reason else ""
            log.error("submission %s: %d gradings never finished; not gradable", sub.id,
                      unfinished)
            give_up(session=session, sub=sub, worker=None, started_at=sub.started_at,
                    reason=f"gave up after {unfinished} unfinished attempts (the worker "
                    f"stopped or the result could not be recorded){last}")
        return [sub.id for sub in rows]


def _backlog_intact(db: Database, queue: Queue) -> bool:
    depth = queue.depth()
    if not depth:
        return False  # empty, or cannot tell: assume messages may be lost
    with db.reading() as session:
        queued = session.scalar(
            select(func.count()).select_from(Submission)
            .where(Submission.status == SubmissionStatus.QUEUED)
        )
    return depth >= int(queued or 0)
