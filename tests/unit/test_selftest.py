"""The self-test's judgement, with reports made up by hand (no Docker)."""

from __future__ import annotations

from pathlib import Path

from grader.exercises.manifest import MutantSpec
from grader.selftest import Case, CaseKind, flaky_tests, judge
from grader_harness.report import Outcome, Report, TestResult, build_report


def report(**outcomes: str) -> Report:
    tests = [
        TestResult(id=f"tests/test_api.py::{name}", name=name, outcome=Outcome(o),
                   points=1.0 if o == "passed" else 0.0, max_points=1.0, duration=0.0)
        for name, o in outcomes.items()
    ]
    return build_report(tests)


SOLUTION = Case(CaseKind.SOLUTION, "solution", Path("solution"))
STARTER = Case(CaseKind.STARTER, "starter", Path("starter"))


def mutant(*must_fail: str) -> Case:
    return Case(CaseKind.MUTANT, "m", Path("m"), MutantSpec(must_fail=list(must_fail)))


def test_solution_at_full_marks_is_fine() -> None:
    assert judge(SOLUTION, [report(a="passed", b="passed")] * 2) == []


def test_solution_below_full_marks_names_the_failing_tests() -> None:
    problems = judge(SOLUTION, [report(a="passed", b="failed")])
    assert len(problems) == 1
    assert "scored 1/2" in problems[0] and "b" in problems[0]


def test_starter_at_full_marks_is_a_problem_unless_allowed() -> None:
    full = [report(a="passed")]
    assert "starter got full marks" in judge(STARTER, full)[0]
    assert judge(STARTER, full, starter_may_pass=True) == []
    assert judge(STARTER, [report(a="failed")]) == []


def test_mutant_must_fail_what_it_lists() -> None:
    assert judge(mutant("a"), [report(a="failed", b="passed")]) == []
    assert judge(mutant("tests/test_api.py::a"), [report(a="failed", b="passed")]) == []
    problems = judge(mutant("b"), [report(a="failed", b="passed")])
    assert problems == ["mutant passed 'b', which it must fail"]


def test_mutant_at_full_marks_and_unknown_test_names() -> None:
    problems = judge(mutant("nope"), [report(a="passed")])
    assert "mutant got full marks 1/1 (passed)" in problems
    assert "must_fail names 'nope', which is not a test" in problems


def test_differing_outcomes_across_runs_are_flaky_and_named() -> None:
    problems = flaky_tests([report(a="passed", b="passed"), report(a="passed", b="failed")])
    assert problems == ["flaky: test 'tests/test_api.py::b' was passed / failed across 2 runs"]
    # and the judge reports it even when each run alone looks fine for a mutant
    assert any("flaky" in p for p in judge(mutant("a"), [report(a="failed", b="passed"),
                                                          report(a="failed", b="failed")]))


def test_each_run_is_labelled_when_there_are_several() -> None:
    problems = judge(SOLUTION, [report(a="passed"), report(a="failed")])
    assert problems[0].startswith("run 2: reference solution scored 0/1")
