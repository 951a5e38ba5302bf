"""The report model: scoring, status, truncation and strict parsing."""

from __future__ import annotations

import json

import pytest

from grader_harness.report import (
    MAX_MESSAGE_CHARS,
    Outcome,
    ReportFormatError,
    Status,
    TestResult,
    build_report,
    parse_report,
)


def result(name: str, outcome: Outcome, points: float = 1, max_points: float = 1) -> TestResult:
    earned = points if outcome is Outcome.PASSED else 0
    return TestResult(
        id=f"tests/test_x.py::{name}", name=name, outcome=outcome,
        points=earned, max_points=max_points, duration=0.01,
    )


def test_score_is_points_earned_out_of_possible() -> None:
    report = build_report([
        result("a", Outcome.PASSED, 2, 2),
        result("b", Outcome.FAILED, 3, 3),
        result("c", Outcome.PASSED, 1, 1),
    ])
    assert (report.score, report.max_score) == (3, 6)
    assert report.status is Status.FAILED
    assert not report.full_marks


def test_all_passed_is_passed_and_full_marks() -> None:
    report = build_report([result("a", Outcome.PASSED), result("b", Outcome.PASSED)])
    assert report.status is Status.PASSED and report.full_marks


def test_no_test_or_only_errors_is_error() -> None:
    assert build_report([]).status is Status.ERROR
    assert build_report([result("a", Outcome.ERROR)]).status is Status.ERROR


def test_a_limit_decides_the_status() -> None:
    report = build_report([result("a", Outcome.PASSED)], limit_hit=Status.TIMEOUT)
    assert report.status is Status.TIMEOUT and report.score == 1


def test_long_messages_keep_head_and_tail() -> None:
    long = "HEAD" + "x" * 10_000 + "TAIL"
    test = TestResult(id="i", name="n", outcome=Outcome.FAILED, points=0, max_points=1,
                      duration=0, message=long)
    assert test.message is not None
    assert len(test.message) == MAX_MESSAGE_CHARS
    assert test.message.startswith("HEAD") and test.message.endswith("TAIL")


def test_round_trip_through_json() -> None:
    report = build_report([result("a", Outcome.PASSED), result("b", Outcome.FAILED)],
                          message="m", output="out", duration=1.5)
    again = parse_report(report.to_json())
    assert again == report
    keys = list(json.loads(report.to_json()))
    assert keys[:4] == ["schema_version", "status", "score", "max_score"]


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda d: d.pop("status"), "status"),
        (lambda d: d.update(status="great"), "status"),
        (lambda d: d.update(score="10"), "score"),
        (lambda d: d.update(schema_version=99), "schema_version"),
        (lambda d: d["tests"][0].pop("outcome"), "tests[0]"),
        (lambda d: d["tests"][0].update(points=None), "points"),
    ],
)
def test_parse_names_the_wrong_field(mutate, named) -> None:  # type: ignore[no-untyped-def]
    data = build_report([result("a", Outcome.PASSED)]).to_dict()
    mutate(data)
    with pytest.raises(ReportFormatError, match=named.replace("[", r"\[").replace("]", r"\]")):
        parse_report(json.dumps(data))


def test_parse_refuses_non_json() -> None:
    with pytest.raises(ReportFormatError, match="not JSON"):
        parse_report("{not json")
