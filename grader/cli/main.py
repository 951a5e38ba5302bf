"""The `grader` command line: one typer app, a module per command group."""

from __future__ import annotations

import typer

from grader.cli import exercises, images
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

if __name__ == "__main__":
    app()
