"""`grader exercises check`'s summary: a table in a terminal wide enough for
it, otherwise (piped, CI logs, an 80-column terminal) one line per case that
is never wrapped, so no column is squeezed to a character per line and every
line still names its exercise and case for grep.

--verbose prints lines everywhere and adds, under each case, each run's
status and grading time against the wall limit, then every test with its
outcome, points, time per run, message and what was printed during it
(student code's output and the test's own, for the author): the margins of
tests that pass, not only the failures.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.cli.render import printed_lines
from grader.selftest import CaseKind, CaseResult, ExerciseCheck
from grader_harness.report import Outcome, TestResult

# The result column's narrowest useful width; a terminal that cannot give
# it next to the short columns gets lines instead of a table.
MIN_RESULT_WIDTH = 40
OUTCOME_STYLE = {Outcome.PASSED: "green", Outcome.FAILED: "red", Outcome.ERROR: "red",
                 Outcome.SKIPPED: "dim"}  # fmt: skip


def scores(result: CaseResult) -> str:
    return ", ".join(f"{r.score:g}/{r.max_score:g}" for r in result.reports) or "-"


def verdict(result: CaseResult) -> Text:
    if result.problems:
        return Text("FAILED", style="bold red")
    text = Text("ok", style="green")
    spec = result.case.spec
    if result.case.kind is CaseKind.MUTANT and spec is not None:
        text.append(f", fails {', '.join(spec.must_fail)} as expected")
    return text


def details(check: ExerciseCheck, result: CaseResult) -> list[Text]:
    """--verbose: each run's status and time, then each test once, all runs' figures."""
    wall = check.pack.manifest.limits.wall_seconds
    lines = []
    for i, report in enumerate(result.reports, start=1):
        line = Text(f"run {i}: {report.status.value} {report.score:g}/{report.max_score:g} "
                    f"in {report.duration:.1f} s of the {wall:g} s wall limit")  # fmt: skip
        if report.message:
            line.append(f": {report.message}", style="red")
        lines.append(line)
    by_id: dict[str, list[TestResult]] = {}
    for report in result.reports:
        for test in report.tests:
            by_id.setdefault(test.id, []).append(test)
    for runs in by_id.values():
        first = runs[0]
        outcomes = " / ".join(dict.fromkeys(t.outcome.value for t in runs))
        times = ", ".join(f"{t.duration:.2f}s" for t in runs)
        lines.append(Text.assemble(
            (f"{outcomes:<7}", OUTCOME_STYLE[first.outcome]),
            f" {first.points:g}/{first.max_points:g}  {times}  {first.name}",
        ))
        for message in dict.fromkeys(t.message for t in runs if t.message):
            lines.extend(Text("    " + part, style="dim") for part in message.splitlines())
        for output in dict.fromkeys(t.author_output for t in runs if t.author_output):
            lines.extend(printed_lines(output))
    return lines


def check_table(checks: list[ExerciseCheck]) -> Table:
    table = Table(title="exercise self-test", expand=True)
    table.add_column("exercise", no_wrap=True)
    table.add_column("case", no_wrap=True)
    table.add_column("scores", no_wrap=True)
    table.add_column("result", overflow="fold", min_width=MIN_RESULT_WIDTH, ratio=1)
    for check in checks:
        for i, result in enumerate(check.cases):
            cell = verdict(result)
            for problem in result.problems:
                cell.append("\n" + problem, style="red")
            table.add_row(check.pack.slug if i == 0 else "", result.case.label, scores(result),
                          cell)  # fmt: skip
        table.add_section()
    return table


def table_width(checks: list[ExerciseCheck]) -> int:
    """The width the table needs to show its short columns whole."""
    rows = [(c.pack.slug, r.case.label, scores(r)) for c in checks for r in c.cases]
    short = [max([len(title), *(len(row[i]) for row in rows)])
             for i, title in enumerate(("exercise", "case", "scores"))]  # fmt: skip
    return sum(short) + MIN_RESULT_WIDTH + 3 * 4 + 1  # padding and borders


def check_lines(checks: list[ExerciseCheck], *, verbose: bool = False) -> list[Text]:
    """One line per case, its problems (and --verbose details) indented under it."""
    rows = [(c, r) for c in checks for r in c.cases]
    slug_w = max(len(c.pack.slug) for c, _ in rows) if rows else 0
    label_w = max(len(r.case.label) for _, r in rows) if rows else 0
    lines = []
    for check, result in rows:
        mark = verdict(result)
        head, _, note = mark.plain.partition(", ")
        line = Text(f"{check.pack.slug:<{slug_w}}  {result.case.label:<{label_w}}  ")
        line.append(f"{head:<6}", style=mark.style).append(f"  {scores(result)}")
        if note:
            line.append(f"  {note}")
        lines.append(line)
        lines.extend(Text("    " + p, style="red") for p in result.problems)
        if verbose:
            lines.extend(Text("    ") + d for d in details(check, result))
    return lines


def print_check_summary(console: Console, checks: list[ExerciseCheck], *, verbose: bool) -> None:
    if not verbose and console.is_terminal and console.width >= table_width(checks):
        console.print(check_table(checks))
        return
    for line in check_lines(checks, verbose=verbose):
        # soft_wrap: never broken by us; a terminal wraps at word boundaries itself.
        console.print(line, soft_wrap=True, highlight=False)
