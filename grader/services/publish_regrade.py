"""Regrading an exercise against its current version, with a dry run first.

Publishing a version never changes a recorded score: a submission keeps the
grading it had (and the `exercises` row it was graded against) until an
author regrades. The dry run is a regrade preview (services.regrade_preview):
every final submission graded again in the sandbox, nothing recorded, with
how many scores would change and by how much; its answer carries the
counts found at once. The real one re-queues through services.regrade,
which keeps every earlier grading in the history.
"""

from __future__ import annotations

from sqlalchemy import select

from grader.db import Database, Grading, Submission, SubmissionStatus, User
from grader.services import regrade, regrade_preview
from grader.services.catalog import Catalog, exercise_version
from grader.services.errors import Forbidden
from grader.services.publishing import check_may_change
from grader.services.publishing_views import RegradePlan
from grader.services.queue import Queue
from grader.services.regrade_preview_views import PreviewView
from grader.services.submissions import sees_all

FINAL = [SubmissionStatus.GRADED.value, SubmissionStatus.NOT_GRADABLE.value]


def regrade_exercise(*, db: Database, catalog: Catalog, queue: Queue, user: User, slug: str,
                     dry_run: bool) -> RegradePlan:
    """Plan (dry_run) or run the regrade of every final submission of `slug`.
    A published slug may be regraded by its owners, co-authors and admins only."""
    if not sees_all(user):
        raise Forbidden("only authors and admins may ask for a regrade")
    with db.session() as session:
        check_may_change(session, user, slug)  # no owners (a disk pack): any author
    catalog.reload()  # the author has just changed or published it: use what is current
    pack = catalog.get(slug)
    with db.session() as session:
        version = exercise_version(session, pack)
        rows = session.execute(
            select(Submission.exercise_id, Grading.score, Grading.max_score)
            .outerjoin(Grading, Grading.id == Submission.current_grading_id)
            .where(Submission.exercise_slug == slug, Submission.status.in_(FINAL))
        ).all()
        exercise_id, digest = version.id, version.content_hash
    fractions = [score / top for _, score, top in rows if score is not None and top]
    plan = RegradePlan(
        slug=slug, exercise_id=exercise_id, content_hash=digest, dry_run=dry_run,
        submissions=len(rows), on_other_versions=sum(1 for row in rows if row[0] != exercise_id),
        current_mean_score=sum(fractions) / len(fractions) if fractions else None,
        requeued=0, ids=[],
    )
    if dry_run:
        return plan
    ids = regrade.regrade_exercise(db=db, catalog=catalog, queue=queue, user=user, slug=slug)
    return plan.model_copy(update={"requeued": len(ids), "ids": ids})


def preview_exercise(*, db: Database, catalog: Catalog, queue: Queue, user: User,
                     slug: str) -> PreviewView:
    """The dry run: the counts now, and a regrade preview queued (follow it
    at GET /regrade-previews/{id})."""
    plan = regrade_exercise(db=db, catalog=catalog, queue=queue, user=user,
                            slug=slug, dry_run=True)
    preview = regrade_preview.preview_exercise(db=db, catalog=catalog, queue=queue, user=user,
                                               slug=slug)
    return preview.model_copy(update={"plan": plan})
