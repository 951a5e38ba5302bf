"""Accounts: argon2 password hashes, hashed API tokens, roles."""

from grader.auth.credentials import (
    TOKEN_PREFIX,
    Role,
    hash_password,
    hash_token,
    looks_like_token,
    new_token,
    shown_prefix,
    verify_password,
)
from grader.auth.throttle import LoginThrottle

__all__ = [
    "TOKEN_PREFIX",
    "LoginThrottle",
    "Role",
    "hash_password",
    "hash_token",
    "looks_like_token",
    "new_token",
    "shown_prefix",
    "verify_password",
]
