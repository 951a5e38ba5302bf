"""`grader assignments create | list | extend | release-grades`: assignments
from the command line. Like `grader users`, the CLI acts on the database as
an admin (who acts as every course's instructor); grants it makes are logged
as given by "(command line)"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from grader.cli.console import console, fail, load_settings, open_database
from grader.courses.rules import LatePolicy, ScorePolicy
from grader.db import Database, Role, User
from grader.services import assignments, extensions
from grader.services.assignment_input import AssignmentSpec, ExerciseWeight
from grader.services.catalog import Catalog
from grader.services.errors import ServiceError

app = typer.Typer(help="Assignments of a course: deadlines, extensions, grades.",
                  no_args_is_help=True)

ISO = "ISO 8601 with a time zone, e.g. 2026-05-01T23:59:00Z"


def _open() -> tuple[Database, Catalog]:
    settings = load_settings()
    db = open_database(settings)
    catalog = Catalog(settings.exercises_dir)
    catalog.reload()
    return db, catalog


def _admin() -> User:
    # Never added to a session: no row, so nothing records it as a person.
    return User(name="(command line)", role=Role.ADMIN.value)


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name}: not a date and time ({ISO})")


def _required(name: str, value: str) -> datetime:
    moment = _time(name, value)
    assert moment is not None
    return moment


def _exercise(value: str) -> ExerciseWeight:
    slug, _, weight = value.partition(":")
    try:
        return ExerciseWeight(slug=slug, weight=float(weight) if weight else 1.0)
    except ValueError:
        fail(f"--exercise {value!r}: give SLUG or SLUG:WEIGHT, e.g. books-api:2")


@app.command("create")
def create(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    slug: Annotated[str, typer.Argument(help="The assignment's slug.")],
    title: Annotated[str, typer.Option(help="Shown to students.")],
    exercise: Annotated[list[str], typer.Option(help="SLUG or SLUG:WEIGHT (repeat).")],
    release: Annotated[str, typer.Option(help=f"Opens at ({ISO}).")],
    due: Annotated[str, typer.Option(help=f"Due at ({ISO}).")],
    late_until: Annotated[str | None, typer.Option(help="Late submissions until then.")] = None,
    late_policy: Annotated[LatePolicy, typer.Option()] = LatePolicy.NONE,
    penalty: Annotated[float, typer.Option(help="Fraction off per unit: 0.1 is 10 %.")] = 0.0,
    max_attempts: Annotated[int | None, typer.Option(help="Per exercise.")] = None,
    score_policy: Annotated[ScorePolicy, typer.Option()] = ScorePolicy.BEST,
    hide_hidden_until_due: Annotated[bool, typer.Option(
        "--hide-hidden-until-due", help="Hidden tests' feedback only after the due date.")
    ] = False,
    hide_scores_until_released: Annotated[bool, typer.Option(
        "--hide-scores-until-released", help="Scores only once grades are released.")
    ] = False,
) -> None:
    """Create an assignment (every exercise must be in the catalogue)."""
    db, catalog = _open()
    try:
        spec = AssignmentSpec(
            slug=slug, title=title, exercises=[_exercise(e) for e in exercise],
            release_at=_required("--release", release), due_at=_required("--due", due),
            late_until=_time("--late-until", late_until), late_policy=late_policy,
            late_penalty=penalty, max_attempts=max_attempts, score_policy=score_policy,
            hide_hidden_until_due=hide_hidden_until_due,
            hide_scores_until_released=hide_scores_until_released)
        view = assignments.create_assignment(db=db, catalog=catalog, user=_admin(),
                                             course=course, spec=spec)
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"created {course}/{view.slug}: {view.title}, due {view.due_at:%Y-%m-%d %H:%M} "
                  f"UTC ({len(view.exercises)} exercise(s))")


@app.command("list")
def list_command(course: Annotated[str, typer.Argument(help="The course's slug.")]) -> None:
    """The course's assignments, by due date."""
    db, catalog = _open()
    try:
        views = assignments.list_assignments(db=db, catalog=catalog, user=_admin(), course=course)
    except ServiceError as exc:
        fail(exc.message)
    table = Table("slug", "title", "release (UTC)", "due (UTC)", "state", "exercises")
    for view in views:
        table.add_row(view.slug, view.title, f"{view.release_at:%Y-%m-%d %H:%M}",
                      f"{view.due_at:%Y-%m-%d %H:%M}", view.state,
                      ", ".join(f"{e.slug}:{e.weight:g}" for e in view.exercises))
    console.print(table)


@app.command("extend")
def extend(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    assignment: Annotated[str, typer.Argument(help="The assignment's slug.")],
    student: Annotated[str, typer.Argument(help="The student's user name.")],
    due: Annotated[str | None, typer.Option(help=f"New due date ({ISO}).")] = None,
    extra_attempts: Annotated[int, typer.Option(help="Added per exercise.")] = 0,
    reason: Annotated[str | None, typer.Option(help="Kept in the log.")] = None,
) -> None:
    """Grant a student an extension (it replaces their earlier one)."""
    db, _ = _open()
    try:
        grant = extensions.grant_extension(
            db=db, user=_admin(), course=course, assignment=assignment, student=student,
            due_at=_time("--due", due), extra_attempts=extra_attempts, reason=reason)
    except ServiceError as exc:
        fail(exc.message)
    due_text = f"due {grant.due_at:%Y-%m-%d %H:%M} UTC" if grant.due_at else "same due date"
    console.print(f"extension for {grant.student}: {due_text}, "
                  f"+{grant.extra_attempts} attempt(s)")


@app.command("release-grades")
def release_grades(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    assignment: Annotated[str, typer.Argument(help="The assignment's slug.")],
) -> None:
    """Show students their scores (for assignments that hold them back)."""
    db, catalog = _open()
    try:
        view = assignments.release_grades(db=db, catalog=catalog, user=_admin(), course=course,
                                          slug=assignment)
    except ServiceError as exc:
        fail(exc.message)
    console.print(f"grades of {course}/{view.slug} released at "
                  f"{view.grades_released_at:%Y-%m-%d %H:%M} UTC")
