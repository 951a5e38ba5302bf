"""Running a regrade preview (the worker's "grader.regrade_preview" task):
grade each item's submission, its files as stored, against the exercise's
current version with the same grading function, pack and settings the grade
task uses (services.grading_jobs), and store the would-be score on the item.

Nothing else is written: no grading row, no change to the submission, no
webhook, no LTI passback. Idempotent: an item is written once (a conditional
UPDATE), a rerun (acks_late after a lost worker, a duplicate message) skips
the items already done, and a finished preview is left alone.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from grader.db import Database, Submission, utcnow
from grader.db.regrade_previews import (
    ItemOutcome,
    PreviewStatus,
    RegradePreview,
    RegradePreviewItem,
)
from grader.exercises.submission import SubmissionError
from grader.services.catalog import Catalog
from grader.services.errors import NotFound
from grader.services.grading_jobs import INFRA_ERRORS, GradeFunction
from grader.services.report_text import describe_error, storable_reason, storable_report
from grader.settings import Settings

log = logging.getLogger(__name__)
BATCH = 20  # items loaded (with their files) at a time


def run_preview(*, db: Database, catalog: Catalog, preview_id: int, grade: GradeFunction,
                settings: Settings) -> PreviewStatus | None:
    """Grade the preview's remaining items; its final status, or None when
    there was nothing to do (unknown, or already finished)."""
    with db.session() as session:
        row = session.get(RegradePreview, preview_id)
        if row is None or PreviewStatus(row.status).final:
            return None
        row.status = PreviewStatus.RUNNING.value
        row.started_at = row.started_at or utcnow()
    try:
        catalog.reload()  # the version the regrade would use: the current one
        after = 0
        while batch := _pending(db, preview_id, after):
            for item_id, slug, files in batch:
                outcome, score, top, error = _grade(catalog, grade, settings, slug, files)
                _store(db, preview_id, item_id, outcome, score, top, error)
            after = batch[-1][0]
    except Exception as exc:  # a bug or the database: never leave it running for ever
        log.exception("regrade preview %s failed", preview_id)
        return _end(db, preview_id, PreviewStatus.FAILED, f"the preview stopped: "
                    f"{describe_error(exc)}")
    return _end(db, preview_id, PreviewStatus.DONE, None)


def _pending(db: Database, preview_id: int, after: int) -> list[tuple[int, str, dict[str, str]]]:
    with db.reading() as session:
        rows = session.execute(
            select(RegradePreviewItem.id, Submission.exercise_slug, Submission.files)
            .join(Submission, Submission.id == RegradePreviewItem.submission_id)
            .where(RegradePreviewItem.preview_id == preview_id,
                   RegradePreviewItem.outcome.is_(None), RegradePreviewItem.id > after)
            .order_by(RegradePreviewItem.id).limit(BATCH)).all()
    return [(item_id, slug, dict(files)) for item_id, slug, files in rows]


def _grade(catalog: Catalog, grade: GradeFunction, settings: Settings, slug: str,
           files: dict[str, str]) -> tuple[ItemOutcome, float | None, float | None, str | None]:
    """As services.grading_jobs.grade_submission decides, without recording."""
    try:
        pack = catalog.get(slug)
    except NotFound:
        return ItemOutcome.NOT_GRADABLE, None, None, f"exercise {slug!r} is not available"
    try:
        report = storable_report(grade(pack=pack, files=files, settings=settings))
    except SubmissionError as exc:
        return (ItemOutcome.NOT_GRADABLE, None, None,
                storable_reason(f"the current version of the exercise refuses these files: {exc}"))
    except INFRA_ERRORS as exc:
        return (ItemOutcome.ERROR, None, None,
                storable_reason(f"infrastructure fault: {type(exc).__name__}: {exc}"))
    except Exception as exc:
        log.exception("regrade preview: grading a %s submission failed", slug)
        return ItemOutcome.ERROR, None, None, f"grading failed: {describe_error(exc)}"
    return ItemOutcome.GRADED, report.score, report.max_score, None


def _store(db: Database, preview_id: int, item_id: int, outcome: ItemOutcome,
           score: float | None, top: float | None, error: str | None) -> None:
    with db.session() as session:
        written = session.execute(
            update(RegradePreviewItem)
            .where(RegradePreviewItem.id == item_id, RegradePreviewItem.outcome.is_(None))
            .values(outcome=outcome.value, new_score=score, new_max=top, error=error)
            .execution_options(synchronize_session=False))
        if getattr(written, "rowcount", 0) == 1:  # a duplicate run counts it once
            session.execute(update(RegradePreview).where(RegradePreview.id == preview_id)
                            .values(done_count=RegradePreview.done_count + 1)
                            .execution_options(synchronize_session=False))


def _end(db: Database, preview_id: int, status: PreviewStatus,
         error: str | None) -> PreviewStatus:
    with db.session() as session:
        row = session.get_one(RegradePreview, preview_id)
        row.status, row.error, row.finished_at = status.value, error, utcnow()
    return status
