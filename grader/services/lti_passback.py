"""Scores back to the LMS (LTI Assignment and Grade Services).

`scores_changed` is called wherever a counted score may change (a grading
recorded, a regrade, an extension, a late-policy change, grades released):
it marks one passback row per (line item, student with an LTI identity)
pending and puts a passback task on the queue per row. The task (`send`)
computes the score as it is *then*, so a burst of changes posts the latest,
and records sent or failed with the platform's reason; the worker retries a
failure with backoff. Nothing here raises into a grading: the worker calls
it after the grading is recorded, and a failed enqueue is logged and left
visible as a pending row. The score is the gradebook's (assignment_score);
scores hidden until released are never posted before the release (the row
is `held`, as is one with nothing graded to post).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import (
    Assignment,
    Course,
    Database,
    LtiIdentity,
    LtiLineItem,
    LtiPassback,
    LtiPlatform,
    Submission,
    User,
    utcnow,
)
from grader.lti.keys import ToolKey
from grader.lti.services import PlatformError, post_score
from grader.services.course_access import staff_access
from grader.services.errors import NotFound
from grader.services.gradebook import assignment_score
from grader.services.lti_marks import mark_changed

log = logging.getLogger(__name__)


class PassbackQueue(Protocol):
    def enqueue_passback(self, passback_id: int) -> bool: ...


@dataclass(frozen=True)
class PassbackView:
    assignment: str
    student: str
    status: str
    score_sent: float | None
    attempts: int
    last_error: str | None
    updated_at: Any


def scores_changed(*, db: Database, queue: PassbackQueue, assignment_id: int,
                   user_ids: list[int] | None = None) -> int:
    """Mark and enqueue; returns how many passbacks were queued."""
    with db.session() as session:
        ids = mark_changed(session, assignment_id=assignment_id, user_ids=user_ids)
    for passback_id in ids:
        if not queue.enqueue_passback(passback_id):
            log.warning("passback %d could not be enqueued: left pending", passback_id)
    return len(ids)


def enqueue_pending(*, db: Database, queue: PassbackQueue, settle_seconds: float = 5.0) -> int:
    """The sweep's part: rows marked pending in another service's transaction
    (or whose enqueue failed) and not touched for `settle_seconds`."""
    with db.reading() as session:
        ids = list(session.scalars(select(LtiPassback.id).where(
            LtiPassback.status == "pending",
            LtiPassback.updated_at < utcnow() - timedelta(seconds=settle_seconds))))
    return sum(1 for passback_id in ids if queue.enqueue_passback(passback_id))


def submission_scored(*, db: Database, queue: PassbackQueue, submission_id: str) -> int:
    """After a grading of `submission_id` was recorded (the worker's hook)."""
    with db.reading() as session:
        row = session.execute(select(Submission.assignment_id, Submission.user_id)
                              .where(Submission.id == submission_id)).first()
    if row is None or row.assignment_id is None:
        return 0
    return scores_changed(db=db, queue=queue, assignment_id=row.assignment_id,
                          user_ids=[row.user_id])


def send(*, db: Database, key: ToolKey, passback_id: int) -> str:
    """Post the current score; returns sent, held, gone or failed."""
    with db.session() as session:
        row = session.get(LtiPassback, passback_id)
        if row is None:
            return "gone"
        assignment = session.get_one(Assignment, row.assignment_id)
        item = session.get_one(LtiLineItem, row.line_item_id)
        platform = session.get_one(LtiPlatform, item.platform_id)
        sub = session.scalar(select(LtiIdentity.sub).where(
            LtiIdentity.platform_id == platform.id, LtiIdentity.user_id == row.user_id))
        # The gradebook's own number, so the LMS and the gradebook never disagree.
        score = assignment_score(session, assignment=assignment, user_id=row.user_id)
        percent = score.percent if score is not None and score.released else None
        if sub is None or percent is None:
            row.status, row.updated_at = "held", utcnow()
            return "held"
        row.attempts += 1
        target = (item.lineitem_url, item.scopes.split())
    try:  # outside the transaction: never hold the database while the LMS answers
        post_score(platform=platform, key=key, lineitem_url=target[0], scopes=target[1],
                   sub=sub, percent=percent, at=utcnow())
    except PlatformError as exc:
        _finish(db, passback_id, "failed", None, str(exc))
        return "failed"
    _finish(db, passback_id, "sent", percent, None)
    return "sent"


def _finish(db: Database, passback_id: int, status: str, score: float | None,
            error: str | None) -> None:
    with db.session() as session:
        row = session.get(LtiPassback, passback_id)
        if row is not None:
            row.status, row.last_error, row.updated_at = status, error, utcnow()
            row.score_sent = score if score is not None else row.score_sent


def course_passbacks(*, db: Database, user: User, course: str, problems_only: bool = True
                     ) -> list[PassbackView]:
    """The course's passbacks (staff only), newest first: by default the
    failed and pending ones, which is what an instructor must act on."""
    with db.reading() as session:
        access = staff_access(session, course, user)
        return _passbacks(session, access.course.id, problems_only)


def operator_passbacks(*, db: Database, course: str, problems_only: bool = False
                       ) -> list[PassbackView]:
    """As course_passbacks, for the operator's CLI (no course role needed)."""
    with db.reading() as session:
        course_id = session.scalar(select(Course.id).where(Course.slug == course))
        if course_id is None:
            raise NotFound(f"no course {course!r}")
        return _passbacks(session, course_id, problems_only)


def _passbacks(session: Session, course_id: int, problems_only: bool) -> list[PassbackView]:
    query = (select(LtiPassback, Assignment.slug, User.name)
             .join(Assignment, Assignment.id == LtiPassback.assignment_id)
             .join(User, User.id == LtiPassback.user_id)
             .where(Assignment.course_id == course_id)
             .order_by(LtiPassback.updated_at.desc()))
    if problems_only:
        query = query.where(LtiPassback.status.in_(("failed", "pending")))
    return [PassbackView(slug, name, row.status, row.score_sent, row.attempts, row.last_error,
                         row.updated_at)
            for row, slug, name in session.execute(query).all()]
