"""The course tables: courses, their members, assignments (with their
exercises and per-student extensions). The rules that read them (windows,
late penalties, which score counts) are pure functions in grader.courses.rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.models import Base, User, utcnow


class Course(Base):
    __tablename__ = "courses"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseMember(Base):
    """A user in a course with a course role (grader.courses.rules.CourseRole)."""

    __tablename__ = "course_members"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    # The address a roster gave (or an LMS); informational, never used to sign in.
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    release_at: Mapped[datetime]
    due_at: Mapped[datetime]
    late_until: Mapped[datetime | None]  # none: nothing is accepted after due_at
    late_policy: Mapped[str] = mapped_column(String(16), default="none")  # rules.LatePolicy
    # The fraction taken off: per started hour or day, or once (factor).
    late_penalty: Mapped[float] = mapped_column(default=0.0)
    max_attempts: Mapped[int | None]  # per exercise; none: unlimited
    score_policy: Mapped[str] = mapped_column(String(24), default="best")  # rules.ScorePolicy
    # Hidden tests' feedback only after the (student's) due date.
    hide_hidden_until_due: Mapped[bool] = mapped_column(default=False)
    # Scores only once an instructor releases them (grades_released_at).
    hide_scores_until_released: Mapped[bool] = mapped_column(default=False)
    grades_released_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    exercises: Mapped[list[AssignmentExercise]] = relationship(
        order_by="AssignmentExercise.position", lazy="selectin", cascade="all, delete-orphan"
    )


class AssignmentExercise(Base):
    __tablename__ = "assignment_exercises"
    __table_args__ = (UniqueConstraint("assignment_id", "exercise_slug"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    exercise_slug: Mapped[str] = mapped_column(String(64))
    weight: Mapped[float] = mapped_column(default=1.0)
    position: Mapped[int] = mapped_column(default=0)


class Extension(Base):
    """One grant to one student. Grants are never edited: a new one supersedes
    the earlier (the newest counts), so the table is also the log of who
    granted what and when."""

    __tablename__ = "extensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime | None]  # none: the assignment's own
    extra_attempts: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
