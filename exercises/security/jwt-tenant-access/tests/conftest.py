"""Token factory for the hidden tests: the IdP's private key lives in data/
(unreadable for the student's user); forged tokens are built by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest

ISSUER = "https://id.school.example/"
AUDIENCE = "notes-api"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def segment(obj: dict[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


class Tokens:
    def __init__(self, data_dir) -> None:
        self.private_key = (data_dir / "idp_private.pem").read_bytes()
        self.public_pem = (data_dir / "idp_public.pem").read_text(encoding="ascii")
        self.attacker_key = (data_dir / "attacker_private.pem").read_bytes()

    @staticmethod
    def new_tenant() -> str:
        return f"school-{uuid.uuid4().hex[:10]}"

    @staticmethod
    def claims(tenant: str, /, subject: str | None = None, **changes: Any) -> dict[str, Any]:
        """Valid claims for the tenant; a change to None removes that claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or f"user-{uuid.uuid4().hex[:8]}",
            "tenant": tenant,
            "iat": now,
            "exp": now + 3600,
        }
        for name, value in changes.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def sign(self, claims: dict[str, Any], headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)

    def token(self, tenant: str, /, subject: str | None = None, **changes: Any) -> str:
        return self.sign(self.claims(tenant, subject, **changes))

    def tampered(self, token: str, claims: dict[str, Any]) -> str:
        """The token's header and signature around other claims."""
        header, _, signature = token.split(".")
        return f"{header}.{segment(claims)}.{signature}"

    def by_attacker(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.attacker_key, algorithm="RS256")

    @staticmethod
    def unsigned(claims: dict[str, Any], alg: str = "none", signature: str = "") -> str:
        return f"{segment({'alg': alg, 'typ': 'JWT'})}.{segment(claims)}.{signature}"

    @staticmethod
    def hmac_signed(claims: dict[str, Any], key: bytes, alg: str = "HS256") -> str:
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signing_input = f"{segment({'alg': alg, 'typ': 'JWT'})}.{segment(claims)}"
        signature = hmac.new(key, signing_input.encode("ascii"), digest).digest()
        return f"{signing_input}.{b64url(signature)}"


@pytest.fixture(scope="session")
def tokens(data_dir) -> Tokens:
    return Tokens(data_dir)
