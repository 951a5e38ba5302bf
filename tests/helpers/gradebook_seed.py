"""Courses with graded assignment submissions made straight in the database,
for the gradebook's tests and bench/gradebook.py (submitting and grading
for real is the assignment tests' business; these are about reading)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.db import (
    Assignment,
    AssignmentExercise,
    Course,
    CourseMember,
    Exercise,
    Extension,
    Grading,
    Role,
    Submission,
    User,
)

DUE = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def user(session: Session, name: str) -> User:
    found = session.scalar(select(User).where(User.name == name))
    if found is None:
        found = User(name=name, role=Role.STUDENT.value)
        session.add(found)
        session.flush()
    return found


def course(session: Session, slug: str, members: dict[str, str]) -> Course:
    """The course and its members (name -> course role); emails name@example.org."""
    row = Course(slug=slug, title=f"Course {slug}")
    session.add(row)
    session.flush()
    for name, role in members.items():
        session.add(CourseMember(course_id=row.id, user_id=user(session, name).id, role=role,
                                 email=f"{name}@example.org"))
    session.flush()
    return row


def assignment(session: Session, course_row: Course, slug: str, exercises: dict[str, float],
               **fields: Any) -> Assignment:
    values: dict[str, Any] = {"title": slug.upper(), "release_at": DUE - timedelta(days=7),
                              "due_at": DUE, "score_policy": "best"}
    values.update(fields)
    row = Assignment(course_id=course_row.id, slug=slug, exercises=[
        AssignmentExercise(exercise_slug=ex, weight=w, position=i)
        for i, (ex, w) in enumerate(exercises.items())], **values)
    session.add(row)
    session.flush()
    return row


def exercise(session: Session, slug: str) -> Exercise:
    found = session.scalar(select(Exercise).where(Exercise.slug == slug))
    if found is None:
        found = Exercise(slug=slug, content_hash="0" * 64, title=slug, category="testing")
        session.add(found)
        session.flush()
    return found


def submission(session: Session, *, who: User, where: Assignment, slug: str, late: float,
               score: float | None, max_score: float = 10.0, status: str = "graded",
               penalty: float | None = None) -> Submission:
    """Received `late` hours after the assignment's due date (negative: before)."""
    ex = exercise(session, slug)
    row = Submission(user_id=who.id, exercise_id=ex.id, exercise_slug=slug, files={},
                     files_bytes=0, status=status, assignment_id=where.id,
                     received_at=where.due_at + hours(late), late_penalty=penalty)
    session.add(row)
    session.flush()
    if status == "graded":
        row.current_grading = Grading(submission_id=row.id, exercise_id=ex.id, status=status,
                                      score=score, max_score=max_score)
        session.flush()
    return row


def extension(session: Session, *, who: User, where: Assignment, due_at: datetime | None,
              extra_attempts: int = 0, granted_at: datetime | None = None) -> Extension:
    row = Extension(assignment_id=where.id, user_id=who.id, due_at=due_at,
                    extra_attempts=extra_attempts, granted_at=granted_at or DUE)
    session.add(row)
    session.flush()
    return row
