"""Published exercises: every uploaded version of a pack (archive, proving
status, log, JUnit), who owns each published slug, and the proven version
students see. New tables only: no existing table changes (on SQLite nothing
is copied, least of all `submissions`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "exercise_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("archive", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=True),
        sa.Column("log", sa.Text(), nullable=False),
        sa.Column("junit", sa.Text(), nullable=True),
        sa.Column("published_by", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("proven_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.UniqueConstraint("slug", "content_hash"),
    )
    op.create_index("ix_exercise_versions_slug", "exercise_versions", ["slug"])
    op.create_table(
        "exercise_owners",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("slug", "user_id"),
    )
    op.create_index("ix_exercise_owners_slug", "exercise_owners", ["slug"])
    op.create_table(
        "active_exercises",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("exercise_versions.id"),
                  nullable=False),
        sa.Column("changed_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("active_exercises")
    op.drop_index("ix_exercise_owners_slug", "exercise_owners")
    op.drop_table("exercise_owners")
    op.drop_index("ix_exercise_versions_slug", "exercise_versions")
    op.drop_table("exercise_versions")
