"""Two named workers, each with its own Docker engine, consuming one queue
(issue 13): real Redis, real Celery worker processes grading in real Docker
sandboxes, the API's real queue. The second engine is a dockerd of our own
(tests/helpers/second_engine.py) holding copies of the exercise's images, so
its worker finds them and never builds.

Submissions spread over both workers and are each graded once with the right
score; the second engine's own event log shows it ran sandboxes; a worker
killed with -9 while it grades on its engine loses nothing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from grader.db import Grading, Submission
from grader.exercises.pack import ExercisePack
from grader.exercises.submission import read_submission
from grader.sandbox_grading import ensure_image
from grader.services.catalog import Catalog
from grader.services.wiring import Services
from grader.settings import REPO_ROOT, Settings
from sandbox import engine
from sandbox.container import LABEL_OWNER, LABEL_SANDBOX
from sandbox.images import ensure_runtime_image
from sandbox.offline_base import ensure_base_image
from tests.helpers.live_service import docker_up
from tests.helpers.second_engine import SecondEngine, skip_unless_possible
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import WorkerProcess, service_env, wait_for
from tests.service.test_worker import URL, final

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# A small python-runner exercise: one image (~576 MB) to copy, quick to grade.
SLUG = "safe-fetch"
SANDBOX = f"{LABEL_SANDBOX}=1"
# The lease of a grading, short so the sweep re-queues the dead worker's
# submission within seconds; long enough for the rescuer's own real grading
# (a sandbox start under load), which must not be taken from it mid-way.
LEASE_SECONDS = 8


@pytest.fixture(scope="module")
def pack() -> ExercisePack:
    return Catalog(REPO_ROOT / "exercises").reload()[SLUG]


@pytest.fixture(scope="module")
def engine2(pack: ExercisePack) -> Iterator[SecondEngine]:
    """The second engine, with the base, runtime and exercise images copied
    from the main one under the tags the worker computes (so it never builds:
    builds need the network)."""
    skip_unless_possible()
    if not docker_up():
        pytest.skip("no Docker engine answers")
    defaults = Settings()
    main = engine.connect(None)
    # The same calls the worker makes; on the main engine they only look (built before).
    exercise = ensure_image(pack, defaults, client=main)
    base = ensure_base_image(main, base_image=defaults.base_image,
                             offline_base=defaults.offline_base)
    runtime = ensure_runtime_image(main, base_image=defaults.base_image,
                                   offline_base=defaults.offline_base)
    main.close()
    second = SecondEngine()
    try:
        second.start()
        second.load(base, runtime, exercise)
        assert ensure_image(pack, defaults, client=second.client) == exercise  # found, not built
        yield second
    finally:
        print(f"--- second dockerd\n{second.log_tail()}")  # shown when a test failed
        second.stop()


@pytest.fixture
def exercises_root() -> Path:
    """The real catalogue (the service conftest's default is a tiny fake pack)."""
    return REPO_ROOT / "exercises"


@pytest.fixture
def no_limit(live_services: Services) -> Services:
    live_services.limiter = None  # one student sends several submissions at once
    return live_services


@pytest.fixture
def start_workers(tmp_path: Path) -> Iterator[Callable[..., list[WorkerProcess]]]:
    """Start real workers (name -> environment) side by side, waiting until
    each is ready; every one is stopped by pid afterwards (SIGTERM: it removes
    its warm sandboxes)."""
    started: list[WorkerProcess] = []

    def start(beat: bool = False, **envs: dict[str, str]) -> list[WorkerProcess]:
        procs = [WorkerProcess(name, env, tmp_path / f"worker-{name}.log", fake=False, beat=beat)
                 for name, env in envs.items()]
        started.extend(procs)
        # In parallel: a real worker takes seconds to import and connect under load.
        with ThreadPoolExecutor(len(procs)) as pool:
            list(pool.map(lambda proc: proc.start(timeout=120), procs))
        return procs

    yield start
    for proc in started:
        proc.stop()
        # Captured: pytest shows it only when the test failed.
        print(f"--- {proc.log.name}\n{proc.log.read_text(errors='replace')[-4000:]}")


def worker_env(settings: Settings, docker_url: str | None, **extra: object) -> dict[str, str]:
    # runc on both: the second engine has no runsc registered (runc is also the default).
    env = service_env(settings, runtime="runc", **extra)
    if docker_url is not None:
        env["GRADER_DOCKER_URL"] = docker_url
    return env


def submit(client: TestClient, who: Account, files: dict[str, str]) -> str:
    response = client.post(URL, json={"exercise": SLUG, "files": files}, headers=who.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _in_group(owner: str, group: int) -> bool:
    """Whether a sandbox's owner label ("host:pid") names a process of `group`."""
    pid = owner.rpartition(":")[2]
    try:
        return pid.isdigit() and os.getpgid(int(pid)) == group
    except ProcessLookupError:
        return False


def graded_by(services: Services) -> dict[str, list[tuple[str, float]]]:
    """submission id -> (worker name, score) of each grading recorded for it."""
    with services.db.session() as session:
        rows = session.execute(select(Grading.submission_id, Grading.worker, Grading.score)).all()
    found: dict[str, list[tuple[str, float]]] = {}
    for row in rows:
        found.setdefault(row.submission_id, []).append(
            (str(row.worker).split("@")[0], float(row.score)))
    return found


def test_two_workers_on_two_engines_share_one_queue_and_grade_each_once(
    engine2: SecondEngine, live_client: TestClient, no_limit: Services, settings: Settings,
    pack: ExercisePack, alice: Account, bob: Account,
    start_workers: Callable[..., list[WorkerProcess]],
) -> None:
    solution = read_submission(pack.solution, pack.manifest.submission)
    starter = read_submission(pack.starter, pack.manifest.submission)
    since = time.time()
    start_workers(main=worker_env(settings, None), second=worker_env(settings, engine2.url))
    # Solution and starter alternately, from two students.
    sent = [(who, files, submit(live_client, who, files))
            for who, files in [(alice, solution), (bob, starter)] * 4]
    for who, files, sub_id in sent:
        body = final(live_client, who, sub_id, timeout=120)
        assert body["status"] == "graded", body
        if files is solution:
            assert body["score"] == body["max_score"] > 0, body
        else:
            assert body["score"] < body["max_score"], body
    by = graded_by(no_limit)
    assert sorted(by) == sorted(s for _, _, s in sent)  # nothing else was graded
    assert all(len(rows) == 1 for rows in by.values()), by  # each exactly once
    workers = [rows[0][0] for rows in by.values()]
    assert set(workers) == {"main", "second"}, workers  # spread over both
    # The second engine's own record: it created sandboxes, at least one per
    # submission its worker graded (warm ones started ahead count too).
    created = engine2.container_creates(since, SANDBOX)
    assert len(created) >= workers.count("second"), (created, workers)


def test_worker_killed_mid_grading_on_its_engine_loses_nothing(
    engine2: SecondEngine, live_client: TestClient, no_limit: Services, settings: Settings,
    pack: ExercisePack, alice: Account, start_workers: Callable[..., list[WorkerProcess]],
) -> None:
    """kill -9 of the second engine's worker (main process and pool) while its
    sandbox runs; after the lease, the sweep of a worker on the main engine
    re-queues the submission and that worker grades it, once, full marks."""
    env = dict(running_deadline_seconds=LEASE_SECONDS, queued_deadline_seconds=2)
    solution = read_submission(pack.solution, pack.manifest.submission)
    since = time.time()
    [doomed] = start_workers(doomed=worker_env(settings, engine2.url, **env))
    assert doomed.proc is not None
    group = doomed.proc.pid  # its own session: the main process and its pool
    sub_id = submit(live_client, alice, solution)

    def sandbox_running() -> list[Any]:
        """The doomed worker's running sandboxes on the second engine."""
        found = engine2.client.containers.list(filters={"label": SANDBOX, "status": "running"})
        return [c for c in found if _in_group(c.labels.get(LABEL_OWNER, ""), group)]

    # Its first grading starts a cold sandbox (warm ones come only after a
    # grading), so a running one is this submission's: kill at once, while
    # the harness inside is still starting up or running the tests (seconds).
    wait_for(sandbox_running, 60, interval=0.05)
    doomed.kill9()
    # Nothing can change it now: still running means the kill landed mid-grading.
    status = live_client.get(f"{URL}/{sub_id}", headers=alice.headers).json()["status"]
    assert status == "running"
    assert engine2.container_creates(since, SANDBOX)  # its engine's record of that sandbox
    start_workers(beat=True, rescuer=worker_env(settings, None, **env))
    body = final(live_client, alice, sub_id, timeout=120)
    assert body["status"] == "graded" and body["score"] == body["max_score"] > 0, body
    assert body["attempts"] == 2, body  # the lost one and the rescuer's
    assert graded_by(no_limit) == {sub_id: [("rescuer", body["score"])]}
    with no_limit.db.session() as session:
        sub = session.get_one(Submission, sub_id)
        assert sub.current_grading is not None and sub.current_grading.worker is not None
        assert sub.current_grading.worker.startswith("rescuer")
