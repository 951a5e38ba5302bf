"""The gradebook's computation on plain objects (no database): the counted
attempt per exercise under each score policy and the student's own due date,
the weighted percent, late flags and their reasons, unreleased scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grader.courses.rules import Attempt
from grader.db import Assignment, AssignmentExercise, Course, Extension
from grader.services.gradebook import build, score_cell
from grader.services.gradebook_load import Loaded, Student

DUE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def assignment(policy: str = "best", **changes: object) -> Assignment:
    values: dict[str, object] = {
        "id": 1, "course_id": 1, "slug": "hw1", "title": "Homework 1",
        "release_at": DUE - timedelta(days=7), "due_at": DUE, "late_until": None,
        "late_policy": "per_day", "late_penalty": 0.1, "max_attempts": None,
        "score_policy": policy, "hide_hidden_until_due": False,
        "hide_scores_until_released": False, "grades_released_at": None,
        "exercises": [AssignmentExercise(exercise_slug="a", weight=2.0, position=0),
                      AssignmentExercise(exercise_slug="b", weight=1.0, position=1)],
    }
    values.update(changes)
    return Assignment(**values)


def at(hours: float, fraction: float, penalty: float = 0.0) -> Attempt:
    return Attempt(received_at=DUE + timedelta(hours=hours), fraction=fraction, penalty=penalty)


def test_best_counts_the_best_after_penalty_and_weights_the_exercises() -> None:
    cell = score_cell(assignment("best"), extension=None, attempts={
        "a": [at(-5, 0.5), at(3, 1.0, penalty=0.1)], "b": [at(-2, 1.0)]})
    # a: 0.9 (late, 10 % off) beats 0.5; b: 1.0 -> (2 * 0.9 + 1) / 3
    assert cell.percent == 93.33
    assert cell.late and cell.penalty_text == "late: 10 % off"
    assert cell.attempts == 3
    assert cell.why[:2] == ["best of 3 attempts", "late: 10 % off"]


def test_last_and_last_before_due_pick_different_attempts() -> None:
    attempts = {"a": [at(-5, 1.0), at(2, 0.5, penalty=0.1)], "b": []}
    last = score_cell(assignment("last"), extension=None, attempts=attempts)
    on_time = score_cell(assignment("last_before_due"), extension=None, attempts=attempts)
    assert last.percent == 30.0 and last.late  # 2/3 of 0.45
    assert on_time.percent == 66.67 and not on_time.late
    assert on_time.why[0] == "last on time of 2 attempts"


def test_an_extension_moves_the_due_date_for_last_before_due() -> None:
    grant = Extension(assignment_id=1, user_id=5, due_at=DUE + timedelta(days=2),
                      extra_attempts=2, granted_at=DUE)
    cell = score_cell(assignment("last_before_due"), extension=grant,
                      attempts={"a": [at(-5, 0.2), at(24, 1.0)]})
    assert cell.percent == 66.67  # the later one is on time for this student
    assert cell.extension is not None
    assert cell.extension.text == "extension to 2026-12-03 12:00 UTC, +2 attempts"
    assert "extension to 2026-12-03 12:00 UTC, +2 attempts" in cell.why


def test_a_student_sees_not_released_and_staff_see_the_score() -> None:
    hidden = assignment(hide_scores_until_released=True)
    attempts = {"a": [at(-1, 1.0)]}
    student = score_cell(hidden, extension=None, attempts=attempts, staff=False)
    staff = score_cell(hidden, extension=None, attempts=attempts, staff=True)
    assert student.percent is None and not student.released and student.exercises == []
    assert "not released yet" in student.why
    assert staff.percent == 66.67 and staff.released


def test_pending_counts_nothing_and_says_so() -> None:
    cell = score_cell(assignment(), extension=None, attempts={}, pending=2)
    assert cell.percent == 0.0 and cell.attempts == 0
    assert "2 still being graded (not counted yet)" in cell.why


def test_total_is_the_mean_of_open_assignments_and_students_never_see_unopened_ones() -> None:
    later = assignment(id=2, slug="hw2", release_at=DUE + timedelta(days=30))
    loaded = Loaded([Student(5, "ann", None)], [assignment(), later])
    loaded.attempts[(5, 1)]["a"].append(at(-1, 1.0))
    loaded.attempts[(5, 1)]["b"].append(at(-1, 1.0))
    course = Course(id=1, slug="c1", title="C")
    staff = build(loaded, course=course, staff=True, now=DUE)
    student = build(loaded, course=course, staff=False, now=DUE)
    assert [a.slug for a in staff.assignments] == ["hw1", "hw2"]
    assert staff.students[0].total == 100.0  # hw2 is not open yet: not in the total
    assert [a.slug for a in student.assignments] == ["hw1"]
    assert student.students[0].total == 100.0
