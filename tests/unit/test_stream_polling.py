"""How often a status stream asks the database: fast for a submission that
just changed, slow for one that has waited in the queue for a while
(hundreds of those must stay cheap), and slow for a running one too: its
worker announces its end (services/status_events.py), so the poll is only
the fallback for a lost announcement."""

from __future__ import annotations

from grader.db import SubmissionStatus
from grader.http.status_stream import (
    FAST_AFTER_CHANGE_SECONDS,
    RUNNING_POLL_SECONDS,
    SLOW_POLL_SECONDS,
    _interval,
)


def test_a_running_grading_is_polled_rarely_however_long_it_runs() -> None:
    # Every poll costs the API CPU that the gradings need; the end comes by announcement.
    assert _interval(SubmissionStatus.RUNNING, 0.0) == RUNNING_POLL_SECONDS
    assert _interval(SubmissionStatus.RUNNING, 600.0) == RUNNING_POLL_SECONDS
    assert RUNNING_POLL_SECONDS >= 0.25
    # ...but a lost announcement still shows the result within a second.
    assert RUNNING_POLL_SECONDS <= 1.0


def test_a_long_queued_submission_is_polled_slowly_and_a_fresh_one_fast() -> None:
    fresh = _interval(SubmissionStatus.QUEUED, 0.1)
    stale = _interval(SubmissionStatus.QUEUED, FAST_AFTER_CHANGE_SECONDS + 1)
    assert fresh < stale == SLOW_POLL_SECONDS
