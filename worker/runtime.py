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


def _real_grade(**kwargs: Any) -> Report:
    from grader.grading import grade_files

    return grade_files(**kwargs)


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
