"""Credentials and roles.

- Passwords are chosen by people: argon2id (argon2-cffi's defaults, RFC 9106
  low-memory), slow, salted and memory-hard.
- API tokens carry 256 bits from the OS's random source, so nobody can guess
  one or brute-force its digest: a fast SHA-256 is enough and keeps each
  request cheap. They are shown once and looked up by digest (an indexed
  equality on a value that reveals nothing).
"""

from __future__ import annotations

import enum
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TOKEN_PREFIX = "grd_"  # makes leaked tokens easy to spot (secret scanners, logs)
PREFIX_SHOWN = 10  # characters kept in clear to tell a user's tokens apart

_hasher = PasswordHasher()


class Role(enum.StrEnum):
    STUDENT = "student"  # sees their own submissions
    AUTHOR = "author"  # sees every submission, asks for regrades
    ADMIN = "admin"

    @property
    def sees_all(self) -> bool:
        return self is not Role.STUDENT


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("a password may not be empty")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; False for a mismatch or no password set."""
    if not stored_hash:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and 20 <= len(value) <= 100


def shown_prefix(token: str) -> str:
    return token[:PREFIX_SHOWN]
