"""What one sandbox container is: its settings, its labels, and its removal.

runner.py creates cold ones and pool.py warm ones (start_warm), both from
container_settings(), so a warm sandbox can never differ from a cold one
(docs/architecture.md explains each setting); cleanup.py finds them by their
labels.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
from collections.abc import Mapping
from typing import Any

import docker
import docker.errors
import docker.types
import requests.exceptions
from docker.models.containers import Container

from grader_harness.runners import find_runner
from sandbox.engine import docker_errors
from sandbox.errors import ImageMissing
from sandbox.limits import SandboxLimits

log = logging.getLogger(__name__)

LABEL_SANDBOX = "grader.sandbox"
LABEL_OWNER = "grader.owner"
CAPABILITIES = ["SETUID", "SETGID", "KILL"]  # why each: docs/architecture.md


def owner_label() -> str:
    """`<host>:<pid>` of this process, so the orphan sweep knows whose a container is."""
    return f"{socket.gethostname()}:{os.getpid()}"


# A database runner's copy of the exercise's cluster (counted against memory_mb).
DATABASE_TMPFS = {"/var/lib/grader-pg": "rw,nosuid,nodev,size=256m,mode=1777"}


# On the runtime image (and so on every exercise image), "1" when its base
# resolves `localhost` without /etc/hosts (images.py asks the base): only then
# may a sandbox run with Docker's networking disabled (container_settings).
LABEL_NETWORK_DISABLED = "grader.network-disabled"


def networking_disabled(image_attrs: Mapping[str, Any]) -> bool:
    """Whether sandboxes of this image (its `docker inspect`) run with Docker's
    networking disabled: see LABEL_NETWORK_DISABLED."""
    labels = (image_attrs.get("Config") or {}).get("Labels") or {}
    return labels.get(LABEL_NETWORK_DISABLED) == "1"


def image_attrs(client: docker.DockerClient, image: str) -> dict[str, Any]:
    """The image's `docker inspect` (its command, its labels); ImageMissing
    when it is not on the engine. Asked before any container is created from
    it: creating from a missing image would make some engines try a
    registry, which fails slowly here."""
    with docker_errors(f"looking for image {image}"):
        try:
            return dict(client.images.get(image).attrs)
        except docker.errors.ImageNotFound:
            raise ImageMissing(
                f"image {image} is not on this Docker engine; build it first "
                "(`grader images build`, or grade once with image building allowed)"
            ) from None


def container_settings(
    limits: SandboxLimits, runtime: str, *, runner: str | None = None,
    network_disabled: bool = False,
) -> dict[str, Any]:
    """The keyword arguments of containers.create() for one sandbox of `runner`
    (grader_harness.runners; None or an unknown name: a plain sandbox);
    `network_disabled` from the image (networking_disabled)."""
    memory = f"{limits.memory_mb}m"
    spec = find_runner(runner)
    return {
        "stdin_open": True,
        "network_mode": "none",
        # Disabled, no networking at all for Docker either: the container
        # still gets a network namespace of its own with only loopback (runc
        # brings `lo` up), but Docker runs no libnetwork hook at its start (a
        # re-exec of dockerd's binary: half the machine CPU of a container's
        # whole life, about 80 of 165 ms here) and writes no /etc/hosts nor
        # /etc/resolv.conf: `localhost` must resolve without (the offline
        # base's libnss-myhostname), which the image's label says.
        "network_disabled": network_disabled,
        "read_only": True,
        "tmpfs": {
            "/tmp": "rw,nosuid,nodev,size=64m,mode=1777",
            "/workspace": "rw,nosuid,nodev,size=32m,mode=0755",
            **(DATABASE_TMPFS if spec is not None and spec.database_tmpfs else {}),
        },
        "cap_drop": ["ALL"],
        "cap_add": CAPABILITIES,
        "security_opt": ["no-new-privileges"],
        "mem_limit": memory,
        "memswap_limit": memory,  # the same: no swap on top
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": limits.processes,
        # No core files: a crashing student process would fill the tmpfs.
        "ulimits": [docker.types.Ulimit(name="core", soft=0, hard=0)],
        # Only the harness writes to stdout/stderr; still, bound the host's log file.
        "log_config": docker.types.LogConfig(
            type="json-file", config={"max-size": "10m", "max-file": "2"}
        ),
        "labels": {LABEL_SANDBOX: "1", LABEL_OWNER: owner_label()},
        "runtime": runtime,
    }


def remove_container(container: Container) -> None:
    """Remove the container whatever happened; never raise (we may be unwinding)."""
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        # The orphan sweep (sandbox.cleanup) removes it later.
        log.warning("could not remove sandbox container %s: %s", container.short_id, exc)


# A warm sandbox loads (imports, a database server) while gradings run: it
# does so at this CPU weight (cgroup cpu.shares; Docker's default is 1024),
# so that under contention the gradings get the CPU first. A weight is no
# cap: on an idle machine the warm-up runs at full speed. Fed, the container
# gets the default weight back (restore_priority), like any cold sandbox.
WARM_CPU_SHARES = 64
DEFAULT_CPU_SHARES = 1024


def start_warm(client: docker.DockerClient, image: str, runner: str, limits: SandboxLimits,
               runtime: str, harness_idle: float) -> Container:  # fmt: skip
    """Create and start one warm sandbox: the image's own command (the harness)
    with --warm, at WARM_CPU_SHARES. Raises SandboxError (ImageMissing included)."""
    attrs = image_attrs(client, image)
    with docker_errors(f"starting a warm sandbox of {image}"):
        command = [*(attrs["Config"]["Cmd"] or []),
                   "--warm", runner, "--idle-seconds", f"{harness_idle:g}"]  # fmt: skip
        settings = container_settings(limits, runtime, runner=runner,
                                      network_disabled=networking_disabled(attrs))  # fmt: skip
        container = client.containers.create(image, command, cpu_shares=WARM_CPU_SHARES,
                                             **settings)  # fmt: skip
        try:
            container.start()
        except BaseException:
            remove_container(container)
            raise
    return container


def restore_priority(container: Container) -> None:
    """Give a fed warm sandbox the default CPU weight, in a thread of its own:
    the grading does not wait for the API call (it starts at the low weight
    for those few milliseconds). A failure leaves it low: slower under load,
    never wrong. A short grading may be over before the call (Docker refuses
    to update a stopped container): nothing to restore then, and no warning."""

    def restore() -> None:
        try:
            container.update(cpu_shares=DEFAULT_CPU_SHARES)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            level = logging.DEBUG if _stopped(container) else logging.WARNING
            log.log(level, "sandbox %s keeps its warm CPU weight: %s", container.short_id, exc)

    threading.Thread(target=restore, name="sandbox-priority", daemon=True).start()


def _stopped(container: Container) -> bool:
    """Whether the container is gone or no longer running (False when Docker cannot say)."""
    try:
        container.reload()
    except docker.errors.NotFound:
        return True
    except (docker.errors.DockerException, requests.exceptions.RequestException):
        return False
    return container.status not in ("running", "paused")


class _Remover:
    """One background thread per process that removes finished sandboxes, so a
    grading's report goes back without waiting for the removal (a force
    remove is tens of milliseconds of Docker API). A container still queued
    when the process dies is the orphan sweep's (sandbox.cleanup): it is
    labelled with this process as its owner, like any sandbox."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Container] = queue.Queue()
        self._pid = 0
        self._lock = threading.Lock()

    def put(self, container: Container) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: threads do not fork
                self._queue = queue.Queue()
                self._pid = os.getpid()
                threading.Thread(target=self._run, args=(self._queue,), daemon=True,
                                 name="sandbox-remover").start()  # fmt: skip
            self._queue.put(container)

    def flush(self) -> None:
        """Wait until every queued container is removed (tests, pool.close())."""
        with self._lock:
            pending = self._queue if self._pid == os.getpid() else None
        if pending is not None:
            pending.join()

    @staticmethod
    def _run(pending: queue.Queue[Container]) -> None:
        while True:
            container = pending.get()
            try:
                remove_container(container)
            finally:
                pending.task_done()


_remover = _Remover()


def remove_later(container: Container) -> None:
    """remove_container() in the background thread; never raises."""
    _remover.put(container)


def flush_removals() -> None:
    _remover.flush()
