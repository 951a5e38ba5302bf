"""Every runner there is, and what each one needs: the one registry of runners.

The host and the harness both read it: the manifest's `runner` values
(grader.exercises.manifest.Runner), the check of a request
(protocol.GradingRequest), the module the harness loads for a grading
(grade.py, warm.py, --warm's choices), the server started before pytest
(sql/prestart.py), the exercise image (grader.sandbox_grading) and the
container's settings (sandbox/container.py). A new runner is one entry here
plus its module; no other place compares runner names.

Stdlib only and nothing at import time: sql/prestart.py reads it before
pytest loads, and every grading pays for what this module imports.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunnerSpec:
    """One runner: its name and what its gradings need of the sandbox."""

    # The manifest's `runner` and the request's config.runner.
    name: str
    # The harness module with the runner's fixtures, given to pytest as a
    # plugin; imported only when used (the sql runner's psycopg costs every
    # other run ~40 ms).
    module: str
    # The sandbox gets the tmpfs the template cluster is copied to
    # (/var/lib/grader-pg, sandbox/container.py).
    database_tmpfs: bool = False
    # The harness starts the runner's server before pytest loads, or before
    # the request comes in a warm sandbox (sql/prestart.py, warm.py).
    starts_server_early: bool = False
    # The exercise image holds the reference solution and is built with the
    # runner's options (its database: sandbox/images/exercise/sql.Dockerfile).
    image_with_reference: bool = False


HTTP_APP = RunnerSpec(name="http-app", module="grader_harness.http_app")
PYTHON = RunnerSpec(name="python", module="grader_harness.python_runner")
SQL = RunnerSpec(name="sql", module="grader_harness.sql_runner", database_tmpfs=True,
                 starts_server_early=True, image_with_reference=True)  # fmt: skip

RUNNERS: dict[str, RunnerSpec] = {spec.name: spec for spec in (HTTP_APP, PYTHON, SQL)}


def find_runner(name: object) -> RunnerSpec | None:
    """The runner called `name`; None for anything else (a request names
    whatever it likes: the harness answers an unknown runner with an error
    report, and the host gives its container nothing extra)."""
    return RUNNERS.get(name) if isinstance(name, str) else None
