"""Warm sandboxes: containers started ahead of the submissions that will use them.

A grading in a cold container waits for Docker to start it (about 0.4 s on
these machines) and for the harness to import pytest and its runner (about
0.5 s; the sql runner's server starts meanwhile). A warm container did both
before the submission existed: its harness runs with --warm and waits for the
request (grader_harness/warm.py).

The sandbox itself does not change. A warm container is created with the same
container_settings() and labels as a cold one, from the same image; it holds
no submission until it is fed, serves exactly one grading and is removed
after it like any other (runner.run_in_sandbox). The pool only moves the
start earlier, and never hands a container out twice.

One pool per process and Docker client, filled by one background thread. It
keeps `per_key` containers for each of the `max_keys` most recently graded
keys (image, runner, limits, runtime): the first grading of an exercise is
cold, the ones after it are warm. `per_key` is the number of gradings the
process runs at once: 1 for a prefork worker child (each child has its own
pool and grades one submission at a time, so a worker of concurrency N keeps
N ready per hot exercise in all), the thread count for a threaded caller.

Back to back: a take that finds no ready container while the fill thread is
starting one for that key waits for it (a handover) when it should be ready
sooner than a cold start would be, that is within about one typical start
(a moving average of this pool's start times); a start that fails or takes
longer lets the grading go cold. A container that waited `idle_seconds` is
replaced (its harness exits by itself a little later: IDLE_MARGIN_SECONDS);
one that died while it waited is found when the grading attaches to it, and
that grading falls back to a cold container. Failures here are logged, never
raised: without the pool a grading is only slower.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import docker
from docker.models.containers import Container

from sandbox.container import flush_removals, remove_container, remove_later, start_warm
from sandbox.errors import SandboxError
from sandbox.limits import SandboxLimits

log = logging.getLogger(__name__)

# The harness's own idle limit is this much longer than the pool's, so that a
# container is never handed out in the moment its harness gives up.
IDLE_MARGIN_SECONDS = 15.0
# After a key's container could not be started (image removed, engine busy),
# leave it cold this long rather than retrying in a loop.
FAILURE_BACKOFF_SECONDS = 30.0
# The typical start (create + start) before this pool has measured one; then
# a moving average, each new start weighing START_WEIGHT.
FIRST_START_GUESS_SECONDS = 0.5
START_WEIGHT = 0.3


@dataclass(frozen=True)
class WarmKey:
    """What makes two gradings' sandboxes interchangeable."""

    image: str
    runner: str
    limits: SandboxLimits
    runtime: str = "runc"


@dataclass
class _Idle:
    container: Container
    expires: float  # time.monotonic()


class WarmPool:
    def __init__(self, client: docker.DockerClient, *, max_keys: int = 2, per_key: int = 1,
                 idle_seconds: float = 120.0) -> None:  # fmt: skip
        if max_keys < 1 or per_key < 1 or idle_seconds <= 0:
            raise ValueError("a warm pool needs max_keys >= 1, per_key >= 1, idle_seconds > 0")
        self.client = client
        self.max_keys = max_keys
        self.per_key = per_key
        self.idle_seconds = idle_seconds
        self.hits = 0  # handovers included
        self.handovers = 0  # hits that waited for a container being started
        self.misses = 0
        self.typical_start = FIRST_START_GUESS_SECONDS
        self._cond = threading.Condition()
        self._recent: OrderedDict[WarmKey, None] = OrderedDict()  # least recent first
        self._idle: dict[WarmKey, list[_Idle]] = {}
        self._doomed: list[Container] = []
        self._backoff: dict[WarmKey, float] = {}
        self._starting: dict[WarmKey, float] = {}  # key -> when its start began
        self._closed = False
        self._thread: threading.Thread | None = None

    # --- what the runner calls ------------------------------------------

    def take(self, *, image: str, runner: str, limits: SandboxLimits,
             runtime: str = "runc") -> Container | None:  # fmt: skip
        """A started container for these, now no longer the pool's; None on a
        miss. Either way their key becomes the most recent, and the pool refills it."""
        key = WarmKey(image=image, runner=runner, limits=limits, runtime=runtime)
        with self._cond:
            if self._closed:
                return None
            self._recent[key] = None
            self._recent.move_to_end(key)
            while len(self._recent) > self.max_keys:
                old, _ = self._recent.popitem(last=False)
                self._doomed += [e.container for e in self._idle.pop(old, [])]
            if self._thread is None:
                self._thread = threading.Thread(target=self._fill, name="warm-sandboxes",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._cond.notify_all()
            found = self._pop_fresh(key)
            if found is None and key in self._starting:
                found = self._await_start(key)
                self.handovers += found is not None
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            self._cond.notify_all()  # the fill thread: this key is one short now
        return found

    def _await_start(self, key: WarmKey) -> Container | None:
        """Under the lock: the container being started for `key`, if it comes
        sooner than a cold start would (about typical_start from now), and
        while that start is still under way; else None."""
        now = time.monotonic()
        # A start past twice the typical time is stuck (a busy engine): go cold.
        give_up = min(self._starting[key] + 2 * self.typical_start, now + self.typical_start)
        while not self._closed and key in self._starting and now < give_up:
            self._cond.wait(timeout=give_up - now)
            found = self._pop_fresh(key)
            if found is not None:
                return found
            now = time.monotonic()
        return self._pop_fresh(key) if not self._closed else None

    def close(self) -> None:
        """Remove every container the pool still holds; later takes miss."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=60)
        with self._cond:
            doomed = self._drain()
        for container in doomed:
            remove_container(container)
        flush_removals()  # and the used ones the runner removes in the background

    def idle_count(self) -> int:
        with self._cond:
            return sum(len(entries) for entries in self._idle.values())

    def starting_count(self) -> int:
        """Containers the fill thread is starting now (0 or 1: it starts one at a time)."""
        with self._cond:
            return len(self._starting)

    # --- the background thread ------------------------------------------

    def _pop_fresh(self, key: WarmKey) -> Container | None:
        entries = self._idle.get(key, [])
        now = time.monotonic()
        while entries:
            entry = entries.pop(0)
            if entry.expires > now:
                return entry.container
            self._doomed.append(entry.container)
        return None

    def _drain(self) -> list[Container]:
        doomed, self._doomed = self._doomed, []
        for entries in self._idle.values():
            doomed += [e.container for e in entries]
        self._idle.clear()
        return doomed

    def _next_job(self) -> tuple[list[Container], WarmKey | None, float]:
        """Under the lock: containers to remove, a key to fill (or None), and
        how long to sleep when there is nothing to do."""
        now = time.monotonic()
        for entries in self._idle.values():
            self._doomed += [e.container for e in entries if e.expires <= now]
            entries[:] = [e for e in entries if e.expires > now]
        doomed, self._doomed = self._doomed, []
        wanted = None
        for key in reversed(self._recent):  # the most recent first
            if len(self._idle.get(key, [])) < self.per_key and self._backoff.get(key, 0) <= now:
                wanted = key
                # Under way from now on: a take from here waits for it (_await_start).
                self._starting[key] = now
                break
        soonest = min((e.expires for es in self._idle.values() for e in es), default=now + 60)
        retry = min(self._backoff.values(), default=now + 60)
        return doomed, wanted, max(0.05, min(soonest, retry) - now)

    def _fill(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return  # close() removes what is left
                doomed, key, sleep = self._next_job()
                if not doomed and key is None:
                    self._cond.wait(timeout=sleep)
                    continue
            for container in doomed:
                remove_later(container)  # not in the way of the start below
            if key is not None:
                self._add(key)

    def _add(self, key: WarmKey) -> None:
        began = time.monotonic()
        try:
            container = start_warm(self.client, key.image, key.runner, key.limits, key.runtime,
                                   self.idle_seconds + IDLE_MARGIN_SECONDS)  # fmt: skip
        except BaseException as exc:
            with self._cond:
                del self._starting[key]
                self._cond.notify_all()  # a take waiting for this start goes cold
                if isinstance(exc, SandboxError):
                    self._backoff[key] = time.monotonic() + FAILURE_BACKOFF_SECONDS
            if not isinstance(exc, SandboxError):
                raise
            log.warning("could not start a warm sandbox of %s (cold gradings meanwhile): %s",
                        key.image, exc)  # fmt: skip
            return
        with self._cond:
            took = time.monotonic() - began
            self.typical_start += START_WEIGHT * (took - self.typical_start)
            del self._starting[key]
            self._cond.notify_all()
            self._backoff.pop(key, None)
            if self._closed or key not in self._recent:
                self._doomed.append(container)  # closed or evicted while it started
            else:
                expires = time.monotonic() + self.idle_seconds
                self._idle.setdefault(key, []).append(_Idle(container, expires))

