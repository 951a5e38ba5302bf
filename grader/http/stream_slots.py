"""Slots for live status streams: at most N open per user and M in all.

Each open stream polls the database for as long as it lives, so a few hundred
of them slow every other request of the process (300 on one queued
submission took an unrelated request from 7 ms to 880 ms). The caps bound
that cost.

The count is per API process, on purpose: what a stream uses up (the event
loop, the thread pool, database connections) belongs to its process, and an
in-process count cannot leak when a process dies, as a Redis counter would.
With several API processes a user may hold the per-user cap in each.
The streams routes (API and page) are sync handlers (run in the thread pool), so the
count is guarded by a lock, not only by the event loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.responses import JSONResponse

RETRY_AFTER_SECONDS = 10  # streams end when their submission is final: soon, usually


class TooManyStreams(Exception):
    def __init__(self, detail: str, limit: int) -> None:
        super().__init__(detail)
        self.detail = detail
        self.limit = limit

    def response(self) -> JSONResponse:
        """RFC 9457 problem details (with `detail` as every other error has it)."""
        body = {"type": "about:blank", "title": "Too many live streams", "status": 429,
                "detail": self.detail, "limit": self.limit}
        return JSONResponse(body, status_code=429, media_type="application/problem+json",
                            headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


@dataclass
class Slot:
    """One open stream's place; release() is idempotent, so both the stream's
    own end and the response's end may call it."""

    slots: StreamSlots
    user_id: int
    released: bool = False

    def release(self) -> None:
        self.slots.release(self)


@dataclass
class StreamSlots:
    per_user: int
    total: int
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _by_user: dict[int, int] = field(default_factory=dict)
    _open: int = 0

    def acquire(self, user_id: int) -> Slot:
        with self._lock:
            if self._by_user.get(user_id, 0) >= self.per_user:
                raise TooManyStreams(
                    f"you already have {self.per_user} live status streams open (the most "
                    f"allowed); close one, or poll GET /api/v1/submissions/{{id}} instead",
                    self.per_user)
            if self._open >= self.total:
                raise TooManyStreams(
                    f"the server has {self.total} live status streams open (its limit); "
                    f"retry later, or poll GET /api/v1/submissions/{{id}} instead", self.total)
            self._by_user[user_id] = self._by_user.get(user_id, 0) + 1
            self._open += 1
            return Slot(self, user_id)

    def release(self, slot: Slot) -> None:
        with self._lock:
            if slot.released:
                return
            slot.released = True
            self._open -= 1
            left = self._by_user[slot.user_id] - 1
            if left:
                self._by_user[slot.user_id] = left
            else:
                del self._by_user[slot.user_id]

    def open_count(self, user_id: int | None = None) -> int:
        with self._lock:
            return self._open if user_id is None else self._by_user.get(user_id, 0)


def slots_for(app: FastAPI) -> StreamSlots:
    """The app's one StreamSlots, made by grader.app.create_app."""
    slots: StreamSlots = app.state.stream_slots
    return slots
