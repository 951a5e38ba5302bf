"""The periodic sweep: nothing the database holds may stay stuck because Redis
lost a message or a worker died.

- `running` past its lease (the worker went away): back to `queued`.
- `queued` and not put on the queue for a while (enqueue failed, Redis lost
  its data, or the message sits behind a dead worker): put on the queue again.

Re-enqueueing is safe: the grade task is idempotent (services.grading).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select

from grader.db import Database, Status, Submission, utcnow
from grader.services.queue import Queue
from grader.services.submissions import mark_enqueued

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepResult:
    requeued_running: list[str]
    enqueued: list[str]
    failed: list[str]  # ids the broker did not take; the next sweep tries again


def sweep(*, db: Database, queue: Queue, queued_deadline: float, batch: int = 500) -> SweepResult:
    now = utcnow()
    with db.session() as session:
        stale = session.scalars(
            select(Submission)
            .where(Submission.status == Status.RUNNING, Submission.lease_until < now)
            .limit(batch)
        ).unique().all()
        for sub in stale:
            log.warning("submission %s: worker lost (lease ran out); queued again", sub.id)
            sub.status = Status.QUEUED.value
            sub.claim = None
            sub.lease_until = None
            sub.enqueued_at = None
        requeued = [sub.id for sub in stale]
    cutoff = now - timedelta(seconds=queued_deadline)
    aged = Submission.enqueued_at < cutoff
    if _backlog_intact(db, queue):
        # A long backlog, not a lost queue: the broker holds at least as many
        # messages as there are queued submissions, so sending the old ones
        # again would only add duplicates. Never-sent ones still go.
        aged = Submission.id.is_(None)
    with db.reading() as session:
        waiting = list(session.scalars(
            select(Submission.id)
            .where(
                Submission.status == Status.QUEUED,
                or_(Submission.enqueued_at.is_(None), aged),
            )
            .order_by(Submission.queued_at)
            .limit(batch)
        ))
    sent = [sub_id for sub_id in waiting if queue.enqueue(sub_id)]
    if sent:
        mark_enqueued(db=db, ids=sent)
    failed = [sub_id for sub_id in waiting if sub_id not in set(sent)]
    return SweepResult(requeued_running=requeued, enqueued=sent, failed=failed)


def _backlog_intact(db: Database, queue: Queue) -> bool:
    depth = queue.depth()
    if not depth:
        return False  # empty, or cannot tell: assume messages may be lost
    with db.reading() as session:
        queued = session.scalar(
            select(func.count()).select_from(Submission).where(Submission.status == Status.QUEUED)
        )
    return depth >= int(queued or 0)
