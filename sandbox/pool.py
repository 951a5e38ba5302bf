"""Warm sandboxes: containers started, and loaded, before the submissions
that will use them (docs/architecture.md#warm-sandboxes). A warm container has
the same container_settings() and labels as a cold one, serves exactly one
grading and is removed after it (runner.run_in_sandbox); never handed out twice.

One pool per process and Docker client, filled by one background thread, for
the `max_keys` most recently graded keys (image, runner, limits, runtime):
the first grading of an exercise is cold, the ones after it warm. The parts:
- how many each key keeps: `per_key`, plus up to `max_extra` while takes
  find containers still loading (warm_demand.py);
- which one a take gets, loaded first, and when an idle one is replaced
  (`idle_seconds`; warm_idle.py, warm_container.py);
- a take that finds none ready waits for the one being started for its key,
  if it comes soon enough (a handover: warm_starts.py);
- at most `max_loading` load at once (default: half the cores, at least
  one), the next once one has loaded: loads sharing a busy CPU all finish
  late, while one after the other the oldest is ready soonest;
- with `gradings` (a worker's count of its gradings running,
  host_gradings.py), a start waits while every one of `cores` (default: the
  engine's CPUs) grades (refill_gate.py); every grading through
  run_in_sandbox with this pool counts itself there (running()).

A warm container that died while it waited is found when the grading
attaches to it, and that grading goes cold. Failures here are logged, never
raised: without the pool a grading is only slower.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator

import docker
from docker.models.containers import Container

from sandbox.container import flush_removals, remove_container, remove_later, start_warm
from sandbox.engine import engine_cores
from sandbox.errors import SandboxError
from sandbox.host_gradings import HostGradings, usable_cores
from sandbox.limits import SandboxLimits
from sandbox.refill_gate import RECHECK_SECONDS, RefillGate
from sandbox.warm_container import WarmContainer, WarmKey, watch_loading
from sandbox.warm_demand import Demand
from sandbox.warm_idle import IdleSandboxes
from sandbox.warm_starts import Starts

log = logging.getLogger(__name__)

# The harness's own idle limit is this much longer than the pool's, so that a
# container is never handed out in the moment its harness gives up.
IDLE_MARGIN_SECONDS = 15.0


class WarmPool:
    def __init__(self, client: docker.DockerClient, *, max_keys: int = 2, per_key: int = 1,
                 idle_seconds: float = 120.0, max_extra: int = 0,
                 max_loading: int = max(1, (os.cpu_count() or 2) // 2),
                 gradings: HostGradings | None = None,
                 cores: int | None = None) -> None:  # fmt: skip
        if min(max_keys, per_key, max_loading) < 1 or idle_seconds <= 0 or max_extra < 0:
            raise ValueError("a warm pool needs max_keys, per_key and max_loading >= 1, "
                             "idle_seconds > 0 and max_extra >= 0")  # fmt: skip
        # The sandboxes run on the engine's cores, not on this process's.
        self.gate = None if gradings is None else RefillGate(
            gradings, cores or engine_cores(client) or usable_cores())
        self.client, self.idle_seconds = client, idle_seconds
        self.max_keys, self.per_key, self.max_loading = max_keys, per_key, max_loading
        self.hits = self.misses = 0  # hits: handovers included
        self.handovers = 0  # hits that waited for a container being started
        self.unloaded = 0  # hits on a container whose harness was still loading
        self.starts = Starts()
        self._cond = threading.Condition()
        self._recent: OrderedDict[WarmKey, None] = OrderedDict()  # least recent first
        self._idle = IdleSandboxes()
        self._doomed: list[Container] = []
        self._demand = Demand(per_key, max_extra)
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
                self._doomed += self._idle.forget(old)
                self._demand.forget(old)
            if self._thread is None:
                self._thread = threading.Thread(target=self._fill, name="warm-sandboxes",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._cond.notify_all()
            found = self._pop_fresh(key)
            if found is None and key in self.starts:
                found = self._await_start(key)
                self.handovers += found is not None
            self.misses += found is None
            self.hits += found is not None
            self._cond.notify_all()  # the fill thread: this key is one short now
        return found.container if found is not None else None

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """A grading runs (warm or cold) while the block runs: counted in `gradings`."""
        if self.gate is None:
            yield
            return
        try:
            with self.gate.gradings.running():
                yield
        finally:
            with self._cond:
                self._cond.notify_all()  # a core may be free for a start now

    def expect(self, *, image: str, takes: int) -> None:
        """At most `takes` more takes of `image` will come, this caller knows
        (`grader exercises check`): keep no more ready, remove the surplus."""
        with self._cond:
            self._demand.expect(image, takes)
            self._doomed += self._idle.trim(image, takes)
            self._cond.notify_all()

    def _await_start(self, key: WarmKey) -> WarmContainer | None:
        """Under the lock: the container being started for `key`, if it comes
        sooner than a cold start would (Starts.wait_until), and while that
        start is still under way; else None."""
        now = time.monotonic()
        give_up = self.starts.wait_until(key, now)
        while not self._closed and key in self.starts and now < give_up:
            self._cond.wait(timeout=give_up - now)
            found = self._pop_fresh(key)
            if found is not None:
                return found
            now = time.monotonic()
        return self._pop_fresh(key) if not self._closed else None

    def close(self) -> None:
        """Remove every container the pool still holds; later takes miss."""
        log.info("warm pool closed: %d gradings warm (%d handed over while starting, %d while "
                 "loading), %d cold; a start waited for a free core %d times (every 50 ms)",
                 self.hits, self.handovers, self.unloaded, self.misses,
                 self.gate.put_off if self.gate is not None else 0)  # fmt: skip
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
            return self._idle.count()

    def loaded_count(self) -> int:
        """Idle containers whose harness has loaded (waits for its request)."""
        with self._cond:
            return self._idle.loaded_count()

    def starting_count(self) -> int:
        """Containers the fill thread is starting now (0 or 1: it starts one at a time)."""
        with self._cond:
            return len(self.starts)

    # --- the background thread ------------------------------------------

    def _pop_fresh(self, key: WarmKey) -> WarmContainer | None:
        """Under the lock: the container a take of `key` gets (warm_idle.py), counted here."""
        entry, expired = self._idle.take(key, time.monotonic())
        self._doomed += expired
        if entry is None:
            return None
        self.unloaded += not entry.loaded
        self._demand.took(key, loaded=entry.loaded)
        return entry

    def _drain(self) -> list[Container]:
        doomed, self._doomed = self._doomed, []
        return doomed + self._idle.drain()

    def _next_job(self) -> tuple[list[Container], WarmKey | None, float]:
        """Under the lock: containers to remove, a key to fill (or None), and
        how long to sleep when there is nothing to do."""
        now = time.monotonic()
        for key, expired in self._idle.expire(now).items():
            self._demand.went_unused(key, len(expired))
            self._doomed += expired
        doomed, self._doomed = self._doomed, []
        wanted = None
        loading = self._idle.loading_count(now)
        for key in reversed(self._recent) if loading < self.max_loading else ():  # recent first
            if self._idle.count(key) < self._demand.target(key, now):
                if self.gate is not None and self.gate.shut(now):
                    return doomed, None, RECHECK_SECONDS  # a core must be free first
                wanted = key
                # Under way from now on: a take from here waits for it (_await_start).
                self.starts.begin(key, now)
                break
        retry = self._demand.next_retry() or now + 60
        return doomed, wanted, max(0.05, min(self._idle.next_change(now), retry) - now)

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
        try:
            container = start_warm(self.client, key.image, key.runner, key.limits, key.runtime,
                                   self.idle_seconds + IDLE_MARGIN_SECONDS)  # fmt: skip
        except BaseException as exc:
            with self._cond:
                self.starts.ended(key, time.monotonic(), started=False)
                self._cond.notify_all()  # a take waiting for this start goes cold
                if isinstance(exc, SandboxError):
                    self._demand.failed(key, time.monotonic())
            if not isinstance(exc, SandboxError):
                raise
            log.warning("could not start a warm sandbox of %s (cold gradings meanwhile): %s",
                        key.image, exc)  # fmt: skip
            return
        with self._cond:
            self.starts.ended(key, time.monotonic(), started=True)
            self._cond.notify_all()
            self._demand.started(key)
            if self._closed or key not in self._recent:
                self._doomed.append(container)  # closed or evicted while it started
                return
            entry = WarmContainer(container, time.monotonic() + self.idle_seconds)
            self._idle.add(key, entry)
        watch_loading(container, lambda: self._loaded(entry))

    def _loaded(self, entry: WarmContainer) -> None:
        with self._cond:
            entry.loaded = True
            self._cond.notify_all()

