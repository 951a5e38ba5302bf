"""A per-process memory of API tokens found valid a moment ago.

Every API request checks its token: a query, and (FastAPI runs a plain def
dependency in the thread pool) a thread hop around it; in a deadline burst
that was about a tenth of a POST's CPU. A token found valid is remembered
here for `TOKEN_CACHE_TTL` seconds, so a student's next requests within that
time check nothing but this dictionary.

Revocation still takes effect: a revocation, role change or account change
made through this process (accounts, admin) forgets every entry at once; one
made elsewhere (the CLI, another API process, another host) is seen once the
entry is older than the TTL, so a revoked token keeps working for at most
TOKEN_CACHE_TTL seconds there (docs/service.md). Only valid tokens are
remembered (an unknown token is asked again each time), by their SHA-256 digest,
never in clear; the count is capped so that many tokens cannot grow it
without bound.

Each hit hands out a new detached User built from the remembered columns:
requests never share one ORM object (a session that attached it in one
thread would see another's changes).
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.orm import make_transient_to_detached

from grader.db import Database, User
from grader.services.per_database import PerDatabase

TOKEN_CACHE_TTL = 2.0  # seconds; the longest a revocation elsewhere goes unseen
MAX_ENTRIES = 10_000  # tokens remembered at once, per database, per process
_COLUMNS = tuple(column.key for column in User.__mapper__.column_attrs)


class TokenCache:
    """Token digest -> (the user's column values, when they were read)."""

    def __init__(self, *, ttl: float = TOKEN_CACHE_TTL, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[dict[str, object], float]] = {}
        self._cleared_at = float("-inf")

    def get(self, digest: str) -> User | None:
        """A fresh detached copy of the user, if read less than `ttl` ago."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return None
            values, at = entry
            if time.monotonic() - at >= self.ttl:
                del self._entries[digest]
                return None
        user = User(**values)
        make_transient_to_detached(user)  # as if just loaded: nothing to flush
        return user

    def put(self, digest: str, user: User, *, read_at: float) -> None:
        """Remember `user` for `digest`, as of `read_at` (time.monotonic()
        before the query: a revocation that raced it counts from then)."""
        if self.ttl <= 0:
            return
        values = {key: getattr(user, key) for key in _COLUMNS}
        with self._lock:
            if read_at <= self._cleared_at:
                return  # read before a revocation here: it may be the revoked one
            if digest not in self._entries and len(self._entries) >= self.max_entries:
                self._make_room()
            self._entries[digest] = (values, read_at)

    def _make_room(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, at) in self._entries.items() if now - at >= self.ttl]:
            del self._entries[key]
        while len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest inserted

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cleared_at = time.monotonic()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_caches: PerDatabase[TokenCache] = PerDatabase()


def for_database(db: Database) -> TokenCache:
    return _caches.get(db, TokenCache)


def forget_all(db: Database) -> None:
    """After a revocation or a user's change in this process: ask the database again."""
    for_database(db).clear()
