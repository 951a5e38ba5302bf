"""Passwords: argon2id, with legacy sha256 support."""

import hashlib
import hmac

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import VerifyMismatchError

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    if password == "":
        raise ValueError("empty password")
    return _hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if password == "":
        return False
    if stored.startswith("sha256$"):
        _, salt, digest = stored.split("$")
        computed = hashlib.sha256(bytes.fromhex(salt) + password.encode("utf-8")).hexdigest()
        return hmac.compare_digest(computed, digest)
    try:
        return _hasher.verify(stored, password)
    except VerifyMismatchError:
        return False


def needs_rehash(stored: str) -> bool:
    if stored.startswith("sha256$"):
        return True
    params = extract_parameters(stored)
    return params.type != Type.ID or params.memory_cost < 19456 or params.time_cost < 2
