"""A submission started running or reached a final state: a Redis message,
so its stream sees it at once.

The streams (grader/http/status_stream.py) poll the database, the source of
truth. A worker that claims a submission (it is running) or records its
final state also announces the submission's id on CHANNEL (`announce`); each
API process keeps one subscription (`Wakeups`), and a stream waiting for
that submission polls at once instead of at its next tick (a stream's
`Watch` is held between its waits, so one that comes during a poll is kept).
So a running grading's stream is polled rarely (every 0.5 s) and still
shows its end within milliseconds.

An announcement is only a hint, so it never replaces the poll: a lost one
(Redis down, a process subscribing late) costs the poll's interval, never a
result. A message is only a key to look up in this process's waiters:
anything that is not a short ASCII id is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import redis
import redis.asyncio

log = logging.getLogger(__name__)

CHANNEL = "grader:submission-final"
MAX_ID_BYTES = 64
RESUBSCRIBE_SECONDS = 2.0  # after Redis went away: the polls carry on meanwhile


def announce(client: redis.Redis, submission_id: str) -> None:
    """Tell the API processes; never raises (the result is stored already)."""
    try:
        client.publish(CHANNEL, submission_id)
    except redis.RedisError as exc:
        log.debug("could not announce submission %s: %s", submission_id, exc)


class Watch:
    """One stream's interest in one submission, held for the stream's whole
    life: an announcement that comes while the stream is polling (not
    waiting) is kept, and its next wait returns at once. A waiter registered
    only while it waits would miss it and sleep a whole poll interval."""

    def __init__(self, wakeups: Wakeups, submission_id: str) -> None:
        self._wakeups, self.submission_id = wakeups, submission_id
        self.event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        """Until an announcement since the last wait, or `timeout` seconds."""
        self._wakeups.listen()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), timeout)
        self.event.clear()

    def close(self) -> None:
        self._wakeups.forget(self)


class Wakeups:
    """One API process's subscription: streams wait here between polls. Used
    from the event loop only (the listener runs there too): no locks."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self._waiters: dict[str, set[Watch]] = {}
        self._listener: asyncio.Task[None] | None = None

    def watch(self, submission_id: str) -> Watch:
        """Start keeping `submission_id`'s announcements for a stream; close() it."""
        self.listen()
        made = Watch(self, submission_id)
        self._waiters.setdefault(submission_id, set()).add(made)
        return made

    def forget(self, watch: Watch) -> None:
        waiting = self._waiters.get(watch.submission_id)
        if waiting is not None:
            waiting.discard(watch)
            if not waiting:
                del self._waiters[watch.submission_id]

    def listen(self) -> None:
        """Start (or restart) the subscription's task; needs the running loop."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    def wake(self, data: Any) -> None:
        """A message's data: wake the streams of that submission, if it is one."""
        if not isinstance(data, bytes) or len(data) > MAX_ID_BYTES or not data.isascii():
            return
        for watch in self._waiters.get(data.decode("ascii"), ()):
            watch.event.set()

    async def _listen(self) -> None:
        while True:
            client = redis.asyncio.Redis.from_url(self.redis_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.wake(message.get("data"))
            except (redis.RedisError, OSError) as exc:
                log.debug("status announcements unavailable (polling only): %s", exc)
            finally:
                await client.aclose()
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
