"""`grader images ...`: build the sandbox images ahead of time."""

from __future__ import annotations

from typing import Annotated

import typer

from grader.cli.console import console, step_progress, user_errors
from grader.sandbox_grading import ensure_image
from grader.services.catalog import load_all
from grader.settings import get_settings
from sandbox import engine, images

app = typer.Typer(help="Build the sandbox images.", no_args_is_help=True)


@app.command("build")
def build(
    exercises: Annotated[bool, typer.Option(help="Also build every exercise's image.")] = True,
) -> None:
    """Build the base, runtime and (by default) every exercise image that is missing."""
    settings = get_settings()
    with user_errors():
        client = engine.connect(settings.docker_url)
        with step_progress() as progress:
            tag = images.ensure_runtime_image(
                client,
                base_image=settings.base_image,
                offline_base=settings.offline_base,
                progress=progress,
            )
        console.print(f"runtime image: [bold]{tag}[/]")
        if not exercises:
            return
        for pack in load_all(settings.exercises_dir):
            with step_progress() as progress:
                tag = ensure_image(pack, settings, client=client, progress=progress)
            console.print(f"{pack.slug}: [bold]{tag}[/]")
