"""Public tests: a sample of how the API is called. Run with every submission."""

from __future__ import annotations

import uuid


def test_create_payment_with_a_key(client):
    key = f"public-{uuid.uuid4()}"
    body = {"amount": 1000, "currency": "EUR", "description": f"public {key}"}
    response = client.post("/payments", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201
    created = response.json()
    assert {k: created.get(k) for k in body} == body
    assert client.get(f"/payments/{created['id']}").json() == created


def test_missing_key_is_rejected(client):
    body = {"amount": 1000, "currency": "EUR", "description": "public, no key"}
    response = client.post("/payments", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
