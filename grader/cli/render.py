"""Printing reports, check summaries and a submission's result in a terminal (rich)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader_harness.report import Outcome, Report, Status

STATUS_STYLE = {
    Status.PASSED: "bold green",
    Status.FAILED: "bold yellow",
    Status.ERROR: "bold red",
    Status.TIMEOUT: "bold red",
    Status.MEMORY_EXCEEDED: "bold red",
    Status.OUTPUT_EXCEEDED: "bold red",
}
OUTCOME_MARK = {
    Outcome.PASSED: "[green]passed[/]",
    Outcome.FAILED: "[red]failed[/]",
    Outcome.ERROR: "[red]error[/]",
    Outcome.SKIPPED: "[dim]skipped[/]",
}


def report_view(report: Report, *, title: str) -> Panel:
    table = Table(expand=True, show_lines=False)
    table.add_column("test", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("points", justify="right", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("feedback", overflow="fold", ratio=2)
    for test in report.tests:
        feedback = []
        if test.outcome is not Outcome.PASSED:
            if test.hint:
                feedback.append(f"hint: {test.hint}")
            if test.message:
                feedback.append(test.message)
        name = Text(test.name)
        if test.visibility.value == "public":
            name.append(" (public)", style="dim")
        table.add_row(
            name,
            OUTCOME_MARK[test.outcome],
            f"{test.points:g}/{test.max_points:g}",
            f"{test.duration:.2f}s",
            Text("\n".join(feedback)),
        )
    head = Text.assemble(
        (report.status.value, STATUS_STYLE[report.status]),
        f"   score {report.score:g} / {report.max_score:g}   ({report.duration:.2f} s)",
    )
    parts: list[Text | Table] = [head]
    if report.message:
        parts.append(Text(report.message, style="red"))
    if report.tests:
        parts.append(table)
    # `grader grade` runs on the author's machine: all of the output, hidden
    # tests' included (the student is shown only report.output).
    output = report.author_output or report.output
    if output and not report.full_marks:
        parts.append(Text("output of the code (tail, all tests):\n" + output, style="dim"))
    return Panel(Group(*parts), title=title, title_align="left")


def print_report(console: Console, report: Report, *, title: str) -> None:
    console.print(report_view(report, title=title))


def submission_table(result: dict[str, object]) -> Table:
    """A submission as the API returns it: status, score and one row per test."""
    table = Table(title=f"{result['exercise']}: {result['status']} "
                        f"{result.get('score')}/{result.get('max_score')}")
    for column in ("test", "outcome", "points", "hint / message"):
        table.add_column(column)
    for test in result.get("tests") or []:  # type: ignore[attr-defined]
        note = test.get("message") or test.get("hint") or ""
        table.add_row(test["name"], test["outcome"], f"{test['points']}/{test['max_points']}",
                      note)
    return table
