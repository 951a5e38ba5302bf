"""Shared terminal plumbing for every CLI command: one console, errors as exit
codes, settings errors in one line per problem, and a rich progress display
that sandbox image builds report into."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from grader.exercises.manifest import ManifestError
from grader.exercises.pack import UnknownPack
from grader.exercises.submission import SubmissionError
from grader.settings import Settings, get_settings
from sandbox.errors import SandboxError

if TYPE_CHECKING:
    from grader.db import Database

console = Console()
err_console = Console(stderr=True)

# Exit codes, documented in the README.
EXIT_NOT_FULL_MARKS = 1
EXIT_BAD_INPUT = 2
EXIT_INFRASTRUCTURE = 3


def print_error(message: str) -> None:
    """One error line. `message` is plain text, never markup: it quotes what
    the user typed (a name like "[/x]" would otherwise be a rich markup error)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    print_error(message)
    raise typer.Exit(code)


def settings_problems(exc: ValidationError) -> list[str]:
    """One line per refused setting, named as the user set it (GRADER_*)."""
    lines = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        where = "_".join(str(part) for part in error["loc"]).upper()
        lines.append(f"GRADER_{where}: {message}" if where else message)
    return lines


def load_settings() -> Settings:
    """The settings, or one clear line naming the variables that are wrong."""
    try:
        return get_settings()
    except ValidationError as exc:
        fail("bad settings: " + "; ".join(settings_problems(exc)))


def open_database(settings: Settings | None = None) -> Database:
    """The service's database (GRADER_DATABASE_URL), migrated to the latest
    schema. Imported here, not at the top: most commands need no database."""
    from grader.db import Database
    from grader.services import config

    db = Database(config.database_url(settings or load_settings()))
    db.migrate()
    return db


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the domain's errors into one clear line and an exit code."""
    try:
        yield
    except (ManifestError, SubmissionError, UnknownPack) as exc:
        fail(str(exc).strip("'\""))
    except SandboxError as exc:
        fail(f"the sandbox failed (not your code's fault): {exc}", EXIT_INFRASTRUCTURE)


class StepProgress:
    """Adapter from sandbox.image_build's progress(step, detail) calls to rich."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = progress.add_task("starting", total=None)

    def __call__(self, step: str, detail: str | None = None) -> None:
        text = step if not detail else f"{step}: [dim]{detail[-100:]}[/]"
        self._progress.update(self._task, description=text)


@contextmanager
def step_progress(transient: bool = True) -> Iterator[StepProgress]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    # A progress display is for a person; in CI logs print plain lines instead.
    with Progress(*columns, console=err_console, transient=transient,
                  disable=not sys.stderr.isatty()) as progress:
        yield StepProgress(progress)
