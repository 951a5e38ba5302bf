"""The pure course rules (grader.courses.rules): late penalties per started
hour or day, the factor, the cap, extensions keeping the late window,
refusals, which attempt counts, and the weighted total."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grader.courses.rules import (
    Attempt,
    CourseRole,
    Deadlines,
    LatePolicy,
    Refusal,
    ScorePolicy,
    counted_attempt,
    describe_penalty,
    late_penalty,
    refusal,
    weighted_total,
)

DUE = datetime(2026, 5, 8, 23, 59, tzinfo=UTC)
RELEASE = DUE - timedelta(days=7)


def deadlines(policy: LatePolicy, penalty: float, late_days: float | None = 3) -> Deadlines:
    late = DUE + timedelta(days=late_days) if late_days is not None else None
    return Deadlines(release_at=RELEASE, due_at=DUE, late_until=late, late_policy=policy,
                     penalty=penalty)


@pytest.mark.parametrize(("late", "expected"), [
    (timedelta(0), 0.0), (timedelta(seconds=1), 0.05), (timedelta(hours=1), 0.05),
    (timedelta(hours=1, seconds=1), 0.1), (timedelta(hours=5, minutes=30), 0.3),
])
def test_per_hour_counts_started_hours(late: timedelta, expected: float) -> None:
    assert late_penalty(deadlines(LatePolicy.PER_HOUR, 0.05), DUE + late) == expected


def test_per_day_counts_started_days_and_caps_at_one() -> None:
    rules = deadlines(LatePolicy.PER_DAY, 0.25)
    assert late_penalty(rules, DUE + timedelta(hours=1)) == 0.25
    assert late_penalty(rules, DUE + timedelta(days=1, minutes=1)) == 0.5
    assert late_penalty(rules, DUE + timedelta(days=9)) == 1.0  # capped


def test_factor_once_and_none_free_and_early_free() -> None:
    assert late_penalty(deadlines(LatePolicy.FACTOR, 0.3), DUE + timedelta(days=2)) == 0.3
    assert late_penalty(deadlines(LatePolicy.NONE, 0.3), DUE + timedelta(days=2)) == 0.0
    assert late_penalty(deadlines(LatePolicy.PER_HOUR, 0.3), DUE - timedelta(hours=1)) == 0.0
    assert describe_penalty(0.1) == "late: 10 % off" and describe_penalty(0.0) == ""


def test_an_extension_keeps_the_late_window_length() -> None:
    new_due = DUE + timedelta(days=2)
    extended = deadlines(LatePolicy.PER_DAY, 0.1, late_days=3).extended(new_due)
    assert extended.due_at == new_due and extended.late_until == new_due + timedelta(days=3)
    assert deadlines(LatePolicy.NONE, 0, late_days=None).extended(new_due).late_until is None
    same = deadlines(LatePolicy.NONE, 0)
    assert same.extended(None) is same


def test_refusals_say_why_and_when() -> None:
    rules = deadlines(LatePolicy.NONE, 0, late_days=1)
    early = refusal(rules, RELEASE - timedelta(minutes=1), attempts_used=0, max_attempts=None)
    assert early == (Refusal.NOT_RELEASED, "this assignment opens at 2026-05-01 23:59 UTC")
    closed = refusal(rules, DUE + timedelta(days=2), attempts_used=0, max_attempts=None)
    assert closed is not None and closed[0] is Refusal.CLOSED
    assert "closed at 2026-05-09 23:59 UTC (due 2026-05-08 23:59 UTC" in closed[1]
    no_window = deadlines(LatePolicy.NONE, 0, late_days=None)
    assert refusal(no_window, DUE + timedelta(seconds=1), attempts_used=0, max_attempts=None) \
        == (Refusal.CLOSED, "this assignment was due at 2026-05-08 23:59 UTC")
    used = refusal(rules, DUE, attempts_used=3, max_attempts=3)
    assert used == (Refusal.NO_ATTEMPTS_LEFT, "no attempts left: 3 of 3 used for this exercise")
    assert refusal(rules, DUE, attempts_used=2, max_attempts=3) is None


def at(hours: float, fraction: float, penalty: float = 0.0) -> Attempt:
    return Attempt(received_at=DUE + timedelta(hours=hours), fraction=fraction, penalty=penalty)


def test_best_takes_the_highest_counted_and_the_earliest_on_ties() -> None:
    first, tie, late_high = at(-5, 0.8), at(-1, 0.8), at(2, 1.0, penalty=0.5)
    assert counted_attempt([tie, late_high, first], ScorePolicy.BEST, DUE) is first


def test_last_and_last_before_due() -> None:
    early, on_time, late = at(-5, 1.0), at(-1, 0.2), at(3, 0.9, 0.1)
    assert counted_attempt([late, early, on_time], ScorePolicy.LAST, DUE) is late
    assert counted_attempt([late, early, on_time], ScorePolicy.LAST_BEFORE_DUE, DUE) is on_time
    exactly = at(0, 0.4)
    assert counted_attempt([exactly, late], ScorePolicy.LAST_BEFORE_DUE, DUE) is exactly
    # None on time: the last late one counts, its penalty applied.
    only_late = [at(1, 0.5, 0.1), at(2, 0.7, 0.2)]
    chosen = counted_attempt(only_late, ScorePolicy.LAST_BEFORE_DUE, DUE)
    assert chosen is only_late[1] and chosen.counted == pytest.approx(0.56)
    assert counted_attempt([], ScorePolicy.BEST, DUE) is None


def test_weighted_total() -> None:
    assert weighted_total([(2.0, 1.0), (1.0, 0.5), (1.0, None)]) == 62.5
    assert weighted_total([]) == 0.0
    assert weighted_total([(1.0, 1 / 3)]) == 33.33


def test_course_roles_staff() -> None:
    assert CourseRole.INSTRUCTOR.staff and CourseRole.ASSISTANT.staff
    assert not CourseRole.STUDENT.staff
