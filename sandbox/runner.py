"""One container per grading: create it (or take a warm one, pool.py), feed the
request on stdin, wait, read the report from stdout, and always remove the
container (docs/architecture.md). What the container is: container.py.

The report comes back on the same attachment that takes the request
(report_stream.py). A student's failure is a Report; an infrastructure fault raises SandboxError.
The host only decides two outcomes itself: `timeout` when nothing answered by
wall + grace, and `memory_exceeded` when the whole container was OOM-killed.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from typing import TYPE_CHECKING

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container

from grader_harness.protocol import GradingRequest
from grader_harness.report import Report, ReportFormatError, Status, parse_report
from sandbox.container import (
    container_settings,
    image_attrs,
    networking_disabled,
    remove_container,
    remove_later,
    restore_priority,
)
from sandbox.engine import docker_errors
from sandbox.errors import HarnessFailed, SandboxError
from sandbox.limits import SandboxLimits
from sandbox.report_stream import ReportStream

if TYPE_CHECKING:
    from sandbox.pool import WarmPool

log = logging.getLogger(__name__)

# The harness keeps its own deadline (wall - 1 s); the host waits this much
# longer for container start-up and the report before it kills the container.
STARTUP_GRACE_SECONDS = 10.0
# A report is a few KB (tests and messages are capped); anything past this is
# not a report, and reading it all would only cost the host memory.
MAX_REPORT_BYTES = 4 << 20
STDERR_TAIL_CHARS = 3000


def run_in_sandbox(
    *,
    client: docker.DockerClient,
    image: str,
    request: GradingRequest,
    limits: SandboxLimits,
    runtime: str = "runc",
    command: list[str] | None = None,
    pool: WarmPool | None = None,
    remove_in_background: bool = False,
) -> Report:
    """Run one grading in a fresh container and return the harness's report.

    With a pool, the container may be a warm one (sandbox/pool.py): fresh all
    the same, only started earlier; and the used container is removed in the
    background (container.remove_later), after the report is back: the pool's
    owner is a long-lived worker, and pool.close() waits for those removals.
    `remove_in_background` does the same without a pool (a worker with warm
    sandboxes off: a cold grading's report then goes back some 50-100 ms
    sooner; its process calls container.flush_removals() before it exits).
    `command` replaces the image's CMD (the harness); tests of the channel use
    it, never with a pool.
    """
    # With a pool this grading counts as running (its refills wait while every core grades).
    with pool.running() if pool is not None else contextlib.nullcontext():
        return _run(client=client, image=image, request=request, limits=limits,
                    runtime=runtime, command=command, pool=pool,
                    remove_in_background=remove_in_background)  # fmt: skip


def _run(*, client: docker.DockerClient, image: str, request: GradingRequest,
         limits: SandboxLimits, runtime: str, command: list[str] | None,
         pool: WarmPool | None, remove_in_background: bool) -> Report:  # fmt: skip
    # The request is one line (a warm harness reads up to the newline).
    payload = request.to_json().encode() + b"\n"
    allowed = limits.wall_seconds + STARTUP_GRACE_SECONDS
    if pool is not None and command is None:
        warm = pool.take(image=image, runner=request.config.runner, limits=limits,
                         runtime=runtime)  # fmt: skip
        if warm is not None:
            stream = _fed_warm(warm, payload, timeout=allowed)
            if stream is not None:
                return _finish(warm, stream, limits, deadline=time.monotonic() + allowed,
                               later=True)  # fmt: skip
    network_disabled = networking_disabled(image_attrs(client, image))
    container: Container | None = None
    try:
        with docker_errors("creating the sandbox container"):
            container = client.containers.create(
                image, command,
                **container_settings(limits, runtime, runner=request.config.runner,
                                     network_disabled=network_disabled),
            )  # fmt: skip
        deadline = time.monotonic() + allowed
        with docker_errors("starting the sandbox container"):
            stream = _feed(container, payload, timeout=allowed, start=True)
    except BaseException:
        if container is not None:
            remove_container(container)
        raise
    return _finish(container, stream, limits, deadline=deadline,
                   later=pool is not None or remove_in_background)


def _fed_warm(container: Container, payload: bytes, *, timeout: float) -> ReportStream | None:
    """Feed a warm container; None (and it is removed) when it died while it
    waited. Asked first: Docker accepts an attach to an exited container."""
    try:
        with docker_errors("feeding a warm sandbox"):
            container.reload()
            if container.status == "running":
                stream = _feed(container, payload, timeout=timeout, start=False)
                restore_priority(container)
                return stream
            problem = f"it is {container.status}"
    except SandboxError as exc:
        problem = str(exc)
    log.warning("warm sandbox %s unusable (%s): grading in a cold one", container.short_id,
                problem)  # fmt: skip
    remove_container(container)
    return None


def _finish(container: Container, stream: ReportStream, limits: SandboxLimits, *,
            deadline: float, later: bool = False) -> Report:  # fmt: skip
    """Read the fed container's report, and remove the container whatever
    happens (`later`: in the background, see run_in_sandbox)."""
    try:
        streamed = stream.read_report(deadline)
        # The report is one line, and the harness writes nothing after it: a
        # whole line is all of it, without waiting for the container to exit.
        if streamed is None and not _wait(container, timeout=deadline - time.monotonic()):
            allowed = limits.wall_seconds + STARTUP_GRACE_SECONDS
            return Report(
                status=Status.TIMEOUT,
                score=0.0,
                max_score=0.0,
                message=f"Time limit exceeded: the grading did not finish within the "
                f"{limits.wall_seconds:g} s wall-time limit and was stopped.",
                duration=round(allowed, 4),
            )
        return _collect(container, limits, streamed)
    finally:
        stream.close()
        (remove_later if later else remove_container)(container)


def _feed(container: Container, payload: bytes, *, timeout: float, start: bool) -> ReportStream:
    """Attach to stdin and stdout (before the start, if `start`: nothing is
    lost), send the request, then EOF; the attachment's stdout brings the
    report. A warm container is running already: its harness waits."""
    attached = container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
    # The SDK hands back a SocketIO around the hijacked connection; writing
    # and half-closing need the socket itself.
    stream = ReportStream(attached, MAX_REPORT_BYTES)
    try:
        if start:
            container.start()
        stream.raw.settimeout(max(timeout, 1.0))
        try:
            stream.raw.sendall(payload)
            stream.raw.shutdown(socket.SHUT_WR)
        except OSError as exc:
            # The container exited or stopped reading: its report tells which.
            log.debug("sandbox stdin closed early: %s", exc)
    except BaseException:
        stream.close()
        raise
    return stream


def _wait(container: Container, *, timeout: float) -> bool:
    """True when the container exited in time; False when it is still running."""
    try:
        container.wait(timeout=max(timeout, 0.1))
        return True
    except requests.exceptions.RequestException:
        # requests reports the read timeout as ConnectionError; ask the engine
        # whether the container still runs (this also tells an engine that is gone).
        with docker_errors("checking the sandbox container"):
            container.reload()
        return container.status != "running"


def _collect(container: Container, limits: SandboxLimits, streamed: bytes | None) -> Report:
    """The report: `streamed` when the attachment brought a whole one, else
    the container's stdout, or what its end says (memory, a harness fault)."""
    if streamed is not None:
        try:
            return parse_report(streamed)
        except ReportFormatError:
            _wait(container, timeout=STARTUP_GRACE_SECONDS)  # its log says more, once it ended
    with docker_errors("reading the sandbox's report"):
        stdout, complete = _read_stdout(container)
    problem = f"its stdout is larger than {MAX_REPORT_BYTES} bytes"
    if complete:
        try:
            return parse_report(stdout)
        except ReportFormatError as exc:
            problem = str(exc)
    with docker_errors("inspecting the sandbox container"):
        container.reload()
        state = container.attrs.get("State", {})
        stderr = container.logs(stdout=False, stderr=True, tail=60)
    if state.get("OOMKilled"):
        return Report(
            status=Status.MEMORY_EXCEEDED,
            score=0.0,
            max_score=0.0,
            message=f"Memory limit exceeded: the grading used more than {limits.memory_mb} MB "
            "and was killed.",
        )
    tail = stderr.decode(errors="replace")[-STDERR_TAIL_CHARS:]
    raise HarnessFailed(
        f"the harness exited with code {state.get('ExitCode')} without a valid report "
        f"({problem}). Its stderr ends with:\n{tail}"
    )


def _read_stdout(container: Container) -> tuple[bytes, bool]:
    """The container's stdout, up to MAX_REPORT_BYTES; False when it was longer."""
    chunks: list[bytes] = []
    size = 0
    stream = container.logs(stdout=True, stderr=False, stream=True, follow=False)
    try:
        for chunk in stream:
            size += len(chunk)
            if size > MAX_REPORT_BYTES:
                return b"", False
            chunks.append(chunk)
    finally:
        stream.close()
    return b"".join(chunks), True
