"""A warm container in the pool (pool.py): its key, its expiry, and whether
its harness has loaded, which the harness says on stderr.

A started container is not a ready one yet. Its harness still imports pytest
and the runner, starts the student's interpreter and collects the tests: half
a second to a second here, much longer at its low CPU weight on a busy host.
A grading fed to it meanwhile waits for the rest. The pool (pool.py) tells
the two apart, so that it can hand out a loaded container first and keep more
of them for an exercise whose submissions come faster than one loads.

The sign is the line the warm harness prints once it waits for its request
("grader_harness: warm, loaded in 0.612 s", grader_harness/__main__.py). One
short-lived thread per loading container follows its stderr (only stderr:
stdout is the report's, and stdin stays free for the grading's attachment)
until that line, the container's end, or a time limit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import docker.errors
import requests.exceptions
from docker.models.containers import Container

from sandbox.limits import SandboxLimits

log = logging.getLogger(__name__)

LOADED_MARK = b"grader_harness: warm, loaded"
# Past this, stop following: the container stays usable, only counted unloaded.
FOLLOW_SECONDS = 120.0
# The pool starts the next container once this one has loaded (loads that
# share the CPU all finish late; one after the other, the oldest is ready
# soonest), or after this long, so that a harness that never says it loaded
# holds nothing back.
LOADING_LIMIT_SECONDS = 5.0


@dataclass(frozen=True)
class WarmKey:
    """What makes two gradings' sandboxes interchangeable."""

    image: str
    runner: str
    limits: SandboxLimits
    runtime: str = "runc"


@dataclass
class WarmContainer:
    """One started container waiting in the pool."""

    container: Container
    expires: float  # time.monotonic()
    loaded: bool = False  # its harness waits for the request (watch_loading)
    started: float = field(default_factory=time.monotonic)

    def loading(self, now: float) -> bool:
        """Whether it still holds back the pool's next start."""
        return not self.loaded and now - self.started < LOADING_LIMIT_SECONDS

    def next_change(self) -> float:
        """When the pool next has to look at it: its expiry, or the end of its loading."""
        return self.expires if self.loaded else min(self.expires,
                                                    self.started + LOADING_LIMIT_SECONDS)


def watch_loading(container: Container, on_loaded: Callable[[], None]) -> None:
    """Call on_loaded() (from another thread) once the container's harness
    has loaded; never if it ends first. Never raises."""
    threading.Thread(target=_follow, args=(container, on_loaded), daemon=True,
                     name="warm-loading").start()  # fmt: skip


def _follow(container: Container, on_loaded: Callable[[], None]) -> None:
    try:
        stream = container.attach(stdout=False, stderr=True, stream=True, logs=True)
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        log.debug("cannot follow warm sandbox %s: %s", container.short_id, exc)
        return
    timer = threading.Timer(FOLLOW_SECONDS, stream.close)
    timer.daemon = True
    timer.start()
    seen = b""
    try:
        for chunk in stream:
            seen = (seen + chunk)[-4096:]  # the mark may be split between chunks
            if LOADED_MARK in seen:
                on_loaded()
                return
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError,
            ValueError, AttributeError):  # fmt: skip
        return  # closed by the timer, or the container is gone: counted unloaded
    finally:
        timer.cancel()
        stream.close()
