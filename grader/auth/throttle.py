"""Slowing down password guessing without locking anyone out.

A lock-out per account lets anyone lock a named user out by failing their
password on purpose. So failures are counted per (account, client address):
the first `free_failures` cost nothing, then each failure makes that pair
wait 1, 2, 4, ... seconds (capped at `max_delay`) before its next try. The
owner signing in from another address is not slowed at all; a success
clears the pair's count. IPv6 clients are counted per /64, the block one
subscriber usually holds, so hopping addresses within it does not help.

Counts live in Redis, so every API process agrees; while Redis cannot be
reached (or with none configured) they live in the throttle object, one per
app (a guesser gains little from a restart: argon2 keeps each guess slow).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
from typing import Any

from grader.settings import Settings

log = logging.getLogger(__name__)

# Atomic, so that concurrent failures of one pair each add a step.
_FAILED = """
local f = redis.call('HINCRBY', KEYS[1], 'f', 1)
local delay = 0
if f >= tonumber(ARGV[1]) then
  delay = math.min(tonumber(ARGV[2]), 2 ^ (f - tonumber(ARGV[1])))
  redis.call('HSET', KEYS[1], 'u', tostring(tonumber(ARGV[3]) + delay))
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return delay
"""


def client_key(address: str | None) -> str:
    """The address a count is kept for: IPv4 as is, IPv6 by its /64."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class _Memory:
    """The fallback store: {key: (failures, blocked_until, forget_at)}."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rows: dict[str, tuple[int, float, float]] = {}

    def until(self, key: str, now: float) -> float:
        with self.lock:
            row = self.rows.get(key)
            return row[1] if row and row[2] > now else 0.0

    def failed(self, key: str, now: float, free: int, cap: int, ttl: int) -> int:
        with self.lock:
            if len(self.rows) > 100_000:  # never grow without bound
                self.rows = {k: v for k, v in self.rows.items() if v[2] > now}
            failures, until, forget = self.rows.get(key, (0, 0.0, 0.0))
            failures = failures + 1 if forget > now else 1
            delay = min(cap, 2 ** min(failures - free, 62)) if failures >= free else 0
            self.rows[key] = (failures, now + delay if delay else until, now + ttl)
            return int(delay)

    def clear(self, key: str) -> None:
        with self.lock:
            self.rows.pop(key, None)


class LoginThrottle:
    @classmethod
    def from_settings(cls, redis_client: Any, settings: Settings) -> LoginThrottle:
        return cls(redis_client, free_failures=settings.login_free_failures,
                   max_delay=settings.login_max_delay_seconds)

    def __init__(self, redis_client: Any, *, free_failures: int = 5, max_delay: int = 900,
                 prefix: str = "grader:login") -> None:
        self.redis = redis_client
        self.free = free_failures
        self.cap = max_delay
        # Forget a pair's failures after a quiet spell well past the longest wait.
        self.ttl = max(3600, 4 * max_delay)
        self.prefix = prefix
        self.memory = _Memory()

    def _key(self, name: str, address: str | None) -> str:
        # Hashed: names come from the client and may be anything, of any length.
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"{self.prefix}:{digest}:{client_key(address)}"

    def wait(self, name: str, address: str | None, *, now: float | None = None) -> int | None:
        """Seconds this pair must still wait before trying again, or None."""
        now = time.time() if now is None else now
        key = self._key(name, address)
        until = self.memory.until(key, now)
        if self.redis is not None:
            try:
                raw = self.redis.hget(key, "u")
                until = max(until, float(raw) if raw is not None else 0.0)
            except Exception as exc:
                log.warning("login throttle kept in this process (Redis: %s)", exc)
        return math.ceil(until - now) if until > now else None

    def failed(self, name: str, address: str | None, *, now: float | None = None) -> int:
        """Count a failure; returns the wait it imposes (0 while still free)."""
        now = time.time() if now is None else now
        key = self._key(name, address)
        if self.redis is not None:
            try:
                return int(self.redis.eval(_FAILED, 1, key, self.free, self.cap, now, self.ttl))
            except Exception as exc:
                log.warning("login throttle kept in this process (Redis: %s)", exc)
        return self.memory.failed(key, now, self.free, self.cap, self.ttl)

    def succeeded(self, name: str, address: str | None) -> None:
        key = self._key(name, address)
        self.memory.clear(key)
        if self.redis is not None:
            try:
                self.redis.delete(key)
            except Exception as exc:
                log.warning("login throttle not cleared (Redis: %s)", exc)
