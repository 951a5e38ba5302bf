"""Reference solution for jwt-tenant-access.

Tokens are verified with PyJWT against the IdP's public key, RS256 only (the
algorithm is fixed by us, never taken from the token's header), with issuer,
audience and expiry checked and required. Every note query is scoped to the
caller's tenant, so another tenant's note is indistinguishable from a note
that does not exist: 404.
"""

from __future__ import annotations

from typing import Any

import jwt
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.config import ALGORITHM, AUDIENCE, ISSUER, PUBLIC_KEY_PEM

app = FastAPI(title="Notes")

PROBLEM_JSON = "application/problem+json"
LEEWAY_SECONDS = 30

notes: dict[int, dict[str, Any]] = {}
_next_id = 1


class NoteIn(BaseModel):
    # Unknown fields (a "tenant" in the body, say) are ignored, never trusted.
    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=10_000)


class Unauthorized(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None,
            **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


@app.exception_handler(Unauthorized)
async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
    return problem(401, "Unauthorized", exc.detail,
                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


@app.exception_handler(RequestValidationError)
async def _validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"field": ".".join(str(p) for p in e["loc"][1:]) or "body", "message": e["msg"]}
              for e in exc.errors()]
    return problem(422, "Unprocessable Content", "The request is not valid.", errors=errors)


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


def verify(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token,
            PUBLIC_KEY_PEM,
            algorithms=[ALGORITHM],  # ours, not the header's: no "none", no HS256
            audience=AUDIENCE,
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid token: {exc}") from None
    for name in ("sub", "tenant"):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise Unauthorized(f"invalid token: the {name!r} claim is missing")
    return claims


def caller(request: Request) -> dict[str, Any]:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    return verify(token.strip())


def tenant_note(note_id: int, claims: dict[str, Any]) -> dict[str, Any]:
    note = notes.get(note_id)
    if note is None or note["tenant"] != claims["tenant"]:
        # Another tenant's note does not exist, as far as this caller can tell.
        raise StarletteHTTPException(404, "Not Found")
    return note


@app.get("/notes")
async def list_notes(claims: dict[str, Any] = Depends(caller)) -> dict[str, Any]:
    return {"items": [n for n in notes.values() if n["tenant"] == claims["tenant"]]}


@app.post("/notes", status_code=201)
async def create_note(note: NoteIn, claims: dict[str, Any] = Depends(caller)) -> JSONResponse:
    global _next_id
    note_id = _next_id
    _next_id += 1
    notes[note_id] = {
        "id": note_id,
        "tenant": claims["tenant"],
        "author": claims["sub"],
        "title": note.title,
        "body": note.body,
    }
    return JSONResponse(notes[note_id], status_code=201, headers={"Location": f"/notes/{note_id}"})


@app.get("/notes/{note_id}")
async def get_note(note_id: int, claims: dict[str, Any] = Depends(caller)) -> dict[str, Any]:
    return tenant_note(note_id, claims)


@app.delete("/notes/{note_id}", status_code=204)
async def delete_note(note_id: int, claims: dict[str, Any] = Depends(caller)) -> Response:
    tenant_note(note_id, claims)
    del notes[note_id]
    return Response(status_code=204)
