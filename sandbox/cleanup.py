"""The orphan sweep: remove sandbox containers whose owner process is gone.

run_in_sandbox() always removes its container, but a worker killed with
SIGKILL (or a host crash) cannot. Every sandbox carries the labels
grader.sandbox=1 and grader.owner=<host>:<pid>; the CLI and the worker call
remove_orphans() at start-up.
"""

from __future__ import annotations

import logging
import os
import socket
import time

import docker
import docker.errors

from sandbox.container import LABEL_OWNER, LABEL_SANDBOX
from sandbox.engine import docker_errors

log = logging.getLogger(__name__)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just someone else's
    return True


def _is_orphan(labels: dict[str, str], age: float, max_age_seconds: float | None) -> bool:
    # Past max_age no grading can still be running (wall time is capped), so a
    # container that old is an orphan whoever owns it: this also sweeps those
    # of another host that shares this engine and died.
    if max_age_seconds is not None and age > max_age_seconds:
        return True
    host, _, pid = labels.get(LABEL_OWNER, "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        # Another host's container: its pid means nothing here.
        return False
    return not _pid_alive(int(pid))


def remove_orphans(client: docker.DockerClient, *, max_age_seconds: float | None = None) -> int:
    """Remove orphaned sandbox containers; returns how many were removed.

    An orphan is labelled grader.sandbox=1 and either owned by a process of
    this host that no longer exists, or older than max_age_seconds (any owner).
    """
    with docker_errors("listing sandbox containers"):
        # The low-level list carries labels and creation time without one
        # inspect per container.
        found = client.api.containers(all=True, filters={"label": f"{LABEL_SANDBOX}=1"})
    now = time.time()
    removed = 0
    for entry in found:
        labels = entry.get("Labels") or {}
        if not _is_orphan(labels, now - float(entry.get("Created", now)), max_age_seconds):
            continue
        with docker_errors("removing an orphaned sandbox container"):
            try:
                client.api.remove_container(entry["Id"], force=True)
            except docker.errors.NotFound:
                continue  # removed meanwhile (its owner, or another sweep)
            except docker.errors.APIError as exc:
                if exc.status_code == 409:
                    continue  # its removal is already in progress
                raise
        log.info(
            "removed orphaned sandbox %s (owner %s)", entry["Id"][:12], labels.get(LABEL_OWNER)
        )
        removed += 1
    return removed
