"""A submission's received_at is when its request reached the server
(grader.http.arrival), not when a thread or the database's write lock was
free; and it is never the client's to set."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from grader.db import Database, Submission, utcnow
from grader.services.wiring import Services
from tests.helpers.busy_threads import worker_threads_busy
from tests.helpers.service_fakes import Account

URL = "/api/v1/submissions"
GOOD = {"exercise": "hello-api", "files": {"app/main.py": "print('hi')\n"}}
HELD = 0.6  # seconds the test keeps the write lock from the request


def test_a_request_that_waits_for_the_write_lock_keeps_its_arrival_time(
        client: TestClient, alice: Account, db: Database, services: Services) -> None:
    writers = services.db.writers
    assert writers is not None  # SQLite: the in-process writer queue
    answers: list[Any] = []
    writers.acquire()  # as if another submission were being written
    try:
        sent = utcnow()
        thread = threading.Thread(target=lambda: answers.append(
            client.post(URL, json=GOOD, headers=alice.headers)))
        thread.start()
        deadline = time.monotonic() + 10
        while writers.waiting == 0:  # the request is in the queue for the lock
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(HELD)
        released = utcnow()
    finally:
        writers.release()
    thread.join(30)
    assert answers and answers[0].status_code == 202, answers
    body = answers[0].json()
    received = datetime.fromisoformat(body["received_at"])
    # Stamped before the wait: after the send, well before the lock was free.
    assert sent <= received < released - timedelta(seconds=HELD / 2)
    with db.reading() as session:
        row = session.get(Submission, body["id"])
        assert row is not None
        assert row.received_at == received and row.queued_at == received


def test_a_request_that_waits_for_a_worker_thread_keeps_its_arrival_time(
        client: TestClient, alice: Account) -> None:
    """A burst queues requests for the thread pool (auth, the insert) before
    the service runs: the stamp must come from before that queue, too."""
    answers: list[Any] = []
    with worker_threads_busy(client):
        sent = utcnow()
        thread = threading.Thread(target=lambda: answers.append(
            client.post(URL, json=GOOD, headers=alice.headers)))
        thread.start()
        time.sleep(HELD)
        released = utcnow()
    thread.join(30)
    assert answers and answers[0].status_code == 202, answers
    received = datetime.fromisoformat(answers[0].json()["received_at"])
    assert sent <= received < released - timedelta(seconds=HELD / 2)


def test_each_request_gets_its_own_stamp(client: TestClient, alice: Account) -> None:
    first = client.post(URL, json=GOOD, headers=alice.headers).json()
    time.sleep(0.01)
    second = client.post(URL, json=GOOD, headers=alice.headers).json()
    assert first["received_at"] < second["received_at"]


def test_a_client_sent_received_at_is_refused_by_name(
        client: TestClient, alice: Account) -> None:
    for sneaky in ("2000-01-01T00:00:00Z", "1999-12-31T23:59:59+14:00", None, 0):
        response = client.post(URL, json={**GOOD, "received_at": sneaky},
                               headers=alice.headers)
        assert response.status_code == 422, response.text
        assert "received_at" in response.text
    # Nor through a header that looks like one.
    response = client.post(URL, json=GOOD, headers={**alice.headers,
                                                     "X-Received-At": "2000-01-01T00:00:00Z"})
    assert response.status_code == 202
    assert response.json()["received_at"] > "2001"
