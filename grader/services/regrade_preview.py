"""Regrade previews (a regrade's dry run): ask for one, read it.

Asking stores the preview and one item per targeted final submission, each
with its score now, and queues the "regrade-preview" task on the authoring
queue; the worker grades every item against the exercise's current version
in the sandbox (services.regrade_preview_run), recording nothing on the
submission. The targets are those the real regrade would take
(services.regrade): an exercise's final submissions, or an assignment's,
the oldest first, at most CAP.

Who may: an exercise's owners, co-authors and admins (any author for a pack
on disk), as for its regrade; an assignment's course staff. Anyone else
reading a preview gets NotFound, as for one that does not exist.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.db import Assignment, Course, Database, Grading, Submission, User, utcnow
from grader.db.regrade_previews import (
    ItemOutcome,
    PreviewStatus,
    RegradePreview,
    RegradePreviewItem,
)
from grader.services.assignments import find
from grader.services.catalog import Catalog
from grader.services.course_access import staff_access
from grader.services.errors import Forbidden, NotFound
from grader.services.publishing import check_may_change
from grader.services.queue import Queue
from grader.services.regrade_preview_views import (
    Figures,
    PreviewItemView,
    PreviewView,
    summarize,
)
from grader.services.submissions import sees_all

CAP = 500  # submissions one preview grades at most (the oldest first); `capped` says so
FINAL = ["graded", "not_gradable"]
EXERCISE, ASSIGNMENT = "exercise", "assignment"
NO_QUEUE = "the authoring queue did not take the preview; ask for the dry run again"


@runtime_checkable
class PreviewQueue(Protocol):
    def enqueue_regrade_preview(self, preview_id: int) -> bool: ...


def _check_exercise(session: Session, user: User, slug: str) -> None:
    if not sees_all(user):
        raise Forbidden("only authors and admins may ask for a regrade")
    check_may_change(session, user, slug)  # no owners (a disk pack): any author


def preview_exercise(*, db: Database, catalog: Catalog, queue: Queue, user: User,
                     slug: str) -> PreviewView:
    """Ask for the preview of regrading every final submission of `slug`."""
    with db.session() as session:
        _check_exercise(session, user, slug)
    catalog.reload()  # the author has just published: the current version
    catalog.get(slug)  # NotFound for an unknown exercise
    where = [Submission.exercise_slug == slug]
    return _create(db=db, queue=queue, user=user, kind=EXERCISE, scope=slug, where=where)


def preview_assignment(*, db: Database, catalog: Catalog, queue: Queue, user: User,
                       course: str, assignment: str) -> PreviewView:
    """Course staff: ask for the preview of regrading the assignment's final
    submissions (exercises gone from the catalogue are left out, as the
    regrade leaves them)."""
    with db.session() as session:
        found = find(session, course=course, slug=assignment, user=user)
        staff_access(session, course, user)
        assignment_id = found.assignment.id
        slugs = set(session.scalars(select(Submission.exercise_slug).distinct().where(
            Submission.assignment_id == assignment_id)))
    packs = catalog.packs()
    where = [Submission.assignment_id == assignment_id,
             Submission.exercise_slug.in_(sorted(s for s in slugs if s in packs))]
    return _create(db=db, queue=queue, user=user, kind=ASSIGNMENT, scope=str(assignment_id),
                   where=where)


def _create(*, db: Database, queue: Queue, user: User, kind: str, scope: str,
            where: list[Any]) -> PreviewView:
    where = [*where, Submission.status.in_(FINAL)]
    with db.session() as session:
        eligible = int(session.scalar(select(func.count()).select_from(Submission)
                                      .where(*where)) or 0)
        rows = session.execute(
            select(Submission.id, Grading.score, Grading.max_score)
            .outerjoin(Grading, Grading.id == Submission.current_grading_id)
            .where(*where).order_by(Submission.received_at, Submission.id).limit(CAP)
        ).all()
        preview = RegradePreview(kind=kind, scope=scope, requested_by=user.id, eligible=eligible,
                                 total=len(rows), status=PreviewStatus.PENDING.value)
        if not rows:  # nothing to grade: done at once
            preview.status, preview.finished_at = PreviewStatus.DONE.value, utcnow()
        session.add(preview)
        session.flush()
        session.add_all(RegradePreviewItem(preview_id=preview.id, submission_id=sub_id,
                                           old_score=score, old_max=top)
                        for sub_id, score, top in rows)
        preview_id = preview.id
    if rows and not (isinstance(queue, PreviewQueue)
                     and queue.enqueue_regrade_preview(preview_id)):
        with db.session() as session:
            row = session.get_one(RegradePreview, preview_id)
            row.status, row.error, row.finished_at = PreviewStatus.FAILED.value, NO_QUEUE, utcnow()
    return get_preview(db=db, user=user, preview_id=preview_id)


def _may_read(session: Session, user: User, row: RegradePreview) -> tuple[str | None, str | None]:
    """(course, assignment) slugs for an assignment preview; NotFound unless
    the user is of the kind of people who may ask for this preview."""
    try:
        if row.kind == EXERCISE:
            _check_exercise(session, user, row.scope)
            return None, None
        assignment = session.get(Assignment, int(row.scope))
        course = session.get(Course, assignment.course_id) if assignment else None
        if assignment is None or course is None:
            raise NotFound("gone")
        staff_access(session, course.slug, user)
        return course.slug, assignment.slug
    except (Forbidden, NotFound):
        raise NotFound(f"no regrade preview {row.id}") from None


def get_preview(*, db: Database, user: User, preview_id: int) -> PreviewView:
    """The preview's progress; once done, its summary and every item."""
    with db.reading() as session:
        row = session.get(RegradePreview, preview_id)
        if row is None:
            raise NotFound(f"no regrade preview {preview_id}")
        course, assignment = _may_read(session, user, row)
        status = PreviewStatus(row.status)
        view = PreviewView(
            id=row.id, kind=row.kind, scope=row.scope, course=course, assignment=assignment,
            status=status, requested_by=row.requester.name if row.requester else None,
            created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at,
            total=row.total, done_count=row.done_count, eligible=row.eligible,
            capped=row.eligible > row.total, error=row.error)
        if status is not PreviewStatus.DONE:
            return view
        found = session.execute(
            select(RegradePreviewItem, User.name, Submission.exercise_slug)
            .join(Submission, Submission.id == RegradePreviewItem.submission_id)
            .join(User, User.id == Submission.user_id)
            .where(RegradePreviewItem.preview_id == preview_id)
            .order_by(RegradePreviewItem.id)).all()
    items = [_item(item, student, slug) for item, student, slug in found]
    figures = [Figures(i.old_score, i.old_max, i.new_score, i.new_max, i.outcome) for i in items]
    return view.model_copy(update={"items": items, "summary": summarize(figures)})


def _item(item: RegradePreviewItem, student: str, slug: str) -> PreviewItemView:
    both = item.old_score is not None and item.new_score is not None
    return PreviewItemView(
        submission_id=item.submission_id, student=student, exercise=slug,
        old_score=item.old_score, old_max=item.old_max, new_score=item.new_score,
        new_max=item.new_max,
        change_points=(item.new_score or 0.0) - (item.old_score or 0.0) if both else None,
        outcome=ItemOutcome(item.outcome) if item.outcome else None, error=item.error)
