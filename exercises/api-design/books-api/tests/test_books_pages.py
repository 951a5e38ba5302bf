"""Hidden tests: listing books with cursor pagination.

The store is shared by all tests and never emptied, so these tests only
assert about books they created themselves, plus properties that hold for
any content (order, uniqueness, page sizes, the end of the walk).
"""

from __future__ import annotations

import uuid

import pytest

MAX_PAGES = 200  # a cursor that never ends must not hang the suite


def create_books(client, count: int) -> list[int]:
    ids = []
    tag = uuid.uuid4().hex[:8]
    for n in range(count):
        response = client.post(
            "/books", json={"title": f"Paging {tag} #{n}", "author": "P. Ager", "year": 2001}
        )
        assert response.status_code in (200, 201), f"POST /books failed with {response.status_code}"
        ids.append(response.json()["id"])
    return ids


def get_page(client, **params: object) -> tuple[list[dict], object]:
    response = client.get("/books", params=params)
    # The cursor is the app's own text: name only whether one was sent.
    sent = [f"limit={params['limit']}"] if "limit" in params else []
    sent += ["a next_cursor"] if "cursor" in params else []
    asked = f"GET /books with {' and '.join(sent)}" if sent else "GET /books"
    assert response.status_code == 200, f"{asked}: expected 200, got {response.status_code}"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("items"), list), (
        "GET /books must answer an object with an 'items' list"
    )
    assert "next_cursor" in body, "GET /books must answer an object with 'next_cursor'"
    cursor = body["next_cursor"]
    assert cursor is None or isinstance(cursor, str), "'next_cursor' must be a string or null"
    return body["items"], cursor


def media_type(response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def check_problem(response, status: int, what: str) -> None:
    assert response.status_code == status, (
        f"{what}: expected status {status}, got {response.status_code}"
    )
    assert media_type(response) == "application/problem+json", (
        f"{what}: expected content type application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict) and body.get("status") == status, (
        f"{what}: the problem document needs 'status': {status}"
    )
    for name in ("type", "title", "detail"):
        assert isinstance(body.get(name), str), f"{what}: the problem document needs {name!r}"


def walk(client, limit: int, stop_below: int | None = None) -> list[list[dict]]:
    """Follow next_cursor from the first page; stop at the end or once a page
    reaches ids below stop_below."""
    pages = []
    items, cursor = get_page(client, limit=limit)
    pages.append(items)
    while cursor is not None and len(pages) < MAX_PAGES:
        if stop_below is not None and any(i["id"] < stop_below for i in items):
            break
        items, cursor = get_page(client, limit=limit, cursor=cursor)
        pages.append(items)
    assert len(pages) < MAX_PAGES, f"following next_cursor did not end after {MAX_PAGES} pages"
    return pages


def check_order(ids: list[int], what: str) -> None:
    assert len(ids) == len(set(ids)), f"{what}: some books appear more than once"
    assert ids == sorted(ids, reverse=True), f"{what}: books are not newest first (id descending)"


@pytest.mark.points(1)
@pytest.mark.hint("GET /books returns {'items': [...], 'next_cursor': ...}, 10 books by default.")
def test_list_shape_default_limit_and_order(client):
    mine = create_books(client, 11)
    items, cursor = get_page(client)
    assert len(items) == 10, f"without a limit a page holds 10 books, got {len(items)}"
    assert isinstance(cursor, str), "more than 10 books exist, so 'next_cursor' must be a string"
    ids = [item["id"] for item in items]
    check_order(ids, "the first page")
    assert ids == sorted(mine, reverse=True)[:10], (
        "the first page must start with the newest books"
    )


@pytest.mark.points(2)
@pytest.mark.hint("limit must be an integer from 1 to 100; anything else is a 422 problem.")
def test_limit_out_of_range_is_422_problem(client):
    create_books(client, 2)
    for bad in (0, 101, -1, 1000, "ten"):
        response = client.get("/books", params={"limit": bad})
        check_problem(response, 422, f"GET /books?limit={bad}")
    items, _ = get_page(client, limit=1)
    assert len(items) == 1, f"GET /books?limit=1 must return exactly one book, got {len(items)}"
    items, _ = get_page(client, limit=100)
    assert 2 <= len(items) <= 100, "GET /books?limit=100 must be accepted"


@pytest.mark.points(4)
@pytest.mark.hint("Each page must continue exactly where the previous one ended.")
def test_pages_have_no_duplicates_or_gaps(client):
    mine = create_books(client, 7)
    pages = walk(client, limit=3, stop_below=min(mine))
    for page in pages[:-1]:
        assert len(page) == 3, f"every page but the last must hold 'limit' books, got {len(page)}"
    seen = [item["id"] for page in pages for item in page]
    check_order(seen, "walking the pages with limit=3")
    assert [i for i in seen if i in mine] == sorted(mine, reverse=True), (
        "walking the pages with limit=3 skipped some books"
    )


@pytest.mark.points(7)
@pytest.mark.hint(
    "Books added between two page requests must not shift the next page: let the cursor "
    "remember where the last page ended (for example its last id), not how many were shown."
)
def test_pages_stable_when_books_are_inserted(client):
    mine = sorted(create_books(client, 7), reverse=True)
    first, cursor = get_page(client, limit=3)
    assert [i["id"] for i in first] == mine[:3], "the first page must hold the 3 newest books"
    assert cursor, "more books exist, so the first page needs a next_cursor"
    added = create_books(client, 2)
    second, cursor = get_page(client, limit=3, cursor=cursor)
    assert [i["id"] for i in second] == mine[3:6], (
        "after 2 books were added, the second page must continue right after the first page "
        "(no book repeated, none skipped)"
    )
    added += create_books(client, 1)
    assert cursor, "more books exist, so the second page needs a next_cursor"
    third, _ = get_page(client, limit=3, cursor=cursor)
    assert third and third[0]["id"] == mine[6], (
        "after another book was added, the third page must start right after the second page"
    )
    later = {i["id"] for i in second + third}
    assert not later & set(added), "books added after the first page must not appear on later pages"


@pytest.mark.points(1)
@pytest.mark.hint("next_cursor is null on the page that holds the oldest book, and only there.")
def test_walk_ends_with_null_cursor(client):
    create_books(client, 3)
    pages = walk(client, limit=100)
    everything = [item["id"] for page in pages for item in page]
    check_order(everything, "walking every page with limit=100")
    assert all(pages), "a page in the middle of the walk was empty"
    total = len(everything)
    # A page that happens to end exactly on the oldest book must still say null:
    # pick a limit that divides the total so the last page is exactly full
    # (adding books until some limit from 10 to 100 does, to keep pages few).
    while total > 100 and not any(total % n == 0 for n in range(10, 101)):
        create_books(client, 1)
        total += 1
    limit = next(n for n in range(min(total, 100), 0, -1) if total % n == 0)
    pages = walk(client, limit=limit)
    assert all(pages), (
        f"with {total} books and limit={limit}, the walk returned an empty last page: "
        "next_cursor should have been null on the page before"
    )
    assert len(pages) == total // limit, (
        f"with {total} books and limit={limit}, expected {total // limit} pages, got {len(pages)}"
    )


@pytest.mark.points(1)
@pytest.mark.hint("A cursor your API did not issue is a 422 problem, not a crash or an empty page.")
def test_unknown_cursor_is_rejected(client):
    response = client.get("/books", params={"cursor": "not-a-cursor!!"})
    check_problem(response, 422, "GET /books?cursor=not-a-cursor!!")
