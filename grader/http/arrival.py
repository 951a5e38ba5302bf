"""When a request arrived, stamped before it waits for anything.

Deadlines are judged on a submission's `received_at`. Taken inside the
service, it came after the body was read, a thread was free and (on SQLite)
the write lock was ours: in a deadline burst up to seconds after the student
pressed submit, enough to turn an on-time submission into a late one. So the
outermost middleware stamps each HTTP request as it reaches the app (headers
parsed, body not yet read) and the submit routes use that time.

The stamp is the server's clock only; a client cannot send one (the submit
body refuses unknown fields).
"""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from grader.db import utcnow

STATE_KEY = "grader_arrived_at"


class ArrivalStamp:
    """Pure ASGI (no BaseHTTPMiddleware): it costs one clock read per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Starlette's request.state is this dict; uvicorn gives every
            # request its own copy of the lifespan state, so nothing is shared.
            state = scope.get("state")
            if state is None:
                state = scope["state"] = {}
            state[STATE_KEY] = utcnow()
        await self.app(scope, receive, send)


def arrived_at(request: Request) -> datetime:
    """The request's arrival time; now, if no stamp (an app without the middleware)."""
    stamp = getattr(request.state, STATE_KEY, None)
    return stamp if isinstance(stamp, datetime) else utcnow()
