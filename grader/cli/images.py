"""`grader images ...`: build the sandbox images ahead of time."""

from __future__ import annotations

from typing import Annotated

import typer

from grader.cli.console import console, step_progress, user_errors
from grader.sandbox_grading import ensure_image
from grader.services.catalog import load_all
from grader.settings import get_settings
from sandbox import engine, image_prune, images

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
        if exercises:
            for pack in load_all(settings.exercises_dir):
                with step_progress() as progress:
                    built = ensure_image(pack, settings, client=client, progress=progress)
                console.print(f"{pack.slug}: [bold]{built}[/]")
        base, _ = images.current_build(client, base_image=settings.base_image,
                                       offline_base=settings.offline_base)  # fmt: skip
        stale = image_prune.stale_images(client, runtime=tag, recipe=images.exercise_recipe(tag),
                                         base=base)  # fmt: skip
    if stale:
        console.print(f"{len(stale)} images of earlier builds are on this engine: "
                      "`grader images prune --dry-run` lists them, `grader images prune` "
                      "removes them")  # fmt: skip


@app.command("prune")
def prune(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List them, remove nothing.")] = False,
) -> None:
    """Remove the sandbox images of earlier builds (an older harness, runtime,
    Dockerfile or offline base); keep the current build's, and any image a
    container uses."""
    settings = get_settings()
    with user_errors():
        client = engine.connect(settings.docker_url)
        base, runtime = images.current_build(client, base_image=settings.base_image,
                                             offline_base=settings.offline_base)  # fmt: skip
        recipe = images.exercise_recipe(runtime)
        console.print(f"keeping the current build: {base}, {runtime} and "
                      f"grader-ex-*:*-{recipe}")  # fmt: skip
        with step_progress() as progress:
            pruned = image_prune.prune_images(
                client, runtime=runtime, recipe=recipe, base=base, dry_run=dry_run,
                on_removed=lambda name: progress("removing images", name))  # fmt: skip
    verb = "would remove" if dry_run else "removed"
    for name in pruned.removed:
        console.print(f"{verb} {name}")
    for name in pruned.in_use:
        console.print(f"kept {name}: a container uses it (prune again once it has ended)")
    freed = (pruned.layers_before - pruned.layers_after) / 2**20
    summary = f"{verb} {len(pruned.removed)} images"
    if not dry_run:
        summary += f", {freed:.0f} MiB of layers freed"
    console.print(summary + (f"; {len(pruned.in_use)} in use kept" if pruned.in_use else ""))
