"""The student's interpreter started ahead: before the request in a warm
sandbox, before pytest loads in a cold one; used once.

A cold start of the student's code is a fresh interpreter that imports
uvicorn and FastAPI (http-app) or the proxy's modules (python) after the
files are written, which costs most of the time to the app's first answer.
In a warm sandbox (--warm, warm.py) we start that interpreter ahead
(waiting_student.py): through student.spawn, so as the student user with the
same rules as every student process, holding only its command pipe, its
output pipe, the run's clock descriptor (read-only, offset 0 until a test
moves it) and, for python, the proxy's two pipes. The request and the hidden
tests stay out of its reach exactly as for a cold process: stdin is
/dev/null, /grader is root's 0700, /proc/<harness> is closed to its uid.

When the request's files are written, release() sends it what the cold
command would have had (app, port, env; module and pipes) before pytest
even loads the tests, so the import runs meanwhile; the runner's fixture then
takes the running process (Released) instead of starting one. Its output
goes to the run's meter from the release on, and the phases hear of it when
the fixture takes it, as for a cold start. Anything unusual (another runner,
an environment the interpreter cannot take after its start, a dead or
unready interpreter) discards it: the grading starts cold, as before. A
restart after a crash is always a cold start.

A cold run (no --warm) starts it too, first thing once the request is read
and before pytest is even imported, when the exercise allows it and the
sandbox has the CPUs to run both at once (worth_starting): its imports then
run beside the harness's own and the tests' collection instead of after them.
Same spawn, same rules; only the request exists already, in the harness's
memory, out of its reach.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader_harness import released_command, waiting_student
from grader_harness.app_env import check_env
from grader_harness.clock import Clock
from grader_harness.cpu_quota import available_cpus
from grader_harness.protocol import Layout
from grader_harness.released_command import HARNESS_ROOT, PRELOAD
from grader_harness.student import (
    StudentProcess,
    StudentProcesses,
    lookup_user,
    spawn,
    student_env,
)

READY_SECONDS = 20.0
# A cold run's interpreter is started ahead only with this much CPU (worth_starting).
MIN_CPUS_AHEAD = 1.5
TAKEN_SECONDS = 5.0  # it is blocked reading the command: this is only for a stalled machine
def free_port() -> int:
    """A loopback port nobody listens on now (the http-app runner's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Waiting:
    """The interpreter waiting for its command, and the harness's ends of its
    pipes; an fd of -1 (or a None) is one handed over or closed."""

    runner: str
    popen: subprocess.Popen[bytes]
    command_fd: int
    ready_fd: int
    output_fd: int
    clock: Clock | None
    workspace: Path
    # python: the proxy's pipes, (to it, from it) ours and (its in, its out) its numbers.
    channel: tuple[int, int] | None = None
    proxy_fds: tuple[int, int] | None = None
    released: bool = False
    ready: bool = False  # it finished its imports (wait_ready)

    def take_clock(self) -> Clock | None:
        """The run's clock (the interpreter holds its reader): the run closes it now."""
        clock, self.clock = self.clock, None
        return clock

    def discard(self) -> None:
        """Stop it unless released (then it is the run's), close what is still ours."""
        if not self.released:
            with contextlib.suppress(OSError):
                self.popen.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(2.0)
        for fd in (self.command_fd, self.ready_fd, self.output_fd, *(self.channel or ())):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.command_fd = self.ready_fd = self.output_fd = -1
        self.channel = None
        clock = self.take_clock()
        if clock is not None:
            clock.close()


@dataclass
class Released:
    """A released interpreter, for the runner's fixture to take (once)."""

    proc: StudentProcess
    port: int = 0  # http-app: where the app listens
    channel: tuple[int, int] | None = None  # python: the proxy's pipes, our ends


def start(runner: str, layout: Layout) -> Waiting | None:
    """Start the waiting interpreter for `runner` (None: the runner has none)."""
    if runner not in PRELOAD:
        return None
    user = lookup_user(layout.student_user)
    workspace = layout.workspace.resolve()
    workspace.mkdir(parents=True, exist_ok=True)  # empty, root's 0755, as write_files leaves it
    os.chmod(workspace, 0o755)
    clock = Clock()
    command_r, command_w = os.pipe()
    ready_r, ready_w = os.pipe()
    ours, theirs = [command_w, ready_r], [command_r, ready_w]
    env = student_env(workspace)
    env.pop("PYTHONPATH")  # the workspace joins sys.path with the command, like cold
    if runner == "python":
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        ours += [request_w, reply_r]
        theirs += [request_r, reply_w]
        env["PYTHONPATH"] = HARNESS_ROOT  # as the cold proxy's
    source = Path(waiting_student.__file__).read_text(encoding="utf-8")
    argv = [sys.executable, "-P", "-c", source, str(command_r), str(ready_w),
            ",".join(PRELOAD[runner])]  # fmt: skip
    try:
        popen, output_fd = spawn(argv, workspace, user, env=env,
                                 pass_fds=(*theirs, clock.reader_fd))  # fmt: skip
    except BaseException:
        for fd in ours:
            os.close(fd)
        clock.close()
        raise
    finally:
        for fd in theirs:
            os.close(fd)  # the numbers stay valid in the child (pass_fds keeps them)
    waiting = Waiting(runner, popen, command_w, ready_r, output_fd, clock, workspace)
    if runner == "python":
        waiting.channel, waiting.proxy_fds = (ours[2], ours[3]), (theirs[2], theirs[3])
    return waiting


def _byte(fd: int, seconds: float) -> bytes:
    readable, _, _ = select.select([fd], [], [], seconds)
    return os.read(fd, 1) if readable else b""


def wait_ready(waiting: Waiting, seconds: float = READY_SECONDS) -> bool:
    """Whether the interpreter finished its imports (one byte on its ready pipe)."""
    waiting.ready = waiting.ready or _byte(waiting.ready_fd, seconds) == b"r"
    return waiting.ready


def worth_starting(runner: str, options: dict[str, Any], cpus: float | None = None) -> bool:
    """Whether a cold run should start the interpreter ahead: its runner has
    one, the exercise's environment can be given to it after its start, and
    two processes can run at once (`cpus`, the sandbox's quota: cpu_quota.py;
    under one CPU it would only slow the harness's own start-up)."""
    if runner not in PRELOAD or (available_cpus() if cpus is None else cpus) < MIN_CPUS_AHEAD:
        return False
    try:
        extra = check_env(options.get("env", {}))
    except ValueError:
        return False  # the cold start reports the exercise's fault
    return released_command.takes_env(extra)


def release(waiting: Waiting, procs: StudentProcesses, runner: str,
            options: dict[str, Any]) -> Released | None:
    """Send the interpreter its command and give it to the run; None (and it
    is discarded) when the grading must start cold instead."""
    port = free_port() if runner == "http-app" else 0
    command = None
    if runner == waiting.runner and waiting.clock is not None:
        command = released_command.command(
            runner, waiting.workspace, waiting.clock.reader_fd, options, port, waiting.proxy_fds)
    # A cold run's interpreter may still be importing: its ready byte comes first.
    if command is None:
        return _unused(waiting, "another runner or environment")
    if not wait_ready(waiting):
        return _unused(waiting, "it did not finish its imports")
    if waiting.popen.poll() is not None:
        return _unused(waiting, f"it ended (status {waiting.popen.returncode})")
    try:
        data = memoryview(json.dumps(command).encode("utf-8"))
        while data:
            data = data[os.write(waiting.command_fd, data) :]
        os.close(waiting.command_fd)  # end of file ends the command
        waiting.command_fd = -1
        # Its receipt: without it the interpreter died (or stalled) before the
        # student's code could run, and that must not be the student's failure.
        taken = _byte(waiting.ready_fd, TAKEN_SECONDS) == b"g"
    except OSError:  # EPIPE: it died already
        taken = False
    if not taken:
        return _unused(waiting, "it did not confirm its command")
    os.close(waiting.ready_fd)
    waiting.ready_fd = -1
    waiting.released = True
    # From here on its output is the run's: the student's code runs in it.
    proc = procs.adopt(waiting.runner, waiting.popen, waiting.output_fd)
    waiting.output_fd = -1
    channel, waiting.channel = waiting.channel, None
    return Released(proc, port, channel)


def _unused(waiting: Waiting, why: str) -> Released | None:
    """Discard it: the grading starts cold. Said on stderr (the container's
    log), as the slower start is otherwise invisible."""
    print(f"grader_harness: the student interpreter started ahead is unused ({why}): "
          "cold start", file=sys.stderr, flush=True)  # fmt: skip
    waiting.discard()
    return None
