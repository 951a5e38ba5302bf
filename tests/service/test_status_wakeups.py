"""A final state announced on Redis wakes its stream at once (services/status_events.py),
against a real redis-server; the polls stay the source of truth."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import redis
from fastapi.testclient import TestClient

from grader.services.status_events import CHANNEL, Wakeups, announce
from tests.helpers.service_fakes import Account
from tests.helpers.service_processes import RedisServer, WorkerProcess
from tests.service.test_worker import final, submit

LONG = 10.0  # a poll interval no test waits out when the announcement works


async def _subscribed(wakeups: Wakeups, client: redis.Redis) -> None:
    """Until the wakeups' subscription is live (a message before it is lost)."""
    waiter = asyncio.ensure_future(wakeups.wait("nobody", 0.01))
    for _ in range(200):
        if client.pubsub_numsub(CHANNEL)[0][1] >= 1:
            break
        await asyncio.sleep(0.02)
    await waiter


def test_an_announcement_wakes_only_its_submissions_streams(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)

    async def scenario() -> tuple[float, bool]:
        wakeups = Wakeups(redis_server.url)
        try:
            await _subscribed(wakeups, client)
            mine = asyncio.ensure_future(wakeups.wait("sub-1", LONG))
            other = asyncio.ensure_future(wakeups.wait("sub-2", 1.0))
            await asyncio.sleep(0.05)
            began = time.monotonic()
            await asyncio.to_thread(announce, client, "sub-1")
            await mine
            took = time.monotonic() - began
            other_early = other.done()
            await other
            return took, other_early
        finally:
            await wakeups.close()

    took, other_early = asyncio.run(scenario())
    assert took < LONG / 2, took  # woken by the message, not by its timeout
    assert not other_early  # another submission's stream kept its own pace


def test_hostile_messages_wake_nobody_and_break_nothing(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)

    async def scenario() -> float:
        wakeups = Wakeups(redis_server.url)
        try:
            await _subscribed(wakeups, client)
            waiter = asyncio.ensure_future(wakeups.wait("sub-1", 0.5))
            await asyncio.sleep(0.05)
            for hostile in (b"sub-1" * 100, b"\xffsub-1", "sub-\u00e9".encode(), b""):
                client.publish(CHANNEL, hostile)
            began = time.monotonic()
            await waiter  # only its timeout ends it
            took = time.monotonic() - began
            # Still subscribed and working after them.
            again = asyncio.ensure_future(wakeups.wait("sub-1", LONG))
            await asyncio.sleep(0.05)
            client.publish(CHANNEL, b"sub-1")
            await again
            return took
        finally:
            await wakeups.close()

    assert asyncio.run(scenario()) > 0.3
    assert Wakeups("redis://127.0.0.1:1/0")._waiters == {}  # nothing global


def test_without_redis_streams_fall_back_to_their_polls() -> None:
    down = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    announce(redis.Redis.from_url(down, socket_connect_timeout=0.2), "sub-1")  # never raises

    async def scenario() -> float:
        wakeups = Wakeups(down)
        try:
            began = time.monotonic()
            await wakeups.wait("sub-1", 0.3)
            return time.monotonic() - began
        finally:
            await wakeups.close()

    assert 0.25 < asyncio.run(scenario()) < 5


def test_a_real_worker_announces_its_claim_and_the_final_state(
    live_client: TestClient, alice: Account, start_worker: Callable[..., WorkerProcess],
    redis_server: RedisServer,
) -> None:
    pubsub = redis.Redis.from_url(redis_server.url).pubsub()
    pubsub.subscribe(CHANNEL)
    try:
        start_worker("w1")
        sub_id = submit(live_client, alice, "PASS\n")
        assert final(live_client, alice, sub_id)["status"] == "graded"
        heard: list[bytes] = []
        give_up = time.monotonic() + 10
        while heard.count(sub_id.encode()) < 2 and time.monotonic() < give_up:
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "message":
                heard.append(message["data"])
        # Running (the claim), then graded: the stream polls rarely in between.
        assert heard.count(sub_id.encode()) == 2
    finally:
        pubsub.close()
