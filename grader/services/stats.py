"""Figures for the web pages: a student's best scores and history, and an
exercise's results for its authors (pass rate per test, score distribution,
recent submissions). Read-only; built from the database like the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import Database, Grading, Submission, SubmissionStatus, TestResultRow, User

BUCKETS = 10  # score distribution: 0-10 %, ..., 90-100 %


@dataclass(frozen=True)
class Best:
    score: float
    max_score: float


@dataclass(frozen=True)
class Attempt:
    id: str
    status: str
    score: float | None
    max_score: float | None
    queued_at: datetime


@dataclass(frozen=True)
class TestRate:
    __test__ = False  # not a pytest class
    test_id: str
    name: str
    visibility: str
    passed: int
    runs: int

    @property
    def rate(self) -> float:
        return self.passed / self.runs if self.runs else 0.0


@dataclass(frozen=True)
class ExerciseStats:
    slug: str
    graded: int  # submissions whose current result is graded
    students: int
    tests: list[TestRate]
    buckets: list[int]  # counts per score band, BUCKETS of them
    recent: list[Attempt]
    users: dict[str, str] = field(default_factory=dict)  # submission id -> user name


def best_scores(*, db: Database, user: User) -> dict[str, Best]:
    """The user's best graded score per exercise slug."""
    query = (
        select(Submission.exercise_slug, Grading.score, Grading.max_score)
        .join(Grading, Submission.current_grading_id == Grading.id)
        .where(Submission.user_id == user.id, Submission.status == SubmissionStatus.GRADED.value)
    )
    best: dict[str, Best] = {}
    with db.reading() as session:
        for slug, score, max_score in session.execute(query):
            if score is None or max_score is None:
                continue
            seen = best.get(slug)
            if seen is None or _ratio(score, max_score) > _ratio(seen.score, seen.max_score):
                best[slug] = Best(score=score, max_score=max_score)
    return best


def _ratio(score: float, max_score: float) -> float:
    return score / max_score if max_score else 0.0


def own_history(*, db: Database, user: User, limit: int = 500) -> dict[str, list[Attempt]]:
    """The user's own submissions per exercise, oldest first (authors too see
    only theirs here)."""
    query = (
        select(Submission, Grading.score, Grading.max_score)
        .outerjoin(Grading, Submission.current_grading_id == Grading.id)
        .where(Submission.user_id == user.id)
        .order_by(Submission.queued_at.desc()).limit(limit)
    )
    history: dict[str, list[Attempt]] = {}
    with db.reading() as session:
        rows = session.execute(query).unique().all()
        for sub, score, max_score in reversed(rows):
            graded = sub.status == SubmissionStatus.GRADED.value
            history.setdefault(sub.exercise_slug, []).append(Attempt(
                id=sub.id, status=sub.status, score=score if graded else None,
                max_score=max_score if graded else None, queued_at=sub.queued_at,
            ))
    return history


def exercise_stats(*, db: Database, slug: str, recent: int = 20) -> ExerciseStats:
    """How a cohort does on one exercise (all versions): each submission's
    current result counts once."""
    graded = (
        select(Grading.id, Grading.score, Grading.max_score, Submission.user_id)
        .join(Submission, Submission.current_grading_id == Grading.id)
        .where(Submission.exercise_slug == slug, Submission.status == SubmissionStatus.GRADED.value)
    )
    buckets = [0] * BUCKETS
    with db.reading() as session:
        rows = session.execute(graded).all()
        for _, score, max_score, _user in rows:
            ratio = _ratio(score or 0.0, max_score or 0.0)
            buckets[min(int(ratio * BUCKETS), BUCKETS - 1)] += 1
        rates = _test_rates(session, [row[0] for row in rows])
        latest = session.execute(
            select(Submission, Grading.score, Grading.max_score)
            .outerjoin(Grading, Submission.current_grading_id == Grading.id)
            .where(Submission.exercise_slug == slug)
            .order_by(Submission.queued_at.desc()).limit(recent)
        ).unique().all()
        attempts = [
            Attempt(id=sub.id, status=sub.status,
                    score=score if sub.status == SubmissionStatus.GRADED.value else None,
                    max_score=max_score if sub.status == SubmissionStatus.GRADED.value else None,
                    queued_at=sub.queued_at)
            for sub, score, max_score in latest
        ]
        users = {sub.id: sub.user.name for sub, _, _ in latest}
    return ExerciseStats(slug=slug, graded=len(rows), students=len({r[3] for r in rows}),
                         tests=rates, buckets=buckets, recent=attempts, users=users)


def _test_rates(session: Session, grading_ids: list[int]) -> list[TestRate]:
    tally: dict[str, _Tally] = {}
    for start in range(0, len(grading_ids), 500):
        query = (
            select(TestResultRow.test_id, TestResultRow.name, TestResultRow.visibility,
                   TestResultRow.outcome, TestResultRow.position)
            .where(TestResultRow.grading_id.in_(grading_ids[start:start + 500]))
        )
        for test_id, name, visibility, outcome, position in session.execute(query):
            entry = tally.setdefault(test_id, _Tally(name, visibility, position))
            entry.passed += outcome == "passed"
            entry.runs += 1
    ordered = sorted(tally.items(), key=lambda item: (item[1].position, item[0]))
    return [TestRate(test_id=test_id, name=t.name, visibility=t.visibility,
                     passed=t.passed, runs=t.runs) for test_id, t in ordered]


@dataclass
class _Tally:
    name: str
    visibility: str
    position: int
    passed: int = 0
    runs: int = 0
