"""What callers see of an assignment and of an extension: the API's
responses, the pages and the CLI's tables all use these models. An
assignment is always seen with the caller's own rules (their extension
applied) and where they stand now."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from grader.courses import rules
from grader.db import Assignment, Extension
from grader.services.course_access import StudentRules


class ExtensionView(BaseModel):
    id: int
    student: str
    due_at: datetime | None
    extra_attempts: int
    reason: str | None
    granted_by: str  # "(command line)" for a grant made with the CLI
    granted_at: datetime


class ExerciseRow(BaseModel):
    slug: str
    title: str
    weight: float
    attempts_used: int  # the caller's, not_gradable ones not counted
    attempts_left: int | None  # None: unlimited


class AssignmentView(BaseModel):
    course: str
    slug: str
    title: str
    release_at: datetime
    due_at: datetime
    late_until: datetime | None
    late_policy: rules.LatePolicy
    late_penalty: float
    max_attempts: int | None
    score_policy: rules.ScorePolicy
    hide_hidden_until_due: bool
    hide_scores_until_released: bool
    grades_released_at: datetime | None
    exercises: list[ExerciseRow]
    # The caller's own: their extension applied.
    your_due_at: datetime
    your_closes_at: datetime
    your_max_attempts: int | None
    extension: ExtensionView | None = None
    state: str  # not_released, open, late (inside the late window), closed
    state_text: str  # the same for a person, with the time that matters
    staff: bool  # the caller is an instructor or assistant here


def extension_view(row: Extension, *, student: str, granted_by: str | None) -> ExtensionView:
    return ExtensionView(
        id=row.id, student=student, due_at=row.due_at, extra_attempts=row.extra_attempts,
        reason=row.reason, granted_by=granted_by or "(command line)", granted_at=row.granted_at)


def _state(deadlines: rules.Deadlines, now: datetime) -> tuple[str, str]:
    if now < deadlines.release_at:
        return "not_released", f"opens {_when(deadlines.release_at)}"
    if now <= deadlines.due_at:
        return "open", f"open, due {_when(deadlines.due_at)}"
    if now <= deadlines.closes_at:
        return "late", f"late submissions until {_when(deadlines.closes_at)}"
    return "closed", f"closed since {_when(deadlines.closes_at)}"


def assignment_view(assignment: Assignment, *, course: str, staff: bool, own: StudentRules,
                    used: dict[str, int], now: datetime, titles: dict[str, str],
                    extension: ExtensionView | None = None) -> AssignmentView:
    state, state_text = _state(own.deadlines, now)
    rows = []
    for item in assignment.exercises:
        count = used.get(item.exercise_slug, 0)
        left = None if own.max_attempts is None else max(0, own.max_attempts - count)
        rows.append(ExerciseRow(slug=item.exercise_slug, weight=item.weight,
                                title=titles.get(item.exercise_slug, item.exercise_slug),
                                attempts_used=count, attempts_left=left))
    return AssignmentView(
        course=course, slug=assignment.slug, title=assignment.title,
        release_at=assignment.release_at, due_at=assignment.due_at,
        late_until=assignment.late_until, late_policy=rules.LatePolicy(assignment.late_policy),
        late_penalty=assignment.late_penalty, max_attempts=assignment.max_attempts,
        score_policy=rules.ScorePolicy(assignment.score_policy),
        hide_hidden_until_due=assignment.hide_hidden_until_due,
        hide_scores_until_released=assignment.hide_scores_until_released,
        grades_released_at=assignment.grades_released_at, exercises=rows,
        your_due_at=own.deadlines.due_at, your_closes_at=own.deadlines.closes_at,
        your_max_attempts=own.max_attempts, extension=extension, state=state,
        state_text=state_text, staff=staff)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
