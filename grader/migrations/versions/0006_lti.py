"""LTI 1.3: registered platforms and their deployments, the identities,
contexts, resource links and line items launches record, the score
passbacks, and the launch nonces (each usable once). New tables only: no
existing table changes, so SQLite needs no ALTER at all.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

TS = sa.DateTime(timezone=True)
URL = 2000
LTI_ID = 255

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _platform() -> sa.Column[int]:
    return sa.Column("platform_id", sa.Integer(),
                     sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("issuer", sa.String(URL), nullable=False),
        sa.Column("client_id", sa.String(LTI_ID), nullable=False),
        sa.Column("auth_login_url", sa.String(URL), nullable=False),
        sa.Column("auth_token_url", sa.String(URL), nullable=False),
        sa.Column("key_set_url", sa.String(URL), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("issuer", "client_id"),
    )
    op.create_table(
        "lti_deployments",
        sa.Column("id", sa.Integer(), primary_key=True),
        _platform(),
        sa.Column("deployment_id", sa.String(LTI_ID), nullable=False),
        sa.UniqueConstraint("platform_id", "deployment_id"),
    )
    op.create_table(
        "lti_identities",
        sa.Column("id", sa.Integer(), primary_key=True),
        _platform(),
        sa.Column("sub", sa.String(LTI_ID), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("platform_id", "sub"),
    )
    op.create_index("ix_lti_identities_user_id", "lti_identities", ["user_id"])
    op.create_table(
        "lti_contexts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _platform(),
        sa.Column("context_id", sa.String(LTI_ID), nullable=False),
        sa.Column("course_id", sa.Integer(), sa.ForeignKey("courses.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("memberships_url", sa.String(URL)),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("platform_id", "context_id"),
    )
    op.create_index("ix_lti_contexts_course_id", "lti_contexts", ["course_id"])
    op.create_table(
        "lti_resource_links",
        sa.Column("id", sa.Integer(), primary_key=True),
        _platform(),
        sa.Column("resource_link_id", sa.String(LTI_ID), nullable=False),
        sa.Column("course_id", sa.Integer(), sa.ForeignKey("courses.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("assignment_id", sa.Integer(),
                  sa.ForeignKey("assignments.id", ondelete="SET NULL")),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("platform_id", "resource_link_id"),
    )
    op.create_index("ix_lti_resource_links_course_id", "lti_resource_links", ["course_id"])
    op.create_table(
        "lti_line_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        _platform(),
        sa.Column("lineitem_url", sa.String(URL), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("assignment_id", "platform_id"),
    )
    op.create_table(
        "lti_passbacks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("line_item_id", sa.Integer(),
                  sa.ForeignKey("lti_line_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("assignment_id", sa.Integer(),
                  sa.ForeignKey("assignments.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("score_sent", sa.Double()),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("line_item_id", "user_id"),
    )
    op.create_index("ix_lti_passbacks_assignment_id", "lti_passbacks", ["assignment_id"])
    op.create_index("ix_lti_passbacks_user_id", "lti_passbacks", ["user_id"])
    op.create_table(
        "lti_nonces",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nonce", sa.String(LTI_ID), nullable=False, unique=True),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_index("ix_lti_nonces_expires_at", "lti_nonces", ["expires_at"])


def downgrade() -> None:
    for table in ("lti_nonces", "lti_passbacks", "lti_line_items", "lti_resource_links",
                  "lti_contexts", "lti_identities", "lti_deployments", "lti_platforms"):
        op.drop_table(table)
