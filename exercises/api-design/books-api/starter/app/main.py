"""Books API: a first version that works, but not the way HTTP clients expect.

Read README.md for what the API must do; this code is only a starting point.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI(title="Books")

books: list[dict[str, Any]] = []


class BookIn(BaseModel):
    title: str
    author: str
    year: int
    isbn: str | None = None


@app.post("/books")
def create_book(book: BookIn) -> dict[str, Any]:
    stored = {"id": len(books) + 1, **book.model_dump()}
    books.append(stored)
    return stored


@app.get("/books/{book_id}")
def get_book(book_id: int) -> dict[str, Any]:
    for book in books:
        if book["id"] == book_id:
            return book
    raise HTTPException(status_code=404, detail="Not Found")


@app.get("/books")
def list_books(limit: int = 10, cursor: str | None = None) -> dict[str, Any]:
    # The cursor is just an offset into the newest-first list.
    offset = int(cursor) if cursor else 0
    newest_first = list(reversed(books))
    page = newest_first[offset : offset + limit]
    next_offset = offset + limit
    next_cursor = str(next_offset) if next_offset < len(newest_first) else None
    return {"items": page, "next_cursor": next_cursor}
