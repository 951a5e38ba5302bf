"""Hidden tests: creating, fetching and validating books, and error bodies.

The app runs once per session and is never reset, so every test makes its
own books with unique titles and never assumes what else is stored.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

PROBLEM_FIELDS = {"type": str, "title": str, "status": int, "detail": str}


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def valid_book(**overrides: object) -> dict[str, object]:
    book: dict[str, object] = {
        "title": unique("The Test Book"),
        "author": "A. Author",
        "year": 1999,
        "isbn": "9780306406157",
    }
    book.update(overrides)
    return book


def media_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def check_problem(response, status: int, what: str) -> dict:
    """Assert that a response is an RFC 9457 problem document with this status."""
    assert response.status_code == status, (
        f"{what}: expected status {status}, got {response.status_code}"
    )
    assert media_type(response) == "application/problem+json", (
        f"{what}: expected content type application/problem+json"
    )
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{what}: the body is not JSON") from None
    assert isinstance(body, dict), f"{what}: the problem body must be a JSON object"
    for name, kind in PROBLEM_FIELDS.items():
        assert isinstance(body.get(name), kind) and not isinstance(body.get(name), bool), (
            f"{what}: the problem document needs a {kind.__name__} field {name!r}"
        )
    assert body["status"] == status, (
        f"{what}: the problem's 'status' differs from the HTTP status {status}"
    )
    return body


def error_fields(body: dict, what: str) -> set[str]:
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, f"{what}: expected a non-empty 'errors' list"
    fields = set()
    for entry in errors:
        assert isinstance(entry, dict) and isinstance(entry.get("field"), str), (
            f"{what}: each entry of 'errors' needs a string 'field'"
        )
        assert isinstance(entry.get("message"), str), (
            f"{what}: each entry of 'errors' needs a string 'message'"
        )
        # Accept "title" as well as a dotted or bracketed path ending in it.
        fields.add(entry["field"].replace("/", ".").split(".")[-1])
    return fields


@pytest.mark.points(2)
@pytest.mark.hint("A successful POST that creates a resource answers 201 Created, not 200.")
def test_create_returns_201_and_the_book(client):
    sent = valid_book()
    response = client.post("/books", json=sent)
    assert response.status_code == 201, (
        f"POST /books with a valid book: expected 201, got {response.status_code}"
    )
    body = response.json()
    book_id = body.get("id")
    assert isinstance(book_id, int) and not isinstance(book_id, bool) and book_id > 0, (
        "the created book needs a positive integer 'id'"
    )
    for name in ("title", "author", "year", "isbn"):
        assert body.get(name) == sent[name], (
            f"the created book's {name!r} differs from what was sent"
        )
    without_isbn = valid_book()
    del without_isbn["isbn"]
    response = client.post("/books", json=without_isbn)
    assert response.status_code == 201, "a book without an isbn is valid (isbn is optional)"
    assert response.json().get("isbn") is None, "a book created without an isbn has 'isbn': null"
    newer = response.json().get("id")
    assert isinstance(newer, int) and newer > book_id, (
        "a book created later must get a larger id than every older one"
    )


@pytest.mark.points(2)
@pytest.mark.hint("Send a Location header with the new book's path, e.g. Location: /books/7.")
def test_create_sets_location_to_the_new_book(client):
    sent = valid_book(isbn=None)
    response = client.post("/books", json=sent)
    assert response.status_code in (200, 201), f"POST /books failed with {response.status_code}"
    book_id = response.json().get("id")
    location = response.headers.get("location")
    assert location, "the response to POST /books has no Location header"
    # An absolute URL is allowed too; its path must be the book's.
    assert urlsplit(location).path == f"/books/{book_id}", (
        "the Location header should be /books/{id}, with the 'id' of the new book"
    )
    fetched = client.get(urlsplit(location).path)
    assert fetched.status_code == 200, f"GET on the Location answered {fetched.status_code}"
    assert fetched.json() == response.json(), "GET /books/{id} returns a different book than POST"


@pytest.mark.points(1)
@pytest.mark.hint("Unknown ids answer 404 in the problem+json format, like every other error.")
def test_get_unknown_book_is_404_problem(client):
    response = client.get("/books/987654321")
    check_problem(response, 404, "GET /books/987654321 (no such book)")


INVALID_BOOKS = [
    ("an empty title", {"title": ""}),
    ("a blank title", {"title": "   "}),
    ("a title of 201 characters", {"title": "x" * 201}),
    ("a title that is a number", {"title": 42}),
    ("an empty author", {"author": ""}),
    ("a blank author", {"author": "   "}),
    ("an author of 201 characters", {"author": "y" * 201}),
    ("a year that is not a number", {"year": "nineteen"}),
    ("year 1449", {"year": 1449}),
    ("year 2101", {"year": 2101}),
    ("an isbn of 12 digits", {"isbn": "978030640615"}),
    ("an isbn of 14 digits", {"isbn": "97803064061570"}),
    ("an isbn with a letter", {"isbn": "978030640615X"}),
    ("an isbn with dashes", {"isbn": "978-0-306-40615-7"}),
]


@pytest.mark.points(2)
@pytest.mark.hint("Validate every field against the rules in the README; invalid input is a 422.")
def test_invalid_books_are_rejected_with_422(client):
    for what, change in INVALID_BOOKS:
        response = client.post("/books", json=valid_book(**change))
        assert response.status_code == 422, (
            f"POST /books with {what}: expected 422, got {response.status_code}"
        )
    for missing in ("title", "author", "year"):
        book = valid_book()
        del book[missing]
        response = client.post("/books", json=book)
        assert response.status_code == 422, (
            f"POST /books without {missing!r}: expected 422, got {response.status_code}"
        )


@pytest.mark.points(1)
@pytest.mark.hint("Values at the edges of the allowed ranges are valid and must be accepted.")
def test_edge_valid_books_are_accepted(client):
    edges = [
        ("a title of exactly 200 characters", {"title": unique("t") + "x" * 190}),
        ("a one-character title", {"title": "Q"}),
        ("year 1450", {"year": 1450}),
        ("year 2100", {"year": 2100}),
        ("isbn null", {"isbn": None}),
        ("an isbn starting with 0", {"isbn": "0000000000000"}),
        ("a unicode title", {"title": unique("Der Zauberberg, Bd. Ⅱ — «Müller»")}),
    ]
    for what, change in edges:
        sent = valid_book(**change)
        response = client.post("/books", json=sent)
        assert response.status_code in (200, 201), (
            f"POST /books with {what} must be accepted, got {response.status_code}"
        )
        assert response.json().get("title") == sent["title"], f"{what}: the title was altered"


@pytest.mark.points(2)
@pytest.mark.hint(
    "Return validation errors as application/problem+json with type, title, status and detail."
)
def test_validation_error_is_problem_json(client):
    response = client.post("/books", json=valid_book(year=3000))
    check_problem(response, 422, "POST /books with year 3000")


@pytest.mark.points(1)
@pytest.mark.hint("List every invalid field in 'errors', each entry with 'field' and 'message'.")
def test_validation_errors_name_the_fields(client):
    response = client.post("/books", json=valid_book(title="", year="soon"))
    body = check_problem(response, 422, "POST /books with an empty title and a bad year")
    fields = error_fields(body, "POST /books with an empty title and a bad year")
    missing = sorted({"title", "year"} - fields)
    assert not missing, (
        f"'errors' should name both 'title' and 'year'; it does not name {' or '.join(missing)}"
    )


@pytest.mark.points(1)
@pytest.mark.hint("A body that is not JSON is a client error too, in the same problem format.")
def test_malformed_json_is_a_problem(client):
    response = client.post(
        "/books", content=b'{"title": "broken', headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), (
        f"POST /books with a body that is not JSON: expected 422 (or 400), "
        f"got {response.status_code}"
    )
    check_problem(response, response.status_code, "POST /books with a body that is not JSON")
