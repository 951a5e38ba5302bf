"""The run's wall-clock deadline, enforced with SIGALRM in the main thread.

The whole run must end by wall_seconds - 1 s, so the harness still has time
to write a report before the host gives up on the container. When the
deadline passes:

- if a test phase (setup, call, teardown) is running, DeadlineReached is
  raised inside it: pytest records it as that phase's failure and the
  plugin marks the test failed with a timeout message;
- otherwise (pytest between tests) only `expired` is set: the callbacks ask
  pytest to stop after the current item;
- either way a short grace timer is armed; if it fires too, DeadlineReached
  is raised wherever the main thread is, to break out of a hung teardown.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from types import FrameType

from grader_harness.errors import DeadlineReached

# What the harness keeps for itself: killing the student and writing the report.
MARGIN_SECONDS = 1.0
GRACE_SECONDS = 0.5


class Deadline:
    def __init__(self, wall_seconds: float, started: float | None = None) -> None:
        self.wall_seconds = wall_seconds
        start = time.monotonic() if started is None else started
        self.at = start + max(wall_seconds - MARGIN_SECONDS, 0.1)
        self.expired = False
        self.in_phase = False  # set by the plugin around each test phase
        self._callbacks: list[Callable[[], None]] = []
        self._previous: signal.Handlers | Callable[..., object] | int | None = None

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def on_expire(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def arm(self) -> None:
        self._previous = signal.signal(signal.SIGALRM, self._fire)
        # setitimer rather than alarm(): alarm only has whole seconds.
        signal.setitimer(signal.ITIMER_REAL, max(self.remaining(), 0.001))

    def disarm(self) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._previous is not None:
            signal.signal(signal.SIGALRM, self._previous)
            self._previous = None

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if self.expired:
            raise DeadlineReached("the grace period after the deadline is over")
        self.expired = True
        signal.setitimer(signal.ITIMER_REAL, GRACE_SECONDS)
        for callback in self._callbacks:
            callback()
        if self.in_phase:
            raise DeadlineReached(f"the time limit ({self.wall_seconds:g} s) was reached")
