"""A submission started running or reached a final state: a Redis message,
so its stream sees it at once.

The streams (grader/http/status_stream.py) poll the database, the source of
truth. A worker that claims a submission (it is running) or records its
final state also announces the submission's id on CHANNEL (`announce`); each
API process keeps one subscription (`Wakeups`), and a stream waiting for
that submission polls at once instead of at its next tick. So a running
grading's stream is polled rarely (every 0.5 s) and still shows its end
within milliseconds.

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


class Wakeups:
    """One API process's subscription: streams wait here between polls."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._listener: asyncio.Task[None] | None = None

    async def wait(self, submission_id: str, timeout: float) -> None:
        """Until `submission_id` is announced, or `timeout` seconds."""
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        event = asyncio.Event()
        self._waiters.setdefault(submission_id, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            waiting = self._waiters.get(submission_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiters[submission_id]

    def wake(self, data: Any) -> None:
        """A message's data: wake the streams of that submission, if it is one."""
        if not isinstance(data, bytes) or len(data) > MAX_ID_BYTES or not data.isascii():
            return
        for event in self._waiters.get(data.decode("ascii"), ()):
            event.set()

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
