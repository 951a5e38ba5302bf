"""Proving an exercise: `grader exercises check`.

The judgement is pure: given the reports of N runs of a case (the reference
solution, the starter, each mutant), say what is wrong with the exercise.
check_pack() gathers those reports through an injected grade function, so the
logic is tested without Docker and the CLI passes the real sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from grader.exercises.manifest import MutantSpec
from grader.exercises.pack import MUTANT_SPEC, ExercisePack
from grader.exercises.submission import read_submission
from grader_harness.report import Outcome, Report
from sandbox.errors import SandboxError

GradeFn = Callable[[ExercisePack, dict[str, str]], Report]
ProgressFn = Callable[[str], None]


class CaseKind(StrEnum):
    SOLUTION = "solution"
    STARTER = "starter"
    MUTANT = "mutant"


@dataclass(frozen=True)
class Case:
    kind: CaseKind
    name: str
    folder: Path
    spec: MutantSpec | None = None

    @property
    def label(self) -> str:
        return f"mutant '{self.name}'" if self.kind is CaseKind.MUTANT else self.kind.value


@dataclass
class CaseResult:
    case: Case
    reports: list[Report] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ExerciseCheck:
    pack: ExercisePack
    cases: list[CaseResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return not any(c.problems for c in self.cases)


def _score(report: Report) -> str:
    return f"{report.score:g}/{report.max_score:g} ({report.status.value})"


def _failed(report: Report) -> list[str]:
    return [t.name for t in report.tests if t.outcome is not Outcome.PASSED]


def _matches(test_id: str, test_name: str, wanted: str) -> bool:
    # must_fail may name a function ("test_x") or an id ("tests/test_a.py::test_x").
    return wanted in (test_name, test_id) or test_id.endswith("/" + wanted) or (
        "::" in wanted and test_id.endswith(wanted)
    )


def flaky_tests(reports: list[Report]) -> list[str]:
    """Tests whose outcome is not the same in every run, each with its outcomes."""
    outcomes: dict[str, list[str]] = {}
    for report in reports:
        for test in report.tests:
            outcomes.setdefault(test.id, []).append(test.outcome.value)
    problems = [
        f"flaky: test '{test_id}' was {' / '.join(seen)} across {len(reports)} runs"
        for test_id, seen in outcomes.items()
        if len(set(seen)) > 1 or len(seen) != len(reports)
    ]
    statuses = {r.status for r in reports}
    if len(statuses) > 1 and not problems:
        problems.append("flaky: overall status was " + " / ".join(r.status.value for r in reports))
    return problems


def judge(case: Case, reports: list[Report], *, starter_may_pass: bool = False) -> list[str]:
    """What is wrong with an exercise, judged from one case's runs."""
    problems: list[str] = []
    for i, report in enumerate(reports, start=1):
        run = f"run {i}: " if len(reports) > 1 else ""
        if case.kind is CaseKind.SOLUTION and not report.full_marks:
            detail = report.message or "failing: " + ", ".join(_failed(report))
            problems.append(f"{run}reference solution scored {_score(report)}; {detail}")
        elif case.kind is CaseKind.STARTER and report.full_marks and not starter_may_pass:
            problems.append(
                f"{run}starter got full marks {_score(report)} "
                "(set [scoring] starter_may_pass = true if that is intended)"
            )
        elif case.kind is CaseKind.MUTANT:
            assert case.spec is not None
            if report.full_marks:
                problems.append(f"{run}mutant got full marks {_score(report)}")
            for wanted in case.spec.must_fail:
                hits = [t for t in report.tests if _matches(t.id, t.name, wanted)]
                if not hits and report.tests:
                    problems.append(f"{run}must_fail names '{wanted}', which is not a test")
                elif any(t.outcome is Outcome.PASSED for t in hits):
                    problems.append(f"{run}mutant passed '{wanted}', which it must fail")
    problems.extend(flaky_tests(reports))
    return problems


def cases_of(pack: ExercisePack) -> list[Case]:
    cases = [
        Case(CaseKind.SOLUTION, "solution", pack.solution),
        Case(CaseKind.STARTER, "starter", pack.starter),
    ]
    cases.extend(Case(CaseKind.MUTANT, m.name, m.path, m.spec) for m in pack.mutants)
    return cases


def run_case(
    pack: ExercisePack, case: Case, *, runs: int, grade: GradeFn, progress: ProgressFn
) -> CaseResult:
    result = CaseResult(case)
    started = time.monotonic()
    files = read_submission(case.folder, pack.manifest.submission, ignore=(MUTANT_SPEC,))
    for i in range(runs):
        try:
            result.reports.append(grade(pack, files))
        except SandboxError as exc:
            result.problems.append(f"run {i + 1}: could not grade ({type(exc).__name__}): {exc}")
        progress(f"{pack.slug}: {case.label} run {i + 1}/{runs}")
    if result.reports and not result.problems:
        result.problems = judge(
            case, result.reports, starter_may_pass=pack.manifest.scoring.starter_may_pass
        )
    result.seconds = time.monotonic() - started
    return result


def check_pack(
    pack: ExercisePack,
    *,
    runs: int,
    grade: GradeFn,
    progress: ProgressFn = lambda _: None,
    jobs: int = 1,
) -> ExerciseCheck:
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [
            pool.submit(run_case, pack, case, runs=runs, grade=grade, progress=progress)
            for case in cases_of(pack)
        ]
        results = [f.result() for f in futures]
    return ExerciseCheck(pack=pack, cases=results, seconds=time.monotonic() - started)
