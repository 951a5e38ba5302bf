"""The table `grader submit --wait` prints: inside an assignment its title
names the assignment and the late penalty; a practice submission does not."""

from __future__ import annotations

from rich.console import Console

from grader.cli.render import submission_table


def _printed(result: dict[str, object]) -> str:
    console = Console(width=120, record=True)
    console.print(submission_table(result))
    return console.export_text()


def test_the_title_names_the_assignment_and_its_penalty() -> None:
    text = _printed({"exercise": "books-api", "status": "graded", "score": 3.0, "max_score": 3.0,
                     "course": "cs101", "assignment": "week1", "penalty_text": "late: 10 % off",
                     "tests": [{"name": "t", "outcome": "passed", "points": 1, "max_points": 1}]})
    title = " ".join(text.split("┏")[0].split())  # the title wraps to the table's width
    assert title == "books-api: graded 3.0/3.0 in cs101/week1 (late: 10 % off)"


def test_a_practice_submission_has_no_assignment_in_its_title() -> None:
    text = _printed({"exercise": "books-api", "status": "graded", "score": 1.0,
                     "max_score": 3.0, "assignment": None, "tests": []})
    assert "books-api: graded 1.0/3.0" in text and " in " not in text.splitlines()[0]
