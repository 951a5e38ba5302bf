"""Users, passwords, page sessions and API tokens."""

from __future__ import annotations

import re
import time
from functools import lru_cache

from sqlalchemy import select, update

from grader.auth import (
    hash_password,
    hash_token,
    looks_like_token,
    new_token,
    shown_prefix,
    verify_password,
)
from grader.auth.throttle import LoginThrottle
from grader.db import ApiToken, Database, Role, User, utcnow
from grader.services import token_cache
from grader.services.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8  # for changes; accounts made by an admin or the CLI are not checked


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
    """The token's user, or None for an unknown or revoked token. Asks the
    database and remembers a valid token for a moment (remembered_user)."""
    if not looks_like_token(token):
        return None
    digest = hash_token(token)
    read_at = time.monotonic()
    with db.reading() as session:
        user = session.scalar(
            select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if user is not None:
        token_cache.for_database(db).put(digest, user, read_at=read_at)
    return user


def remembered_user(*, db: Database, token: str) -> User | None:
    """The token's user if user_for_token found it valid less than
    token_cache.TOKEN_CACHE_TTL seconds ago; None: ask user_for_token. Memory
    only: cheap enough for the event loop."""
    if not looks_like_token(token):
        return None
    return token_cache.for_database(db).get(hash_token(token))


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password("no such user")


def user_for_password(*, db: Database, name: str, password: str) -> User | None:
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
    if user is None:
        # As slow as a real check, so the answer's time does not tell which
        # names exist.
        verify_password(_decoy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    return user


def sign_in(*, db: Database, throttle: LoginThrottle, name: str, password: str,
            address: str | None) -> User:
    """The user these credentials name, for the page sign-in and the token route.

    Raises RateLimited while this (name, address) pair must wait after repeated
    failures, Unauthorized for a wrong name or password (the two look alike)."""
    wait = throttle.wait(name, address)
    if wait is not None:
        raise RateLimited(f"too many failed attempts for this name from your address; "
                          f"try again in {wait} s", wait)
    user = user_for_password(db=db, name=name, password=password) if password else None
    if user is None:
        throttle.failed(name, address)
        raise Unauthorized("wrong name or password")
    throttle.succeeded(name, address)
    return user


def set_password(*, db: Database, name: str, password: str) -> User:
    """A new password; every page session of the user ends (they sign in again)."""
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"a new password needs at least {MIN_PASSWORD} characters")
    password_hash = hash_password(password)
    with db.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise NotFound(f"no user {name!r}")
        user.password_hash = password_hash
        # In SQL (version + 1), so a concurrent "sign out everywhere" is not lost.
        user.session_version = User.session_version + 1
        session.flush()
        session.refresh(user)
        return user


def end_sessions(*, db: Database, user_id: int) -> None:
    """Sign the user out everywhere: every cookie issued so far stops working."""
    with db.session() as session:
        # One UPDATE, so two concurrent bumps both count.
        session.execute(update(User).where(User.id == user_id)
                        .values(session_version=User.session_version + 1))


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
    token_cache.forget_all(db)  # after the commit: a lookup now sees the revocation
    return len(rows)
