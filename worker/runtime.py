"""What a worker process holds: its database engine, exercise catalogue and
the grading function, built lazily *in* the process that uses them (engines
must not cross a fork of the prefork pool)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import redis

from grader.db import Database
from grader.exercises.pack import ExercisePack
from grader.services import config
from grader.services.catalog import Catalog
from grader.services.grading_jobs import GradeFunction
from grader.services.published_catalog import service_catalog
from grader.settings import Settings
from grader_harness.report import Report

_docker: dict[int, Any] = {}  # pid -> Docker client, reused across gradings
_pools: dict[int, Any] = {}  # pid -> its WarmPool (sandbox/pool.py), on that client
# The worker's main process (set by worker_init before the pool forks): its
# processes count their running gradings together (sandbox/host_gradings.py).
worker_pid: int | None = None


def _real_grade(*, pack: ExercisePack, files: dict[str, str], settings: Settings) -> Report:
    """grade_files with one Docker client per process: connecting (version
    negotiation and a ping) costs tens of milliseconds per grading otherwise;
    and with the process's warm pool, which only works on one client."""
    from grader.sandbox_grading import grade_files
    from sandbox import engine
    from sandbox.errors import SandboxError
    from sandbox.host_gradings import HostGradings
    from sandbox.pool import WarmPool

    pid = os.getpid()
    client = _docker.get(pid)
    if client is None:
        client = _docker[pid] = engine.connect(settings.docker_url)
    pool = _pools.get(pid)
    if pool is None and settings.warm_sandboxes > 0:
        pool = _pools[pid] = WarmPool(client, max_keys=settings.warm_sandboxes,
                                      per_key=settings.warm_sandboxes_per_key,
                                      max_extra=settings.warm_sandboxes_back_to_back,
                                      idle_seconds=settings.warm_idle_seconds(),
                                      gradings=HostGradings(f"worker-{worker_pid or pid}"))
    try:
        # A worker is long-lived whether or not it keeps warm sandboxes: the
        # used container is removed after the report went back (close_pool).
        return grade_files(pack=pack, files=files, settings=settings, client=client, pool=pool,
                           remove_in_background=True)
    except SandboxError:
        _docker.pop(pid, None)  # a fresh connection next time (engine restarted?)
        close_pool()
        raise


def close_pool() -> None:
    """Remove this process's warm sandboxes and wait for the removals of its
    used ones (it stops, or its engine went away)."""
    from sandbox.container import flush_removals

    pool = _pools.pop(os.getpid(), None)
    if pool is not None:
        pool.close()  # its used containers' removals included
    else:
        flush_removals()


# The grading function. Tests of the task machinery (a real Celery worker on
# a real Redis) swap it for a fake in their own launcher script; the service
# has no setting for it.
grade_function: GradeFunction = _real_grade


@dataclass
class Runtime:
    pid: int
    settings: Settings
    db: Database
    catalog: Catalog
    secret: bytes
    redis: redis.Redis  # the final states' announcements (services.status_events)


_current: Runtime | None = None


def runtime(settings: Settings) -> Runtime:
    global _current
    if _current is None or _current.pid != os.getpid():
        db = Database(config.database_url(settings))
        _current = Runtime(
            pid=os.getpid(), settings=settings, db=db,
            catalog=service_catalog(settings, db),  # disk packs and proven published ones
            secret=config.secret_key(settings),
            redis=redis.Redis.from_url(config.redis_url(settings), socket_connect_timeout=1,
                                       socket_timeout=2),
        )
    return _current
