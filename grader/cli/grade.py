"""`grader grade SLUG PATH`: grade a local folder of student files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from grader.cli.console import EXIT_NOT_FULL_MARKS, console, step_progress, user_errors
from grader.cli.render import print_report
from grader.exercises.submission import read_submission
from grader.sandbox_grading import grade_files
from grader.services.catalog import find_pack
from grader.settings import get_settings


def grade(
    slug: Annotated[str, typer.Argument(help="The exercise's slug, e.g. books-api.")],
    path: Annotated[Path, typer.Argument(help="Folder with the student's files.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Grade a folder of student files against an exercise's hidden tests.

    Exit status: 0 full marks, 1 graded below full marks, 2 bad input,
    3 the sandbox failed.
    """
    settings = get_settings()
    with user_errors():
        pack = find_pack(slug, settings.exercises_dir)
        files = read_submission(path, pack.manifest.submission)
        with step_progress() as progress:
            progress(f"grading {slug}")
            report = grade_files(pack=pack, files=files, settings=settings, progress=progress)
    if as_json:
        typer.echo(report.to_json(indent=2))
    else:
        print_report(console, report, title=f"{pack.manifest.title} ({slug})")
    if not report.full_marks:
        raise typer.Exit(EXIT_NOT_FULL_MARKS)
