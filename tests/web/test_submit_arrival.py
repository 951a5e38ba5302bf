"""The submit page stamps received_at as its request arrives, like the API
(grader.http.arrival): in a burst a request first waits for a worker thread
(and on SQLite for the write lock), and a deadline is judged on the arrival,
not on when a thread was free."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from grader.db import Submission, utcnow
from grader.services.wiring import Services
from tests.helpers.busy_threads import worker_threads_busy
from tests.helpers.web_signin import sign_in

HELD = 0.6  # seconds the test keeps the only worker thread from the request


def test_the_submit_page_keeps_the_arrival_time_while_it_waits_for_a_thread(
        app_client: TestClient, web_services: Services) -> None:
    csrf = sign_in(app_client, "alice")
    answers: list[Any] = []
    with worker_threads_busy(app_client):
        sent = utcnow()
        thread = threading.Thread(target=lambda: answers.append(app_client.post(
            "/exercises/hello-api/submit",
            data={"csrf_token": csrf, "nonce": "late", "path-0": "app/main.py",
                  "fixed-0": "1", "content-0": "PASS"})))
        thread.start()
        time.sleep(HELD)
        released = utcnow()
    thread.join(30)
    assert answers and answers[0].status_code == 303, answers and answers[0].text
    sub_id = answers[0].headers["location"].rsplit("/", 1)[1]
    with web_services.db.reading() as session:
        row = session.get(Submission, sub_id)
        assert row is not None
        assert sent <= row.received_at < released - timedelta(seconds=HELD / 2)
