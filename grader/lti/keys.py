"""The tool's RSA key pair: it signs deep-linking responses and the client
assertions that buy AGS/NRPS access tokens. Kept in the data folder like the
secret key (grader.services.config), created once, readable by its owner only,
so the API and every worker on this machine sign with the same key, and the
JWKS the platforms fetch (`/lti/jwks`) stays valid across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK  # type: ignore[import-untyped]

from grader.services import config
from grader.settings import Settings

KEY_FILE = "lti_private_key.pem"


@dataclass(frozen=True)
class ToolKey:
    private_pem: str
    public_pem: str
    kid: str  # the JWK thumbprint: platforms pick our key by it

    def jwk(self) -> dict[str, Any]:
        key = JWK.from_pem(self.public_pem.encode())
        public: dict[str, Any] = json.loads(key.export_public())
        public.update(kid=self.kid, alg="RS256", use="sig")
        return public

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk()]}


def tool_key(settings: Settings) -> ToolKey:
    return _load(config.data_dir(settings) / KEY_FILE)


@lru_cache(maxsize=4)
def _load(path: Path) -> ToolKey:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        pem = _create(path)
    private = serialization.load_pem_private_key(pem, password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    kid = str(JWK.from_pem(public_pem.encode()).thumbprint())
    return ToolKey(private_pem=pem.decode(), public_pem=public_pem, kid=kid)


def _create(path: Path) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # As the secret key: two processes starting together end up with the same (first) key.
    return config.write_once(path, pem)
