"""The warm-sandbox settings refuse what would make the sweep fight the pool."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from grader.settings import Settings
from sandbox.pool import WarmPool


def test_idle_time_must_stay_below_the_sweeps_age_limit() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(warm_sandbox_idle_seconds=300, running_deadline_seconds=300)
    message = str(caught.value)
    assert "GRADER_WARM_SANDBOX_IDLE_SECONDS (300)" in message
    assert "GRADER_RUNNING_DEADLINE_SECONDS (300)" in message
    assert Settings(warm_sandbox_idle_seconds=299, running_deadline_seconds=300)


@pytest.mark.parametrize("bad", [{"warm_sandboxes": -1}, {"warm_sandboxes": 17},
                                 {"warm_sandbox_idle_seconds": 0}])
def test_out_of_range_values_name_their_field(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):
        Settings(**bad)


def test_zero_turns_warm_sandboxes_off_and_a_pool_needs_room() -> None:
    assert Settings(warm_sandboxes=0).warm_sandboxes == 0
    for bad in ({"max_keys": 0}, {"per_key": 0}, {"idle_seconds": 0}):
        with pytest.raises(ValueError, match="warm pool needs"):
            WarmPool(None, **bad)  # type: ignore[arg-type]
