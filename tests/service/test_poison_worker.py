"""Poison submissions with real Celery workers, the sweep (beat), Redis and
PostgreSQL: one student's output must not keep the workers busy for ever.

The worker is tests/helpers/poison_worker.py: only the grading call is replaced (it returns
a report full of NUL bytes, lone surrogates and control characters, or kills
its pool process); recording, retries, the sweep and the database are real.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database, Role
from grader.services import accounts
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import WorkerProcess, service_env, wait_for
from tests.service.test_postgres import pg_url  # noqa: F401  (the module's PostgreSQL server)

URL = "/api/v1/submissions"
POISON_WORKER = "tests.helpers.poison_worker"  # run with python -m, like fake_worker


@pytest.fixture
def pg_live(live_services: Services, pg_url: str) -> Iterator[Services]:  # noqa: F811
    live_services.db = Database(pg_url)
    live_services.db.migrate()
    yield live_services
    live_services.db.dispose()


@pytest.fixture
def student(pg_live: Services, tmp_path: Path) -> Account:
    name = f"p-{tmp_path.name[-12:]}"  # the PostgreSQL database outlives each test
    accounts.create_user(db=pg_live.db, name=name, role=Role.STUDENT)
    _, token = accounts.create_token(db=pg_live.db, name=name)
    return Account(name, token)


@pytest.fixture
def poison_worker(settings: Settings, pg_url: str,  # noqa: F811
                  tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(**env: str) -> WorkerProcess:
        values = service_env(settings, database_url=pg_url, grade_max_attempts=3,
                             running_deadline_seconds=3, queued_deadline_seconds=2)
        values.update(env, POISON_LOG=str(tmp_path / "gradings.log"))
        proc = WorkerProcess("poison", values, tmp_path / "worker.log", beat=True)
        proc.argv[2] = POISON_WORKER  # the poison grading instead of fake_worker's
        started.append(proc)
        return proc.start()

    yield start
    for proc in started:
        proc.stop()


def _submit(client: TestClient, who: Account, source: str) -> str:
    response = client.post(URL, headers=who.headers,
                           json={"exercise": "hello-api", "files": {"app/main.py": source}})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _final(client: TestClient, who: Account, sub_id: str, timeout: float = 60) -> Any:
    def done() -> Any:
        body = client.get(f"{URL}/{sub_id}", headers=who.headers).json()
        return body if body["status"] in ("graded", "not_gradable") else None

    return wait_for(done, timeout, 0.1)


def _gradings(tmp_path: Path, marker: str) -> int:
    log = tmp_path / "gradings.log"
    return sum(marker in line for line in log.read_text().splitlines()) if log.exists() else 0


def _poison_then_next(pg_live: Services, student: Account, tmp_path: Path) -> tuple[Any, float]:
    with TestClient(create_app(services=pg_live)) as client:
        started = time.monotonic()
        poison = _final(client, student, _submit(client, student, "POISON\n"))
        took = time.monotonic() - started
        nxt = _final(client, student, _submit(client, student, "PASS\n"))
        assert nxt["status"] == "graded" and nxt["score"] == 2.0
        time.sleep(4)  # several sweeps (every second) and a lease's length later...
        again = client.get(f"{URL}/{poison['id']}", headers=student.headers).json()
    assert again["status"] == poison["status"]  # ...nothing re-queued it
    return poison, took


def test_poison_output_is_graded_and_stored_on_postgres(
    pg_live: Services, student: Account, poison_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    poison_worker()
    poison, _ = _poison_then_next(pg_live, student, tmp_path)
    assert poison["status"] == "graded" and poison["outcome"] == "failed"
    assert "\u2400" in poison["output"] and "\ufffd" in poison["tests"][0]["name"]
    assert _gradings(tmp_path, "POISON") == 1


def test_broken_recording_ends_not_gradable_after_three_attempts(
    pg_live: Services, student: Account, poison_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    poison_worker(POISON_BREAK_RECORDING="1")  # the report goes to PostgreSQL raw
    poison, took = _poison_then_next(pg_live, student, tmp_path)
    assert poison["status"] == "not_gradable" and poison["attempt_number"] is None
    assert "could not be recorded" in poison["message"]
    assert _gradings(tmp_path, "POISON") == 3
    print(f"\nbroken recording: not_gradable after 3 gradings in {took:.1f} s")


def test_a_worker_killed_by_every_grading_is_ended_by_the_sweep(
    pg_live: Services, student: Account, poison_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    poison_worker(POISON_EXIT="1")  # each poison grading kills its pool process
    poison, took = _poison_then_next(pg_live, student, tmp_path)
    assert poison["status"] == "not_gradable"
    assert "gave up after 3 unfinished attempts" in poison["message"]
    assert _gradings(tmp_path, "POISON") == 3
    print(f"\nworker killed each time: not_gradable after 3 gradings in {took:.1f} s")
