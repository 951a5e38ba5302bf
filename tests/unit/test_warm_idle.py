"""The warm pool's waiting containers (sandbox/warm_idle.py), with stand-ins:
which one a take gets, what expires, what a trim or an eviction gives back."""

from __future__ import annotations

from typing import Any

from sandbox.limits import SandboxLimits
from sandbox.warm_container import LOADING_LIMIT_SECONDS, WarmContainer, WarmKey
from sandbox.warm_idle import QUIET_SECONDS, IdleSandboxes

LIMITS = SandboxLimits(wall_seconds=3.0, memory_mb=256)
A = WarmKey(image="a", runner="python", limits=LIMITS)
B = WarmKey(image="b", runner="python", limits=LIMITS)
NOW = 1000.0


def entry(name: str, expires: float = NOW + 60, loaded: bool = False,
          started: float = NOW) -> WarmContainer:  # fmt: skip
    stand_in: Any = name  # a container the pool would remove; only its identity matters here
    return WarmContainer(stand_in, expires, loaded=loaded, started=started)


def test_a_take_gets_a_loaded_one_first_else_the_oldest_and_drops_the_expired() -> None:
    idle = IdleSandboxes()
    for made in (entry("old"), entry("gone", expires=NOW - 1), entry("ready", loaded=True),
                 entry("young")):  # fmt: skip
        idle.add(A, made)
    got, expired = idle.take(A, NOW)
    assert got is not None and (got.container, expired) == ("ready", ["gone"])
    got, expired = idle.take(A, NOW)
    assert got is not None and (got.container, expired) == ("old", [])
    assert idle.count(A) == 1 and idle.count(B) == 0
    assert idle.take(B, NOW) == (None, [])


def test_counts_loading_and_the_next_change() -> None:
    idle = IdleSandboxes()
    assert (idle.count(), idle.next_change(NOW)) == (0, NOW + QUIET_SECONDS)
    idle.add(A, entry("loading", expires=NOW + 90))
    idle.add(B, entry("loaded", expires=NOW + 30, loaded=True))
    idle.add(B, entry("silent", started=NOW - LOADING_LIMIT_SECONDS - 1))
    assert (idle.count(), idle.loaded_count(), idle.loading_count(NOW)) == (3, 1, 1)
    # The earliest of: the loading one's limit (NOW + 5), the loaded one's
    # expiry (NOW + 30), the silent one's limit (already past: look at once).
    assert idle.next_change(NOW) == NOW - 1
    idle.forget(B)
    assert idle.next_change(NOW) == NOW + LOADING_LIMIT_SECONDS


def test_expire_trim_forget_and_drain_give_the_containers_back() -> None:
    idle = IdleSandboxes()
    idle.add(A, entry("a1", expires=NOW - 1))
    idle.add(A, entry("a2"))
    idle.add(A, entry("a3"))
    idle.add(B, entry("b1"))
    assert idle.expire(NOW) == {A: ["a1"], B: []}
    assert idle.trim("a", keep=1) == ["a3"]  # the newest goes first
    assert idle.trim("b", keep=1) == []
    assert idle.forget(A) == ["a2"] and idle.forget(A) == []
    assert idle.drain() == ["b1"] and idle.count() == 0
