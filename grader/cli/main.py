"""The `grader` command line: one typer app, a module per command group."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from grader.cli import exercises, images
from grader.cli.console import EXIT_BAD_INPUT, err_console
from grader.cli.grade import grade

app = typer.Typer(
    help="Grade backend coding exercises in hardened Docker sandboxes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(exercises.app, name="exercises")
app.add_typer(images.app, name="images")
app.command("grade")(grade)

try:  # the service commands (up, api, worker, users, tokens, submit)
    from grader.cli.service import register
except ImportError:  # pragma: no cover - only while the service is not installed
    pass
else:
    register(app)

def settings_problems(exc: ValidationError) -> list[str]:
    """One line per refused setting, named as the user set it (GRADER_*)."""
    lines = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        where = "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"GRADER_{where}: {message}" if where else message)
    return lines


def main() -> None:
    """The `grader` command: the app, with a bad GRADER_* variable told in one
    line per problem instead of a traceback (settings load inside commands)."""
    try:
        app()
    except ValidationError as exc:
        if exc.title != "Settings":
            raise
        for line in settings_problems(exc):
            err_console.print(f"[bold red]error:[/] {line}", highlight=False, markup=True)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
