"""Public tests: a sample of how the API is called. Run with every submission."""

from __future__ import annotations


def test_documents_carry_an_etag(client):
    created = client.post("/documents", json={"title": "Public notes", "body": "hello"})
    assert created.status_code == 201
    doc = created.json()
    response = client.get(f"/documents/{doc['id']}")
    assert response.status_code == 200
    assert response.json() == doc
    assert response.headers.get("etag", "").startswith('"')


def test_put_needs_if_match(client):
    created = client.post("/documents", json={"title": "Public draft", "body": ""})
    doc = created.json()
    response = client.put(f"/documents/{doc['id']}", json={"title": "Blind write", "body": ""})
    assert response.status_code == 428
    assert response.headers["content-type"].startswith("application/problem+json")
