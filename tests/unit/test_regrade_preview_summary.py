"""The regrade preview's figures from its items (a pure function): how many
scores would change, up and down, gained or lost, and the mean and largest
change in points and as a fraction of full marks."""

from __future__ import annotations

import pytest

from grader.db.regrade_previews import ItemOutcome
from grader.services.regrade_preview_views import Figures, summarize

GRADED, NOT_GRADABLE, ERROR = ItemOutcome.GRADED, ItemOutcome.NOT_GRADABLE, ItemOutcome.ERROR


def test_no_items_gives_zero_counts_and_no_means() -> None:
    summary = summarize([])
    assert (summary.submissions, summary.changed, summary.compared) == (0, 0, 0)
    assert summary.mean_change_points is None and summary.max_change_fraction is None


def test_ups_downs_and_unchanged_with_means_and_the_largest_change() -> None:
    summary = summarize([
        Figures(2, 2, 2, 2),  # unchanged
        Figures(1, 2, 2, 2),  # up 1 point, +0.5
        Figures(2, 2, 0.5, 2),  # down 1.5 points, -0.75
        Figures(3, 4, 3, 4),  # unchanged
    ])
    assert (summary.submissions, summary.compared, summary.changed) == (4, 4, 2)
    assert (summary.up, summary.down, summary.unchanged) == (1, 1, 2)
    assert summary.mean_change_points == pytest.approx(-0.5 / 4)
    assert summary.mean_change_fraction == pytest.approx(-0.25 / 4)
    assert summary.max_change_points == pytest.approx(-1.5)  # the largest in size, signed
    assert summary.max_change_fraction == pytest.approx(-0.75)


def test_a_new_max_counts_by_fraction_first_then_points() -> None:
    summary = summarize([
        Figures(1, 2, 1, 4),  # same points, half the fraction: down
        Figures(1, 2, 2, 4),  # same fraction, more points: up
        Figures(0, 2, 0, 4),  # nothing scored either way, only the max moves: neither
    ])
    assert (summary.changed, summary.up, summary.down, summary.unchanged) == (3, 1, 1, 0)
    assert summary.max_change_fraction == pytest.approx(-0.25)
    assert summary.max_change_points == pytest.approx(1)


def test_gaining_or_losing_a_score_is_a_change_outside_the_means() -> None:
    summary = summarize([
        Figures(None, None, 2, 2),  # not gradable now, would be graded
        Figures(1, 2, None, None, NOT_GRADABLE),  # the new version refuses its files
        Figures(None, None, None, None, NOT_GRADABLE),  # not gradable before and after
        Figures(1, 2, 1, 2),
    ])
    assert (summary.changed, summary.newly_scored, summary.would_lose_score) == (2, 1, 1)
    assert (summary.compared, summary.unchanged, summary.up, summary.down) == (1, 1, 0, 0)
    assert summary.mean_change_points == 0 and summary.mean_change_fraction == 0


def test_errors_and_ungraded_items_predict_nothing() -> None:
    summary = summarize([
        Figures(1, 2, None, None, ERROR),  # the sandbox failed: no prediction
        Figures(1, 2, None, None, None),  # not graded yet
        Figures(1, 2, 1.5, 2),
    ])
    assert (summary.submissions, summary.errors, summary.changed, summary.up) == (3, 1, 1, 1)
    assert summary.compared == 1 and summary.mean_change_points == pytest.approx(0.5)


def test_float_noise_is_not_a_change_and_a_zero_max_has_no_fraction() -> None:
    summary = summarize([Figures(0.1 + 0.2, 1, 0.3, 1), Figures(0, 0, 1, 0)])
    assert (summary.unchanged, summary.changed, summary.up) == (1, 1, 1)
    assert summary.max_change_fraction == 0  # no fraction of a zero max: counted as none
