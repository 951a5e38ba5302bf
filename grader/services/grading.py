"""Grading one submission, as a worker does it: claim, grade, record.

Idempotent by construction: a submission is graded only by whoever holds its
claim, and a claim is taken with one conditional UPDATE. A redelivered task
for a graded submission finds it final and does nothing; a second worker
holding a duplicate message finds it claimed and does nothing. The claim id
is the Celery task id, so the *same* message redelivered after its worker
died (acks_late) may take the claim over at once.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, lazyload

from grader.db import Database, Grading, Status, Submission, TestResult, utcnow
from grader.exercises.pack import ExercisePack
from grader.exercises.submission import SubmissionError
from grader.services.catalog import Catalog, exercise_version
from grader.services.errors import NotFound
from grader_harness.report import Report

log = logging.getLogger(__name__)

GradeFn = Callable[..., Report]  # grade_files(*, pack, files, settings) -> Report


class Result(enum.StrEnum):
    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"
    RETRY = "retry"  # infrastructure fault, try again later
    SKIPPED = "skipped"  # already final, or someone else holds the claim


@dataclass(frozen=True)
class Claimed:
    id: str
    slug: str
    files: dict[str, str]
    started_at: Any
    run_failures: int  # infrastructure faults so far in this run


def claim(
    *, db: Database, submission_id: str, claim_id: str, lease_seconds: float
) -> Claimed | None:
    now = utcnow()
    with db.session() as session:
        taken = session.execute(
            update(Submission)
            .where(
                Submission.id == submission_id,
                or_(
                    Submission.status == Status.QUEUED,
                    (Submission.status == Status.RUNNING)
                    & or_(Submission.lease_until < now, Submission.claim == claim_id),
                ),
            )
            .values(status=Status.RUNNING.value, claim=claim_id, started_at=now,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    tries=Submission.tries + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            return None
        sub = session.get_one(Submission, submission_id)
        return Claimed(id=sub.id, slug=sub.exercise_slug, files=dict(sub.files), started_at=now,
                       run_failures=sub.run_failures)


def _owned(session: Session, submission_id: str, claim_id: str) -> Submission | None:
    # Lock the row alone: PostgreSQL refuses FOR UPDATE across the outer joins
    # of the eager relationships, so those load lazily here.
    sub = session.scalars(
        select(Submission).where(Submission.id == submission_id)
        .options(lazyload("*")).with_for_update()
    ).first()
    if sub is None or sub.status != Status.RUNNING or sub.claim != claim_id:
        return None  # lost the claim (lease expired and another worker took it)
    return sub


def record_report(
    *, db: Database, claimed: Claimed, claim_id: str, pack: ExercisePack, report: Report,
    duration: float, worker: str,
) -> bool:
    with db.session() as session:
        sub = _owned(session, claimed.id, claim_id)
        if sub is None:
            return False
        version = exercise_version(session, pack)
        grading = Grading(
            submission_id=sub.id, exercise_id=version.id, status=Status.GRADED.value,
            outcome=report.status.value, score=report.score, max_score=report.max_score,
            message=report.message, output=report.output, duration=duration, worker=worker,
            started_at=claimed.started_at, finished_at=utcnow(),
            tests=[
                TestResult(position=i, test_id=t.id, name=t.name, outcome=t.outcome.value,
                           points=t.points, max_points=t.max_points, duration=t.duration,
                           visibility=t.visibility.value, hint=t.hint, message=t.message)
                for i, t in enumerate(report.tests)
            ],
        )
        session.add(grading)
        session.flush()
        if sub.attempt_number is None:
            # Only graded runs count as attempts; a not_gradable one costs nothing.
            earlier = session.scalar(
                select(func.max(Submission.attempt_number)).where(
                    Submission.user_id == sub.user_id,
                    Submission.exercise_slug == sub.exercise_slug,
                )
            )
            sub.attempt_number = int(earlier or 0) + 1
        _finish(sub, Status.GRADED, grading, version.id, reason=None)
        return True


def record_not_gradable(
    *, db: Database, claimed: Claimed, claim_id: str, reason: str, worker: str,
    infra: bool = False,
) -> bool:
    with db.session() as session:
        sub = _owned(session, claimed.id, claim_id)
        if sub is None:
            return False
        sub.infra_failures += int(infra)
        sub.run_failures += int(infra)
        grading = Grading(
            submission_id=sub.id, exercise_id=sub.exercise_id, status=Status.NOT_GRADABLE.value,
            message=reason, worker=worker, started_at=claimed.started_at, finished_at=utcnow(),
        )
        session.add(grading)
        session.flush()
        _finish(sub, Status.NOT_GRADABLE, grading, sub.exercise_id, reason=reason)
        return True


def _finish(sub: Submission, status: Status, grading: Grading, exercise_id: int,
            reason: str | None) -> None:
    sub.status = status.value
    sub.current_grading_id = grading.id
    sub.exercise_id = exercise_id
    sub.reason = reason
    sub.claim = None
    sub.lease_until = None
    sub.finished_at = grading.finished_at


def release_for_retry(*, db: Database, claimed: Claimed, claim_id: str, error: str) -> bool:
    """Back to `queued` after an infrastructure fault; the retry comes later."""
    with db.session() as session:
        sub = _owned(session, claimed.id, claim_id)
        if sub is None:
            return False
        sub.status = Status.QUEUED.value
        sub.claim = None
        sub.lease_until = None
        sub.infra_failures += 1
        sub.run_failures += 1
        sub.reason = error
        sub.enqueued_at = utcnow()  # the retry is scheduled: keep the sweep away
        return True


def grade_submission(
    *, db: Database, catalog: Catalog, submission_id: str, claim_id: str, grade: GradeFn,
    settings: Any, worker: str, max_retries: int, lease_seconds: float,
    infra_errors: tuple[type[BaseException], ...],
) -> tuple[Result, str | None]:
    """Run one grading end to end. Returns the result and, for RETRY or
    NOT_GRADABLE, the reason. The retry budget is counted in the database, so
    duplicate messages (sweep, redelivery) share it instead of each having one."""
    claimed = claim(db=db, submission_id=submission_id, claim_id=claim_id,
                    lease_seconds=lease_seconds)
    if claimed is None:
        return Result.SKIPPED, None
    try:
        pack = catalog.get(claimed.slug)
    except NotFound:
        reason = f"exercise {claimed.slug!r} is not available on this worker"
        record_not_gradable(db=db, claimed=claimed, claim_id=claim_id, reason=reason, worker=worker)
        return Result.NOT_GRADABLE, reason
    start = time.monotonic()
    try:
        report = grade(pack=pack, files=claimed.files, settings=settings)
    except SubmissionError as exc:
        # The exercise changed its file rules since this was submitted.
        reason = f"the current version of the exercise refuses these files: {exc}"
        record_not_gradable(db=db, claimed=claimed, claim_id=claim_id, reason=reason, worker=worker)
        return Result.NOT_GRADABLE, reason
    except infra_errors as exc:
        reason = f"infrastructure fault: {type(exc).__name__}: {exc}"
        log.warning("grading %s failed (%s)", submission_id, reason)
        if claimed.run_failures >= max_retries:
            record_not_gradable(db=db, claimed=claimed, claim_id=claim_id, reason=reason,
                                worker=worker, infra=True)
            return Result.NOT_GRADABLE, reason
        release_for_retry(db=db, claimed=claimed, claim_id=claim_id, error=reason)
        return Result.RETRY, reason
    ok = record_report(db=db, claimed=claimed, claim_id=claim_id, pack=pack, report=report,
                       duration=time.monotonic() - start, worker=worker)
    return (Result.GRADED, None) if ok else (Result.SKIPPED, None)
