"""Proving an exercise: `grader exercises check`.

The judgement is pure: given the reports of N runs of a case (the reference
solution, its variants, the starter, each mutant), say what is wrong with the
exercise. check_packs() gathers those reports through an injected grade
function, so the logic is tested without Docker and the CLI passes the real
sandbox. Variants: an sql exercise's reference solution with its index files
rewritten (grader.exercises.index_variants); each must score full marks too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from grader.exercises.index_variants import INDEX_VARIANTS, rewrite_index_file
from grader.exercises.manifest import MutantSpec
from grader.exercises.pack import MUTANT_SPEC, ExercisePack
from grader.exercises.submission import read_submission
from grader_harness.report import Outcome, Report
from sandbox.errors import SandboxError

GradeFn = Callable[[ExercisePack, dict[str, str]], Report]
ProgressFn = Callable[[str], None]


class CaseKind(StrEnum):
    SOLUTION = "solution"
    VARIANT = "variant"  # the solution with its index files rewritten; must score full
    STARTER = "starter"
    MUTANT = "mutant"


@dataclass(frozen=True)
class Case:
    kind: CaseKind
    name: str
    folder: Path
    spec: MutantSpec | None = None
    # What is submitted, when not the folder's files (a variant's; a mutant's,
    # whose folder may be a .patch file).
    files: dict[str, str] | None = field(default=None, compare=False, hash=False)

    @property
    def label(self) -> str:
        if self.kind is CaseKind.VARIANT:
            return f"solution variant '{self.name}'"
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
        if case.kind in (CaseKind.SOLUTION, CaseKind.VARIANT) and not report.full_marks:
            detail = report.message or "failing: " + ", ".join(_failed(report))
            who = "reference solution" if case.kind is CaseKind.SOLUTION else case.label
            problems.append(f"{run}{who} scored {_score(report)}; {detail}")
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


def index_variants(pack: ExercisePack) -> list[Case]:
    """The solution with its index files rewritten, one case per variant (sql runner)."""
    options = pack.manifest.sql
    if options is None or not options.index_files:
        return []
    files = read_submission(pack.solution, pack.manifest.submission, ignore=(MUTANT_SPEC,))
    schema = options.datasets[0]  # the one the README describes
    cases = []
    for variant in INDEX_VARIANTS:
        changed = {name: rewrite_index_file(text, variant, schema)
                   if name in options.index_files else text
                   for name, text in files.items()}  # fmt: skip
        cases.append(Case(CaseKind.VARIANT, variant, pack.solution, files=changed))
    return cases


def cases_of(pack: ExercisePack) -> list[Case]:
    cases = [
        Case(CaseKind.SOLUTION, "solution", pack.solution),
        *index_variants(pack),
        Case(CaseKind.STARTER, "starter", pack.starter),
    ]
    cases.extend(Case(CaseKind.MUTANT, m.name, m.path, m.spec, files=m.files) for m in pack.mutants)
    return cases


@dataclass
class _Graded:
    """One run of a case: its report, or the infrastructure fault that stopped it."""

    report: Report | None
    problem: str | None
    started: float
    ended: float


def _grade_run(pack: ExercisePack, case: Case, files: dict[str, str], number: int, runs: int,
               grade: GradeFn, progress: ProgressFn) -> _Graded:  # fmt: skip
    started = time.monotonic()
    report, problem = None, None
    try:
        report = grade(pack, files)
    except SandboxError as exc:
        problem = f"run {number}: could not grade ({type(exc).__name__}): {exc}"
    progress(f"{pack.slug}: {case.label} run {number}/{runs}")
    return _Graded(report, problem, started, time.monotonic())


def _case_result(pack: ExercisePack, case: Case, graded: list[_Graded]) -> CaseResult:
    result = CaseResult(case, seconds=sum(g.ended - g.started for g in graded))
    result.reports = [g.report for g in graded if g.report is not None]
    result.problems = [g.problem for g in graded if g.problem is not None]
    if result.reports and not result.problems:
        result.problems = judge(
            case, result.reports, starter_may_pass=pack.manifest.scoring.starter_may_pass
        )
    return result


def _submitted(pack: ExercisePack, case: Case) -> dict[str, str]:
    if case.files is not None:
        return case.files
    return read_submission(case.folder, pack.manifest.submission, ignore=(MUTANT_SPEC,))


def check_packs(
    packs: list[ExercisePack],
    *,
    runs: int,
    grade: GradeFn,
    progress: ProgressFn = lambda _: None,
    jobs: int = 1,
    cases: Callable[[ExercisePack], list[Case]] = cases_of,
) -> list[ExerciseCheck]:
    """Check every pack (its `cases`), `jobs` gradings at a time.

    Every run of every case is its own grading, and all share one queue, in
    the packs' order: no worker idles behind a pack's slowest case, or a
    case's first run, while there is work left. A case's runs are judged
    together once all are back, so verdicts, the order of a case's reports
    (run 1 first) and of the results never depend on which grading finished
    first; only progress lines come as runs finish. A case's seconds are the
    sum of its runs' gradings, a pack's the wall time from its first
    grading's start to its last one's end.
    """
    plan = [(pack, [(case, _submitted(pack, case)) for case in cases(pack)]) for pack in packs]
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [[[pool.submit(_grade_run, pack, case, files, n, runs, grade, progress)
                     for n in range(1, runs + 1)] for case, files in pack_cases]
                   for pack, pack_cases in plan]  # fmt: skip
        graded = [[[f.result() for f in runs_] for runs_ in pack_f] for pack_f in futures]
    except BaseException:  # a bug or Ctrl-C: do not grade the rest of the catalogue first
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    checks = []  # in the packs' order, each pack's cases in cases()'s
    for (pack, pack_cases), pack_graded in zip(plan, graded, strict=True):
        times = [g for runs_ in pack_graded for g in runs_]
        seconds = max(g.ended for g in times) - min(g.started for g in times) if times else 0.0
        results = [_case_result(pack, case, gs)
                   for (case, _), gs in zip(pack_cases, pack_graded, strict=True)]  # fmt: skip
        checks.append(ExerciseCheck(pack=pack, cases=results, seconds=seconds))
    return checks


def check_pack(
    pack: ExercisePack,
    *,
    runs: int,
    grade: GradeFn,
    progress: ProgressFn = lambda _: None,
    jobs: int = 1,
) -> ExerciseCheck:
    """One pack's check_packs()."""
    return check_packs([pack], runs=runs, grade=grade, progress=progress, jobs=jobs)[0]
