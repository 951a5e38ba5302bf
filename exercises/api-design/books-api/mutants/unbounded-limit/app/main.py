"""Reference solution for books-api.

Books live in memory. Ids are increasing integers, the listing is newest
first (id descending) and the cursor names the last id a page showed, so a
book added between two page requests never shifts what the next page holds.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

app = FastAPI(title="Books")

PROBLEM_JSON = "application/problem+json"
_books: dict[int, dict[str, Any]] = {}
_next_id = 1


class BookIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1450, le=2100)
    isbn: str | None = Field(default=None, pattern=r"^[0-9]{13}$")

    @field_validator("title", "author")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class InvalidCursor(Exception):
    pass


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


@app.exception_handler(RequestValidationError)
async def _validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        # loc is ("body", "title") or ("query", "limit"); a broken body is ("body", pos).
        parts = [str(p) for p in err["loc"][1:]] if len(err["loc"]) > 1 else []
        field = ".".join(parts) if parts and err["type"] != "json_invalid" else "body"
        errors.append({"field": field, "message": err["msg"]})
    return problem(422, "Unprocessable Content", "The request is not valid.", errors=errors)


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


@app.exception_handler(InvalidCursor)
async def _bad_cursor(request: Request, exc: InvalidCursor) -> JSONResponse:
    return problem(
        422,
        "Unprocessable Content",
        "The cursor is not one this API issued.",
        errors=[{"field": "cursor", "message": "invalid cursor"}],
    )


@app.post("/books", status_code=201)
async def create_book(book: BookIn) -> JSONResponse:
    global _next_id
    # No await between reading and bumping the counter: atomic on the event loop.
    book_id = _next_id
    _next_id += 1
    stored = {"id": book_id, **book.model_dump()}
    _books[book_id] = stored
    return JSONResponse(stored, status_code=201, headers={"Location": f"/books/{book_id}"})


@app.get("/books/{book_id}")
async def get_book(book_id: int) -> dict[str, Any]:
    if book_id not in _books:
        raise StarletteHTTPException(404, "Not Found")
    return _books[book_id]


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"before:{last_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, number = raw.partition(":")
        if prefix != "before" or not number.isdigit():
            raise InvalidCursor
        return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor from None


@app.get("/books")
async def list_books(
    limit: int = 10,
    cursor: str | None = None,
) -> dict[str, Any]:
    before = _decode_cursor(cursor) if cursor is not None else None
    ids = sorted((i for i in _books if before is None or i < before), reverse=True)
    page = ids[:limit]
    # A next page exists only if something older than this page's last book remains.
    next_cursor = _encode_cursor(page[-1]) if len(ids) > limit else None
    return {"items": [_books[i] for i in page], "next_cursor": next_cursor}
