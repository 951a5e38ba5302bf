"""How this API trusts the school's identity provider (IdP). Keep this file as it is.

The IdP signs access tokens (JWTs) with its RSA private key, algorithm RS256.
This service only ever holds the matching public key, below.
"""

from __future__ import annotations

ISSUER = "https://id.school.example/"
AUDIENCE = "notes-api"
ALGORITHM = "RS256"

PUBLIC_KEY_PEM = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAluJeHExNor1hcQOCvLjS
fyKMu3guNsnbsb10smz2CrKHLAPAHuocD5d2jRW+gwiEFICntzdPSpmVhxaf1JaY
1dRNk6kAeW6lWXenDqitsDa2FiC3sj4jfsXhMZwKSinw7yzf4pcYQkGPRaT1Bxfp
50CTsmSCGXRXKl7vs6hs8Xl/mE7GAJeeAaB+oosZK2bt0G9dhobTox2EIDj5oJtR
/zp3yvJsvQBgrjxLArr+kziOQQIafdPB5YunFV5Pivh3p+9t/XVC328NJcOft1j0
hk9SSRmjoK9YjRam5paaMRKZL71wLauQbhMmreQ0OAzCBDFLeQsJj8P2oo4wikuP
GwIDAQAB
-----END PUBLIC KEY-----
"""
