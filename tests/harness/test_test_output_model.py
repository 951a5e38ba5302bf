"""The per-test `author_output` in the report model: capped per test and for
the whole report, written and read back, and older versions still read."""

from __future__ import annotations

import json

from grader_harness.report import (
    MAX_TEST_OUTPUT_CHARS,
    SCHEMA_VERSION,
    TRUNCATION_MARK,
    Outcome,
    TestResult,
    build_report,
    parse_report,
)
from grader_harness.results import (
    MAX_TESTS_OUTPUT_CHARS,
    OUTPUT_BUDGET_MARK,
    TEST_OUTPUT_MARK,
    combined_output,
    within_budget,
)


def result(name: str, output: str = "") -> TestResult:
    return TestResult(id=f"tests/t.py::{name}", name=name, outcome=Outcome.PASSED, points=1,
                      max_points=1, duration=0.1, author_output=output)


def test_a_long_test_output_keeps_head_and_tail_with_a_marker() -> None:
    test = result("a", "HEAD" + "x" * 50_000 + "TAIL")
    assert len(test.author_output) == MAX_TEST_OUTPUT_CHARS
    assert TRUNCATION_MARK in test.author_output
    assert test.author_output.startswith("HEAD") and test.author_output.endswith("TAIL")


def test_the_tests_own_output_follows_the_students() -> None:
    assert combined_output("app says\n", "") == "app says\n"
    assert combined_output("", "test says\n") == TEST_OUTPUT_MARK + "test says\n"
    assert combined_output("a\n", "b\n") == "a\n" + TEST_OUTPUT_MARK + "b\n"


def test_the_whole_reports_test_output_is_capped() -> None:
    tests = [result(f"t{i}", "\x01" * MAX_TEST_OUTPUT_CHARS) for i in range(500)]
    kept = within_budget(tests)
    total = sum(len(t.author_output) for t in kept)
    assert total <= MAX_TESTS_OUTPUT_CHARS + 500 * len(OUTPUT_BUDGET_MARK)
    assert kept[0].author_output == tests[0].author_output
    assert kept[-1].author_output == OUTPUT_BUDGET_MARK
    # Still well inside the host's limit on a report (sandbox.runner: 4 MiB).
    assert len(build_report(kept).to_json()) < 3 << 20


def test_the_field_round_trips_and_the_version_is_current() -> None:
    report = build_report([result("a", "printed\n")])
    again = parse_report(report.to_json())
    assert again.schema_version == SCHEMA_VERSION == 3
    assert again.tests[0].author_output == "printed\n"


def test_older_versions_read_without_the_field() -> None:
    for version in (1, 2):
        data = build_report([result("a", "x")]).to_dict()
        data["schema_version"] = version
        del data["tests"][0]["author_output"]
        parsed = parse_report(json.dumps(data))
        assert parsed.tests[0].author_output == ""
        assert parsed.tests[0].outcome is Outcome.PASSED


def test_a_wrong_type_reads_as_nothing() -> None:
    data = build_report([result("a", "x")]).to_dict()
    data["tests"][0]["author_output"] = {"not": "text"}
    assert parse_report(json.dumps(data)).tests[0].author_output == ""
