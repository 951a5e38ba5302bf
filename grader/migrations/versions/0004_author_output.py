"""gradings.author_output: all of the student code's output, for authors only;
`output` keeps what the exercise's output policy shows the student.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Null for earlier gradings: their `output` was all of it (services.views).
    op.add_column("gradings", sa.Column("author_output", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column only through a table copy (batch mode).
    with op.batch_alter_table("gradings") as batch:
        batch.drop_column("author_output")
