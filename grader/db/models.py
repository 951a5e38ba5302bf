"""The service's tables. The database is the source of truth: the queue only
carries submission ids, so everything a worker on another host needs (the
files included) is here.

Every schema change needs an Alembic revision in grader/migrations/versions.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class SubmissionStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    NOT_GRADABLE = "not_gradable"

    @property
    def final(self) -> bool:
        return self in (SubmissionStatus.GRADED, SubmissionStatus.NOT_GRADABLE)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Page sessions carry this number; raising it ends every one of them
    # (sign out everywhere, a role or password change): grader/web/session.py.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # to recognise a token in listings
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")


class Exercise(Base):
    """One version of an exercise: a slug at one content hash."""

    __tablename__ = "exercises"
    __table_args__ = (UniqueConstraint("slug", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        Index("ix_submissions_user_slug", "user_id", "exercise_slug"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"))
    exercise_slug: Mapped[str] = mapped_column(String(64))
    files: Mapped[dict[str, Any]]
    files_bytes: Mapped[int]
    status: Mapped[str] = mapped_column(
        String(16), index=True, default=SubmissionStatus.QUEUED.value
    )
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    tries: Mapped[int] = mapped_column(default=0)  # worker runs, infrastructure retries included
    infra_failures: Mapped[int] = mapped_column(default=0)  # all time (metrics)
    # Infrastructure faults in the current run; decides the last retry, and a
    # regrade starts it again at zero.
    run_failures: Mapped[int] = mapped_column(default=0)
    # Claims in the current run (a regrade starts it again at zero). Counted at
    # claim time, so a grading that never finishes (worker killed, result that
    # cannot be recorded) still counts; grading_attempts - run_failures is
    # capped by GRADER_GRADE_MAX_ATTEMPTS (services.grading_jobs).
    grading_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    # The student's attempt number at this exercise (within its assignment, if
    # any); only graded runs count, and a regrade keeps it.
    attempt_number: Mapped[int | None]
    # Inside an assignment (grader.db.courses); none for practice submissions.
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    # When the server received it. Deadlines are judged on this, never on when
    # it was graded: queued_at moves on a regrade, this never does.
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The fraction taken off for lateness (grader.courses.rules.late_penalty),
    # set on receipt and again when an extension or the late policy changes.
    late_penalty: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(Text)  # why not_gradable
    # Who is grading it and until when: a claim keeps two workers apart.
    claim: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    current_grading_id: Mapped[int | None] = mapped_column(
        ForeignKey("gradings.id", use_alter=True, name="fk_submissions_current_grading")
    )
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]  # last time its id was put on the queue
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    user: Mapped[User] = relationship(lazy="joined")
    exercise: Mapped[Exercise] = relationship(lazy="joined")
    current_grading: Mapped[Grading | None] = relationship(
        foreign_keys=[current_grading_id], lazy="joined", post_update=True
    )


class Grading(Base):
    """One finished grading run. Regrades add rows; none is ever overwritten."""

    __tablename__ = "gradings"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)  # graded | not_gradable
    outcome: Mapped[str | None] = mapped_column(String(32))  # the report's status
    score: Mapped[float | None]
    max_score: Mapped[float | None]
    message: Mapped[str | None] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text)  # what the output policy shows the student
    # All of the student code's output, for authors only (services.views).
    author_output: Mapped[str | None] = mapped_column(Text)
    duration: Mapped[float | None]  # seconds the grading call took
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    exercise: Mapped[Exercise] = relationship(lazy="joined")
    tests: Mapped[list[TestResultRow]] = relationship(
        order_by="TestResultRow.position", lazy="selectin", cascade="all, delete-orphan"
    )


class TestResultRow(Base):
    __tablename__ = "test_results"
    __test__ = False  # not a pytest class
    id: Mapped[int] = mapped_column(primary_key=True)
    grading_id: Mapped[int] = mapped_column(
        ForeignKey("gradings.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    test_id: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(500))
    outcome: Mapped[str] = mapped_column(String(16))
    points: Mapped[float]
    max_points: Mapped[float]
    duration: Mapped[float]
    visibility: Mapped[str] = mapped_column(String(16))
    hint: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    # What student code and the test printed during it (report v3): authors only.
    author_output: Mapped[str | None] = mapped_column(Text)


class WebhookDelivery(Base):
    """One attempt to POST a result to a submission's callback_url."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    grading_id: Mapped[int | None] = mapped_column(ForeignKey("gradings.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(2000))
    attempt: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
