"""The LTI 1.3 tables: the platforms (LMSs) an admin registered, and what their
launches taught us: who a platform's user is here, which course a context is,
which assignment a resource link opens, where an assignment's line item lives,
and the score passbacks with their state. Also the launch nonces: the
library only checks that a nonce was issued; this table makes it usable once,
across every API process (per-process memory would let a replay in elsewhere).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grader.db.models import Base, utcnow

URL = 2000
LTI_ID = 255  # sub, context id, resource link id: the spec caps them at 255


class LtiPlatform(Base):
    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(URL))
    client_id: Mapped[str] = mapped_column(String(LTI_ID))
    auth_login_url: Mapped[str] = mapped_column(String(URL))
    auth_token_url: Mapped[str] = mapped_column(String(URL))
    key_set_url: Mapped[str] = mapped_column(String(URL))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployments: Mapped[list[LtiDeployment]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="LtiDeployment.id")


class LtiDeployment(Base):
    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(LTI_ID))


class LtiIdentity(Base):
    """A platform's user (iss, sub) is this local user; never matched by name."""

    __tablename__ = "lti_identities"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(LTI_ID))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiContext(Base):
    """A platform's course (context) is this course; its NRPS URL for roster syncs."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(LTI_ID))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    memberships_url: Mapped[str | None] = mapped_column(String(URL))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiResourceLink(Base):
    """A link placed in the LMS; it opens its assignment (none: the course page)."""

    __tablename__ = "lti_resource_links"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(LTI_ID))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignments.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiLineItem(Base):
    """Where an assignment's scores go on one platform (the AGS claim of its launches)."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("assignment_id", "platform_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    lineitem_url: Mapped[str] = mapped_column(String(URL))
    scopes: Mapped[str] = mapped_column(Text)  # space-separated, as the claim gave them
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiPassback(Base):
    """One student's score on one line item: pending -> sent | failed (| held:
    nothing to post, or scores not released). Re-marked pending on each change."""

    __tablename__ = "lti_passbacks"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("lti_line_items.id", ondelete="CASCADE"))
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"),
                                               index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    score_sent: Mapped[float | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiNonce(Base):
    __tablename__ = "lti_nonces"
    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(LTI_ID), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
