"""Reading one uploaded file from a request: either the whole body (one of
the media types the route takes) or one multipart part, never more than the
cap + 1 bytes (the caller says what over the cap means). The body limit
middleware (api/body_limit.py) may stop the stream first: that is a 413 too."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Request
from starlette.datastructures import UploadFile

from grader.api.body_limit import BodyTooLarge
from grader.services.errors import Invalid, TooLarge, UnsupportedMedia


async def read_upload(request: Request, *, part: str, raw_types: Sequence[str], cap: int,
                      refusal: str) -> tuple[bytes, str | None]:
    """The file's bytes (at most cap + 1) and its name (None for a raw body).
    `refusal`: the 415's message for any other media type."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "multipart/form-data":
            form = await request.form(max_files=1, max_fields=2)
            upload = form.get(part)
            if not isinstance(upload, UploadFile):
                raise Invalid(f"field '{part}': a file part named '{part}' is required")
            return await upload.read(cap + 1), upload.filename
        if kind not in raw_types:
            raise UnsupportedMedia(refusal)
        chunks, size = [], 0
        async for chunk in request.stream():
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                break
        return b"".join(chunks), None
    except BodyTooLarge as exc:
        raise TooLarge(str(exc)) from None
