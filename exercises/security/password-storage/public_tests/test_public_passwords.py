"""Public tests: a sample of how the grader calls your module."""

from __future__ import annotations

README_LEGACY = (
    "sha256$8f3a1c2e9b7d4f60$2853bd539657903eacaf5df27c2cac8ae3162e10c374fc25caf0011c2bb2f376"
)


def test_hash_then_verify(student):
    stored = student.hash_password("my secret passphrase")
    assert isinstance(stored, str)
    assert student.verify_password("my secret passphrase", stored) is True
    assert student.verify_password("not my passphrase", stored) is False


def test_readme_legacy_example_verifies(student):
    assert student.verify_password("open sesame", README_LEGACY) is True
    assert student.verify_password("open sesame!", README_LEGACY) is False
