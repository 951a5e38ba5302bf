"""A claim or a final state announced on Redis wakes its stream at once
(services/status_events.py), against a real redis-server, even when it comes
while the stream polls; the polls stay the source of truth."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import anyio.from_thread
import pytest
import redis
from fastapi.testclient import TestClient

from grader.http import status_stream
from grader.services import grading_jobs
from grader.services.status_events import CHANNEL, Wakeups, announce
from grader.services.wiring import Services
from tests.helpers.service_fakes import Account, fake_grade
from tests.helpers.service_processes import RedisServer, WorkerProcess
from tests.service.test_worker import final, submit

LONG = 10.0  # a poll interval no test waits out when the announcement works


async def wait_once(wakeups: Wakeups, submission_id: str, timeout: float) -> None:
    """What a stream does between two polls, for one wait."""
    watch = wakeups.watch(submission_id)
    try:
        await watch.wait(timeout)
    finally:
        watch.close()


async def _subscribed(wakeups: Wakeups, client: redis.Redis) -> None:
    """Until the wakeups' subscription is live (a message before it is lost)."""
    waiter = asyncio.ensure_future(wait_once(wakeups, "nobody", 0.01))
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
            mine = asyncio.ensure_future(wait_once(wakeups, "sub-1", LONG))
            other = asyncio.ensure_future(wait_once(wakeups, "sub-2", 1.0))
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


def test_an_announcement_while_the_stream_polls_is_kept_for_its_next_wait(
    redis_server: RedisServer,
) -> None:
    """The stream's watch is held between waits: the worker's final state
    announced while the stream polls (claim seen, result not yet) must not
    cost it a whole poll interval (0.5 s for a running submission)."""
    client = redis.Redis.from_url(redis_server.url)

    async def scenario() -> tuple[float, float]:
        wakeups = Wakeups(redis_server.url)
        watch = wakeups.watch("sub-1")
        try:
            await _subscribed(wakeups, client)
            # Not waiting: a stream between two waits, in its poll.
            await asyncio.to_thread(announce, client, "sub-1")
            for _ in range(200):  # the message reaches the listener
                if watch.event.is_set():
                    break
                await asyncio.sleep(0.01)
            began = time.monotonic()
            await watch.wait(LONG)  # at once: it came meanwhile
            kept = time.monotonic() - began
            began = time.monotonic()
            await watch.wait(0.3)  # consumed: the next wait runs to its timeout
            return kept, time.monotonic() - began
        finally:
            watch.close()
            await wakeups.close()

    kept, next_wait = asyncio.run(scenario())
    assert kept < 0.1, kept
    assert next_wait >= 0.25, next_wait


def test_a_stream_sees_a_result_announced_during_its_poll_at_once(
    client: TestClient, services: Services, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the API's real stream: the grading ends, and its worker
    announces it, while the stream is in a poll that still read `running`.
    The stream's watch keeps that announcement: the next poll comes at once,
    not after the running poll interval."""
    response = client.post("/api/v1/submissions", headers=alice.headers,
                           json={"exercise": "hello-api", "files": {"app/main.py": "PASS\n"}})
    assert response.status_code == 202, response.text
    sub_id = str(response.json()["id"])
    assert grading_jobs.claim(db=services.db, submission_id=sub_id, claim_id="t",
                              lease_seconds=60)  # running
    polled = status_stream.submissions.submission_status
    polls: list[float] = []

    def poll(**kwargs: Any) -> Any:
        status = polled(**kwargs)
        polls.append(time.monotonic())
        # The access check, the poll that sends `running`, then in the next
        # poll (still `running`) the worker finishes.
        if len(polls) == 3:
            result, _ = grading_jobs.grade_submission(
                db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id="t",
                grade=fake_grade, settings=services.settings, worker="w", max_retries=0,
                lease_seconds=60)  # fmt: skip
            assert result is grading_jobs.Result.GRADED
            # The worker's announcement reaching this API process's listener.
            anyio.from_thread.run_sync(client.app.state.status_wakeups.wake,  # type: ignore[attr-defined]
                                       sub_id.encode())  # fmt: skip
        return status

    monkeypatch.setattr(status_stream.submissions, "submission_status", poll)
    seen: list[str] = []
    with client.stream("GET", f"/api/v1/submissions/{sub_id}/events",
                       headers=alice.headers) as stream:  # fmt: skip
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line.removeprefix("data: "))["status"])
    assert seen == ["running", "graded"], seen
    assert len(polls) == 4, polls
    # Woken by the announcement it kept, not by the 0.5 s running poll.
    assert polls[3] - polls[2] < status_stream.RUNNING_POLL_SECONDS / 2, polls
    assert client.app.state.status_wakeups._waiters == {}  # type: ignore[attr-defined]


def test_hostile_messages_wake_nobody_and_break_nothing(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)

    async def scenario() -> float:
        wakeups = Wakeups(redis_server.url)
        try:
            await _subscribed(wakeups, client)
            waiter = asyncio.ensure_future(wait_once(wakeups, "sub-1", 0.5))
            await asyncio.sleep(0.05)
            for hostile in (b"sub-1" * 100, b"\xffsub-1", "sub-\u00e9".encode(), b""):
                client.publish(CHANNEL, hostile)
            began = time.monotonic()
            await waiter  # only its timeout ends it
            took = time.monotonic() - began
            # Still subscribed and working after them.
            again = asyncio.ensure_future(wait_once(wakeups, "sub-1", LONG))
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
            await wait_once(wakeups, "sub-1", 0.3)
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
