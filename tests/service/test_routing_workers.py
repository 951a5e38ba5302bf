"""Dedicated worker pools for real (GRADER_GRADING_ROUTES, docs/service.md):
real Redis, two real Celery workers each consuming its own queue, the API's
real queue. Only the grading call is the fake (tests/helpers/fake_worker.py).

Routes: runner http-app -> "grading-apps", but exercise hello-two (also an
http-app) -> "grading" (the slug wins). Worker "apps" consumes grading-apps
only, worker "general" consumes grading only."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from grader.db import Grading
from grader.services.queue import CeleryQueue, producer_app
from grader.services.routing import catalog_runner
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.service_fakes import SLUG, Account, FakeQueue, make_pack
from tests.helpers.service_processes import WorkerProcess, service_env, wait_for
from tests.service.test_worker import URL, final

ROUTES = {"http-app": "grading-apps", "hello-two": "grading"}
OTHER = "hello-two"


@pytest.fixture
def exercises_root(tmp_path: Path) -> Path:
    """hello-api and a copy of it named hello-two (both runner http-app)."""
    root = tmp_path / "exercises"
    pack = make_pack(root)
    copy = pack.parent / OTHER
    shutil.copytree(pack, copy)
    manifest = copy / "exercise.toml"
    manifest.write_text(manifest.read_text().replace(f'slug = "{SLUG}"', f'slug = "{OTHER}"'))
    return root


@pytest.fixture
def live_services(services: Services, settings: Settings) -> Services:
    """The API's services with the real Celery queue, routed as the workers are
    (and no rate limit: one student sends seven submissions)."""
    services.limiter = None
    services.queue = CeleryQueue(producer_app(settings.redis_url or ""), routes=ROUTES,
                                 runner_of=catalog_runner(services.catalog))
    return services


@pytest.fixture
def pool(settings: Settings, tmp_path: Path) -> Iterator[Callable[[str, str], WorkerProcess]]:
    """Start a named worker consuming the given queues (stopped by pid afterwards)."""
    started: list[WorkerProcess] = []
    env = service_env(settings, grading_routes=json.dumps(ROUTES))

    def start(name: str, queues: str) -> WorkerProcess:
        proc = WorkerProcess(name, env, tmp_path / f"worker-{name}.log")
        proc.argv[proc.argv.index("-Q") + 1] = queues
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


def submit(client: TestClient, who: Account, exercise: str, source: str) -> str:
    body = {"exercise": exercise, "files": {"app/main.py": source}}
    response = client.post(URL, json=body, headers=who.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def graded_by(services: Services) -> dict[str, list[str]]:
    """submission id -> the names of the workers that recorded a grading of it."""
    with services.db.session() as session:
        rows = session.execute(select(Grading.submission_id, Grading.worker)).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.submission_id, []).append(str(row.worker).split("@")[0])
    return found


def test_each_exercise_is_graded_by_its_pool_once(
    live_client: TestClient, live_services: Services, alice: Account,
    pool: Callable[[str, str], WorkerProcess],
) -> None:
    queue = live_services.queue
    routed = [submit(live_client, alice, SLUG, "PASS\n") for _ in range(3)]
    others = [submit(live_client, alice, OTHER, "PASS\n") for _ in range(3)]
    assert queue.depth() == 6  # summed over grading and grading-apps
    # One more whose enqueue failed: the sweep (run by a worker as it starts)
    # sends it, routed by its slug's runner from the worker's catalogue.
    live_services.queue = FakeQueue(up=False)
    swept = submit(live_client, alice, SLUG, "PASS\n")
    live_services.queue = queue
    assert queue.depth() == 6

    pool("general", "grading")
    pool("apps", "grading-apps")
    for sub_id in [*routed, *others, swept]:
        assert final(live_client, alice, sub_id)["score"] == 2.0
    wait_for(lambda: queue.depth() == 0, 10)
    by = graded_by(live_services)
    assert {sub_id: by.get(sub_id) for sub_id in [*routed, swept]} == {
        sub_id: ["apps"] for sub_id in [*routed, swept]}
    assert {sub_id: by.get(sub_id) for sub_id in others} == {
        sub_id: ["general"] for sub_id in others}


def test_a_retry_stays_in_its_pool(
    live_client: TestClient, live_services: Services, alice: Account,
    pool: Callable[[str, str], WorkerProcess], tmp_path: Path,
) -> None:
    """An infrastructure fault retries the grading (grade_max_retries=2): each
    retry goes back on grading-apps, so only the apps worker ever runs it."""
    general = pool("general", "grading")
    apps = pool("apps", "grading-apps")
    sub_id = submit(live_client, alice, SLUG, "INFRA\n")
    body = final(live_client, alice, sub_id)
    assert (body["status"], body["attempts"]) == ("not_gradable", 3), body
    assert apps.log.read_text().count(f"submission {sub_id}: retry") == 2
    assert sub_id not in general.log.read_text()
