"""From pytest's items and phase reports to the report's TestResults.

A test's outcome comes from its phases: a failed setup is an `error` (the
test could not run), a failed call is `failed`, a failed teardown after a
passing call is an `error`. The deadline overrides: the test it interrupted
is `failed` with a timeout message, tests it kept from running are `error`
"not run" and still count in max_score. Points are all or nothing; a skipped
test counts for nothing (0 of 0).

Each test also gets, for authors only, what student code printed while it
ran and what the test printed itself (`author_output`, capped per test and
for the whole report).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from grader_harness.protocol import Layout
from grader_harness.report import Outcome, TestResult, Visibility

# All tests' together, so 500 tests of escaped control characters still fit
# the host's report size limit; later tests then say theirs was not kept.
MAX_TESTS_OUTPUT_CHARS = 200_000
TEST_OUTPUT_MARK = "--- printed by the test itself ---\n"
OUTPUT_BUDGET_MARK = "[... not kept: the report's room for per-test output is used up ...]\n"


def combined_output(student: str, own: str) -> str:
    """A test's `author_output`: the student code's part, then the test's own."""
    return student + (TEST_OUTPUT_MARK + own if own else "")


def within_budget(tests: list[TestResult]) -> list[TestResult]:
    """Per-test output up to MAX_TESTS_OUTPUT_CHARS in all, in the listed order."""
    kept, room = [], MAX_TESTS_OUTPUT_CHARS
    for test in tests:
        size = len(test.author_output)
        if size > room:
            test = replace(test, author_output=OUTPUT_BUDGET_MARK)
        room -= min(size, room)
        kept.append(test)
    return kept


@dataclass(frozen=True)
class ItemInfo:
    nodeid: str
    id: str
    name: str
    visibility: Visibility
    points: float
    hint: str | None


@dataclass(frozen=True)
class Phase:
    outcome: str  # pytest's: "passed", "failed" or "skipped"
    duration: float
    message: str | None
    timed_out: bool


def _points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None:
        return 1.0
    value = marker.args[0] if marker.args else marker.kwargs.get("n")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"points() takes a number, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"points() must be a finite number >= 0, not {value!r}")
    return float(value)


def _hint(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("hint")
    if marker is None:
        return None
    value = marker.args[0] if marker.args else marker.kwargs.get("text")
    if not isinstance(value, str):
        raise ValueError(f"hint() takes a text, not {value!r}")
    return value


def _name(item: pytest.Item) -> str:
    """The first line of the test's docstring, else pytest's name for it."""
    doc = getattr(getattr(item, "obj", None), "__doc__", None)
    first = doc.strip().splitlines()[0].strip() if isinstance(doc, str) and doc.strip() else ""
    if not first:
        return item.name
    callspec = getattr(item, "callspec", None)
    return f"{first} [{callspec.id}]" if callspec is not None else first


def item_info(item: pytest.Item, layout: Layout) -> ItemInfo:
    """Raises ValueError for a bad marker (the exercise's fault)."""
    path = Path(item.path)
    public = path.is_relative_to(layout.public_tests)
    base, prefix = (layout.public_tests, "public_tests") if public else (layout.tests, "tests")
    # Ids are named after the role of the folder, not its path on this machine.
    rest = item.nodeid.split("::", 1)[1] if "::" in item.nodeid else item.name
    test_id = f"{prefix}/{path.relative_to(base).as_posix()}::{rest}"
    visibility = Visibility.PUBLIC if public else Visibility.HIDDEN
    return ItemInfo(item.nodeid, test_id, _name(item), visibility, _points(item), _hint(item))


def _decide(phases: dict[str, Phase], wall: float, expired: bool) -> tuple[Outcome, str | None]:
    if not phases:
        return Outcome.ERROR, (f"not run: the time limit ({wall:g} s) was reached" if expired
                               else "not run")
    if any(p.timed_out for p in phases.values()):
        return Outcome.FAILED, f"the time limit ({wall:g} s) was reached while this test ran"
    setup, call, teardown = (phases.get(when) for when in ("setup", "call", "teardown"))
    if setup is None or setup.outcome == "failed":
        return Outcome.ERROR, setup.message if setup else "not run"
    if setup.outcome == "skipped":
        return Outcome.SKIPPED, None
    if call is None:
        return Outcome.ERROR, "not run"
    if call.outcome == "failed":
        return Outcome.FAILED, call.message
    if call.outcome == "skipped":
        return Outcome.SKIPPED, None
    if teardown is not None and teardown.outcome == "failed":
        return Outcome.ERROR, teardown.message
    return Outcome.PASSED, None


def build_result(info: ItemInfo, phases: dict[str, Phase], *, wall: float,
                 expired: bool, output: str = "") -> TestResult:
    outcome, message = _decide(phases, wall, expired)
    return TestResult(
        id=info.id,
        name=info.name,
        outcome=outcome,
        points=info.points if outcome is Outcome.PASSED else 0.0,
        max_points=0.0 if outcome is Outcome.SKIPPED else info.points,
        duration=round(sum(p.duration for p in phases.values()), 4),
        visibility=info.visibility,
        hint=info.hint if outcome is Outcome.FAILED else None,
        message=message,
        author_output=output,
    )
