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
cold, the ones after it are warm. A container that waited `idle_seconds` is
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
import docker.errors
from docker.models.containers import Container

from sandbox.container import container_settings, remove_container
from sandbox.engine import docker_errors
from sandbox.errors import ImageMissing, SandboxError
from sandbox.limits import SandboxLimits

log = logging.getLogger(__name__)

# The harness's own idle limit is this much longer than the pool's, so that a
# container is never handed out in the moment its harness gives up.
IDLE_MARGIN_SECONDS = 15.0
# After a key's container could not be started (image removed, engine busy),
# leave it cold this long rather than retrying in a loop.
FAILURE_BACKOFF_SECONDS = 30.0


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
        self.hits = 0
        self.misses = 0
        self._cond = threading.Condition()
        self._recent: OrderedDict[WarmKey, None] = OrderedDict()  # least recent first
        self._idle: dict[WarmKey, list[_Idle]] = {}
        self._doomed: list[Container] = []
        self._backoff: dict[WarmKey, float] = {}
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
            found = self._pop_fresh(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._fill, name="warm-sandboxes",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._cond.notify()
        return found

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

    def idle_count(self) -> int:
        with self._cond:
            return sum(len(entries) for entries in self._idle.values())

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
                remove_container(container)
            if key is not None:
                self._add(key)

    def _add(self, key: WarmKey) -> None:
        try:
            container = start_warm(self.client, key, self.idle_seconds + IDLE_MARGIN_SECONDS)
        except SandboxError as exc:
            log.warning("could not start a warm sandbox of %s (cold gradings meanwhile): %s",
                        key.image, exc)  # fmt: skip
            with self._cond:
                self._backoff[key] = time.monotonic() + FAILURE_BACKOFF_SECONDS
            return
        with self._cond:
            self._backoff.pop(key, None)
            if self._closed or key not in self._recent:
                self._doomed.append(container)  # closed or evicted while it started
            else:
                expires = time.monotonic() + self.idle_seconds
                self._idle.setdefault(key, []).append(_Idle(container, expires))


def start_warm(client: docker.DockerClient, key: WarmKey, harness_idle: float) -> Container:
    """Create and start one warm sandbox: the image's own command (the harness)
    with --warm. Raises SandboxError (ImageMissing included)."""
    with docker_errors(f"starting a warm sandbox of {key.image}"):
        try:
            command = list(client.images.get(key.image).attrs["Config"]["Cmd"] or [])
        except docker.errors.ImageNotFound:
            raise ImageMissing(f"image {key.image} is not on this Docker engine") from None
        command += ["--warm", key.runner, "--idle-seconds", f"{harness_idle:g}"]
        settings = container_settings(key.limits, key.runtime, runner=key.runner)
        container = client.containers.create(key.image, command, **settings)
        try:
            container.start()
        except BaseException:
            remove_container(container)
            raise
    return container
