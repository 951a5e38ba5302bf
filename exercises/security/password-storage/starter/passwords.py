"""Password storage as the application does it today.

This is the legacy scheme: one round of salted SHA-256. It is fast, which is
exactly what an attacker with a stolen database wants. Read README.md.
"""

from __future__ import annotations

import hashlib
import os


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.sha256(salt + password.encode("utf-8")).hexdigest()
    return f"sha256${salt.hex()}${digest}"


def verify_password(password: str, stored: str) -> bool:
    scheme, salt_hex, digest = stored.split("$")
    salt = bytes.fromhex(salt_hex)
    return hashlib.sha256(salt + password.encode("utf-8")).hexdigest() == digest


def needs_rehash(stored: str) -> bool:
    return False
