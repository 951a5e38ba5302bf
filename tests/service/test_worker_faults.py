"""Faults and results going back: Redis losing its queue, the webhook
(signed, retried, recorded) and the events stream, with real workers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from grader.db import Grading, WebhookDelivery
from grader.services import config, webhooks
from grader.services.queue import CeleryQueue, producer_app
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import (
    Receiver,
    RedisServer,
    WorkerProcess,
    service_env,
    wait_for,
)

URL = "/api/v1/submissions"


def submit(client: TestClient, who: Account, source: str, **extra: Any) -> str:
    body = {"exercise": "hello-api", "files": {"app/main.py": source}, **extra}
    response = client.post(URL, json=body, headers=who.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def test_redis_restart_with_submissions_queued_loses_none(
    services: Services, settings: Settings, alice: Account, tmp_path: Path,
    start_worker: Callable[..., WorkerProcess],
) -> None:
    private = RedisServer(tmp_path / "redis")
    (tmp_path / "redis").mkdir()
    private.start()
    try:
        services.queue = CeleryQueue(producer_app(private.url))
        services.limiter = None
        from grader.app import create_app

        with TestClient(create_app(services=services)) as client:
            ids = [submit(client, alice, "PASS\n") for _ in range(5)]  # no worker yet
            assert services.queue.depth() == 5
            private.stop()  # no persistence: the queue is gone
            started = time.monotonic()
            ids += [submit(client, alice, "PASS\n") for _ in range(2)]  # Redis down
            assert time.monotonic() - started < 10  # a quick give-up, not a hang
            private.start()
            assert services.queue.depth() == 0
            env = service_env(settings, redis_url=private.url, queued_deadline_seconds=1)
            start_worker("after-restart", env=env, beat=True)
            for sub_id in ids:
                wait_for(lambda s=sub_id: client.get(f"{URL}/{s}", headers=alice.headers)
                         .json()["status"] == "graded", 60)
        with services.db.session() as session:
            counts = session.execute(select(Grading.submission_id, func.count())
                                     .group_by(Grading.submission_id)).all()
        assert sorted(c[0] for c in counts) == sorted(ids) and {c[1] for c in counts} == {1}
    finally:
        private.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver(failures=1)
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def test_webhook_arrives_signed_after_a_retry_and_attempts_are_recorded(
    live_client: TestClient, live_services: Services, settings: Settings, author: Account,
    receiver: Receiver, start_worker: Callable[..., WorkerProcess],
) -> None:
    # Callbacks are for authors' and admins' tokens, to public addresses unless
    # the admin allows a network: here the loopback receiver, in API and worker.
    live_services.settings.callback_allowed_networks = "127.0.0.1/32"
    start_worker("w1", env=service_env(settings, callback_allowed_networks="127.0.0.1/32"))
    sub_id = submit(live_client, author, "PASS\n", callback_url=receiver.url)
    wait_for(lambda: len(receiver.calls) >= 2, 30)
    headers, body = receiver.calls[-1]
    secret = config.secret_key(settings)  # the worker's key, from the shared data dir
    assert webhooks.verify(secret, body, headers[webhooks.SIGNATURE_HEADER])
    assert not webhooks.verify(b"wrong", body, headers[webhooks.SIGNATURE_HEADER])
    payload = json.loads(body)
    assert payload["id"] == sub_id and payload["status"] == "graded" and payload["score"] == 2.0
    assert headers[webhooks.EVENT_HEADER] == "submission.graded"

    def deliveries() -> list[tuple[int, int | None, bool]]:
        with live_services.db.session() as session:
            rows = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
            return [(r.attempt, r.status_code, r.delivered) for r in rows]

    # The worker records an attempt once the receiver has answered it: after
    # the receiver saw the call, so wait for the row rather than read at once.
    wait_for(lambda: len(deliveries()) >= 2, 30)
    assert deliveries() == [(1, 500, False), (2, 204, True)]


def test_events_stream_one_event_per_status_ending_at_graded(
    live_client: TestClient, alice: Account, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker("w1")
    sub_id = submit(live_client, alice, "PASS\nSLEEP=1\n")
    statuses = []
    with live_client.stream("GET", f"{URL}/{sub_id}/events", headers=alice.headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                statuses.append(json.loads(line[6:])["status"])
    assert statuses[-1] == "graded"
    assert statuses == sorted(set(statuses), key=statuses.index)  # one event per change
    assert set(statuses) <= {"queued", "running", "graded"} and "running" in statuses
