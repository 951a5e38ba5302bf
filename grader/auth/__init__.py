"""Accounts: argon2 password hashes, hashed API tokens, roles."""

from grader.auth.passwords import hash_password, verify_password
from grader.auth.tokens import TOKEN_PREFIX, hash_token, new_token

__all__ = ["TOKEN_PREFIX", "hash_password", "hash_token", "new_token", "verify_password"]
