"""Public tests: a sample of how the API is called. Run with every submission."""

from __future__ import annotations


def test_search_finds_ada(client):
    response = client.get("/people/search", params={"q": "ada"})
    assert response.status_code == 200
    assert "Ada Lovelace" in [p["name"] for p in response.json()["results"]]


def test_obrien_is_found(client):
    response = client.get("/people/search", params={"q": "O'Brien"})
    assert response.status_code == 200
    found = [p["name"] for p in response.json()["results"]]
    assert "Conan O'Brien" in found
    assert all("o'brien" in name.lower() for name in found)
