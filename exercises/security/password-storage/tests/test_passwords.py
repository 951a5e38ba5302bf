"""Hidden tests for password-storage.

The student's module runs in another process; `student.f(...)` calls it.
Hash strings are parsed here, never trusted: the parameters are read from
the string and the hash is checked with argon2-cffi on the harness side.
Argon2 at m=19 MiB costs ~30 ms, so each test hashes at most twice.
"""

from __future__ import annotations

import base64
import builtins
import json
import re

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

import grader_harness

PHC = re.compile(
    r"\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)"
)
MIN_M, MIN_T, MIN_P = 19_456, 2, 1


def load_data(data_dir) -> dict:
    return json.loads((data_dir / "hashes.json").read_text(encoding="utf-8"))


def b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def short(value: str, limit: int = 70) -> str:
    """One of this test's own inputs, shortened for a message. Never the student's
    reply: their module gets the hidden inputs and could return them."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def raised(exc: grader_harness.StudentError) -> str:
    """What the student's code raised, named only if Python defines the type: a
    class of the student's own naming could carry the test's inputs out."""
    known = isinstance(getattr(builtins, exc.type, None), type)
    return exc.type if known else "a non-built-in exception"


def new_hash(student, password: str) -> str:
    stored = student.hash_password(password)
    assert isinstance(stored, str), (
        f"hash_password must return a str, it returned {type(stored).__name__}"
    )
    return stored


def parse(stored: str) -> re.Match[str]:
    match = PHC.fullmatch(stored)
    assert match, (
        "hash_password must return an Argon2id PHC string like "
        "$argon2id$v=19$m=...,t=...,p=...$<salt>$<hash>; what it returned is not one"
    )
    return match


def independent_verify(stored: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(stored, password)
    except (Argon2Error, InvalidHashError):
        return False


def verify(student, password: str, stored: str, what: str) -> bool:
    try:
        result = student.verify_password(password, stored)
    except grader_harness.StudentError as exc:
        raise grader_harness.Feedback(
            f"verify_password raised {raised(exc)} for {what}; it must return True or False"
        ) from None
    assert isinstance(result, bool), (
        f"verify_password must return a bool, it returned {type(result).__name__} for {what}"
    )
    return result


def rehash(student, stored: str, what: str) -> bool:
    try:
        result = student.needs_rehash(stored)
    except grader_harness.StudentError as exc:
        raise grader_harness.Feedback(f"needs_rehash raised {raised(exc)} for {what}") from None
    assert isinstance(result, bool), f"needs_rehash must return a bool for {what}"
    return result


@pytest.mark.points(2)
@pytest.mark.hint("Use argon2-cffi's PasswordHasher (type Argon2id) and return its string as is.")
def test_hash_is_argon2id_phc_string(student):
    password = "Correct Horse Battery Staple 42"
    stored = new_hash(student, password)
    match = parse(stored)
    assert len(b64(match["salt"])) >= 16, "the salt must be at least 16 bytes"
    assert len(b64(match["hash"])) >= 16, "the hash itself must be at least 16 bytes"
    assert independent_verify(stored, password), (
        "the returned string is not a valid Argon2id hash of the password"
    )


@pytest.mark.points(2)
@pytest.mark.hint("OWASP's minimum for Argon2id is m=19456 (19 MiB), t=2, p=1.")
def test_parameters_meet_owasp_minimum(student):
    match = parse(new_hash(student, "parameters please"))
    m, t, p = int(match["m"]), int(match["t"]), int(match["p"])
    assert m >= MIN_M, f"memory cost m={m} KiB is below the minimum of {MIN_M} KiB"
    assert t >= MIN_T, f"time cost t={t} is below the minimum of {MIN_T}"
    assert p >= MIN_P, f"parallelism p={p} is below the minimum of {MIN_P}"


@pytest.mark.points(1)
@pytest.mark.hint("Every hash needs its own random salt; never reuse or hard-code one.")
def test_salts_are_unique(student):
    first = new_hash(student, "same password twice")
    second = new_hash(student, "same password twice")
    assert first != second, "hashing the same password twice gave the same string"
    salts = [s.split("$")[-2] if s.count("$") >= 2 else s for s in (first, second)]
    assert salts[0] != salts[1], "hashing the same password twice used the same salt"
    for stored in (first, second):
        assert verify(student, "same password twice", stored, "a fresh hash"), (
            "verify_password rejected the right password for a fresh hash"
        )


@pytest.mark.points(2)
@pytest.mark.hint("verify_password is True for the exact password only; everything else is False.")
def test_verify_right_and_wrong_password(student):
    password = "tr0ub4dor & 3 horses"
    stored = new_hash(student, password)
    assert verify(student, password, stored, "the right password") is True, (
        "verify_password rejected the right password"
    )
    for wrong in ("tr0ub4dor & 3 horse", "Tr0ub4dor & 3 horses", password + " ", "x"):
        assert verify(student, wrong, stored, "a wrong password") is False, (
            "verify_password accepted a wrong password (a near miss of the right one)"
        )


@pytest.mark.points(2)
@pytest.mark.hint(
    "Stored values can be anything: catch parsing and argon2 errors and return False."
)
def test_verify_never_raises_on_garbage(student, data_dir):
    data = load_data(data_dir)
    good_argon2 = data["weak_argon2"][0]["hash"]
    good_legacy = data["legacy"][0]["hash"]
    head = "$argon2id$v=19$m=19456,t=2,p=1$"
    garbage = [
        "",
        "not a hash",
        "$",
        "$argon2id$",
        head,
        head + "c2FsdHNhbHRzYWx0c2FsdA$",
        head + "!!!!$!!!!",
        head + "A" * 22 + "$" + "B" * 43,
        "$argon2id$v=19$m=abc,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2x$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        good_argon2[: len(good_argon2) // 2],
        good_argon2 + "$extra",
        "$2b$12$" + "a" * 53,
        "sha256$",
        "sha256$$",
        "sha256$zz$" + "0" * 64,
        "sha256$abc$" + "0" * 64,
        "sha256$00$xyz",
        "sha256$00$" + "0" * 63,
        good_legacy + "$extra",
        good_legacy[:-10],
        "md5$00$" + "0" * 32,
        "x" * 5000,
    ]
    for stored in garbage:
        result = verify(student, "hunter22", stored, f"the malformed stored value {short(stored)}")
        assert result is False, (
            f"verify_password returned True for the malformed stored value {short(stored)}"
        )


@pytest.mark.points(9)
@pytest.mark.hint(
    "During the migration the database holds legacy sha256 hashes and Argon2id hashes side by "
    "side: verify_password must accept both. Legacy digest: "
    "sha256(bytes.fromhex(salt) + password.encode('utf-8')).hexdigest()."
)
def test_legacy_hashes_verify(student, data_dir):
    data = load_data(data_dir)
    for entry in data["legacy"]:
        password, stored = entry["password"], entry["hash"]
        assert verify(student, password, stored, "a legacy hash") is True, (
            "verify_password rejected the right password for a legacy sha256 hash"
        )
        assert verify(student, "wrong-" + password, stored, "a legacy hash") is False, (
            "verify_password accepted a wrong password for a legacy sha256 hash"
        )
    # The same database already holds migrated users: both kinds must verify.
    current = data["argon2_current"]
    what = "an Argon2id hash of a user who already migrated"
    assert verify(student, current["password"], current["hash"], what) is True, (
        f"verify_password rejected the right password for {what}: legacy and Argon2id hashes "
        "must both verify"
    )
    assert verify(student, current["password"] + "!", current["hash"], what) is False, (
        f"verify_password accepted a wrong password for {what}"
    )


@pytest.mark.points(2)
@pytest.mark.hint("needs_rehash: True for legacy sha256 hashes, False for hash_password's own.")
def test_needs_rehash_flags_legacy_not_fresh(student, data_dir):
    for entry in load_data(data_dir)["legacy"]:
        assert rehash(student, entry["hash"], "a legacy hash") is True, (
            "needs_rehash must be True for a legacy sha256 hash"
        )
    fresh = new_hash(student, "brand new hash")
    assert rehash(student, fresh, "a fresh hash") is False, (
        "needs_rehash must be False for a hash hash_password has just made"
    )


@pytest.mark.points(1)
@pytest.mark.hint("Old Argon2 hashes keep their own parameters in the string: verify reads them.")
def test_weak_argon2_hashes_still_verify(student, data_dir):
    for entry in load_data(data_dir)["weak_argon2"]:
        password, stored = entry["password"], entry["hash"]
        what = f"an older Argon2 hash ({entry['why']})"
        assert verify(student, password, stored, what) is True, (
            f"verify_password rejected the right password for {what}"
        )
        assert verify(student, password + "?", stored, what) is False, (
            f"verify_password accepted a wrong password for {what}"
        )


@pytest.mark.points(1)
@pytest.mark.hint("Read the parameters from the stored hash and compare them with the minimum.")
def test_weak_argon2_needs_rehash(student, data_dir):
    for entry in load_data(data_dir)["weak_argon2"]:
        what = f"an older Argon2 hash ({entry['why']})"
        assert rehash(student, entry["hash"], what) is True, f"needs_rehash must be True for {what}"


@pytest.mark.points(1)
@pytest.mark.hint("Encode passwords as UTF-8 and keep every character.")
def test_unicode_passwords(student):
    password = "pässwörd-пароль-パスワード-🔐"
    stored = new_hash(student, password)
    assert verify(student, password, stored, "a Unicode password") is True, (
        "verify_password rejected the right Unicode password"
    )
    for lossy in (
        password.encode("ascii", "replace").decode(),
        password.encode("ascii", "ignore").decode(),
        password[:-1],
    ):
        assert verify(student, lossy, stored, "a Unicode password") is False, (
            "a Unicode password verified against a different password: are characters lost?"
        )


@pytest.mark.points(1)
@pytest.mark.hint("Argon2 has no length limit; don't truncate (bcrypt stops at 72 bytes).")
def test_long_passwords_not_truncated(student):
    password = "correct horse battery staple " * 4 + "!"
    stored = new_hash(student, password)
    assert verify(student, password, stored, "a long password") is True, (
        "verify_password rejected the right 117-character password"
    )
    for other in (password[:72], password[:-1] + "?"):
        assert verify(student, other, stored, "a long password") is False, (
            "a long password verified against a different password that shares its beginning"
        )


@pytest.mark.points(1)
@pytest.mark.hint("hash_password('') raises ValueError; verify_password('', ...) is always False.")
def test_empty_password(student, data_dir):
    try:
        stored = student.hash_password("")
    except grader_harness.StudentError as exc:
        assert exc.type == "ValueError", (
            f"hash_password('') must raise ValueError, not {raised(exc)}"
        )
    else:
        raise grader_harness.Feedback(
            "hash_password('') must raise ValueError; it returned a value "
            f"({type(stored).__name__})"
        )
    data = load_data(data_dir)
    for stored in (data["argon2_empty"], data["legacy_empty"]):
        assert verify(student, "", stored, "the empty password") is False, (
            "verify_password('', stored) must be False, even for a hash of the empty string"
        )


@pytest.mark.points(1)
@pytest.mark.hint(
    "Compare the legacy digest with hmac.compare_digest: == stops at the first differing "
    "character and leaks, through its timing, how much of the digest matched."
)
def test_legacy_digest_compared_in_constant_time(workspace):
    source = (workspace / "passwords.py").read_text(encoding="utf-8")
    assert "compare_digest" in source, (
        "passwords.py never calls hmac.compare_digest (or secrets.compare_digest): compare "
        "digests in constant time, not with =="
    )


@pytest.mark.points(1)
@pytest.mark.hint(
    "needs_rehash answers True for a string that is not a hash at all; it never raises."
)
def test_needs_rehash_true_for_non_hashes(student):
    for stored in ("not a hash", "", "$argon2id$v=19$m=oops", "md5$00$" + "0" * 32):
        assert rehash(student, stored, f"the stored value {short(stored)}") is True, (
            f"needs_rehash must be True for {short(stored)}, which is not a hash it accepts"
        )
