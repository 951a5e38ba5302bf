"""The warm-sandbox settings: ranges, and an idle time the orphan sweep never undercuts."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from grader.settings import Settings
from sandbox.pool import WarmPool


def test_idle_time_stays_below_the_sweeps_age_limit() -> None:
    # The sweep removes sandboxes older than max wall + running deadline.
    settings = Settings(warm_sandbox_idle_seconds=300, running_deadline_seconds=30,
                        max_wall_seconds=10)  # fmt: skip
    assert settings.sandbox_max_age_seconds() == 40
    assert settings.warm_idle_seconds() == 20
    assert Settings(warm_sandbox_idle_seconds=90).warm_idle_seconds() == 90  # defaults: 330 s


@pytest.mark.parametrize("bad", [{"warm_sandboxes": -1}, {"warm_sandboxes": 17},
                                 {"warm_sandbox_idle_seconds": 0},
                                 {"warm_sandboxes_per_key": 0}, {"warm_sandboxes_per_key": 17},
                                 {"warm_sandboxes_back_to_back": -1},
                                 {"warm_sandboxes_back_to_back": 9},
                                 {"warm_sandboxes_back_to_back": "many"}])
def test_out_of_range_values_name_their_field(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=next(iter(bad))):
        Settings(**bad)


def test_zero_turns_warm_sandboxes_off_and_a_pool_needs_room() -> None:
    assert Settings(warm_sandboxes=0).warm_sandboxes == 0
    for bad in ({"max_keys": 0}, {"per_key": 0}, {"idle_seconds": 0}, {"max_extra": -1}):
        with pytest.raises(ValueError, match="warm pool needs"):
            WarmPool(None, **bad)  # type: ignore[arg-type]


def test_per_key_defaults_to_a_prefork_childs_share_of_concurrency() -> None:
    # One grading at a time per child: one ready container per hot exercise.
    assert Settings().warm_sandboxes_per_key == 1
    assert Settings(warm_sandboxes_per_key=4).warm_sandboxes_per_key == 4


def test_back_to_back_extra_defaults_to_two_and_zero_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().warm_sandboxes_back_to_back == 2
    monkeypatch.setenv("GRADER_WARM_SANDBOXES_BACK_TO_BACK", "0")
    assert Settings().warm_sandboxes_back_to_back == 0
