"""What callers see of a submission: the API's response, the events stream,
the webhook body and the CLI's table all use these models.

Built from the database only, so hidden test code can never reach them: the
report carries test names, outcomes, points, hints and the messages the
exercise's `hidden_messages` policy let through the harness; nothing else.

Output follows the same pattern: `output` is what the exercise's `[scoring]
output` policy let through the harness for the student. `author_output`, all
of the student code's output (hidden tests' inputs it printed included), is
filled in only when the caller asks for the author's view (`author=True`,
for authors and admins); every default here is the student's view.

Each test's own `author_output` (report version 3: what student code and the
test printed while it ran) follows the same rule: stored with the test's
row, filled in only in the author's view, None for students
(tests/service/test_test_output_hidden.py).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from grader.courses.rules import describe_penalty
from grader.db import Grading, Submission, SubmissionStatus, TestResultRow


class TestView(BaseModel):
    __test__ = False  # not a pytest class
    id: str
    name: str
    outcome: str
    points: float
    max_points: float
    duration: float
    visibility: str
    hint: str | None = None
    message: str | None = None
    author_output: str | None = None  # authors and admins only; None for students


class GradingView(BaseModel):
    """One finished run, kept in the history (regrades never overwrite)."""

    id: int
    status: str
    outcome: str | None
    score: float | None
    max_score: float | None
    exercise_version: str
    reason: str | None = None
    started_at: datetime | None
    finished_at: datetime


class SubmissionView(BaseModel):
    id: str
    exercise: str
    exercise_version: str
    user: str
    status: SubmissionStatus
    score: float | None = None
    max_score: float | None = None
    outcome: str | None = None  # the report's overall status: passed, failed, timeout...
    message: str | None = None  # the report's overall explanation, or why not gradable
    output: str | None = None  # tail of the student's own stdout/stderr, as the policy allows
    # All of it (authors and admins only; always None in a student's view).
    author_output: str | None = None
    tests: list[TestView] = []
    attempts: int  # grading runs made, infrastructure retries included
    attempt_number: int | None = None  # the student's nth graded attempt at this exercise
    queued_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    history: list[GradingView] = []
    # Inside an assignment (slugs; None for practice), and lateness: judged on
    # received_at, the server's time of receipt, which a regrade never moves.
    course: str | None = None
    assignment: str | None = None
    received_at: datetime | None = None
    late_penalty: float | None = None
    penalty_text: str = ""  # "late: 10 % off"
    withheld: str | None = None  # what the assignment holds back from the student, and until when


def test_view(row: TestResultRow, *, author: bool = False) -> TestView:
    return TestView(
        id=row.test_id, name=row.name, outcome=row.outcome, points=row.points,
        max_points=row.max_points, duration=row.duration, visibility=row.visibility,
        hint=row.hint, message=row.message, author_output=row.author_output if author else None,
    )


def grading_view(row: Grading) -> GradingView:
    return GradingView(
        id=row.id, status=row.status, outcome=row.outcome, score=row.score,
        max_score=row.max_score, exercise_version=row.exercise.content_hash,
        reason=row.message if row.status == SubmissionStatus.NOT_GRADABLE else None,
        started_at=row.started_at, finished_at=row.finished_at,
    )


def submission_view(sub: Submission, history: list[Grading] | None = None, *,
                    author: bool = False) -> SubmissionView:
    """The caller's view; results appear only once the submission is final, so a
    regrade in progress never shows the previous run's score as current.
    `author`: the caller is an author or admin (services.submissions.sees_all),
    who also sees all of the output."""
    status = SubmissionStatus(sub.status)
    view = SubmissionView(
        id=sub.id, exercise=sub.exercise_slug, exercise_version=sub.exercise.content_hash,
        user=sub.user.name, status=status, attempts=sub.tries,
        attempt_number=sub.attempt_number, queued_at=sub.queued_at,
        started_at=sub.started_at, finished_at=sub.finished_at,
        history=[grading_view(g) for g in history or []],
        received_at=sub.received_at, late_penalty=sub.late_penalty,
        penalty_text=describe_penalty(sub.late_penalty),
    )
    grading = sub.current_grading
    if status is SubmissionStatus.GRADED and grading is not None:
        view.score, view.max_score = grading.score, grading.max_score
        view.outcome, view.message, view.output = grading.outcome, grading.message, grading.output
        if author:
            # A grading recorded before the policy existed has no author copy:
            # its output was all of it then.
            view.author_output = grading.author_output or grading.output
        view.tests = [test_view(t, author=author) for t in grading.tests]
    elif status is SubmissionStatus.NOT_GRADABLE:
        view.message = sub.reason
    return view
