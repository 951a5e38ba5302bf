"""The warm pool's containers waiting for a grading, per key (pool.py): which
one a take gets, which have expired, how many are still loading.

No lock of its own: the pool holds its lock around every call. Containers
that leave here (expired, evicted, trimmed, drained) are returned to the
caller, which removes them outside the lock.
"""

from __future__ import annotations

from docker.models.containers import Container

from sandbox.warm_container import WarmContainer, WarmKey

# How long the pool may sleep when nothing here will change.
QUIET_SECONDS = 60.0


class IdleSandboxes:
    def __init__(self) -> None:
        self._by_key: dict[WarmKey, list[WarmContainer]] = {}

    def add(self, key: WarmKey, entry: WarmContainer) -> None:
        self._by_key.setdefault(key, []).append(entry)

    def count(self, key: WarmKey | None = None) -> int:
        """Waiting containers of `key`, or of every key."""
        if key is not None:
            return len(self._by_key.get(key, []))
        return sum(len(entries) for entries in self._by_key.values())

    def loaded_count(self) -> int:
        """Waiting containers whose harness has loaded (waits for its request)."""
        return sum(e.loaded for entries in self._by_key.values() for e in entries)

    def loading_count(self, now: float) -> int:
        return sum(e.loading(now) for entries in self._by_key.values() for e in entries)

    def next_change(self, now: float) -> float:
        """When one of them next expires or stops counting as loading."""
        return min((e.next_change() for entries in self._by_key.values() for e in entries),
                   default=now + QUIET_SECONDS)  # fmt: skip

    def take(self, key: WarmKey, now: float) -> tuple[WarmContainer | None, list[Container]]:
        """The first loaded container of `key`, else the oldest (the likeliest
        to load first), or None; and the ones of `key` that had expired."""
        expired = self._expire(key, now)
        entries = self._by_key.get(key, [])
        if not entries:
            return None, expired
        entry = next((e for e in entries if e.loaded), entries[0])
        entries.remove(entry)
        return entry, expired

    def expire(self, now: float) -> dict[WarmKey, list[Container]]:
        """Take out every expired container, by key."""
        return {key: self._expire(key, now) for key in list(self._by_key)}

    def forget(self, key: WarmKey) -> list[Container]:
        """Every container of a key the pool no longer keeps."""
        return [e.container for e in self._by_key.pop(key, [])]

    def trim(self, image: str, keep: int) -> list[Container]:
        """Keep at most `keep` containers of each key of `image`: the newest
        (the least loaded) go first."""
        surplus: list[Container] = []
        for key, entries in self._by_key.items():
            while key.image == image and len(entries) > keep:
                surplus.append(entries.pop().container)
        return surplus

    def drain(self) -> list[Container]:
        """Every container, for the pool's close."""
        drained = [e.container for entries in self._by_key.values() for e in entries]
        self._by_key.clear()
        return drained

    def _expire(self, key: WarmKey, now: float) -> list[Container]:
        entries = self._by_key.get(key, [])
        expired = [e.container for e in entries if e.expires <= now]
        entries[:] = [e for e in entries if e.expires > now]
        return expired
