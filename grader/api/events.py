"""GET /submissions/{id}/events: server-sent events, one per status change.

Each event is `event: status` with the submission's JSON (as GET returns it);
the stream ends after a final state (graded, not_gradable). It polls the
database, the source of truth, so it works whichever worker or API process
made the change, and costs one indexed read per poll.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from grader.api.deps import CurrentUser, ServicesDep
from grader.db import Status, User
from grader.services import submissions

router = APIRouter(tags=["submissions"])

POLL_SECONDS = 0.05  # adds 25 ms on average to what a watcher sees
KEEPALIVE_SECONDS = 15.0
MAX_STREAM_SECONDS = 3600.0  # a client may reconnect; no stream lives forever


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


async def _stream(request: Request, services: ServicesDep, user: User, sub_id: str
                  ) -> AsyncIterator[bytes]:
    last: Status | None = None
    started = last_sent = time.monotonic()
    while time.monotonic() - started < MAX_STREAM_SECONDS:
        try:
            status = await anyio.to_thread.run_sync(
                lambda: submissions.submission_status(db=services.db, user=user,
                                                      submission_id=sub_id))
        except Exception:
            yield _event("error", json.dumps({"detail": "submission no longer readable"}))
            return
        if status != last:
            view = await anyio.to_thread.run_sync(
                lambda: submissions.get_submission(db=services.db, user=user,
                                                   submission_id=sub_id))
            # The view may be newer than the status polled: report what it says.
            last = view.status
            yield _event("status", view.model_dump_json(exclude={"history"}))
            last_sent = time.monotonic()
            if view.status.final:
                return
        elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
            yield b": keep-alive\n\n"
            last_sent = time.monotonic()
        if await request.is_disconnected():
            return
        await anyio.sleep(POLL_SECONDS)


@router.get(
    "/submissions/{submission_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "status events"},
               401: {"description": "no valid API token"},
               404: {"description": "no such submission, or not yours"}},
)
def events(
    submission_id: str, request: Request, services: ServicesDep, user: CurrentUser
) -> StreamingResponse:
    # Check access before the stream starts, so a missing id is a plain 404.
    submissions.submission_status(db=services.db, user=user, submission_id=submission_id)
    return StreamingResponse(
        _stream(request, services, user, submission_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
