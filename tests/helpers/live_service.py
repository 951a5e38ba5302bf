"""The service for real, for end-to-end tests and the benchmark: the API under
uvicorn in its own process and one Celery worker process grading in Docker,
against the Redis and the database that the settings name. Both are ours and
are stopped by pid when the block ends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

from grader.settings import Settings
from tests.helpers.service_processes import WorkerProcess, free_port, service_env, wait_for


def docker_up() -> bool:
    try:
        from sandbox import engine

        engine.connect(None).ping()
        return True
    except Exception:
        return False


def http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class LiveService(NamedTuple):
    url: str  # the API's base URL
    env: dict[str, str]  # the children's environment
    worker: WorkerProcess


@contextmanager
def running_service(
    settings: Settings, workdir: Path, *, name: str, concurrency: int = 2, **env_extra: object
) -> Iterator[LiveService]:
    """Start API and worker; yield where they are."""
    env = service_env(settings, **env_extra)
    port = free_port()
    api_log = (workdir / f"{name}-api.log").open("wb")
    api = subprocess.Popen([sys.executable, "-m", "grader.cli.main", "api", "--port", str(port)],
                           env=env, stdout=api_log, stderr=api_log, start_new_session=True)
    worker = WorkerProcess(name, env, workdir / f"{name}-worker.log", fake=False,
                           concurrency=concurrency)
    try:
        worker.start(timeout=60)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_ok(url + "/healthz"), 60)
        yield LiveService(url, env, worker)
    finally:
        try:
            worker.stop()
        finally:  # the API is stopped even when stopping the worker fails
            api.terminate()  # our own child, by pid
            api.wait(timeout=20)
            api_log.close()
