"""check_packs()'s schedule: every run of every case of every pack in one
queue, the verdicts in the packs' and cases' order whatever finishes first.
Real packs (scaffolded), a stand-in grade function (no Docker)."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from grader.exercises.pack import ExercisePack, load_pack
from grader.exercises.scaffold import scaffold
from grader.exercises.submission import read_submission
from grader.selftest import CaseKind, cases_of, check_pack, check_packs
from grader_harness.report import Outcome, Report, TestResult, build_report
from sandbox.errors import SandboxError


def verdict(passed: bool) -> Report:
    outcome = Outcome.PASSED if passed else Outcome.FAILED
    return build_report([TestResult(id="tests/test_greet.py::test_greeting_uses_the_name",
                                    name="test_greeting_uses_the_name", outcome=outcome,
                                    points=2.0 if passed else 0.0, max_points=2.0,
                                    duration=0.1)])  # fmt: skip


def fair(pack: ExercisePack, files: dict[str, str]) -> Report:
    """The solution passes, the starter and the mutant fail: a sound exercise."""
    return verdict(files == read_submission(pack.solution, pack.manifest.submission))


@pytest.fixture
def packs(tmp_path: Path) -> list[ExercisePack]:
    slugs = ("first-pack", "second-pack", "third-pack")
    return [load_pack(scaffold(exercises_dir=tmp_path, category="security", slug=s))
            for s in slugs]  # fmt: skip


def test_gradings_of_different_packs_and_runs_run_at_once(packs: list[ExercisePack]) -> None:
    # 4 gradings meet at the barrier only if both runs of the first two packs'
    # solutions are in flight together: pack by pack, run after run, it breaks.
    barrier = threading.Barrier(4, timeout=10)

    def grade(pack: ExercisePack, files: dict[str, str]) -> Report:
        barrier.wait()
        return fair(pack, files)

    def solutions(pack: ExercisePack) -> list:  # type: ignore[type-arg]
        return [c for c in cases_of(pack) if c.kind is CaseKind.SOLUTION]

    checks = check_packs(packs[:2], runs=2, grade=grade, jobs=4, cases=solutions)
    assert [c.ok for c in checks] == [True, True]
    assert [len(c.cases[0].reports) for c in checks] == [2, 2]


def test_results_keep_their_order_whatever_finishes_first(packs: list[ExercisePack]) -> None:
    shuffle = random.Random(13)
    lines: list[str] = []

    def grade(pack: ExercisePack, files: dict[str, str]) -> Report:
        time.sleep(shuffle.random() / 50)
        return fair(pack, files)

    checks = check_packs(packs, runs=2, grade=grade, jobs=3, progress=lines.append)
    assert [c.pack.slug for c in checks] == ["first-pack", "second-pack", "third-pack"]
    for check in checks:
        assert [r.case.label for r in check.cases] == [c.label for c in cases_of(check.pack)]
        assert check.ok and all(len(r.reports) == 2 for r in check.cases)
        assert check.seconds > 0 and all(r.seconds > 0 for r in check.cases)
    assert len(lines) == sum(len(cases_of(p)) for p in packs) * 2
    assert "first-pack: solution run 2/2" in lines


def test_a_sandbox_fault_is_a_problem_of_its_run_only(packs: list[ExercisePack]) -> None:
    calls = 0
    lock = threading.Lock()

    def grade(pack: ExercisePack, files: dict[str, str]) -> Report:
        nonlocal calls
        with lock:
            calls += 1
            first = calls == 1
        if first:  # jobs=1: the first grading is the first pack's solution, run 1
            raise SandboxError("the engine went away")
        return fair(pack, files)

    check = check_pack(packs[0], runs=2, grade=grade, jobs=1)
    solution, *others = check.cases
    assert solution.problems == ["run 1: could not grade (SandboxError): the engine went away"]
    assert len(solution.reports) == 1 and not check.ok
    assert all(not r.problems for r in others)


def test_a_broken_exercise_is_judged_as_before(packs: list[ExercisePack]) -> None:
    def lenient(pack: ExercisePack, files: dict[str, str]) -> Report:
        return verdict(True)  # the starter and the mutant at full marks too

    (check,) = check_packs(packs[:1], runs=2, grade=lenient, jobs=2)
    problems = {r.case.kind: r.problems for r in check.cases}
    assert problems[CaseKind.SOLUTION] == []
    assert problems[CaseKind.STARTER][0].startswith("run 1: starter got full marks 2/2")
    assert "run 2: mutant got full marks 2/2 (passed)" in problems[CaseKind.MUTANT]


def test_a_bug_stops_the_check_before_the_rest_is_graded(packs: list[ExercisePack]) -> None:
    calls: list[str] = []

    def grade(pack: ExercisePack, files: dict[str, str]) -> Report:
        calls.append(pack.slug)
        raise RuntimeError("a bug in the grader, not a sandbox fault")

    with pytest.raises(RuntimeError, match="a bug in the grader"):
        check_packs(packs, runs=2, grade=grade, jobs=1)
    assert len(calls) < sum(len(cases_of(p)) for p in packs) * 2
