"""`grader gradebook export COURSE --csv FILE [--json FILE]`: a course's
whole gradebook to files. Like `grader users`, the CLI acts on the database
as an admin. Files are written to a temporary name beside the target and
renamed over it, so a spreadsheet or a sync job never reads half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from grader.cli.console import console, fail, open_database
from grader.services import gradebook
from grader.services.errors import ServiceError

app = typer.Typer(help="A course's gradebook.", no_args_is_help=True)


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file in the target's folder, then rename it over
    the target (a rename within one file system is atomic)."""
    folder = target.resolve().parent
    if not folder.is_dir():
        fail(f"--csv/--json: no folder {str(folder)!r} to write {target.name!r} into")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@app.command("export")
def export(
    course: Annotated[str, typer.Argument(help="The course's slug.")],
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", help="Write the CSV here (UTF-8 with BOM, for spreadsheets).")] = None,
    json_file: Annotated[Path | None, typer.Option(
        "--json", help="Write the JSON here (as the API returns it).")] = None,
) -> None:
    """Export every student's row of the course's gradebook."""
    if csv_file is None and json_file is None:
        fail("give --csv FILE, --json FILE or both")
    db = open_database()
    try:
        book = gradebook.export_gradebook(db=db, slug=course)
    except ServiceError as exc:
        fail(exc.message)
    finally:
        db.dispose()
    if csv_file is not None:
        write_atomically(csv_file, gradebook.as_csv(book).encode("utf-8"))
        console.print(f"wrote {len(book.students)} students to {csv_file}", highlight=False)
    if json_file is not None:
        write_atomically(json_file, book.model_dump_json(indent=2).encode("utf-8"))
        console.print(f"wrote the gradebook as JSON to {json_file}", highlight=False)
