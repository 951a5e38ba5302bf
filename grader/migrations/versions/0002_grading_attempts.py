"""submissions.grading_attempts: claims in the current run, counted at claim
time so a grading that never finishes is capped (GRADER_GRADE_MAX_ATTEMPTS).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing rows start at zero: a submission running during the upgrade
    # gets the whole budget, as it would after a regrade.
    op.add_column(
        "submissions",
        sa.Column("grading_attempts", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("submissions", "grading_attempts")
