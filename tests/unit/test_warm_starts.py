"""The warm pool's starts under way and their typical time (sandbox/warm_starts.py)."""

from __future__ import annotations

import pytest

from sandbox.limits import SandboxLimits
from sandbox.warm_container import WarmKey
from sandbox.warm_starts import FIRST_START_GUESS_SECONDS, START_WEIGHT, Starts

KEY = WarmKey(image="grader-ex-a:1", runner="python",
              limits=SandboxLimits(wall_seconds=3.0, memory_mb=256))  # fmt: skip


def test_a_finished_start_moves_the_typical_time_and_a_failed_one_does_not() -> None:
    starts = Starts()
    assert starts.typical == FIRST_START_GUESS_SECONDS
    starts.begin(KEY, now=10.0)
    assert KEY in starts and len(starts) == 1
    starts.ended(KEY, now=10.1, started=True)
    expected = FIRST_START_GUESS_SECONDS + START_WEIGHT * (0.1 - FIRST_START_GUESS_SECONDS)
    assert starts.typical == pytest.approx(expected)
    assert KEY not in starts and len(starts) == 0
    starts.begin(KEY, now=20.0)
    starts.ended(KEY, now=80.0, started=False)  # a minute, then an error: no start time
    assert starts.typical == pytest.approx(expected)
    assert KEY not in starts


def test_a_take_waits_about_one_typical_start_and_never_past_twice_it_from_the_begin() -> None:
    starts = Starts()
    starts.typical = 0.4
    starts.begin(KEY, now=100.0)
    assert starts.wait_until(KEY, now=100.1) == pytest.approx(100.5)  # one typical from now
    # Late in a dragging start: twice the typical from its begin, not more.
    assert starts.wait_until(KEY, now=100.6) == pytest.approx(100.8)
    assert starts.wait_until(KEY, now=101.0) == pytest.approx(100.8)  # already past: no wait
