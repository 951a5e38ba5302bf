"""The service's commands: `up`, `api`, `worker`, `submit` (registered in
grader/cli/main.py like every other command; accounts: cli/accounts.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer

from grader.cli.console import (
    EXIT_BAD_INPUT,
    EXIT_INFRASTRUCTURE,
    EXIT_NOT_FULL_MARKS,
    console,
    fail,
    load_settings,
    open_database,
)
from grader.cli.render import submission_table
from grader.services import config
from grader.services.client import ApiClient, ApiError, read_local_files
from grader.services.errors import ServiceError

if TYPE_CHECKING:
    from fastapi import FastAPI

class HttpImpl(StrEnum):
    """uvicorn's HTTP/1.1 parser: auto is httptools when installed (a
    dependency), else the pure-Python h11."""

    auto = "auto"
    httptools = "httptools"
    h11 = "h11"


class LoopImpl(StrEnum):
    """uvicorn's event loop: auto is uvloop when installed, else asyncio's."""

    auto = "auto"
    uvloop = "uvloop"
    asyncio = "asyncio"


def api(
    host: Annotated[str | None, typer.Option(help="Default: GRADER_API_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: GRADER_API_PORT.")] = None,
    workers: Annotated[int, typer.Option(
        envvar="GRADER_API_WORKERS", min=1, max=64,
        help="API processes on the one port (uvicorn workers); see 'Deadline bursts' "
             "in docs/service.md before raising it on SQLite.")] = 1,
    http: Annotated[HttpImpl, typer.Option(
        envvar="GRADER_API_HTTP", help="HTTP parser (to compare; auto is the fast one).")
    ] = HttpImpl.auto,
    loop: Annotated[LoopImpl, typer.Option(
        envvar="GRADER_API_LOOP", help="Event loop (to compare; auto is the fast one).")
    ] = LoopImpl.auto,
) -> None:
    """Run the HTTP API alone (migrates the database on start)."""
    import uvicorn

    from grader.app import create_app

    settings = load_settings()
    host, port = host or settings.api_host, port or settings.api_port
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info",
                    http=http.value, loop=loop.value)
        return
    # Migrate once, here, before any worker starts; the workers skip it.
    open_database(settings).dispose()
    uvicorn.run("grader.cli.service:api_worker_app", factory=True, workers=workers,
                host=host, port=port, log_level="info", http=http.value, loop=loop.value)


def api_worker_app() -> FastAPI:
    """One of several API processes (uvicorn imports this by name in each)."""
    from grader.app import create_app

    return create_app(load_settings(), migrate=False)


def worker(
    name: Annotated[str, typer.Option(help="Worker name; unique per host.")] = "worker",
    concurrency: Annotated[int, typer.Option(help="Gradings at once.")] = 2,
    beat: Annotated[bool, typer.Option(help="Also run the periodic sweep (one per site).")] = True,
    loglevel: Annotated[str, typer.Option()] = "INFO",
    queues: Annotated[str, typer.Option(
        help="Queues to consume: 'grading' (students) and 'authoring' (proving published "
             "packs). In production run one worker per queue so builds never take the "
             "slots gradings need.")] = "grading,authoring",
) -> None:
    """Run a Celery worker alone; add more on other hosts against the same
    Redis and database to scale out."""
    from worker.app import app as celery_app

    argv = ["worker", "-n", f"{name}@%h", "-c", str(concurrency), "-Q", queues,
            f"--loglevel={loglevel}", "--without-gossip", "--without-mingle"]
    if beat:
        schedule = config.data_dir(load_settings()) / f"beat-{name}.schedule"
        argv += ["-B", "-s", str(schedule)]
    celery_app.worker_main(argv=argv)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    if shutil.which("redis-server") is None:
        fail("no Redis answers and redis-server is not installed (apt-get install redis-server)")
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir),
         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        if _redis_answers(url):
            return proc
        time.sleep(0.05)
    proc.terminate()
    fail(f"redis-server did not start on port {port}")


def up(
    host: Annotated[str | None, typer.Option(help="Default: GRADER_API_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: GRADER_API_PORT.")] = None,
    redis_port: Annotated[int, typer.Option(help="Port of the local redis-server.")] = 6379,
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """API and worker together on this machine; starts a local redis-server
    when GRADER_REDIS_URL is unset and none answers."""
    settings = load_settings()
    config.secret_key(settings)  # generated once and stored in the data folder
    open_database(settings)
    env = dict(os.environ)
    children: list[subprocess.Popen[bytes]] = []
    if not settings.redis_url:
        url = f"redis://127.0.0.1:{redis_port}/0"
        if not _redis_answers(url):
            children.append(_start_redis(redis_port, config.data_dir(settings)))
            console.print(f"started redis-server on 127.0.0.1:{redis_port}")
        env["GRADER_REDIS_URL"] = url
    children.append(subprocess.Popen(
        [sys.executable, "-m", "grader.cli.main", "worker", "--concurrency", str(concurrency)],
        env=env, start_new_session=True))
    host, port = host or settings.api_host, port or settings.api_port
    console.print(f"grader is up: http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    console.print("get a token: grader users add NAME --role student && grader tokens create NAME")
    # SIGTERM (a service manager, `kill`) must stop the children too, not
    # only this process: turn it into the same path as Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        api_proc = subprocess.Popen([sys.executable, "-m", "grader.cli.main", "api", "--host",
                                     host, "--port", str(port)], env=env)
        children.append(api_proc)
        api_proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for child in reversed(children):  # only the processes we started, by pid
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()


def submit(
    slug: Annotated[str, typer.Argument(help="The exercise's slug.")],
    files: Annotated[list[Path], typer.Argument(help="Files or folders to submit.")],
    url: Annotated[str, typer.Option(envvar="GRADER_URL")] = "http://127.0.0.1:8000",
    token: Annotated[str | None, typer.Option(envvar="GRADER_TOKEN")] = None,
    wait: Annotated[bool, typer.Option(help="Follow the status until graded.")] = False,
    assignment: Annotated[str | None, typer.Option(
        help="COURSE/ASSIGNMENT: submit inside an assignment (its deadline, "
             "attempts and late policy apply).")] = None,
) -> None:
    """Submit files from a terminal; with --wait, show live status and the
    per-test table. Exit 0 full marks, 1 less, 2 bad input, 3 not gradable."""
    if not token:
        fail("an API token is needed: --token or GRADER_TOKEN (grader tokens create NAME)")
    client = ApiClient(url, token or "")
    try:
        result = client.submit(slug, read_local_files(files), assignment=assignment)
        console.print(f"submitted {result['id']}: {result['status']}")
        if not wait:
            return
        for event in client.events(result["id"]):
            console.print(f"  {event['status']}")
            result = event
        result = client.get(result["id"])
    except ServiceError as exc:
        bad_input = isinstance(exc, ApiError) and exc.status < 500
        fail(exc.message, EXIT_BAD_INPUT if bad_input else EXIT_INFRASTRUCTURE)
    except (OSError, httpx.HTTPError) as exc:
        fail(f"cannot reach {url}: {exc}", EXIT_INFRASTRUCTURE)
    finally:
        client.close()
    if result["status"] == "not_gradable":
        fail(f"not gradable: {result.get('message')}", EXIT_INFRASTRUCTURE)
    console.print(submission_table(result))
    if result.get("score") != result.get("max_score"):
        raise typer.Exit(EXIT_NOT_FULL_MARKS)
