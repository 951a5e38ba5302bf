"""A published version's proving as server-sent events: the API's GET
/exercise-versions/{id}/events and the author page's stream (signed in by
cookie) both answer with `open_version_stream`.

Events: `log` (data: {"lines": [...]}) for each new piece of the proving
log, `status` (the version's JSON, without its log) whenever its status
changes, and last `verdict` (the same JSON) once it is proven or failed; then
the stream ends. Like the submission stream (status_stream.py) it polls the
database, which the worker writes, so any API process can serve it, and it
takes one of the user's stream slots.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import anyio
from fastapi import Request
from fastapi.responses import Response

from grader.db import User
from grader.http.status_stream import KEEPALIVE_SECONDS, SlotStream
from grader.http.stream_slots import Slot, TooManyStreams, slots_for
from grader.services import publishing
from grader.services.publishing_views import VersionView
from grader.services.wiring import Services

POLL_SECONDS = 0.25  # a build's lines come in bursts; a quarter second is live enough


def _event(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


async def _stream(request: Request, services: Services, user: User, version_id: int,
                  slot: Slot) -> AsyncIterator[bytes]:
    sent_chars, last_status = 0, None
    started = last_sent = time.monotonic()
    try:
        while time.monotonic() - started < services.settings.stream_max_seconds:
            try:
                view: VersionView = await anyio.to_thread.run_sync(
                    lambda: publishing.get_version(db=services.db, user=user,
                                                   version_id=version_id))
            except Exception:
                yield _event("error", json.dumps({"detail": "version no longer readable"}))
                return
            text = view.log or ""
            if len(text) < sent_chars:  # the log was capped from the front: start over
                sent_chars = 0
            if len(text) > sent_chars:
                lines = text[sent_chars:].splitlines()
                sent_chars = len(text)
                yield _event("log", json.dumps({"lines": lines}))
                last_sent = time.monotonic()
            if view.status != last_status:
                last_status = view.status
                body = view.model_dump_json(exclude={"log"})
                yield _event("verdict" if view.status.final else "status", body)
                last_sent = time.monotonic()
                if view.status.final:
                    return
            elif time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                yield b": keep-alive\n\n"
                last_sent = time.monotonic()
            if await request.is_disconnected():
                return
            await anyio.sleep(POLL_SECONDS)
        yield b": stream lifetime over; reconnect to keep following\n\n"
    finally:
        slot.release()


def open_version_stream(request: Request, services: Services, user: User,
                        version_id: int) -> Response:
    """The stream of a version the user may see: NotFound or Forbidden before
    it starts, a 429 past the user's or the server's stream cap."""
    publishing.get_version(db=services.db, user=user, version_id=version_id)
    try:
        slot = slots_for(request.app).acquire(user.id)
    except TooManyStreams as exc:
        return exc.response()
    return SlotStream(_stream(request, services, user, version_id, slot), slot)
