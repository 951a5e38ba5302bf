"""Administration: users, roles and API tokens (the admin pages and the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from grader.db import ApiToken, Database, Role, User, utcnow
from grader.services import token_cache
from grader.services.errors import Conflict, Invalid, NotFound


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def list_users(*, db: Database) -> list[User]:
    with db.reading() as session:
        return list(session.scalars(select(User).order_by(User.name)))


def get_user_by_id(*, db: Database, user_id: int) -> User | None:
    with db.reading() as session:
        return session.get(User, user_id)


def set_role(*, db: Database, name: str, role: str, acting: User) -> User:
    """Change a user's role, ending their page sessions; an admin cannot take
    the admin role from themselves (so a site always keeps one)."""
    try:
        new_role = Role(role)
    except ValueError:
        raise Invalid(f"unknown role {role!r}") from None
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}")
        if user.id == acting.id and new_role is not Role.ADMIN:
            raise Conflict("you cannot take the admin role from yourself")
        if user.role != new_role.value:
            user.role = new_role.value
            # Pages opened under the old role end: the user signs in again.
            # In SQL (version + 1), so a concurrent bump is not lost.
            user.session_version = User.session_version + 1
            session.flush()
            session.refresh(user)
    token_cache.forget_all(db)  # after the commit: API tokens now carry the new role
    return user


def list_tokens(*, db: Database) -> list[TokenInfo]:
    with db.reading() as session:
        rows = session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()
        return [TokenInfo(id=row.id, user=row.user.name, prefix=row.prefix,
                          created_at=row.created_at, revoked_at=row.revoked_at)
                for row in rows]


def revoke_token(*, db: Database, token_id: int) -> TokenInfo:
    """Revoke one token (idempotent: revoking a revoked token changes nothing)."""
    with db.session() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"no token {token_id}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        info = TokenInfo(id=row.id, user=row.user.name, prefix=row.prefix,
                         created_at=row.created_at, revoked_at=row.revoked_at)
    token_cache.forget_all(db)  # after the commit: the next request asks the database
    return info
