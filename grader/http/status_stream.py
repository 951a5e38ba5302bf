"""A submission's live status as server-sent events, one per status change:
the API's GET /submissions/{id}/events and the submission page's stream
(signed in by cookie) both answer with `open_stream`.

Each event is `event: status` with the submission's JSON (as GET returns it);
the stream ends after a final state (graded, not_gradable), or after
GRADER_STREAM_MAX_SECONDS (a client reconnects: EventSource does by itself).
It polls the database, the source of truth, so it works whichever worker or
API process made the change; a worker's announcement of its claim or of a
final state (grader/services/status_events.py) only makes the next poll come
at once.
Open streams are capped per user and in all (grader/http/stream_slots.py):
past a cap the answer is 429, problem+json.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from grader.db import SubmissionStatus, User, utcnow
from grader.http.stream_slots import Slot, TooManyStreams, slots_for
from grader.services import submissions
from grader.services.status_events import Wakeups
from grader.services.views import SubmissionView
from grader.services.wiring import Services

FAST_POLL_SECONDS = 0.05  # adds 25 ms on average to what a watcher sees
# A running submission's end is announced by its worker, which wakes the
# stream at once: the poll only covers a lost announcement (Redis gone for a
# moment, an API process subscribing late). It used to run every 20 ms, and
# those polls were half the API's CPU per grading (31.6 ms with them, 15.8
# without) on a no-gap stream of short gradings, where the whole machine's
# CPU is what sets the pace (bench/overhead.py, issue 13).
RUNNING_POLL_SECONDS = 0.5
# A submission that has not changed for a while (waiting in a long queue) is
# polled ten times less often: that is what keeps hundreds of watchers cheap.
# Its start comes sooner: the worker's claim is announced too.
SLOW_POLL_SECONDS = 0.5
FAST_AFTER_CHANGE_SECONDS = 2.0
KEEPALIVE_SECONDS = 15.0  # also finds dead clients: a write to them fails


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


def _state_age(view: SubmissionView) -> float:
    """Seconds since the submission entered its current state, by the
    database's clock: a watcher joining a long-queued submission polls slowly
    from the start."""
    stamps = [stamp for stamp in (view.queued_at, view.started_at) if stamp is not None]
    return max(0.0, (utcnow() - max(stamps)).total_seconds())


def _interval(status: SubmissionStatus | None, since_change: float) -> float:
    if status is SubmissionStatus.RUNNING:
        return RUNNING_POLL_SECONDS
    if since_change < FAST_AFTER_CHANGE_SECONDS:
        return FAST_POLL_SECONDS
    return SLOW_POLL_SECONDS


async def _stream(request: Request, services: Services, user: User, sub_id: str,
                  slot: Slot) -> AsyncIterator[bytes]:
    last: SubmissionStatus | None = None
    started = last_sent = last_change = time.monotonic()
    lifetime = services.settings.stream_max_seconds
    wakeups: Wakeups = request.app.state.status_wakeups
    # Held from before the first poll: an announcement while we poll is kept.
    watch = wakeups.watch(sub_id)
    try:
        while time.monotonic() - started < lifetime:
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
                last_change = last_sent - _state_age(view)
                if view.status.final:
                    return
            elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                last_sent = time.monotonic()
            if await request.is_disconnected():
                return
            # The next poll, or sooner: when a worker announces its final state.
            await watch.wait(_interval(last, time.monotonic() - last_change))
        # A comment, not an event: clients that parse every data line as the
        # submission (the CLI) must not see a different document.
        yield b": stream lifetime over; reconnect to keep following\n\n"
    finally:
        watch.close()
        slot.release()


class SlotStream(StreamingResponse):
    """Frees its slot however the response ends, even if the body generator
    never started (a client gone before the first byte)."""

    def __init__(self, content: AsyncIterator[bytes], slot: Slot) -> None:
        super().__init__(content, media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()


def open_stream(request: Request, services: Services, user: User, submission_id: str
                ) -> Response:
    """The stream of a submission the user may see: NotFound before it starts
    (a missing id is a plain 404), or a 429 when the user's or the server's
    streams are at their cap."""
    submissions.submission_status(db=services.db, user=user, submission_id=submission_id)
    try:
        slot = slots_for(request.app).acquire(user.id)
    except TooManyStreams as exc:
        return exc.response()
    return SlotStream(_stream(request, services, user, submission_id, slot), slot)
