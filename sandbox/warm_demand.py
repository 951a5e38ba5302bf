"""How many ready containers the warm pool (pool.py) keeps for each key.

Pure bookkeeping, no Docker and no lock of its own: the pool calls it under
its lock. A key's target is:

- `per_key`, the gradings its process runs at once;
- plus `extra`, up to `max_extra`: one more each time a take got a container
  still loading (its submissions come faster than a container loads), one
  less each time one of its containers waited out its idle time unused;
- at most the takes its caller says are still to come (`expect`: a check
  knows how many gradings of each exercise are left, so no container is
  started for nobody);
- none while its start backs off after a failure.
"""

from __future__ import annotations

from sandbox.warm_container import WarmKey

# After a key's container could not be started (image removed, engine busy),
# leave it cold this long rather than retrying in a loop.
FAILURE_BACKOFF_SECONDS = 30.0


class Demand:
    def __init__(self, per_key: int, max_extra: int) -> None:
        self.per_key = per_key
        self.max_extra = max_extra
        self.extra: dict[WarmKey, int] = {}
        self.upcoming: dict[str, int] = {}  # image -> takes still to come, when known
        self.backoff: dict[WarmKey, float] = {}  # key -> time.monotonic() to retry at

    def target(self, key: WarmKey, now: float) -> int:
        if self.backoff.get(key, 0) > now:
            return 0
        wanted = self.per_key + self.extra.get(key, 0)
        return min(wanted, self.upcoming.get(key.image, wanted))

    def expect(self, image: str, takes: int) -> None:
        self.upcoming[image] = max(takes, 0)

    def took(self, key: WarmKey, *, loaded: bool) -> None:
        if key.image in self.upcoming:
            self.upcoming[key.image] = max(self.upcoming[key.image] - 1, 0)
        if not loaded:
            self.extra[key] = min(self.extra.get(key, 0) + 1, self.max_extra)

    def went_unused(self, key: WarmKey, count: int) -> None:
        if count:
            self.extra[key] = max(self.extra.get(key, 0) - count, 0)

    def forget(self, key: WarmKey) -> None:
        """The key left the pool's recent keys."""
        self.extra.pop(key, None)

    def failed(self, key: WarmKey, now: float) -> None:
        self.backoff[key] = now + FAILURE_BACKOFF_SECONDS

    def started(self, key: WarmKey) -> None:
        self.backoff.pop(key, None)

    def next_retry(self) -> float | None:
        return min(self.backoff.values(), default=None)
