"""A course's rules as pure functions: who may do what in a course, when an
assignment accepts submissions, what lateness costs, and which attempt
counts. No database and no clock of their own: callers pass the time (the
server's time of receipt), so every rule is tested without either.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta


class CourseRole(enum.StrEnum):
    INSTRUCTOR = "instructor"  # manages the course
    ASSISTANT = "assistant"  # sees everything, regrades, grants extensions
    STUDENT = "student"

    @property
    def staff(self) -> bool:
        """Sees every member's submissions and the whole gradebook."""
        return self is not CourseRole.STUDENT


class LatePolicy(enum.StrEnum):
    NONE = "none"  # late submissions (inside late_until) cost nothing
    PER_HOUR = "per_hour"  # `penalty` off per started hour past due
    PER_DAY = "per_day"  # `penalty` off per started day past due
    FACTOR = "factor"  # `penalty` off once, however late


class ScorePolicy(enum.StrEnum):
    BEST = "best"
    LAST = "last"
    LAST_BEFORE_DUE = "last_before_due"


class Refusal(enum.StrEnum):
    NOT_RELEASED = "not_released"
    CLOSED = "closed"
    NO_ATTEMPTS_LEFT = "no_attempts_left"


@dataclass(frozen=True)
class Deadlines:
    """One student's deadlines for an assignment (extension applied)."""

    release_at: datetime
    due_at: datetime
    late_until: datetime | None = None
    late_policy: LatePolicy = LatePolicy.NONE
    penalty: float = 0.0  # the fraction taken off per unit of the policy

    def extended(self, due_at: datetime | None) -> Deadlines:
        """With an extension's new due date. The late window keeps its length,
        so a student with an extension has the same grace as everyone else."""
        if due_at is None:
            return self
        late_until = None
        if self.late_until is not None:
            late_until = due_at + (self.late_until - self.due_at)
        return replace(self, due_at=due_at, late_until=late_until)

    @property
    def closes_at(self) -> datetime:
        return self.late_until if self.late_until is not None else self.due_at


def refusal(deadlines: Deadlines, received_at: datetime, *, attempts_used: int,
            max_attempts: int | None) -> tuple[Refusal, str] | None:
    """Why a submission received at `received_at` is refused, or None. The
    message says why and when, for the student. `attempts_used` counts this
    student's earlier submissions to the exercise that did not end
    not_gradable (those still queued included)."""
    if received_at < deadlines.release_at:
        return Refusal.NOT_RELEASED, (
            f"this assignment opens at {_when(deadlines.release_at)}")
    if received_at > deadlines.closes_at:
        if deadlines.late_until is not None:
            return Refusal.CLOSED, (
                f"this assignment closed at {_when(deadlines.closes_at)} "
                f"(due {_when(deadlines.due_at)}, late submissions until then)")
        return Refusal.CLOSED, f"this assignment was due at {_when(deadlines.due_at)}"
    if max_attempts is not None and attempts_used >= max_attempts:
        return Refusal.NO_ATTEMPTS_LEFT, (
            f"no attempts left: {attempts_used} of {max_attempts} used for this exercise")
    return None


def late_penalty(deadlines: Deadlines, received_at: datetime) -> float:
    """The fraction of the score taken off (0.0 on time, at most 1.0)."""
    late = received_at - deadlines.due_at
    if late <= timedelta(0):
        return 0.0
    policy = deadlines.late_policy
    if policy is LatePolicy.NONE:
        return 0.0
    if policy is LatePolicy.FACTOR:
        units = 1
    else:
        unit = timedelta(hours=1) if policy is LatePolicy.PER_HOUR else timedelta(days=1)
        units = math.ceil(late / unit)  # per *started* hour or day
    return min(1.0, round(units * deadlines.penalty, 6))


def describe_penalty(penalty: float | None) -> str:
    """The rule applied, as a student reads it ("late: 10 % off")."""
    if not penalty:
        return ""
    return f"late: {penalty * 100:g} % off"


@dataclass(frozen=True)
class Attempt:
    """One graded submission to one exercise of an assignment."""

    received_at: datetime
    fraction: float  # score / max_score, 0..1, before the penalty
    penalty: float = 0.0

    @property
    def counted(self) -> float:
        return self.fraction * (1.0 - self.penalty)


def counted_attempt(attempts: Sequence[Attempt], policy: ScorePolicy,
                    due_at: datetime) -> Attempt | None:
    """The attempt whose score counts, or None when none does.
    last_before_due takes the last one received by the (student's) due date;
    with none on time, the last late one, its penalty applied."""
    if not attempts:
        return None
    by_time = sorted(attempts, key=lambda a: a.received_at)
    if policy is ScorePolicy.BEST:
        # Ties go to the earliest: the score it shows was reached first there.
        return max(by_time, key=lambda a: (a.counted, -a.received_at.timestamp()))
    if policy is ScorePolicy.LAST_BEFORE_DUE:
        on_time = [a for a in by_time if a.received_at <= due_at]
        if on_time:
            return on_time[-1]
    return by_time[-1]


def weighted_total(parts: Sequence[tuple[float, float | None]]) -> float:
    """An assignment's score in percent from (weight, counted fraction or None
    for an exercise never attempted) per exercise."""
    weights = sum(weight for weight, _ in parts)
    if weights <= 0:
        return 0.0
    earned = sum(weight * (fraction or 0.0) for weight, fraction in parts)
    return round(100.0 * earned / weights, 2)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
