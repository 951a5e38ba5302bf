"""How often a status stream asks the database: fastest for a running
grading (its end is what the watcher waits for), slow for one that has
waited in the queue for a while (hundreds of those must stay cheap)."""

from __future__ import annotations

from grader.db import SubmissionStatus
from grader.http.status_stream import (
    FAST_AFTER_CHANGE_SECONDS,
    RUNNING_POLL_SECONDS,
    SLOW_POLL_SECONDS,
    _interval,
)


def test_a_running_grading_is_polled_fastest_however_long_it_runs() -> None:
    assert _interval(SubmissionStatus.RUNNING, 0.0) == RUNNING_POLL_SECONDS
    assert _interval(SubmissionStatus.RUNNING, 600.0) == RUNNING_POLL_SECONDS
    assert RUNNING_POLL_SECONDS <= 0.02


def test_a_long_queued_submission_is_polled_slowly_and_a_fresh_one_fast() -> None:
    fresh = _interval(SubmissionStatus.QUEUED, 0.1)
    stale = _interval(SubmissionStatus.QUEUED, FAST_AFTER_CHANGE_SECONDS + 1)
    assert RUNNING_POLL_SECONDS < fresh < stale == SLOW_POLL_SECONDS
