"""`grader exercises ...`: list, scaffold and prove exercise packs."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from grader.cli import mutants
from grader.cli.check_view import print_check_summary
from grader.cli.console import console, err_console, fail, step_progress, user_errors
from grader.cli.lint import lint, lint_before_check
from grader.exercises.manifest import Runner
from grader.exercises.pack import ExercisePack, discover, load_pack
from grader.exercises.scaffold import SqlKind
from grader.junit import write_junit
from grader.sandbox_grading import ensure_image, grade_files
from grader.selftest import cases_of, check_packs
from grader.services.catalog import load_all
from grader.settings import get_settings
from grader_harness.report import Report
from sandbox import engine
from sandbox.pool import WarmPool

app = typer.Typer(help="List, create and prove exercises.", no_args_is_help=True)
app.add_typer(mutants.app, name="mutant")
app.command("lint")(lint)


@app.command("list")
def list_exercises() -> None:
    """List the catalogue."""
    settings = get_settings()
    with user_errors():
        packs = load_all(settings.exercises_dir)
    table = Table(title=f"exercises in {settings.exercises_dir}")
    for column in ("slug", "category", "difficulty", "runner", "title"):
        table.add_column(column)
    for pack in packs:
        m = pack.manifest
        table.add_row(m.slug, m.category.value, m.difficulty.value, m.runner.value, m.title)
    console.print(table)


@app.command("new")
def new(
    category: Annotated[str, typer.Argument(help="api-design, sql-optimization or security")],
    slug: Annotated[str, typer.Argument(help="lower-case-with-dashes")],
    runner: Annotated[Runner | None, typer.Option(
        help="The template's runner (default: the category's)")] = None,
    source: Annotated[str | None, typer.Option(
        "--from", metavar="SLUG", help="Copy this exercise of the catalogue instead")] = None,
    sql_kind: Annotated[SqlKind | None, typer.Option(
        help="sql runner: students submit a query or an index file (default: query)")] = None,
) -> None:
    """Create a new exercise pack from a working template, or as a copy of another."""
    from grader.exercises.scaffold import ScaffoldError, scaffold

    settings = get_settings()
    try:
        with user_errors():  # a broken --from pack is named like any other
            path = scaffold(exercises_dir=settings.exercises_dir, category=category, slug=slug,
                            runner=runner, sql_kind=sql_kind, source=source)
    except ScaffoldError as exc:
        fail(str(exc))
    console.print(f"created [bold]{path}[/]; prove it with: grader exercises check {path}")


@app.command("check")
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Exercise folders or folders of them.")
    ] = None,
    runs: Annotated[
        int, typer.Option(min=1, max=20, help="Runs per case; differing outcomes = flaky.")
    ] = 2,
    junit: Annotated[Path | None, typer.Option(help="Write a JUnit XML report here.")] = None,
    jobs: Annotated[int, typer.Option(min=1, max=16, help="Gradings run at once.")] = min(
        2, os.cpu_count() or 1
    ),
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Show every test of every case: outcome, points, time, message."
    )] = False,
) -> None:
    """Prove exercises: reference at full marks, starter and mutants below, no flaky test."""
    settings = get_settings()
    roots = paths or [settings.exercises_dir]
    lint_before_check(roots)  # no Docker work for a pack lint refuses
    with user_errors():
        packs = [load_pack(p) for p in discover(roots)]
        if not packs:
            fail(f"no exercise (exercise.toml) found under {', '.join(map(str, roots))}")
        client = engine.connect(settings.docker_url)
        images = {}
        for pack in packs:  # build images first: build progress is not grading progress
            with step_progress() as progress:
                progress(f"image for {pack.slug}")
                images[pack.path] = ensure_image(pack, settings, client=client, progress=progress)

    # Every grading of a check is one of a few exercises' (one image, runner and
    # limits each), back to back: warm sandboxes, `jobs` per exercise, start
    # the next ones while these grade (sandbox/pool.py; GRADER_WARM_SANDBOXES=0
    # turns them off, as for the worker).
    pool = (WarmPool(client, max_keys=2, per_key=jobs, idle_seconds=settings.warm_idle_seconds())
            if settings.warm_sandboxes > 0 else None)  # fmt: skip

    # The check knows how many gradings of each pack are left: the pool starts
    # no container that no grading would take (one per pack and job otherwise).
    left = {pack.path: len(cases_of(pack)) * runs for pack in packs}
    counting = threading.Lock()

    def grade(pack: ExercisePack, files: dict[str, str]) -> Report:
        if pool is not None:
            with counting:
                takes, left[pack.path] = left[pack.path], left[pack.path] - 1
            pool.expect(image=images[pack.path], takes=takes)  # this one included
        return grade_files(pack=pack, files=files, settings=settings, client=client, pool=pool)

    total = sum(len(cases_of(p)) for p in packs) * runs
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("checking", total=total)

        def advance(step: str) -> None:
            bar.update(task, advance=1, description=step)
            if not err_console.is_terminal:
                err_console.print(step, highlight=False)

        try:
            checks = check_packs(packs, runs=runs, grade=grade, progress=advance, jobs=jobs)
        finally:
            if pool is not None:
                pool.close()
    print_check_summary(console, checks, verbose=verbose)
    if junit:
        write_junit(checks, junit)
        console.print(f"JUnit report: {junit}")
    broken = [c.pack.slug for c in checks if not c.ok]
    if broken:
        fail(f"{len(broken)} of {len(checks)} exercises failed their self-test: "
             + ", ".join(broken), 1)
    console.print(f"[green]all {len(checks)} exercises proven[/] ({runs} runs each)")
