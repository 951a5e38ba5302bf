"""Reading a submission from the request: JSON or a multipart upload.

Both end as the same SubmissionIn; every problem becomes a clear 4xx
(bad JSON, unknown fields, non-UTF-8 uploads, a body over the cap).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from grader.api.body_limit import BodyTooLarge
from grader.services.errors import Invalid, TooLarge, UnsupportedMedia

MAX_UPLOAD_FILES = 200  # the most any manifest may allow (manifest.py); the service checks
MAX_UPLOAD_FIELDS = 20  # exercise, callback_url, assignment; unknown ones: a clear 422


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exercise: str = Field(min_length=1, max_length=200, description="the exercise's slug")
    files: dict[str, str] = Field(description="path -> UTF-8 text")
    callback_url: str | None = Field(None, description="POSTed the result when final")
    assignment: str | None = Field(None, max_length=200,
                                   description="course-slug/assignment-slug, to submit "
                                               "inside an assignment (its rules apply)")


def _schema() -> dict[str, Any]:
    multipart = {
        "type": "object",
        "required": ["exercise", "files"],
        "properties": {
            "exercise": {"type": "string"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": "one part per file; the part's filename is its path"},
            "callback_url": {"type": "string"},
            "assignment": {"type": "string"},
        },
    }
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": SubmissionIn.model_json_schema()},
        "multipart/form-data": {"schema": multipart},
    }}}


OPENAPI_BODY = _schema()


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{where}: {msg}")
    return "invalid submission: " + "; ".join(parts)


def _validate(data: Any) -> SubmissionIn:
    try:
        return SubmissionIn.model_validate(data)
    except ValidationError as exc:
        raise Invalid(_describe(exc)) from None


async def read_submission_body(request: Request, cap: int) -> SubmissionIn:
    """The submission; the body-limit middleware has bounded it already, and
    `cap` bounds it again for a caller without it."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        raise TooLarge(f"request body is over the server's limit of {cap} bytes")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        body = await _read_capped(request, cap)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid(f"request body is not valid JSON: {exc}") from None
        return _validate(data)
    if kind == "multipart/form-data":
        return await _read_multipart(request)
    raise UnsupportedMedia("send application/json or multipart/form-data")


async def _read_capped(request: Request, cap: int) -> bytes:
    """The body, refused as soon as it passes the cap (a chunked upload has no
    Content-Length to check first)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise TooLarge(f"request body is over the server's limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _read_multipart(request: Request) -> SubmissionIn:
    try:
        form = await request.form(max_files=MAX_UPLOAD_FILES, max_fields=MAX_UPLOAD_FIELDS)
    except BodyTooLarge:
        raise  # the middleware answers 413
    except Exception as exc:  # starlette's own parse errors (HTTPException, MultiPartException)
        detail = getattr(exc, "detail", exc)
        raise Invalid(f"could not read the multipart upload: {detail}") from None
    files: dict[str, str] = {}
    for part in form.getlist("files"):
        if not isinstance(part, UploadFile) or not part.filename:
            raise Invalid("each 'files' part must be a file upload with a filename")
        raw = await part.read()
        try:
            files[part.filename] = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid(f"file {part.filename!r} is not UTF-8 text") from None
    fields = {k: v for k, v in form.multi_items() if k != "files"}
    for key, value in fields.items():
        if not isinstance(value, str):
            raise Invalid(f"field {key!r} must be text, not a file")
    return _validate({**fields, "files": files})
