"""Marking LTI passbacks pending inside the caller's own transaction: for the
services that change a counted score but hold no queue (extensions, deadline
and late-policy changes via assignments.reprice, release_grades). The rows
commit with the change or not at all; the worker's sweep enqueues pending
rows (lti_passback.enqueue_pending), and the grading path enqueues at once
(lti_passback.scores_changed). Imports only the tables, so any service may
call it without an import cycle."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Assignment, LtiIdentity, LtiLineItem, LtiPassback, Submission, utcnow


def hidden(assignment: Assignment) -> bool:
    """Scores held back until an instructor releases them: never posted before."""
    return assignment.hide_scores_until_released and assignment.grades_released_at is None


def mark_changed(session: Session, *, assignment_id: int,
                 user_ids: list[int] | None = None) -> list[int]:
    """One pending row per (line item, student with an LMS identity and a
    submission in the assignment); returns their ids."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or hidden(assignment):
        return []
    query = (select(LtiLineItem.id, LtiIdentity.user_id)
             .join(LtiIdentity, LtiIdentity.platform_id == LtiLineItem.platform_id)
             .join(Submission, (Submission.user_id == LtiIdentity.user_id)
                   & (Submission.assignment_id == assignment_id))
             .where(LtiLineItem.assignment_id == assignment_id).distinct())
    if user_ids is not None:
        query = query.where(LtiIdentity.user_id.in_(user_ids))
    ids = []
    for line_item_id, user_id in session.execute(query).all():
        row = session.scalar(select(LtiPassback).where(
            LtiPassback.line_item_id == line_item_id, LtiPassback.user_id == user_id))
        if row is None:
            row = LtiPassback(line_item_id=line_item_id, user_id=user_id,
                              assignment_id=assignment_id, status="pending", attempts=0)
            session.add(row)
        row.status, row.updated_at = "pending", utcnow()
        session.flush()
        ids.append(row.id)
    return ids
