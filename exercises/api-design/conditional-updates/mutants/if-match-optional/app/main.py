"""Reference solution for conditional-updates.

The ETag is a strong validator: a hash of the document's JSON representation,
so it changes exactly when the representation does. Reads honour
If-None-Match (304); writes require If-Match (428 without, 412 when it does
not match the current ETag with the strong comparison of RFC 9110).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

app = FastAPI(title="Documents")

PROBLEM_JSON = "application/problem+json"
# One entity-tag of a list: optional weakness prefix, then a quoted opaque tag.
ENTITY_TAG = re.compile(r'\s*(W/)?("[^"]*")\s*(?:,|$)')

documents: dict[int, dict[str, Any]] = {}
_next_id = 1


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=10_000)


class DocumentPatch(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    title: str = Field(default=None, min_length=1, max_length=200)  # type: ignore[assignment]
    body: str = Field(default=None, max_length=10_000)  # type: ignore[assignment]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def validation_problem(errors: list[dict[str, Any]]) -> JSONResponse:
    listed = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "path")]
        listed.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return problem(422, "Unprocessable Content", "The request is not valid.", errors=listed)


@app.exception_handler(RequestValidationError)
async def _validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    return validation_problem(list(exc.errors()))


@app.exception_handler(StarletteHTTPException)
async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(exc.status_code, str(exc.detail), str(exc.detail))


def etag_of(doc: dict[str, Any]) -> str:
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] + '"'


def parse_tags(header: str) -> list[tuple[bool, str]] | None:
    """An If-Match / If-None-Match value as (weak, opaque-tag) pairs; None for '*'."""
    if header.strip() == "*":
        return None
    tags, pos = [], 0
    while pos < len(header):
        match = ENTITY_TAG.match(header, pos)
        if not match:
            break  # garbage: what was parsed so far counts
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
    return tags


def document_response(doc: dict[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    return JSONResponse(doc, status_code=status, headers={"ETag": etag_of(doc), **headers})


def find(doc_id: int) -> dict[str, Any]:
    if doc_id not in documents:
        raise StarletteHTTPException(404, "Not Found")
    return documents[doc_id]


def precondition_failure(request: Request, doc: dict[str, Any]) -> JSONResponse | None:
    header = request.headers.get("if-match")
    if header is None:
        return None
    tags = parse_tags(header)
    if tags is None:
        return None  # '*': any current version
    current = etag_of(doc)
    # If-Match uses the strong comparison: a weak tag never matches.
    if any(not weak and tag == current for weak, tag in tags):
        return None
    return problem(
        412,
        "Precondition Failed",
        "The document changed since you read it: fetch it again and reapply your change.",
    )


async def json_body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "the body is not valid JSON", "type": "json_invalid"}]
        ) from None


@app.post("/documents")
async def create_document(request: Request) -> JSONResponse:
    try:
        doc_in = DocumentIn.model_validate(await json_body(request))
    except ValidationError as exc:
        return validation_problem(list(exc.errors()))
    global _next_id
    doc_id = _next_id
    _next_id += 1
    documents[doc_id] = {"id": doc_id, **doc_in.model_dump()}
    return document_response(documents[doc_id], 201, Location=f"/documents/{doc_id}")


@app.get("/documents/{doc_id}")
async def get_document(doc_id: int, request: Request) -> Response:
    doc = find(doc_id)
    etag = etag_of(doc)
    header = request.headers.get("if-none-match")
    if header is not None:
        tags = parse_tags(header)
        # If-None-Match uses the weak comparison: W/"x" matches "x".
        if tags is None or any(tag == etag for _, tag in tags):
            return Response(status_code=304, headers={"ETag": etag})
    return document_response(doc)


@app.put("/documents/{doc_id}")
async def replace_document(doc_id: int, request: Request) -> JSONResponse:
    doc = find(doc_id)
    failure = precondition_failure(request, doc)
    if failure is not None:
        return failure
    try:
        doc_in = DocumentIn.model_validate(await json_body(request))
    except ValidationError as exc:
        return validation_problem(list(exc.errors()))
    documents[doc_id] = {"id": doc_id, **doc_in.model_dump()}
    return document_response(documents[doc_id])


@app.patch("/documents/{doc_id}")
async def update_document(doc_id: int, request: Request) -> JSONResponse:
    doc = find(doc_id)
    failure = precondition_failure(request, doc)
    if failure is not None:
        return failure
    payload = await json_body(request)
    if not isinstance(payload, dict):
        return validation_problem([{"loc": ("body",), "msg": "expected a JSON object"}])
    try:
        patch = DocumentPatch.model_validate(payload)
    except ValidationError as exc:
        return validation_problem(list(exc.errors()))
    documents[doc_id] = {**doc, **patch.model_dump(exclude_unset=True)}
    return document_response(documents[doc_id])
