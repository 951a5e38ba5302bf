"""Regrade previews: what a regrade would do to each final submission's
score, found by grading it again in the sandbox (the "regrade-preview" task
on the authoring queue) without recording anything on the submission.

A preview covers one exercise (`kind` "exercise", `scope` its slug) or one
assignment (`kind` "assignment", `scope` its id). Its items are made when the
preview is asked for, each with the submission's score at that moment (old);
the worker fills in the would-be score (new), item by item, so a rerun of the
task skips what is done and the API can show progress.

Also here, as it came with the same migration (0009): the proving sweep's
bookkeeping (grader.services.proving_sweep), in a table of its own so the
versions table (grader.db.publishing) stays as publishing made it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.models import Base, User, utcnow


class PreviewStatus(enum.StrEnum):
    PENDING = "pending"  # stored, the task queued
    RUNNING = "running"  # a worker is grading its items
    DONE = "done"  # every item has an outcome
    FAILED = "failed"  # could not run (the queue refused it, or the task broke)

    @property
    def final(self) -> bool:
        return self in (PreviewStatus.DONE, PreviewStatus.FAILED)


class ItemOutcome(enum.StrEnum):
    GRADED = "graded"  # new_score / new_max hold the would-be score
    NOT_GRADABLE = "not_gradable"  # the regrade would end it not gradable (error says why)
    ERROR = "error"  # the preview could not grade it (infrastructure; error says why)


class RegradePreview(Base):
    __tablename__ = "regrade_previews"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # exercise | assignment
    scope: Mapped[str] = mapped_column(String(64), index=True)  # the slug, or the assignment id
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=PreviewStatus.PENDING.value)
    total: Mapped[int] = mapped_column(default=0)  # items (at most the cap)
    done_count: Mapped[int] = mapped_column(default=0)  # items with an outcome
    eligible: Mapped[int] = mapped_column(default=0)  # final submissions found (over the cap too)
    error: Mapped[str | None] = mapped_column(Text)  # why failed
    requester: Mapped[User | None] = relationship(lazy="joined")


class RegradePreviewItem(Base):
    __tablename__ = "regrade_preview_items"
    __table_args__ = (UniqueConstraint("preview_id", "submission_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    preview_id: Mapped[int] = mapped_column(
        ForeignKey("regrade_previews.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[str] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    old_score: Mapped[float | None]  # none: the submission was not gradable
    old_max: Mapped[float | None]
    new_score: Mapped[float | None]
    new_max: Mapped[float | None]
    outcome: Mapped[str | None] = mapped_column(String(16))  # ItemOutcome; none: not yet
    error: Mapped[str | None] = mapped_column(Text)


class ProvingRetry(Base):
    """For a published version whose proving stalled: how often the sweep
    started it again and when it last put it on the queue."""

    __tablename__ = "proving_retries"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("exercise_versions.id", ondelete="CASCADE"), primary_key=True)
    restarts: Mapped[int] = mapped_column(default=0)  # `checking` ones put back to pending
    enqueued: Mapped[int] = mapped_column(default=0)  # times the sweep sent it to the queue
    last_enqueued_at: Mapped[datetime | None]
