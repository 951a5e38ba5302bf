"""What a worker process holds: its database engine, exercise catalogue and
the grading function, built lazily *in* the process that uses them (engines
must not cross a fork of the prefork pool)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.db import Database
from grader.services import config
from grader.services.catalog import Catalog
from grader.settings import Settings
from grader_harness.report import Report

_docker: dict[int, Any] = {}  # pid -> Docker client, reused across gradings


def _real_grade(**kwargs: Any) -> Report:
    """grade_files with one Docker client per process: connecting (version
    negotiation and a ping) costs tens of milliseconds per grading otherwise."""
    from grader.grading import grade_files
    from sandbox import engine
    from sandbox.errors import SandboxError

    settings = kwargs["settings"]
    client = _docker.get(os.getpid())
    if client is None:
        client = _docker[os.getpid()] = engine.connect(settings.docker_url)
    try:
        return grade_files(client=client, **kwargs)
    except SandboxError:
        _docker.pop(os.getpid(), None)  # a fresh connection next time (engine restarted?)
        raise


# The grading function. Tests of the task machinery (a real Celery worker on
# a real Redis) swap it for a fake in their own launcher script; the service
# has no setting for it.
grade_function: Callable[..., Report] = _real_grade


@dataclass
class Runtime:
    pid: int
    settings: Settings
    db: Database
    catalog: Catalog
    secret: bytes


_current: Runtime | None = None


def runtime(settings: Settings) -> Runtime:
    global _current
    if _current is None or _current.pid != os.getpid():
        _current = Runtime(
            pid=os.getpid(), settings=settings,
            db=Database(config.database_url(settings)),
            catalog=Catalog(settings.exercises_dir),
            secret=config.secret_key(settings),
        )
    return _current
