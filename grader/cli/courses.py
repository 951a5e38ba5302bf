"""`grader courses create | list | enrol | roster | members`: courses and
their members from the command line. Like `grader users`, the CLI acts on
the database as an admin (who acts as every course's instructor). A roster
with any problem is not imported: every problem is printed with its line,
and the command exits with 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from grader.cli.console import EXIT_BAD_INPUT, console, fail, open_database, print_error
from grader.courses.roster import RosterError, decode_roster
from grader.courses.rules import CourseRole
from grader.db import Database, Role, User
from grader.services import courses
from grader.services.errors import ServiceError

app = typer.Typer(help="Courses and their members.", no_args_is_help=True)


@contextmanager
def _database() -> Iterator[Database]:
    db = open_database()
    try:
        yield db
    except ServiceError as exc:
        fail(exc.message)
    finally:
        db.dispose()


def _admin() -> User:
    # Never added to a session: no row, so nothing records it as a person.
    return User(name="(command line)", role=Role.ADMIN.value)


@app.command("create")
def create(
    slug: Annotated[str, typer.Argument(help="The course's slug, e.g. cs101-2026.")],
    title: Annotated[str, typer.Option(help="Shown to members.")],
    owner: Annotated[str, typer.Option(help="An existing user; becomes the instructor.")],
) -> None:
    """Create a course with its first instructor."""
    with _database() as db:
        view = courses.create_course(db=db, user=_admin(), slug=slug, title=title, owner=owner)
    console.print(f"created {view.slug}: {escape(view.title)} (instructor: {owner})")


@app.command("list")
def list_command() -> None:
    """Every course."""
    with _database() as db:
        views = courses.list_courses(db=db, user=_admin())
    table = Table("slug", "title", "created (UTC)")
    for view in views:
        table.add_row(view.slug, escape(view.title), f"{view.created_at:%Y-%m-%d %H:%M}")
    console.print(table)


@app.command("enrol")
def enrol(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    name: Annotated[str, typer.Argument(help="A user name; an unknown one is created.")],
    role: Annotated[CourseRole, typer.Option(help="The role in this course.")] = (
        CourseRole.STUDENT),
    email: Annotated[str | None, typer.Option(help="Kept with the membership.")] = None,
) -> None:
    """Add a member (or change an existing member's role)."""
    with _database() as db:
        result = courses.enrol(db=db, user=_admin(), course=course, name=name, role=role,
                               email=email)
    created = " (new account, no password)" if result.created_user else ""
    console.print(f"{result.status} {name} as {result.member.role.value} in {course}{created}")


@app.command("roster")
def roster(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    file: Annotated[Path, typer.Argument(help="CSV with a header: name[,email][,role].")],
) -> None:
    """Import a roster: all or nothing. Members not in the file stay."""
    try:
        text = decode_roster(file.read_bytes())
    except OSError as exc:
        fail(f"{file}: cannot read it ({exc.strerror or exc})")
    except RosterError as exc:
        fail(f"{file}: {exc}")
    with _database() as db:
        try:
            result = courses.import_roster(db=db, user=_admin(), course=course, text=text)
        except courses.RosterInvalid as exc:
            for line in exc.errors:
                print_error(f"{file.name}: {line}")
            fail(f"nothing imported: {len(exc.errors)} problem(s)", EXIT_BAD_INPUT)
    console.print(f"added {len(result.added)}, updated {len(result.updated)}, unchanged "
                  f"{len(result.unchanged)}, created users {len(result.created_users)}")


@app.command("members")
def members(course: Annotated[str, typer.Argument(help="The course's slug.")]) -> None:
    """The course's members and their roles."""
    with _database() as db:
        views = courses.list_members(db=db, user=_admin(), course=course)
    table = Table("name", "role", "email", "joined (UTC)")
    for view in views:
        table.add_row(view.name, view.role.value, escape(view.email or ""),
                      f"{view.joined_at:%Y-%m-%d %H:%M}")
    console.print(table)
