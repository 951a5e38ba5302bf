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
    for test in report.tests:
        if test.outcome in (Outcome.FAILED, Outcome.ERROR) and test.author_output:
            parts.append(Text(f"printed during {test.name}:\n", style="dim").append(
                test.author_output.rstrip("\n")))
    return Panel(Group(*parts), title=title, title_align="left")


def printed_lines(text: str, indent: str = "    ") -> list[Text]:
    """A test's `author_output` (what student code and the test printed while
    it ran), indented under the test: for authors only, like all of this."""
    if not text:
        return []
    lines = [Text(f"{indent}printed during the test:", style="dim")]
    lines.extend(Text(f"{indent}| {line}", style="dim") for line in text.splitlines())
    return lines


def print_report(console: Console, report: Report, *, title: str) -> None:
    console.print(report_view(report, title=title))


def submission_table(result: dict[str, object]) -> Table:
    """A submission as the API returns it: status, score and one row per test."""
    score = f"{result.get('score')}/{result.get('max_score')}"
    title = f"{result['exercise']}: {result['status']} {score}"
    if result.get("assignment"):  # inside an assignment: say which, and any late penalty
        title += f" in {result.get('course')}/{result['assignment']}"
        if result.get("penalty_text"):
            title += f" ({result['penalty_text']})"
    table = Table(title=title)
    for column in ("test", "outcome", "points", "hint / message"):
        table.add_column(column)
    for test in result.get("tests") or []:  # type: ignore[attr-defined]
        note = test.get("message") or test.get("hint") or ""
        table.add_row(test["name"], test["outcome"], f"{test['points']}/{test['max_points']}",
                      note)
    return table
