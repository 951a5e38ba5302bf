"""Initial schema: users, tokens, exercise versions, submissions, gradings,
per-test results, webhook deliveries.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "exercises",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, index=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("slug", "content_hash"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_used_at", TS),
        sa.Column("revoked_at", TS),
    )
    # submissions.current_grading_id and gradings.submission_id point at each
    # other: PostgreSQL gets the first foreign key once both tables exist;
    # SQLite (which cannot add one later) accepts a forward reference.
    current_fk = (
        [sa.ForeignKeyConstraint(["current_grading_id"], ["gradings.id"],
                                 name="fk_submissions_current_grading")]
        if sqlite else []
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("exercise_id", sa.Integer(), sa.ForeignKey("exercises.id"), nullable=False),
        sa.Column("exercise_slug", sa.String(64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("files_bytes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("callback_url", sa.String(2000)),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("infra_failures", sa.Integer(), nullable=False),
        sa.Column("run_failures", sa.Integer(), nullable=False),
        sa.Column("attempt_number", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.Column("claim", sa.String(64)),
        sa.Column("lease_until", TS),
        sa.Column("current_grading_id", sa.Integer()),
        sa.Column("queued_at", TS, nullable=False),
        sa.Column("enqueued_at", TS),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.UniqueConstraint("user_id", "idempotency_key"),
        *current_fk,
    )
    op.create_index("ix_submissions_user_slug", "submissions", ["user_id", "exercise_slug"])
    op.create_table(
        "gradings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "submission_id", sa.String(36), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("exercise_id", sa.Integer(), sa.ForeignKey("exercises.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("outcome", sa.String(32)),
        sa.Column("score", sa.Double()),
        sa.Column("max_score", sa.Double()),
        sa.Column("message", sa.Text()),
        sa.Column("output", sa.Text()),
        sa.Column("duration", sa.Double()),
        sa.Column("worker", sa.String(200)),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS, nullable=False),
    )
    if not sqlite:
        op.create_foreign_key(
            "fk_submissions_current_grading", "submissions", "gradings",
            ["current_grading_id"], ["id"],
        )
    op.create_table(
        "test_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "grading_id", sa.Integer(), sa.ForeignKey("gradings.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("test_id", sa.String(500), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.Column("max_points", sa.Double(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("hint", sa.Text()),
        sa.Column("message", sa.Text()),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "submission_id", sa.String(36), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
            nullable=False, index=True,
        ),
        sa.Column("grading_id", sa.Integer(), sa.ForeignKey("gradings.id", ondelete="SET NULL")),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("error", sa.Text()),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_submissions_current_grading", "submissions", type_="foreignkey")
    for table in ("webhook_deliveries", "test_results", "gradings", "submissions",
                  "api_tokens", "exercises", "users"):
        op.drop_table(table)
