"""Users and API tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from grader.auth import (
    hash_password,
    hash_token,
    looks_like_token,
    new_token,
    shown_prefix,
    verify_password,
)
from grader.db import ApiToken, Database, Role, User, utcnow
from grader.services.errors import Conflict, Invalid, NotFound

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def create_user(*, db: Database, name: str, role: Role, password: str | None = None) -> User:
    if not NAME_RE.fullmatch(name):
        raise Invalid(f"user name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-'")
    with db.session() as session:
        if session.scalar(select(User).where(User.name == name)) is not None:
            raise Conflict(f"user {name!r} already exists")
        user = User(name=name, role=role.value,
                    password_hash=hash_password(password) if password else None)
        session.add(user)
        session.flush()
        return user


def get_user(*, db: Database, name: str) -> User:
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}")
        return user


def create_token(*, db: Database, name: str) -> tuple[User, str]:
    """A new token for the user; the clear token is returned once, never stored."""
    token = new_token()
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}; add one with `grader users add {name}`")
        session.add(ApiToken(user_id=user.id, token_hash=hash_token(token),
                             prefix=shown_prefix(token)))
        return user, token


def user_for_token(*, db: Database, token: str) -> User | None:
    """The token's user, or None for an unknown or revoked token."""
    if not looks_like_token(token):
        return None
    with db.reading() as session:
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        if row is None or row.revoked_at is not None:
            return None
        return row.user


def user_for_password(*, db: Database, name: str, password: str) -> User | None:
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
    if user is None or not verify_password(user.password_hash, password):
        return None
    return user


def revoke_tokens(*, db: Database, name: str) -> int:
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}")
        rows = session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for row in rows:
            row.revoked_at = utcnow()
        return len(rows)
