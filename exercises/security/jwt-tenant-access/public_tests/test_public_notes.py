"""Public tests: a sample of how the API is called. Run with every submission.

Valid tokens are signed with the identity provider's private key, which only
the grader has (data/ is not readable by your code); to try valid tokens
locally, make your own RSA key pair and put its public key in config.py
while you experiment.
"""

from __future__ import annotations

import base64
import json
import time

import jwt


def test_valid_token_can_create_a_note(client, data_dir):
    now = int(time.time())
    claims = {"iss": "https://id.school.example/", "aud": "notes-api", "sub": "user-public",
              "tenant": "school-public", "iat": now, "exp": now + 600}
    token = jwt.encode(claims, (data_dir / "idp_private.pem").read_bytes(), algorithm="RS256")
    response = client.post("/notes", json={"title": "Hello", "body": ""},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    assert response.json()["tenant"] == "school-public"


def test_unsigned_token_is_rejected(client):
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": "https://id.school.example/", "aud": "notes-api", "sub": "mallory",
              "tenant": "school-public", "exp": int(time.time()) + 600}
    token = f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
    response = client.get("/notes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
