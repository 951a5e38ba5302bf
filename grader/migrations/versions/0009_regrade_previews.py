"""Regrade previews (what a regrade would do to each score, graded in the
sandbox without recording anything) and the proving sweep's bookkeeping
(how often a stalled version's proving was started again). New tables only.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "regrade_previews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.Integer(),
                  sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done_count", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_regrade_previews_scope", "regrade_previews", ["scope"])
    op.create_table(
        "regrade_preview_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("preview_id", sa.Integer(),
                  sa.ForeignKey("regrade_previews.id", ondelete="CASCADE"), nullable=False),
        sa.Column("submission_id", sa.String(36),
                  sa.ForeignKey("submissions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("old_score", sa.Double(), nullable=True),
        sa.Column("old_max", sa.Double(), nullable=True),
        sa.Column("new_score", sa.Double(), nullable=True),
        sa.Column("new_max", sa.Double(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("preview_id", "submission_id"),
    )
    op.create_index("ix_regrade_preview_items_preview_id", "regrade_preview_items",
                    ["preview_id"])
    op.create_index("ix_regrade_preview_items_submission_id", "regrade_preview_items",
                    ["submission_id"])
    op.create_table(
        "proving_retries",
        sa.Column("version_id", sa.Integer(),
                  sa.ForeignKey("exercise_versions.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("enqueued", sa.Integer(), nullable=False),
        sa.Column("last_enqueued_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("proving_retries")
    op.drop_index("ix_regrade_preview_items_submission_id", "regrade_preview_items")
    op.drop_index("ix_regrade_preview_items_preview_id", "regrade_preview_items")
    op.drop_table("regrade_preview_items")
    op.drop_index("ix_regrade_previews_scope", "regrade_previews")
    op.drop_table("regrade_previews")
