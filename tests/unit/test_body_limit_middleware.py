"""The body-limit middleware alone, on a fake ASGI server: whatever the app
makes of the error, the client gets 413; small bodies are read ahead and
handed over whole; an unread body closes the connection."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from starlette.responses import HTMLResponse
from starlette.types import Message, Receive, Scope, Send

from grader.api.body_limit import BodyLimit, BodyLimits, BodyTooLarge

LIMITS = BodyLimits(uploads=1000, small=100, upload_paths=(re.compile("(/api)?/up"),),
                    api_prefixes=("/api/",), page=lambda text: HTMLResponse(f"<p>{text}</p>"))


def run(app: Any, path: str, chunks: list[bytes], headers: tuple[tuple[bytes, bytes], ...] = ()
        ) -> tuple[int, dict[bytes, bytes], bytes, int]:
    """(status, headers, body, chunks the app pulled) of one request."""
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
               for i, c in enumerate(chunks)]
    pulled = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal pulled
        pulled += 1
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "root_path": "",
             "headers": [(b"transfer-encoding", b"chunked"), *headers]}
    asyncio.run(BodyLimit(app, limits=LIMITS)(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], dict(start["headers"]), body, pulled


async def swallowing_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the body, turns any error into its own 400 (as FastAPI's form parsing does)."""
    status = 200
    try:
        while (await receive()).get("more_body"):
            pass
    except Exception:
        status = 400
    await HTMLResponse("app's answer", status_code=status)(scope, receive, send)


def test_the_apps_own_answer_to_the_error_is_replaced_by_413() -> None:
    status, headers, body, _ = run(swallowing_app, "/api/up", [b"x" * 600] * 3)
    assert status == 413 and headers[b"content-type"] == b"application/problem+json"
    assert json.loads(body)["limit"] == 1000 and headers[b"connection"] == b"close"


def test_an_upload_under_its_limit_passes_and_a_page_gets_html() -> None:
    assert run(swallowing_app, "/up", [b"x" * 400] * 2)[0] == 200
    status, headers, body, _ = run(swallowing_app, "/signin", [b"x" * 60] * 2)
    assert status == 413 and headers[b"content-type"].startswith(b"text/html")
    assert b"over the limit of 100 bytes" in body and b"GRADER_MAX_FORM_BYTES" in body


def test_a_small_body_is_read_ahead_and_handed_over_whole() -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(await receive())
        await HTMLResponse("ok")(scope, receive, send)

    assert run(app, "/form", [b"a=1", b"&b=2"])[0] == 200
    assert seen == [{"type": "http.request", "body": b"a=1&b=2", "more_body": False}]


def test_a_small_route_that_never_reads_still_gets_413() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await HTMLResponse("unread", status_code=401)(scope, receive, send)

    status, _, _, pulled = run(app, "/api/v1/tokens", [b"x" * 64] * 1000)
    assert status == 413 and pulled == 2  # cut off at the second chunk, not the 1000th


def test_a_declared_length_over_the_limit_never_reaches_the_app() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("called")

    status, _, _, pulled = run(app, "/up", [b""], ((b"content-length", b"5000"),))
    assert status == 413 and pulled == 0


def test_an_unread_upload_closes_the_connection() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await HTMLResponse("no", status_code=401)(scope, receive, send)

    status, headers, _, _ = run(app, "/up", [b"x" * 10] * 3)
    assert status == 401 and headers[b"connection"] == b"close"


def test_an_error_that_escapes_the_app_is_still_413() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            await receive()

    assert run(app, "/up", [b"x" * 600] * 3)[0] == 413
    assert issubclass(BodyTooLarge, Exception)
