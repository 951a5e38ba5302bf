"""test_results.author_output: what student code and the test printed while
that test ran (report version 3), for authors only.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Null for earlier gradings (their reports had no per-test output).
    op.add_column("test_results", sa.Column("author_output", sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column only through a table copy (batch mode).
    with op.batch_alter_table("test_results") as batch:
        batch.drop_column("author_output")
