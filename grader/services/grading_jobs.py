"""Grading one submission, as a worker does it: claim, grade, record.

Idempotent by construction: a submission is graded only by whoever holds its
claim, and a claim is taken with one conditional UPDATE. A redelivered task
for a graded submission finds it final and does nothing; a second worker
holding a duplicate message finds it claimed and does nothing. The claim id
is the Celery task id, so the *same* message redelivered after its worker
died (acks_late) may take the claim over at once.

Two budgets, both counted on the submission row so duplicate messages share
them, and both started again by a regrade:
- `run_failures`: infrastructure faults the worker caught: INFRA_ERRORS, the
  sandbox's SandboxError and its children (Docker down, an image that cannot
  be built); retried with backoff up to `max_retries` (GRADER_GRADE_MAX_RETRIES).
- `grading_attempts`: claims. A claim that ends neither graded, not gradable
  nor released after a caught fault did not finish (the worker died, its
  lease ran out, the result could not be recorded, or grading raised anything
  else: a bug on our side, logged with its traceback). At most `max_attempts`
  (GRADER_GRADE_MAX_ATTEMPTS) of those, then `not_gradable`: a submission
  that breaks whatever grades or records it must not be graded for ever.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import or_, update

from grader.db import Database, Submission, SubmissionStatus, utcnow
from grader.exercises.pack import ExercisePack
from grader.exercises.submission import SubmissionError
from grader.services.catalog import Catalog
from grader.services.errors import NotFound
from grader.services.recording import (
    Claimed,
    record_not_gradable,
    record_report,
    release_for_retry,
)
from grader.services.report_text import describe_error
from grader.settings import Settings
from grader_harness.report import Report
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)


class GradeFunction(Protocol):
    """How a worker grades (grader.sandbox_grading.grade_files, in a worker
    process: worker.runtime): a Report for any submission, a failing one too;
    SubmissionError for files the current manifest refuses; one of
    INFRA_ERRORS for an infrastructure fault."""

    def __call__(self, *, pack: ExercisePack, files: dict[str, str],
                 settings: Settings) -> Report: ...


# The infrastructure faults: retried with backoff, counted in run_failures.
INFRA_ERRORS: tuple[type[Exception], ...] = (SandboxError,)
DEFAULT_MAX_ATTEMPTS = 3  # Settings.grade_max_attempts


class Result(enum.StrEnum):
    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"
    RETRY = "retry"  # an infrastructure fault or an unfinished attempt: try again later
    SKIPPED = "skipped"  # already final, or someone else holds the claim


def spent(max_attempts: int) -> Any:
    """SQL: the submission's unfinished attempts reached the cap."""
    return (Submission.grading_attempts - Submission.run_failures) >= max_attempts


def claim(
    *, db: Database, submission_id: str, claim_id: str, lease_seconds: float,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Claimed | None:
    """Take the submission, counting the attempt. A spent budget is never
    claimed: the sweep ends that submission (services.sweep)."""
    now = utcnow()
    with db.session() as session:
        taken = session.execute(
            update(Submission)
            .where(
                Submission.id == submission_id,
                ~spent(max_attempts),
                or_(
                    Submission.status == SubmissionStatus.QUEUED,
                    (Submission.status == SubmissionStatus.RUNNING)
                    & or_(Submission.lease_until < now, Submission.claim == claim_id),
                ),
            )
            .values(status=SubmissionStatus.RUNNING.value, claim=claim_id, started_at=now,
                    lease_until=now + timedelta(seconds=lease_seconds),
                    tries=Submission.tries + 1,
                    grading_attempts=Submission.grading_attempts + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0) != 1:
            return None
        sub = session.get_one(Submission, submission_id)
        return Claimed(id=sub.id, slug=sub.exercise_slug, files=dict(sub.files), started_at=now,
                       run_failures=sub.run_failures, attempts=sub.grading_attempts)


def grade_submission(
    *, db: Database, catalog: Catalog, submission_id: str, claim_id: str,
    grade: GradeFunction, settings: Settings, worker: str, max_retries: int,
    lease_seconds: float, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    on_claimed: Callable[[], None] | None = None,
) -> tuple[Result, str | None]:
    """Run one grading end to end. Returns the result and, for RETRY or
    NOT_GRADABLE, the reason. The retry budget is counted in the database, so
    duplicate messages (sweep, redelivery) share it instead of each having one.
    `on_claimed` is called once the claim is stored (the submission is
    running), before the grading starts; it must not raise."""
    claimed = claim(db=db, submission_id=submission_id, claim_id=claim_id,
                    lease_seconds=lease_seconds, max_attempts=max_attempts)
    if claimed is None:
        return Result.SKIPPED, None
    if on_claimed is not None:
        on_claimed()
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
    except INFRA_ERRORS as exc:
        reason = f"infrastructure fault: {type(exc).__name__}: {exc}"
        log.warning("grading %s failed (%s)", submission_id, reason)
        if claimed.run_failures >= max_retries:
            record_not_gradable(db=db, claimed=claimed, claim_id=claim_id, reason=reason,
                                worker=worker, infra=True)
            return Result.NOT_GRADABLE, reason
        release_for_retry(db=db, claimed=claimed, claim_id=claim_id, error=reason)
        return Result.RETRY, reason
    except Exception as exc:
        # Neither the student's doing nor the sandbox's: a bug of ours.
        error = f"grading failed: {describe_error(exc)}"
        return _unfinished(db=db, claimed=claimed, claim_id=claim_id, worker=worker,
                           error=error, max_attempts=max_attempts)
    try:
        ok = record_report(db=db, claimed=claimed, claim_id=claim_id, pack=pack, report=report,
                           duration=time.monotonic() - start, worker=worker)
    except Exception as exc:
        error = f"the result could not be recorded: {describe_error(exc)}"
        return _unfinished(db=db, claimed=claimed, claim_id=claim_id, worker=worker,
                           error=error, max_attempts=max_attempts)
    return (Result.GRADED, None) if ok else (Result.SKIPPED, None)


def _unfinished(*, db: Database, claimed: Claimed, claim_id: str, worker: str, error: str,
                max_attempts: int) -> tuple[Result, str]:
    """Called while handling the exception: this attempt did not finish. It is
    counted (the claim did), retried, and stopped at the cap, not for ever."""
    log.exception("grading %s: %s", claimed.id, error)
    if claimed.unfinished >= max_attempts:
        reason = f"gave up after {claimed.unfinished} unfinished attempts; the last: {error}"
        record_not_gradable(db=db, claimed=claimed, claim_id=claim_id, reason=reason,
                            worker=worker)
        return Result.NOT_GRADABLE, reason
    release_for_retry(db=db, claimed=claimed, claim_id=claim_id, error=error, infra=False)
    return Result.RETRY, error

