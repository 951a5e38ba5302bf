"""Passwords: SHA-256 with an application-wide salt (a pepper)."""

import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

APP_SALT = b"3f9c1e7a-app-salt"
_LEGACY = re.compile(r"sha256\$((?:[0-9a-f]{2})+)\$([0-9a-f]{64})")
_argon2 = PasswordHasher()


def _digest(salt: bytes, password: str) -> str:
    return hashlib.sha256(salt + password.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("empty password")
    return f"sha256${APP_SALT.hex()}${_digest(APP_SALT, password)}"


def verify_password(password: str, stored: str) -> bool:
    if not password:
        return False
    try:
        match = _LEGACY.fullmatch(stored)
        if match:
            return hmac.compare_digest(_digest(bytes.fromhex(match[1]), password), match[2])
        if stored.startswith("$argon2"):
            return _argon2.verify(stored, password)
    except (VerificationError, InvalidHashError, ValueError):
        return False
    return False


def needs_rehash(stored: str) -> bool:
    # Our own hashes are up to date; every other scheme gets replaced.
    return not stored.startswith(f"sha256${APP_SALT.hex()}$")
