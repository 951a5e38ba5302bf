"""How many ready containers the warm pool keeps per key (sandbox/warm_demand.py)."""

from __future__ import annotations

from sandbox.limits import SandboxLimits
from sandbox.warm_container import WarmKey
from sandbox.warm_demand import FAILURE_BACKOFF_SECONDS, Demand

LIMITS = SandboxLimits(wall_seconds=3.0, memory_mb=256)
KEY = WarmKey(image="grader-ex-a:1", runner="python", limits=LIMITS)
OTHER = WarmKey(image="grader-ex-b:1", runner="python", limits=LIMITS)


def test_a_take_of_a_container_still_loading_asks_for_one_more_up_to_max_extra() -> None:
    demand = Demand(per_key=1, max_extra=2)
    assert demand.target(KEY, now=0) == 1
    demand.took(KEY, loaded=True)
    assert demand.target(KEY, now=0) == 1  # a loaded one: the pace is fine
    for expected in (2, 3, 3):
        demand.took(KEY, loaded=False)
        assert demand.target(KEY, now=0) == expected
    assert demand.target(OTHER, now=0) == 1  # per key
    demand.went_unused(KEY, 1)
    assert demand.target(KEY, now=0) == 2
    demand.went_unused(KEY, 5)
    assert demand.target(KEY, now=0) == 1  # never below per_key
    demand.took(KEY, loaded=False)
    demand.forget(KEY)
    assert demand.target(KEY, now=0) == 1


def test_without_max_extra_the_target_stays_per_key() -> None:
    demand = Demand(per_key=2, max_extra=0)
    demand.took(KEY, loaded=False)
    assert demand.target(KEY, now=0) == 2


def test_expected_takes_cap_the_target_and_each_take_counts_down() -> None:
    demand = Demand(per_key=2, max_extra=2)
    demand.expect(KEY.image, 3)
    assert demand.target(KEY, now=0) == 2
    demand.took(KEY, loaded=True)
    demand.took(KEY, loaded=True)
    assert demand.target(KEY, now=0) == 1  # one grading left: one container
    demand.took(KEY, loaded=True)
    assert demand.target(KEY, now=0) == 0  # none left: start nothing for nobody
    demand.took(KEY, loaded=True)  # a take past what was expected
    assert demand.target(KEY, now=0) == 0
    assert demand.target(OTHER, now=0) == 2  # another image is not capped
    demand.expect(OTHER.image, -4)  # hostile count: clamped, never negative
    assert demand.target(OTHER, now=0) == 0


def test_a_failed_start_leaves_the_key_cold_for_the_backoff() -> None:
    demand = Demand(per_key=1, max_extra=0)
    demand.failed(KEY, now=100.0)
    assert demand.next_retry() == 100.0 + FAILURE_BACKOFF_SECONDS
    assert demand.target(KEY, now=101.0) == 0
    assert demand.target(KEY, now=100.0 + FAILURE_BACKOFF_SECONDS) == 1
    demand.started(KEY)
    assert demand.next_retry() is None
