"""Fixtures for the grading service: a real Redis (our own, on a free loopback
port, stopped by pid), a migrated SQLite database, a tiny exercise pack, users
with tokens, and the API over an in-process HTTP client."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database, Role
from grader.services import accounts
from grader.services.catalog import Catalog
from grader.services.queue import CeleryQueue, producer_app
from grader.services.ratelimit import RateLimiter
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.service_fakes import Account, FakeQueue, make_pack
from tests.helpers.service_processes import RedisServer, WorkerProcess, service_env


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def exercises_root(tmp_path: Path) -> Path:
    root = tmp_path / "exercises"
    make_pack(root)
    return root


@pytest.fixture
def settings(tmp_path: Path, exercises_root: Path, redis_server: RedisServer) -> Settings:
    return Settings(
        exercises_dir=exercises_root, data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'grader.db'}", redis_url=redis_server.url,
        rate_limit_submissions=5, queue_max_depth=50,
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url or "")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


@pytest.fixture
def catalog(exercises_root: Path) -> Catalog:
    catalog = Catalog(exercises_root)
    catalog.reload()
    return catalog


@pytest.fixture
def services(settings: Settings, db: Database, catalog: Catalog, queue: FakeQueue,
             redis_client: redis.Redis) -> Services:
    return Services(
        settings=settings, db=db, catalog=catalog, queue=queue, redis=redis_client,
        limiter=RateLimiter(redis_client, limit=settings.rate_limit_submissions,
                            window=settings.rate_limit_window_seconds),
        docker_check=lambda: None,
    )


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as test_client:
        yield test_client


def _account(db: Database, name: str, role: Role) -> Account:
    accounts.create_user(db=db, name=name, role=role, password="pw-" + name)
    _, token = accounts.create_token(db=db, name=name)
    return Account(name, token)


@pytest.fixture
def alice(db: Database) -> Account:
    return _account(db, "alice", Role.STUDENT)


@pytest.fixture
def bob(db: Database) -> Account:
    return _account(db, "bob", Role.STUDENT)


@pytest.fixture
def author(db: Database) -> Account:
    return _account(db, "ada", Role.AUTHOR)


@pytest.fixture
def venv_env() -> dict[str, str]:
    """Environment for child processes: this interpreter's venv first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env



@pytest.fixture
def start_worker(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str = "w1", *, env: dict[str, str] | None = None, **options: Any
              ) -> WorkerProcess:
        log = tmp_path / f"worker-{name}-{len(started)}.log"
        proc = WorkerProcess(name, env or service_env(settings), log, **options)
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def live_services(services: Services, settings: Settings) -> Services:
    """The API's services with the real Celery queue on our Redis."""
    services.queue = CeleryQueue(producer_app(settings.redis_url or ""))
    return services


@pytest.fixture
def live_client(live_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=live_services)) as test_client:
        yield test_client
