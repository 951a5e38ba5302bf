"""The API's producer (grader.services.queue.producer_app) publishes through a
kombu Redis channel that keeps its redis-py client: against a real
redis-server, the message on the queue is the one kombu's own transport puts
there, one client serves many sends, and a Redis restart is survived (the
pool is dropped with the client, and the next send reconnects)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from grader.services.queue import GRADE_TASK, QUEUE_NAME, CeleryQueue, producer_app
from tests.helpers.service_processes import RedisServer

pytestmark = pytest.mark.docker  # a real redis-server process (pyproject's markers)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _pop(url: str) -> dict[str, Any]:
    raw = redis.Redis.from_url(url).rpop(QUEUE_NAME)
    assert raw is not None, "nothing on the queue"
    message: dict[str, Any] = json.loads(raw)
    return message


def _comparable(message: dict[str, Any]) -> dict[str, Any]:
    """The message without what differs per send (task id, delivery tag, the
    publishing host and process, the app's reply_to)."""
    headers = {k: v for k, v in message["headers"].items()
               if k not in ("id", "root_id", "origin")}
    props = {k: v for k, v in message["properties"].items()
             if k not in ("correlation_id", "delivery_tag", "reply_to")}
    return {**message, "headers": headers, "properties": props}


def test_same_message_as_kombus_own_transport(server: RedisServer) -> None:
    ours = producer_app(server.url)
    theirs = producer_app(server.url)
    theirs.conf.broker_transport = None  # kombu picks its Redis transport from the URL
    with ours.producer_pool.acquire() as producer:
        assert type(producer.channel).__name__ == "PublishChannel"
    with theirs.producer_pool.acquire() as producer:
        assert type(producer.channel).__name__ == "Channel"

    assert CeleryQueue(ours).enqueue("sub-1", "safe-fetch")
    mine = _pop(server.url)
    assert CeleryQueue(theirs).enqueue("sub-1", "safe-fetch")
    reference = _pop(server.url)
    assert mine["headers"]["task"] == GRADE_TASK
    assert mine["body"] == reference["body"]  # base64 of [["sub-1"], {}, {...}]
    assert _comparable(mine) == _comparable(reference)


def _publishing_channel(app: Any) -> Any:
    # The pools are LIFO: one thread sending in turn gets the same connection,
    # and its channel, back each time (the producer is rebound to it).
    with app.producer_pool.acquire() as producer:
        return producer.channel


def test_one_client_for_many_sends(server: RedisServer) -> None:
    app = producer_app(server.url)
    queue = CeleryQueue(app)
    assert queue.enqueue("sub-0")
    channel = _publishing_channel(app)
    client = channel._publish_client
    assert client is not None
    for i in range(1, 20):
        assert queue.enqueue(f"sub-{i}")
    assert _publishing_channel(app) is channel
    assert channel._publish_client is client
    assert redis.Redis.from_url(server.url).llen(QUEUE_NAME) == 20


def test_a_redis_restart_is_survived(server: RedisServer) -> None:
    queue = CeleryQueue(producer_app(server.url))
    assert queue.enqueue("before")
    server.stop()
    assert not queue.enqueue("while-down")  # logged; the sweep sends it later
    server.start()  # same port, empty (no persistence)
    assert queue.enqueue("after")
    assert _pop(server.url)["headers"]["argsrepr"] == "['after']"
