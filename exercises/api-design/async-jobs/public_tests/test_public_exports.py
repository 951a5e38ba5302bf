"""Public tests: a sample of how the API is called. Run with every submission."""

from __future__ import annotations


def test_export_is_accepted(client):
    response = client.post("/exports", json={"format": "json", "steps": 0})
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "pending"
    assert response.headers["location"].endswith(f"/exports/{job['id']}")


def test_unknown_export_is_404(client):
    response = client.get("/exports/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
