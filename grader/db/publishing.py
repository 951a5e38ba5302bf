"""Published exercises: each uploaded version of a pack (its archive, the
proving job's state, log and JUnit), who owns a slug, and which proven
version students see. The archive bytes live here, not on a disk, because
the database is the source of truth: a worker on another host proves and
grades from them.

The `exercises` table stays the record of what a submission was graded
against (one row per slug and content hash); a proven version gets its row
there when it becomes active.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.models import Base, User, utcnow


class VersionStatus(enum.StrEnum):
    PENDING = "pending"  # stored, the proving job queued
    CHECKING = "checking"  # a worker is building and proving it
    PROVEN = "proven"  # may be (or have been) shown to students
    FAILED = "failed"  # the check found problems (or could not run): never shown

    @property
    def final(self) -> bool:
        return self in (VersionStatus.PROVEN, VersionStatus.FAILED)


class ExerciseVersion(Base):
    __tablename__ = "exercise_versions"
    __table_args__ = (UniqueConstraint("slug", "content_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), index=True)
    category: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    archive: Mapped[bytes] = mapped_column(LargeBinary)  # the upload, as checked
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.PENDING.value)
    verdict: Mapped[str | None] = mapped_column(Text)  # why failed, or a one-line summary
    log: Mapped[str] = mapped_column(Text, default="")  # progress lines, capped (services)
    junit: Mapped[str | None] = mapped_column(Text)  # the check's JUnit XML
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    proven_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    publisher: Mapped[User | None] = relationship(lazy="joined")


class ExerciseOwner(Base):
    """An author who may publish a slug: its first publisher (owner) and the
    co-authors the owner adds. One owner row per slug, kept by the database
    (a partial unique index, migration 0008): of two first publishers at the
    same moment, one insert fails."""

    __tablename__ = "exercise_owners"
    __table_args__ = (
        UniqueConstraint("slug", "user_id"),
        Index("uq_exercise_owners_one_owner", "slug", unique=True,
              sqlite_where=text("role = 'owner'"), postgresql_where=text("role = 'owner'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # owner | co-author
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship(lazy="joined")


class ActiveExercise(Base):
    """The proven version students see, one per published slug (rollback moves it)."""

    __tablename__ = "active_exercises"
    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("exercise_versions.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[ExerciseVersion] = relationship(lazy="joined")
