"""Public tests: a sample of how the API is called. Run with every submission."""

from __future__ import annotations


def test_create_then_fetch_a_book(client):
    sent = {"title": "Public Book", "author": "P. Ublic", "year": 1984, "isbn": None}
    created = client.post("/books", json=sent)
    assert created.status_code == 201, f"POST /books: expected 201, got {created.status_code}"
    book = created.json()
    assert {k: book.get(k) for k in sent} == sent
    fetched = client.get(f"/books/{book['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == book


def test_list_has_items_and_next_cursor(client):
    response = client.get("/books", params={"limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"items", "next_cursor"}
    assert len(body["items"]) <= 2


def test_unknown_book_is_404(client):
    assert client.get("/books/99999999").status_code == 404
