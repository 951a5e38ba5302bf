"""Each test's `author_output` in the author's terminal views: `grader grade`
(failing tests' output under the table) and `exercises check --verbose`
(every test's, under its line)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from grader.cli import check_view
from grader.cli.render import print_report
from grader.exercises.pack import ExercisePack, load_pack
from grader.exercises.scaffold import scaffold
from grader.selftest import check_pack
from grader_harness.report import Outcome, Report, TestResult, build_report


def result(name: str, passed: bool, output: str) -> TestResult:
    return TestResult(id=f"tests/test_greet.py::{name}", name=name,
                      outcome=Outcome.PASSED if passed else Outcome.FAILED,
                      points=1.0 if passed else 0.0, max_points=1.0, duration=0.1,
                      author_output=output)


def two_tests(*_: object, **__: object) -> Report:
    return build_report([result("test_ok", True, "quiet line\n"),
                         result("test_bad", False, "got request 42\n--- printed by the test "
                                "itself ---\nexpected 43\n")])


def rendered(print_it: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None)
    print_it(console)  # type: ignore[operator]
    return out.getvalue()


def test_grade_shows_what_failing_tests_printed() -> None:
    text = rendered(lambda c: print_report(c, two_tests(), title="x"))
    assert "printed during test_bad:" in text
    assert "got request 42" in text and "expected 43" in text
    assert "quiet line" not in text  # a passing test's output stays out of the way


def test_check_verbose_shows_every_tests_output(tmp_path: Path) -> None:
    scaffold(exercises_dir=tmp_path, category="security", slug="demo-greet")
    pack: ExercisePack = load_pack(tmp_path / "security" / "demo-greet")
    checks = [check_pack(pack, runs=1, grade=lambda p, files: two_tests())]
    verbose = rendered(lambda c: check_view.print_check_summary(c, checks, verbose=True))
    assert "        | got request 42" in verbose.splitlines()
    assert "        | quiet line" in verbose.splitlines()
    assert "printed during the test:" in verbose
    quiet = rendered(lambda c: check_view.print_check_summary(c, checks, verbose=False))
    assert "got request 42" not in quiet
