"""One owner per published slug: a partial unique index on exercise_owners
(slug) where role = 'owner', so two authors publishing the same new slug at
the same moment cannot both become its owner (the second insert fails and
the service answers 403). Rows left by that race before this revision are
mended first: the earliest owner row stays owner, later ones become
co-authors (nobody loses access).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

INDEX = "uq_exercise_owners_one_owner"
OWNER = sa.text("role = 'owner'")


def upgrade() -> None:
    op.execute(sa.text(
        "UPDATE exercise_owners SET role = 'co-author' WHERE role = 'owner' AND id > "
        "(SELECT MIN(o.id) FROM exercise_owners o WHERE o.slug = exercise_owners.slug "
        "AND o.role = 'owner')"))
    op.create_index(INDEX, "exercise_owners", ["slug"], unique=True,
                    sqlite_where=OWNER, postgresql_where=OWNER)


def downgrade() -> None:
    op.drop_index(INDEX, "exercise_owners")
