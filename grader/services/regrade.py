"""Regrading (authors; course staff for their courses' assignments): run a
submission again with the exercise's current version. The earlier run stays
in the gradings table (the history); the submission only points at the
newest. A regrade keeps received_at, late_penalty and attempt_number, so it
never turns an on-time submission late nor costs an attempt."""

from __future__ import annotations

from sqlalchemy import select

from grader.db import Database, Submission, SubmissionStatus, User, utcnow
from grader.services import assignment_submissions
from grader.services.assignments import find
from grader.services.catalog import Catalog, exercise_version
from grader.services.course_access import staff_access
from grader.services.errors import Conflict, Forbidden, NotFound
from grader.services.queue import Queue
from grader.services.submissions import get_submission, mark_enqueued, sees_all
from grader.services.views import SubmissionView


def _requeue(sub: Submission, exercise_id: int) -> None:
    sub.status = SubmissionStatus.QUEUED.value
    sub.exercise_id = exercise_id
    sub.claim = None
    sub.lease_until = None
    sub.run_failures = 0
    sub.grading_attempts = 0  # a fresh attempt budget too (services.grading_jobs)
    sub.reason = None
    sub.queued_at = utcnow()
    sub.enqueued_at = utcnow()  # cleared below if the broker refuses it
    sub.started_at = None
    sub.finished_at = None


def _require_author(user: User) -> None:
    if not sees_all(user):
        raise Forbidden("only authors and admins may ask for a regrade")


def regrade_submission(
    *, db: Database, catalog: Catalog, queue: Queue, user: User, submission_id: str
) -> SubmissionView:
    with db.session() as session:
        sub = session.get(Submission, submission_id)
        known = assignment_submissions.readers(session, user)
        if sub is None or not known.may_read(sub.user_id, sub.assignment_id,
                                             sees_all=sees_all(user)):
            raise NotFound(f"no submission {submission_id!r}")
        if not (sub.assignment_id is not None and known.staff(sub.assignment_id)):
            _require_author(user)
        if not SubmissionStatus(sub.status).final:
            raise Conflict(f"submission {submission_id} is {sub.status}; regrade it once final")
        try:
            pack = catalog.get(sub.exercise_slug)
        except NotFound:
            raise Conflict(f"exercise {sub.exercise_slug!r} is no longer available") from None
        _requeue(sub, exercise_version(session, pack).id)
    if not queue.enqueue(submission_id, exercise=pack.slug, runner=str(pack.manifest.runner)):
        mark_enqueued(db=db, ids=[submission_id], enqueued=False)
    return get_submission(db=db, user=user, submission_id=submission_id)


def regrade_exercise(
    *, db: Database, catalog: Catalog, queue: Queue, user: User, slug: str
) -> list[str]:
    """Re-queue every final submission of an exercise; returns their ids.
    Submissions still queued or running get the current version anyway."""
    _require_author(user)
    catalog.reload()  # the author has just changed the pack: use what is on disk now
    pack = catalog.get(slug)
    with db.session() as session:
        version = exercise_version(session, pack)
        rows = session.scalars(
            select(Submission).where(
                Submission.exercise_slug == slug,
                Submission.status.in_(
                    [SubmissionStatus.GRADED.value, SubmissionStatus.NOT_GRADABLE.value]
                ),
            )
        ).unique().all()
        for sub in rows:
            _requeue(sub, version.id)
        ids = [sub.id for sub in rows]
    runner = str(pack.manifest.runner)
    refused = [sub_id for sub_id in ids
               if not queue.enqueue(sub_id, exercise=pack.slug, runner=runner)]
    if refused:
        mark_enqueued(db=db, ids=refused, enqueued=False)
    return ids


def regrade_assignment(
    *, db: Database, catalog: Catalog, queue: Queue, user: User, course: str, assignment: str
) -> list[str]:
    """Course staff: re-queue the assignment's final submissions (each with its
    exercise's current version); returns their ids."""
    with db.session() as session:
        found = find(session, course=course, slug=assignment, user=user)
        staff_access(session, course, user)
        rows = session.scalars(select(Submission).where(
            Submission.assignment_id == found.assignment.id,
            Submission.status.in_(
                [SubmissionStatus.GRADED.value, SubmissionStatus.NOT_GRADABLE.value]),
        )).unique().all()
        ids, routes = [], []
        for sub in rows:
            try:
                pack = catalog.get(sub.exercise_slug)
            except NotFound:
                continue  # gone from the catalogue: its last result stands
            _requeue(sub, exercise_version(session, pack).id)
            ids.append(sub.id)
            routes.append((pack.slug, str(pack.manifest.runner)))
    refused = [sub_id for sub_id, (slug, runner) in zip(ids, routes, strict=True)
               if not queue.enqueue(sub_id, exercise=slug, runner=runner)]
    if refused:
        mark_enqueued(db=db, ids=refused, enqueued=False)
    return ids
