"""Per-user submission rate limit, counted in Redis so that every API process
(on any host) shares one count. Fixed windows: simple, one round trip."""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger(__name__)


class RateLimiter:
    def __init__(
        self, redis_client: Any, *, limit: int, window: int, prefix: str = "grader:rate"
    ) -> None:
        self.redis = redis_client
        self.limit = limit
        self.window = window
        self.prefix = prefix

    def hit(self, key: str, *, now: float | None = None) -> int | None:
        """Count one submission; returns seconds to wait if over the limit, else None.

        If Redis cannot be reached the submission is let through: the database
        is the source of truth and a submission must not be refused because
        the counter is down (the outage shows in /readyz)."""
        now = time.time() if now is None else now
        window_index = int(now // self.window)
        name = f"{self.prefix}:{key}:{window_index}"
        try:
            pipe = self.redis.pipeline()
            pipe.incr(name)
            pipe.expire(name, self.window + 1)
            count, _ = pipe.execute()
        except Exception as exc:
            log.warning("rate limit not checked (Redis: %s)", exc)
            return None
        if int(count) <= self.limit:
            return None
        return max(1, int((window_index + 1) * self.window - now + 0.999))
