"""The `grader` command line: one typer app, a module per command group."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from grader.cli import accounts, assignments, courses, exercises, gradebook, images, lti, service
from grader.cli.console import EXIT_BAD_INPUT, print_error, settings_problems
from grader.cli.grade import grade
from grader.cli.publish import publish, sync

app = typer.Typer(
    help="Grade backend coding exercises in hardened Docker sandboxes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(exercises.app, name="exercises")
exercises.app.command("publish")(publish)  # to a running service (cli/publish.py)
exercises.app.command("sync")(sync)
app.add_typer(images.app, name="images")
app.add_typer(lti.app, name="lti")
app.command("grade")(grade)
# The service: run it, manage accounts, submit to it.
app.command("up")(service.up)
app.command("api")(service.api)
app.command("worker")(service.worker)
app.command("submit")(service.submit)
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.tokens_app, name="tokens")
app.add_typer(courses.app, name="courses")
app.add_typer(assignments.app, name="assignments")
app.add_typer(gradebook.app, name="gradebook")


def main() -> None:
    """The `grader` command: the app, with a bad GRADER_* variable told in one
    line per problem instead of a traceback (settings load inside commands)."""
    try:
        app()
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        for line in settings_problems(exc):
            print_error(line)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
