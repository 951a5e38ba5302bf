"""The Celery worker for real: real Redis, real worker processes, the API
over HTTP (in-process client) and the real queue. Only the grading call is
the fake (tests/helpers/fake_worker.py); real Docker is in test_end_to_end."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from grader.db import Database, Grading, Submission
from grader.services.wiring import Services
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import WorkerProcess, service_env, wait_for

URL = "/api/v1/submissions"


def submit(client: TestClient, who: Account, source: str, **extra: Any) -> str:
    body = {"exercise": "hello-api", "files": {"app/main.py": source}, **extra}
    response = client.post(URL, json=body, headers=who.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def final(client: TestClient, who: Account, sub_id: str, timeout: float = 30) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"{URL}/{sub_id}", headers=who.headers).json()
        return body if body["status"] in ("graded", "not_gradable") else None

    result: dict[str, Any] = wait_for(done, timeout)
    return result


def gradings(db: Database, sub_id: str) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Grading)
                                  .where(Grading.submission_id == sub_id)) or 0)


def test_worker_grades_submissions_from_the_api(
    live_client: TestClient, alice: Account, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker("w1")
    good = submit(live_client, alice, "PASS\n")
    half = submit(live_client, alice, "FAIL\n")
    assert final(live_client, alice, good)["score"] == 2.0
    body = final(live_client, alice, half)
    assert (body["score"], body["max_score"], body["outcome"]) == (1.0, 2.0, "failed")
    assert body["attempts"] == 1 and body["attempt_number"] == 2


def test_duplicate_messages_grade_once(
    live_client: TestClient, live_services: Services, alice: Account,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    sub_id = submit(live_client, alice, "PASS\nSLEEP=0.3\n")
    for _ in range(4):  # as if the sweep and a redelivery both sent it again
        assert live_services.queue.enqueue(sub_id)
    start_worker("w1")
    final(live_client, alice, sub_id)
    wait_for(lambda: live_services.queue.depth() == 0, 10)
    assert gradings(live_services.db, sub_id) == 1


def test_two_named_workers_share_one_queue_and_grade_each_once(
    live_client: TestClient, live_services: Services, alice: Account, bob: Account,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    start_worker("alpha")
    start_worker("beta")
    ids = [submit(live_client, who, "PASS\nSLEEP=0.4\n") for who in (alice, bob) * 4]
    for sub_id in ids:
        final(live_client, alice if ids.index(sub_id) % 2 == 0 else bob, sub_id)
    with live_services.db.session() as session:
        rows = session.execute(select(Grading.submission_id, Grading.worker)).all()
    assert sorted(r.submission_id for r in rows) == sorted(ids)  # each exactly once
    assert {r.worker.split("@")[0] for r in rows} == {"alpha", "beta"}


def test_infrastructure_faults_retry_then_not_gradable(
    live_client: TestClient, alice: Account, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker("w1")
    sub_id = submit(live_client, alice, "INFRA\n")
    body = final(live_client, alice, sub_id)
    assert body["status"] == "not_gradable", body
    assert body["attempts"] == 3, body  # the first try and grade_max_retries=2 retries
    assert body["attempt_number"] is None  # costs the student no attempt
    assert "EngineUnavailable" in body["message"]


def test_kill_9_mid_grading_is_still_graded_once(
    live_client: TestClient, live_services: Services, alice: Account, settings: Any,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    # A short lease so the sweep notices the dead worker within seconds.
    env = service_env(settings, running_deadline_seconds=3, queued_deadline_seconds=2)
    doomed = start_worker("doomed", env=env)
    sub_id = submit(live_client, alice, "PASS\nSLEEP=2\n")
    wait_for(lambda: live_client.get(f"{URL}/{sub_id}", headers=alice.headers)
             .json()["status"] == "running", 15)
    doomed.kill9()
    start_worker("rescuer", env=env, beat=True)
    body = final(live_client, alice, sub_id, timeout=60)
    assert body["status"] == "graded" and body["score"] == 2.0
    assert body["attempts"] == 2
    assert gradings(live_services.db, sub_id) == 1
    with live_services.db.session() as session:
        sub = session.get_one(Submission, sub_id)
        assert sub.current_grading is not None
        assert sub.current_grading.worker is not None
        assert sub.current_grading.worker.startswith("rescuer")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_kill_9_of_the_pool_process_redelivers_at_once(
    live_client: TestClient, live_services: Services, alice: Account,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    """reject_on_worker_lost: the main process sees its child die and puts the
    message back; the same task, redelivered, takes its claim over at once
    (no lease to wait for: the lease here is the default 300 s)."""
    worker = start_worker("w1")
    assert worker.proc is not None
    sub_id = submit(live_client, alice, "PASS\nSLEEP=2\n")
    wait_for(lambda: live_client.get(f"{URL}/{sub_id}", headers=alice.headers)
             .json()["status"] == "running", 15)
    children = _children(worker.proc.pid)
    assert len(children) == 1  # -c 1: one pool process, the one grading
    os.kill(children[0], signal.SIGKILL)
    body = final(live_client, alice, sub_id, timeout=60)
    assert body["status"] == "graded" and body["attempts"] == 2
    assert gradings(live_services.db, sub_id) == 1
