"""Reference solution for password-storage.

New passwords get argon2id at OWASP's minimum (19 MiB, t=2, p=1). Old
sha256 hashes still verify, and needs_rehash() tells the login code to
replace them (and any weaker argon2 hash) once the password is known.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_MEMORY_KIB = 19_456
MIN_TIME_COST = 2
MIN_PARALLELISM = 1

_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# sha256$<salt hex>$<sha256(salt bytes + utf-8 password) hex>
_LEGACY = re.compile(r"sha256\$((?:[0-9a-f]{2})+)\$([0-9a-f]{64})")


def hash_password(password: str) -> str:
    if not isinstance(password, str):
        raise TypeError("password must be a string")
    if password == "":
        raise ValueError("an empty password cannot be stored")
    return _hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    # Stored values come from a database that may hold anything: never raise.
    if not isinstance(password, str) or not isinstance(stored, str) or password == "":
        return False
    try:
        legacy = _LEGACY.fullmatch(stored)
        if legacy:
            salt = bytes.fromhex(legacy[1])
            digest = hashlib.sha256(salt + password.encode("utf-8")).hexdigest()
            # Constant-time: == would leak how many leading characters match.
            return hmac.compare_digest(digest, legacy[2])
        if stored.startswith("$argon2"):
            # verify() reads the variant and parameters from the hash itself,
            # so hashes made with older settings still verify.
            return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError, ValueError):
        # ValueError also covers UnicodeEncodeError (lone surrogates).
        return False
    return False


def needs_rehash(stored: str) -> bool:
    if not isinstance(stored, str) or not stored.startswith("$argon2"):
        return True  # legacy sha256, or nothing we would ever produce
    try:
        return _hasher.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True
