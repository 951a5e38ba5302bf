"""API tokens: random, shown once, stored as a SHA-256 digest.

A token carries 256 bits from the OS's random source, so nobody can guess it
or brute-force its digest; a fast hash is enough and keeps each API request
cheap (argon2 is for low-entropy passwords). Lookup is by digest, so
comparing is an indexed equality on a value that reveals nothing.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "grd_"  # makes leaked tokens easy to spot (secret scanners, logs)
PREFIX_SHOWN = 10  # characters kept in clear to tell a user's tokens apart


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and 20 <= len(value) <= 100


def shown_prefix(token: str) -> str:
    return token[:PREFIX_SHOWN]
