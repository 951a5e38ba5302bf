"""What a regrade preview shows: its progress, each submission's score now
and after a regrade, and the summary figures. `summarize` is pure (from the
items' numbers to the figures), so it is tested without a database.

Scores are the gradings' own, before any late penalty (a regrade keeps each
submission's penalty: services.regrade)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from grader.db.regrade_previews import ItemOutcome, PreviewStatus
from grader.services.publishing_views import RegradePlan

EPSILON = 1e-9  # score differences below this are float noise, not a change


@dataclass(frozen=True)
class Figures:
    """One submission's score now (old) and after a regrade (new); None where
    there is none (not gradable, or not graded yet)."""

    old_score: float | None
    old_max: float | None
    new_score: float | None
    new_max: float | None
    outcome: ItemOutcome | None = ItemOutcome.GRADED


class PreviewSummary(BaseModel):
    submissions: int  # items in the preview
    compared: int  # with a score both now and after the regrade
    changed: int  # whose score (or max) would differ, gaining or losing a score included
    up: int  # compared ones whose fraction of full marks would rise (same fraction: points)
    down: int  # ... would fall
    unchanged: int  # compared ones with the same score and max
    newly_scored: int  # not gradable now, would get a score
    would_lose_score: int  # a score now, the regrade would end it not gradable
    errors: int  # the preview could not grade them (infrastructure): nothing predicted
    mean_change_points: float | None  # over the compared ones (unchanged ones count as 0)
    mean_change_fraction: float | None  # the same as a fraction of full marks (-1 to 1)
    max_change_points: float | None  # the largest change in size, with its sign
    max_change_fraction: float | None


class PreviewItemView(BaseModel):
    submission_id: str
    student: str
    exercise: str
    old_score: float | None
    old_max: float | None
    new_score: float | None
    new_max: float | None
    change_points: float | None  # new - old, when both have a score
    outcome: ItemOutcome | None  # None: not graded yet
    error: str | None


class PreviewView(BaseModel):
    id: int
    kind: str  # exercise | assignment
    scope: str  # the exercise's slug, or the assignment's id
    course: str | None  # assignment previews: the course's slug
    assignment: str | None  # ... and the assignment's slug
    status: PreviewStatus
    requested_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    total: int  # submissions this preview grades
    done_count: int  # of those, graded so far
    eligible: int  # final submissions found; more than total when the cap cut it short
    capped: bool  # True: only the first `total` (oldest first) are in the preview
    error: str | None  # why it failed
    plan: RegradePlan | None = None  # exercise previews, when asked for: the counts
    summary: PreviewSummary | None = None  # once done
    items: list[PreviewItemView] = []  # once done


def _fraction(score: float, top: float | None) -> float | None:
    return score / top if top else None


def _snap(value: float) -> float:
    return 0.0 if abs(value) <= EPSILON else value


def _largest(values: list[float]) -> float | None:
    return max(values, key=abs) if values else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(items: Sequence[Figures]) -> PreviewSummary:
    """The figures of a preview from its items (pure)."""
    points: list[float] = []
    fractions: list[float] = []
    up = down = unchanged = changed = newly = lose = errors = 0
    for item in items:
        if item.outcome is ItemOutcome.ERROR or item.outcome is None:
            errors += item.outcome is ItemOutcome.ERROR
            continue
        had = item.old_score is not None
        has = item.new_score is not None and item.outcome is ItemOutcome.GRADED
        if had != has:
            changed += 1
            newly += has
            lose += had
            continue
        if not had:
            continue  # not gradable before and after
        assert item.old_score is not None and item.new_score is not None
        delta = _snap(item.new_score - item.old_score)
        points.append(delta)
        before = _fraction(item.old_score, item.old_max)
        after = _fraction(item.new_score, item.new_max)
        # No fraction of a zero max: its fraction counts as unchanged.
        shift = _snap(after - before) if before is not None and after is not None else 0.0
        fractions.append(shift)
        same_max = abs((item.new_max or 0.0) - (item.old_max or 0.0)) <= EPSILON
        if abs(delta) <= EPSILON and same_max:
            unchanged += 1
            continue
        changed += 1
        if shift > EPSILON or (abs(shift) <= EPSILON and delta > EPSILON):
            up += 1
        elif shift < -EPSILON or (abs(shift) <= EPSILON and delta < -EPSILON):
            down += 1
    return PreviewSummary(
        submissions=len(items), compared=len(points), changed=changed, up=up, down=down,
        unchanged=unchanged, newly_scored=newly, would_lose_score=lose, errors=errors,
        mean_change_points=_mean(points), mean_change_fraction=_mean(fractions),
        max_change_points=_largest(points), max_change_fraction=_largest(fractions),
    )
