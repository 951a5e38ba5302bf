"""The sign-in throttle's arithmetic (its in-process store; Redis is covered by
tests/service/test_login_throttle.py) and the stream slots' counting."""

from __future__ import annotations

import contextlib
import threading

import pytest

from grader.auth.throttle import LoginThrottle, client_key
from grader.http.stream_slots import StreamSlots, TooManyStreams


def test_free_failures_then_doubling_waits_up_to_the_cap() -> None:
    throttle = LoginThrottle(None, free_failures=5, max_delay=30)
    now = 1000.0
    delays = [throttle.failed("ada", "10.0.0.9", now=now) for _ in range(11)]
    assert delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30]
    assert throttle.wait("ada", "10.0.0.9", now=now) == 30
    assert throttle.wait("ada", "10.0.0.9", now=now + 30) is None


def test_pairs_are_independent_and_success_clears_only_its_own() -> None:
    throttle = LoginThrottle(None, free_failures=2, max_delay=60)
    for _ in range(4):
        throttle.failed("ada", "203.0.113.5", now=0)
    assert throttle.wait("ada", "203.0.113.5", now=0) == 4
    # The owner elsewhere, and another name from the attacker's address: free.
    assert throttle.wait("ada", "198.51.100.7", now=0) is None
    assert throttle.wait("bob", "203.0.113.5", now=0) is None
    throttle.failed("ada", "198.51.100.7", now=0)
    throttle.succeeded("ada", "198.51.100.7")
    assert throttle.wait("ada", "203.0.113.5", now=0) == 4


def test_failures_are_forgotten_after_a_quiet_spell() -> None:
    throttle = LoginThrottle(None, free_failures=1, max_delay=10)
    assert throttle.failed("ada", "10.0.0.1", now=0) == 1
    assert throttle.failed("ada", "10.0.0.1", now=5) == 2
    assert throttle.failed("ada", "10.0.0.1", now=5 + throttle.ttl + 1) == 1


@pytest.mark.parametrize(("address", "key"), [
    ("192.0.2.1", "192.0.2.1"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # same /64: same count
    ("::ffff:192.0.2.1", "192.0.2.1"),
    (None, "unknown"),
    ("testclient", "testclient"),
])
def test_client_key(address: str | None, key: str) -> None:
    assert client_key(address) == key


def test_stream_slots_caps_per_user_and_in_all_and_release_is_idempotent() -> None:
    slots = StreamSlots(per_user=2, total=3)
    a1, _a2 = slots.acquire(1), slots.acquire(1)
    with pytest.raises(TooManyStreams, match="you already have 2"):
        slots.acquire(1)
    slots.acquire(2)
    with pytest.raises(TooManyStreams, match="the server has 3") as refused:
        slots.acquire(3)
    response = refused.value.response()
    assert response.status_code == 429 and response.headers["retry-after"]
    assert response.media_type == "application/problem+json"
    a1.release()
    a1.release()  # twice: counted once
    assert slots.open_count() == 2 and slots.open_count(1) == 1
    slots.acquire(3)


def test_stream_slots_hold_under_concurrent_acquires() -> None:
    slots = StreamSlots(per_user=5, total=20)
    got: list[object] = []
    barrier = threading.Barrier(16)

    def grab(user: int) -> None:
        barrier.wait()
        for _ in range(10):
            with contextlib.suppress(TooManyStreams):
                got.append(slots.acquire(user))

    threads = [threading.Thread(target=grab, args=(i % 8,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 20 == slots.open_count()
    assert all(slots.open_count(user) <= 5 for user in range(8))
