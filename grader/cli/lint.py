"""`grader exercises lint`: a pack's problems without Docker, all at once; and
the same lint run first by `grader exercises check`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from grader.cli.console import (
    EXIT_BAD_INPUT,
    EXIT_NOT_FULL_MARKS,
    console,
    err_console,
    fail,
    user_errors,
)
from grader.exercises.findings import Finding, Severity
from grader.exercises.lint import lint_paths
from grader.settings import get_settings

EXIT_LINT_PROBLEMS = EXIT_NOT_FULL_MARKS  # 1: a problem found; 2 stays bad usage


def _run(roots: list[Path]) -> tuple[list[Path], list[Finding]]:
    with user_errors():  # a PATH that does not exist: bad usage, exit 2
        packs, findings = lint_paths(roots)
    if not packs:
        fail(f"no exercise (exercise.toml) found under {', '.join(map(str, roots))}")
    return packs, findings


def _show(findings: list[Finding]) -> None:
    for finding in findings:
        style = "red" if finding.severity is Severity.ERROR else "yellow"
        err_console.print(f"[{style}]{escape(finding.render(Path.cwd()))}[/]", highlight=False,
                          markup=True, soft_wrap=True)


def lint(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Exercise folders or folders of them.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
) -> None:
    """Check exercises without Docker: manifest, README, tests' markers, mutants."""
    roots = paths or [get_settings().exercises_dir]
    packs, findings = _run(roots)
    _show(findings)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    warnings = len(findings) - errors
    counts = f"{errors} error(s), {warnings} warning(s) in {len(packs)} exercise(s)"
    if errors or (strict and warnings):
        fail(counts + (" (--strict: warnings fail too)" if strict and not errors else ""),
             EXIT_LINT_PROBLEMS)
    console.print(f"[green]{len(packs)} exercise(s) lint clean[/]"
                  + (f" ({warnings} warning(s))" if warnings else ""))


def lint_before_check(roots: list[Path]) -> None:
    """`check`'s first step: stop on lint errors before any Docker work (warnings
    are shown and do not stop it). A pack that does not load stays exit 2."""
    _, findings = _run(roots)
    _show(findings)
    errors = sum(f.severity is Severity.ERROR for f in findings)
    if errors:
        fail(f"lint found {errors} error(s): fix them first "
             "(`grader exercises lint` lists them without Docker)", EXIT_BAD_INPUT)
