"""When a warm pool may start a sandbox ahead: only with a core free of grading.

When every core grades, a refill finds no idle CPU: it loads beside the
gradings and takes its CPU from them, and a burst then goes slower warm than
cold (measured: docs/service.md#warm-refills-when-every-core-grades). So a
pool with a gate starts nothing while as many of its worker's gradings run
(host_gradings.py) as the Docker engine has CPUs, nor for FREE_CORE_SECONDS
after: longer than a busy worker's pause between two gradings (storing a
report, taking the next message: tens of milliseconds), in which a start
would only take its CPU from the next grading. Meanwhile the gradings go
cold, as with warm sandboxes off; with a core to spare nothing changes.
"""

from __future__ import annotations

import math

from sandbox.host_gradings import HostGradings

# While the gate is shut, the pool's fill thread looks again this often.
RECHECK_SECONDS = 0.05
FREE_CORE_SECONDS = 0.25


class RefillGate:
    def __init__(self, gradings: HostGradings, cores: float) -> None:
        if not cores > 0:
            raise ValueError(f"a refill gate needs a positive number of cores, not {cores!r}")
        self.gradings, self.cores = gradings, cores
        self.put_off = 0  # looks that found it shut (RECHECK_SECONDS apart)
        self._busy_at = -math.inf  # when every core was last seen grading

    def shut(self, now: float) -> bool:
        """Whether a start must wait: every core grades now, or did a moment ago."""
        if self.gradings.count() >= self.cores:
            self._busy_at = now
        shut = now - self._busy_at < FREE_CORE_SECONDS
        self.put_off += shut
        return shut
