"""Request bodies are cut off at a byte limit while they stream in.

A pure ASGI middleware, outside everything else (authentication, form
parsing, the routes), so no code path can read more than the limit: a
Content-Length over it is refused before a byte is read, and every body,
chunked or not, is counted as it arrives. Past the limit the app's `receive`
raises BodyTooLarge; whatever the app makes of that (FastAPI turns a failed
form parse into a 400, a route may wrap it), its answer is dropped and the
client gets 413: problem+json on the API, an HTML page on the pages.

Uploads (paths matching `upload_paths`) may be large and are only counted;
every other route takes small forms at most, so its body is read up front
(at most `small` bytes, in memory) and a 413 does not depend on whether the
route happens to read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    """Raised from `receive` once the body is over the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body is over the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class BodyLimits:
    uploads: int  # submission uploads: JSON or multipart
    small: int  # every other route: sign-in, admin and regrade forms, ...
    upload_paths: tuple[re.Pattern[str], ...]
    api_prefixes: tuple[str, ...]  # answered with problem+json, the rest with a page
    page: Callable[[str], Response] | None = None  # the pages' 413, given its text

    def for_path(self, path: str) -> tuple[int, str, bool]:
        """The limit for a path, the setting that sets it (named in the answer),
        and whether the path takes uploads."""
        if any(p.fullmatch(path) for p in self.upload_paths):
            return self.uploads, "GRADER_MAX_REQUEST_BYTES", True
        return self.small, "GRADER_MAX_FORM_BYTES", False


@dataclass
class _State:
    limit: int
    seen: int = 0
    over: bool = False
    done: bool = False  # the last of the body has been received
    started: bool = False  # the app's answer has begun (can no longer be replaced)
    replay: list[Message] = field(default_factory=list)


class BodyLimit:
    def __init__(self, app: ASGIApp, *, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        limit, setting, upload = self.limits.for_path(path)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, limit, setting)
            return
        state = _State(limit)
        state.done = b"transfer-encoding" not in headers and declared in (b"", b"0")

        async def counted() -> Message:
            if state.replay:
                return state.replay.pop(0)
            if state.over:  # the app tries again after the error: there is no more
                raise BodyTooLarge(limit)
            message = await receive()
            state.done = message["type"] != "http.request" or not message.get("more_body")
            if message["type"] == "http.request":
                state.seen += len(message.get("body", b""))
                if state.seen > limit:
                    state.over = True
                    raise BodyTooLarge(limit)
            return message

        async def guarded(message: Message) -> None:
            if state.over and not state.started:
                return  # replaced by our 413 below
            if message["type"] == "http.response.start":
                state.started = True
                if not state.done:
                    # The route answered without reading the whole body: close
                    # the connection rather than let the server drain the rest.
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"connection", b"close")]}
            await send(message)

        if not upload and not await self._read_ahead(counted, state):
            await self._refuse(scope, send, limit, setting)
            return
        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not state.over:
                raise
        if state.over and not state.started:
            await self._refuse(scope, send, limit, setting)

    @staticmethod
    async def _read_ahead(counted: Receive, state: _State) -> bool:
        """Read a small body whole, to hand it to the app again; False if over."""
        messages: list[Message] = []
        try:
            while True:
                message = await counted()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body"):
                    break
        except BodyTooLarge:
            return False
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        last = messages[-1]
        state.replay = ([{"type": "http.request", "body": body, "more_body": False}]
                        if last["type"] == "http.request" else [last])
        return True

    async def _refuse(self, scope: Scope, send: Send, limit: int, setting: str) -> None:
        method, path = scope.get("method", ""), scope["path"][:200]  # the client's own text
        detail = (f"request body is over the limit of {limit} bytes for {method} {path} "
                  f"(set by {setting})")
        response: Response
        if path.startswith(self.limits.api_prefixes) or self.limits.page is None:
            response = JSONResponse(
                {"type": "about:blank", "title": "Request body too large", "status": 413,
                 "detail": detail, "limit": limit},
                status_code=413, media_type="application/problem+json")
        else:
            response = self.limits.page(detail)
            response.status_code = 413
        # The rest of the body is never read, so this connection cannot carry
        # another request: say so (the server closes it after this answer).
        response.headers["Connection"] = "close"
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
