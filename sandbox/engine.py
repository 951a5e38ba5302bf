"""Connecting to the Docker engine, and keeping Docker's exceptions inside sandbox/.

Every call into the docker SDK made by this package runs inside
`docker_errors(...)`, which turns the SDK's and requests' exceptions into our
own (sandbox.errors), so callers only ever catch SandboxError.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors
import requests.exceptions

from sandbox.errors import EngineUnavailable, ImageMissing, RuntimeUnavailable, SandboxError

_START_ENGINE = (
    "Start the Docker engine (as root: `scripts/setup`, or `dockerd &` / "
    "`systemctl start docker`), or point GRADER_DOCKER_URL / DOCKER_HOST at one that runs."
)


def _explain(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc).strip()


def _unavailable_message(exc: BaseException, where: str) -> str:
    text = _explain(exc)
    if "Permission denied" in text or "PermissionError" in text:
        return (
            f"cannot talk to the Docker engine at {where}: permission denied. "
            "Run as root or as a member of the `docker` group."
        )
    return f"no Docker engine answers at {where} ({text}). {_START_ENGINE}"


@contextmanager
def docker_errors(action: str) -> Iterator[None]:
    """Translate docker/requests exceptions raised by `action` into SandboxError children."""
    try:
        yield
    except SandboxError:
        raise
    except docker.errors.ImageNotFound as exc:
        raise ImageMissing(f"{action}: {_explain(exc)}") from None
    except docker.errors.APIError as exc:
        text = _explain(exc)
        if "runtime" in text.lower() and ("unknown" in text.lower() or "invalid" in text.lower()):
            raise RuntimeUnavailable(f"{action}: {text}. {_RUNSC_HINT}") from None
        raise SandboxError(f"{action}: Docker said: {text}") from None
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        # requests also reports read timeouts as ConnectionError: callers that
        # expect a timeout (waiting for a container) catch it before us.
        raise EngineUnavailable(_unavailable_message(exc, "the configured address")) from None
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        raise SandboxError(f"{action}: {_explain(exc)}") from None


_RUNSC_HINT = (
    "Register it in /etc/docker/daemon.json (for gVisor: "
    '"runtimes": {"runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ["--network=none"]}}), '
    "restart dockerd (`scripts/setup` as root does both), or set GRADER_RUNTIME=runc."
)


def connect(base_url: str | None = None) -> docker.DockerClient:
    """A client for the engine at base_url (None: DOCKER_HOST or the local socket), pinged."""
    where = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        # The API version is negotiated ("auto"), so an older engine such as
        # Docker 20.10 (API 1.41) and a current one both work.
        if base_url:
            client = docker.DockerClient(base_url=base_url, version="auto")
        else:
            client = docker.from_env(version="auto")
        client.ping()
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise EngineUnavailable(_unavailable_message(exc, where)) from None
    return client


def check_runtime(client: docker.DockerClient, name: str) -> None:
    """Raise RuntimeUnavailable unless the engine has the container runtime `name`."""
    with docker_errors("asking the engine for its runtimes"):
        runtimes = client.info().get("Runtimes") or {}
    if name not in runtimes:
        known = ", ".join(sorted(runtimes)) or "none"
        raise RuntimeUnavailable(
            f"the Docker engine has no runtime {name!r} (it has: {known}). {_RUNSC_HINT}"
        )


def engine_cores(client: docker.DockerClient) -> int | None:
    """How many CPUs the engine's containers run on (its NCPU: the Docker
    host's, which a worker in a container of its own does not see); None
    when the engine does not say."""
    try:
        cores = client.info().get("NCPU")
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError):
        return None
    return cores if isinstance(cores, int) and cores > 0 else None
