"""The warm pool's starts under way (one per key at most), and how long a
start typically takes on this engine.

Back to back, a take can find no container ready while one is being started
for its key. It waits for that one (a handover) if it should come within
about one typical start: sooner than the cold start the grading would
otherwise make. `typical` is a moving average of this pool's starts, each
new one weighing START_WEIGHT, since the engine's speed changes with its
load. A start past twice the typical time is stuck (a busy engine): the take
gives up on it and goes cold. A failed start says nothing of how long one
takes, so it leaves the average alone.
"""

from __future__ import annotations

from sandbox.warm_container import WarmKey

# The typical start (create + start) before this pool has measured one.
FIRST_START_GUESS_SECONDS = 0.5
START_WEIGHT = 0.3


class Starts:
    def __init__(self) -> None:
        self.typical = FIRST_START_GUESS_SECONDS
        self.under_way: dict[WarmKey, float] = {}  # key -> when its start began

    def __contains__(self, key: WarmKey) -> bool:
        return key in self.under_way

    def __len__(self) -> int:
        return len(self.under_way)

    def begin(self, key: WarmKey, now: float) -> None:
        self.under_way[key] = now

    def ended(self, key: WarmKey, now: float, *, started: bool) -> None:
        """The start of `key` is over: `started`, or failed (the average stays)."""
        began = self.under_way.pop(key)
        if started:
            self.typical += START_WEIGHT * (now - began - self.typical)

    def wait_until(self, key: WarmKey, now: float) -> float:
        """When a take that waits for the start of `key` gives up: about one
        typical start from now, and never past twice the typical start from
        when it began."""
        return min(self.under_way[key] + 2 * self.typical, now + self.typical)
