"""The real stack the browser tests run against: the app under uvicorn in its
own process, our own Redis, a Celery worker process grading in Docker, and
headless Chromium (Debian's package) driven by Playwright; never
`playwright install`, which downloads a browser. Tests that publish packs
also ask for `authoring_worker`: a second real Celery worker consuming the
"authoring" queue (proving), as production runs it; the others never start it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from grader.db import Database
from grader.services import accounts
from grader.services.catalog import Catalog
from grader.settings import REPO_ROOT, Settings
from tests.helpers.live_service import docker_up, running_service
from tests.helpers.service_processes import RedisServer, WorkerProcess

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
    env: dict[str, str] = field(default_factory=dict)  # the service processes' environment
    workdir: Path | None = None  # where their logs go


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from tests.helpers.web_signin import USERS, password

    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    if not docker_up():
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
    try:
        with running_service(settings, tmp, name="web", rate_limit_submissions=1000) as (
                url, env, _):
            catalog = Catalog(root)
            catalog.reload()
            yield Stack(url=url, settings=settings, db=db, catalog=catalog, env=env, workdir=tmp)
    finally:
        redis.stop()
        db.dispose()


@pytest.fixture(scope="module")
def authoring_worker(stack: Stack) -> Iterator[WorkerProcess]:
    """A real Celery worker proving published packs (queue "authoring") next to
    the stack's grading one; stopped by pid when the module is done."""
    assert stack.workdir is not None
    worker = WorkerProcess("prover", stack.env, stack.workdir / "prover.log", fake=False)
    worker.argv[worker.argv.index("grading")] = "authoring"
    worker.start(timeout=60)
    try:
        yield worker
    finally:
        worker.stop()


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


