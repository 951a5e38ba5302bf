"""users.session_version: the number every page session of a user carries;
raising it (sign out everywhere, a role or password change) ends them all.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Existing users start at 0, the version a cookie without one is read as,
    # so nobody is signed out by the upgrade itself.
    op.add_column(
        "users",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # SQLite drops a column only through a table copy (batch mode).
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
