"""The figures /metrics reports about submissions and gradings, read from the
database at scrape time.

Workers run in other processes (and hosts), so in-process counters in the
API would only see half the picture. The database already holds every
grading with its status and duration; one scrape costs a few aggregate
queries and is right however many workers and API replicas there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select

from grader.db import Database, Grading, Submission


@dataclass(frozen=True)
class GradingFigures:
    by_status: dict[str, int]  # submissions per status (a status with none is absent)
    outcomes: list[tuple[str, str | None, int]]  # gradings per (status, outcome)
    infra_failures: int  # infrastructure faults met, over every submission
    within: list[int]  # gradings that took at most each bound (cumulative), bound by bound
    timed: int  # gradings with a duration
    seconds: float  # their durations' sum


def grading_figures(*, db: Database, bounds: Sequence[float]) -> GradingFigures:
    """Counts by status and outcome, and grading durations against `bounds`
    (seconds, ascending: a histogram's buckets)."""
    with db.reading() as session:
        by_status = dict(session.execute(
            select(Submission.status, func.count()).group_by(Submission.status)
        ).all())
        outcomes = session.execute(
            select(Grading.status, Grading.outcome, func.count())
            .group_by(Grading.status, Grading.outcome)
        ).all()
        failures = session.scalar(select(func.coalesce(func.sum(Submission.infra_failures), 0)))
        graded = Grading.duration.is_not(None)
        *within, timed, seconds = session.execute(select(
            *[func.coalesce(func.sum(case((graded & (Grading.duration <= b), 1), else_=0)), 0)
              for b in bounds],
            func.count(Grading.duration), func.coalesce(func.sum(Grading.duration), 0.0),
        )).one()
    return GradingFigures(
        by_status=by_status, outcomes=[(s, o, n) for s, o, n in outcomes],
        infra_failures=failures or 0, within=list(within), timed=timed, seconds=seconds,
    )
