"""Writing a grading's outcome: the report, `not_gradable`, or a release for
a retry. Each write happens only while the writer still holds its claim
(services.grading_jobs takes it), inside one transaction that locks the row.

Every text that enters the database here passes services.report_text first:
a report's strings come from student code, and a reason may quote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from grader.db import Database, Grading, Submission, SubmissionStatus, TestResultRow, utcnow
from grader.exercises.pack import ExercisePack
from grader.services.catalog import exercise_version
from grader.services.report_text import storable_reason, storable_report
from grader_harness.report import Report


@dataclass(frozen=True)
class Claimed:
    """A claim taken (services.grading_jobs.claim): what grading and recording need."""

    id: str
    slug: str
    files: dict[str, str]
    started_at: Any
    run_failures: int  # infrastructure faults so far in this run
    attempts: int  # claims in this run, this one included

    @property
    def unfinished(self) -> int:
        """Claims of this run that ended in no recorded outcome, this one included."""
        return self.attempts - self.run_failures


def _owned(session: Session, submission_id: str, claim_id: str) -> Submission | None:
    # Lock the row alone: PostgreSQL refuses FOR UPDATE across the outer joins
    # of the eager relationships, so those load lazily here.
    sub = session.scalars(
        select(Submission).where(Submission.id == submission_id)
        .options(lazyload("*")).with_for_update()
    ).first()
    if sub is None or sub.status != SubmissionStatus.RUNNING or sub.claim != claim_id:
        return None  # lost the claim (lease expired and another worker took it)
    return sub


def record_report(
    *, db: Database, claimed: Claimed, claim_id: str, pack: ExercisePack, report: Report,
    duration: float, worker: str,
) -> bool:
    report = storable_report(report)  # the one gate for report text (services.report_text)
    with db.session() as session:
        sub = _owned(session, claimed.id, claim_id)
        if sub is None:
            return False
        version = exercise_version(session, pack)
        grading = Grading(
            submission_id=sub.id, exercise_id=version.id, status=SubmissionStatus.GRADED.value,
            outcome=report.status.value, score=report.score, max_score=report.max_score,
            message=report.message, output=report.output, author_output=report.author_output,
            duration=duration, worker=worker,
            started_at=claimed.started_at, finished_at=utcnow(),
            tests=[
                TestResultRow(position=i, test_id=t.id, name=t.name, outcome=t.outcome.value,
                           points=t.points, max_points=t.max_points, duration=t.duration,
                           visibility=t.visibility.value, hint=t.hint, message=t.message,
                           author_output=t.author_output or None)
                for i, t in enumerate(report.tests)
            ],
        )
        session.add(grading)
        session.flush()
        if sub.attempt_number is None:
            # Only graded runs count as attempts; a not_gradable one costs nothing.
            # Counted per assignment: practice (no assignment) keeps its own count.
            earlier = session.scalar(
                select(func.max(Submission.attempt_number)).where(
                    Submission.user_id == sub.user_id,
                    Submission.exercise_slug == sub.exercise_slug,
                    Submission.assignment_id.is_(None) if sub.assignment_id is None
                    else Submission.assignment_id == sub.assignment_id,
                )
            )
            sub.attempt_number = int(earlier or 0) + 1
        _finish(sub, SubmissionStatus.GRADED, grading, version.id, reason=None)
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
        give_up(session=session, sub=sub, reason=reason, worker=worker,
                started_at=claimed.started_at)
        return True


def give_up(*, session: Session, sub: Submission, reason: str, worker: str | None,
            started_at: Any) -> None:
    """End the submission `not_gradable` (a grading row records why)."""
    reason = storable_reason(reason)
    grading = Grading(
        submission_id=sub.id, exercise_id=sub.exercise_id,
        status=SubmissionStatus.NOT_GRADABLE.value,
        message=reason, worker=worker, started_at=started_at, finished_at=utcnow(),
    )
    session.add(grading)
    session.flush()
    _finish(sub, SubmissionStatus.NOT_GRADABLE, grading, sub.exercise_id, reason=reason)


def _finish(sub: Submission, status: SubmissionStatus, grading: Grading, exercise_id: int,
            reason: str | None) -> None:
    sub.status = status.value
    sub.current_grading_id = grading.id
    sub.exercise_id = exercise_id
    sub.reason = reason
    sub.claim = None
    sub.lease_until = None
    sub.finished_at = grading.finished_at


def release_for_retry(*, db: Database, claimed: Claimed, claim_id: str, error: str,
                      infra: bool = True) -> bool:
    """Back to `queued` after an infrastructure fault (`infra`: counted in
    run_failures) or an attempt that could not finish; the retry comes later."""
    with db.session() as session:
        sub = _owned(session, claimed.id, claim_id)
        if sub is None:
            return False
        sub.status = SubmissionStatus.QUEUED.value
        sub.claim = None
        sub.lease_until = None
        sub.infra_failures += int(infra)
        sub.run_failures += int(infra)
        sub.reason = storable_reason(error)
        sub.enqueued_at = utcnow()  # the retry is scheduled: keep the sweep away
        return True
