"""What one sandbox container is: its settings, its labels, and its removal.

runner.py creates cold ones and pool.py warm ones, both from container_settings(),
so a warm sandbox can never differ from a cold one (docs/architecture.md
explains each setting); cleanup.py finds them by their labels.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import docker
import docker.errors
import docker.types
import requests.exceptions
from docker.models.containers import Container

from grader_harness.runners import find_runner
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


def container_settings(
    limits: SandboxLimits, runtime: str, *, runner: str | None = None
) -> dict[str, Any]:
    """The keyword arguments of containers.create() for one sandbox of `runner`
    (grader_harness.runners; None or an unknown name: a plain sandbox)."""
    memory = f"{limits.memory_mb}m"
    spec = find_runner(runner)
    return {
        "stdin_open": True,
        "network_mode": "none",
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
