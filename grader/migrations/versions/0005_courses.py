"""Courses: courses and their members, assignments with their exercises and
per-student extensions; submissions gain the assignment they were made in,
the time the server received them and the late penalty applied. Existing
submissions belong to no assignment and keep their scores.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "course_members",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("course_id", sa.Integer(),
                  sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("email", sa.String(320)),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("course_id", "user_id"),
    )
    op.create_index("ix_course_members_user_id", "course_members", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("course_id", sa.Integer(),
                  sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("release_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("late_until", TS),
        sa.Column("late_policy", sa.String(16), nullable=False),
        sa.Column("late_penalty", sa.Double(), nullable=False),
        sa.Column("max_attempts", sa.Integer()),
        sa.Column("score_policy", sa.String(24), nullable=False),
        sa.Column("hide_hidden_until_due", sa.Boolean(), nullable=False),
        sa.Column("hide_scores_until_released", sa.Boolean(), nullable=False),
        sa.Column("grades_released_at", TS),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("course_id", "slug"),
    )
    op.create_index("ix_assignments_course_id", "assignments", ["course_id"])
    op.create_table(
        "assignment_exercises",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("exercise_slug", sa.String(64), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("assignment_id", "exercise_slug"),
    )
    op.create_index("ix_assignment_exercises_assignment_id", "assignment_exercises",
                    ["assignment_id"])
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("due_at", TS),
        sa.Column("extra_attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("granted_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("granted_at", TS, nullable=False),
    )
    op.create_index("ix_extensions_assignment_id", "extensions", ["assignment_id"])
    op.create_index("ix_extensions_user_id", "extensions", ["user_id"])
    _add_submission_columns()
    op.create_index("ix_submissions_assignment_id", "submissions", ["assignment_id"])


def _add_submission_columns() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: its table copy drops `submissions`, and with foreign
        # keys on, SQLite's DROP TABLE deletes the rows first, cascading to
        # every grading. SQLite's own ADD COLUMN takes a REFERENCES clause and
        # a NOT NULL column with a default; the UPDATE then sets the real value.
        # A downgrade leaves assignment_id in place (see downgrade): reuse it.
        existing = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("submissions")}
        if "assignment_id" not in existing:
            op.execute("ALTER TABLE submissions ADD COLUMN assignment_id INTEGER "
                       "REFERENCES assignments (id)")
        op.execute("ALTER TABLE submissions ADD COLUMN received_at DATETIME NOT NULL "
                   "DEFAULT '1970-01-01 00:00:00.000000'")
        op.execute("ALTER TABLE submissions ADD COLUMN late_penalty DOUBLE")
        # Received when first queued: the best the old rows know.
        op.execute("UPDATE submissions SET received_at = queued_at")
        return
    op.add_column("submissions", sa.Column("assignment_id", sa.Integer(),
                                           sa.ForeignKey("assignments.id"), nullable=True))
    op.add_column("submissions", sa.Column("received_at", TS, nullable=True))
    op.add_column("submissions", sa.Column("late_penalty", sa.Double(), nullable=True))
    op.execute("UPDATE submissions SET received_at = queued_at")
    op.alter_column("submissions", "received_at", existing_type=TS, nullable=False)


def downgrade() -> None:
    op.drop_index("ix_submissions_assignment_id", "submissions")
    # SQLite 3.35+ drops a plain column in place (no table copy, see above);
    # a column with a foreign key it refuses, so that one goes on PostgreSQL only.
    op.drop_column("submissions", "late_penalty")
    op.drop_column("submissions", "received_at")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("submissions", "assignment_id")
    for table in ("extensions", "assignment_exercises", "assignments", "course_members",
                  "courses"):
        op.drop_table(table)
