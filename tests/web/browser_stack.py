"""The real stack the browser tests run against: the app under uvicorn in its
own process, our own Redis, a Celery worker process grading in Docker, and
headless Chromium (Debian's package) driven by Playwright; never
`playwright install`, which downloads a browser."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from svc_helpers import RedisServer, WorkerProcess, free_port, service_env, wait_for

from grader.db import Database
from grader.services import accounts
from grader.services.catalog import Catalog
from grader.settings import REPO_ROOT, Settings

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = REPO_ROOT / "artifacts" / "screenshots"
SLUG = "books-api"
PACKS = {"books-api": "api-design", "sql-injection-search": "security"}


@dataclass
class Stack:
    url: str
    settings: Settings
    db: Database
    catalog: Catalog


def _docker_up() -> bool:
    try:
        from sandbox import engine

        engine.connect(None).ping()
        return True
    except Exception:
        return False


def _ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from conftest import USERS, password

    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    if not _docker_up():
        pytest.skip("no Docker engine answers")
    tmp = tmp_path_factory.mktemp("web")
    root = tmp / "exercises"
    for slug, category in PACKS.items():  # copies: same content, same sandbox image
        shutil.copytree(REPO_ROOT / "exercises" / category / slug, root / category / slug,
                        ignore=shutil.ignore_patterns("__pycache__"))
    redis = RedisServer(tmp)
    redis.start()
    settings = Settings(exercises_dir=root, data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}", redis_url=redis.url,
                        rate_limit_submissions=1000)
    db = Database(settings.database_url or "")
    db.migrate()
    for name, role in USERS.items():
        accounts.create_user(db=db, name=name, role=role, password=password(name))
    env = service_env(settings, rate_limit_submissions=1000)
    port = free_port()
    api_log = (tmp / "api.log").open("wb")
    api = subprocess.Popen([sys.executable, "-m", "grader.cli.main", "api", "--port", str(port)],
                           env=env, stdout=api_log, stderr=api_log, start_new_session=True)
    worker = WorkerProcess("web", env, tmp / "worker.log", fake=False, concurrency=2)
    try:
        worker.start(timeout=60)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _ok(url + "/healthz"), 60)
        catalog = Catalog(root)
        catalog.reload()
        yield Stack(url=url, settings=settings, db=db, catalog=catalog)
    finally:
        worker.stop()
        api.terminate()  # our own child, by pid
        api.wait(timeout=20)
        redis.stop()
        db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, stack: Stack) -> Iterator[Any]:
    contexts = []

    def make(*, javascript: bool = True, width: int = 1100) -> Any:
        context = browser.new_context(
            base_url=stack.url, java_script_enabled=javascript,
            viewport={"width": width, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


