"""The `python` runner: the student's module runs in a proxy process, as the student.

Tests get the `student` fixture: `student.add(2, 3)` sends
{"fn": "add", "args": [2, 3], "kwargs": {}} over a dedicated pipe pair to the
proxy (proxy_server.py), which calls the function and answers with the result
or the exception. Every reply is untrusted data: size-capped, JSON only,
checked for shape. A call longer than call_timeout_seconds, or a proxy that
dies, costs only that call: the proxy is started afresh (a new import, so
module state is lost) for the next one. In a warm sandbox the first start
takes the interpreter prestart.py started ahead and released with the files
(the same proxy, its import under way); restarts are cold.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import pytest

from grader_harness import wire
from grader_harness.errors import StartupFailed, StudentCrashed, StudentError, StudentTimeout
from grader_harness.released_command import HARNESS_ROOT
from grader_harness.state import STATE_KEY, RunState
from grader_harness.student import StudentProcess

STARTUP_SECONDS = 10.0
@dataclass(frozen=True)
class _Step:
    """One exchange with the proxy: when it must end, and what it is for."""

    end: float
    limit: float
    what: str


class ProxyClient:
    def __init__(self, state: RunState, module: str) -> None:
        self.state = state
        self.module = module
        self.proc: StudentProcess | None = None
        self._to_proxy = -1
        self._from_proxy = -1

    def start(self) -> None:
        """Start the proxy and wait for its import; StartupFailed if that fails."""
        # The import's output is the student's to see (phases.py says when it
        # is not: a restart after a hidden test).
        with self.state.procs.phases.startup():
            self._start()

    def _start(self) -> None:
        self.stop()
        taken = self.state.take_prestarted()
        if taken is not None and taken.channel is not None:
            self.state.procs.phases.process_started()  # what procs.start says for a cold one
            self.proc = taken.proc
            self._to_proxy, self._from_proxy = taken.channel
        else:
            self._start_cold()
        self._await_import()

    def _start_cold(self) -> None:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        # -P: the cwd (the workspace) must not come before the stdlib while the
        # proxy imports its own modules; the proxy adds the workspace itself.
        clock = self.state.run_clock()
        argv = [sys.executable, "-P", "-m", "grader_harness.proxy_server",
                self.module, str(request_r), str(reply_w), str(clock.reader_fd)]
        try:
            self.proc = self.state.procs.start("proxy", argv, env={"PYTHONPATH": HARNESS_ROOT},
                                               pass_fds=(request_r, reply_w, clock.reader_fd))
        finally:
            os.close(request_r)
            os.close(reply_w)
        self._to_proxy, self._from_proxy = request_w, reply_r

    def _await_import(self) -> None:
        what = f"importing your module {self.module!r}"
        summary = f"could not import your module {self.module!r}"
        # Past the run's deadline the alarm stops us (a timeout), not this wait.
        timeout = min(STARTUP_SECONDS, self.state.deadline.remaining() + 1)
        try:
            reply = self._exchange(None, timeout, what)
        except (StudentTimeout, StudentCrashed) as exc:
            raise StartupFailed(f"{summary}: {exc}", summary) from None
        if "error" in reply:
            error = _student_error(reply["error"])
            self.stop()
            if not self.state.procs.phases.may_quote_student():
                # A restart after a hidden test: its exception's text could
                # carry what an earlier process kept of a hidden input.
                raise StartupFailed(f"{summary} again: {error.type}", summary)
            detail = (error.traceback or f"{error.type}: {error.message}").rstrip()
            raise StartupFailed(f"{summary}:\n{detail}", summary)

    def stop(self) -> None:
        for fd in (self._to_proxy, self._from_proxy):
            if fd >= 0:
                os.close(fd)
        self._to_proxy = self._from_proxy = -1
        if self.proc is not None and self.proc.poll() is None:
            self.proc.killed_by_us = True
            self.proc.popen.kill()
            self.proc.wait(2.0)
        self.proc = None

    def call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        __tracebackhide__ = True
        request = wire.encode({"fn": name, "args": args, "kwargs": kwargs})
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        reply = self._exchange(request, self.state.call_timeout, f"running {name}()")
        if "ok" in reply:
            return reply["ok"]
        raise _student_error(reply.get("error"))

    def _exchange(self, request: bytes | None, timeout: float, what: str) -> dict[str, Any]:
        __tracebackhide__ = True
        step = _Step(time.monotonic() + timeout, timeout, what)
        try:
            if request is not None:
                self._write(request, step)
            length = wire.frame_length(self._read(wire.HEADER.size, step))
            return wire.decode(self._read(length, step))
        except wire.FrameError as exc:
            self.stop()
            raise StudentCrashed(f"your code broke the reply while {what}: {exc}") from None

    def _wait(self, fd: int, writing: bool, step: _Step) -> None:
        __tracebackhide__ = True
        waiting = ([], [fd]) if writing else ([fd], [])
        while True:
            remaining = step.end - time.monotonic()
            if remaining <= 0:
                self.state.timed_out()
                self.stop()
                raise StudentTimeout(
                    f"your code did not finish within {step.limit:g} s while {step.what}"
                )
            # In slices: a child the student forked may hold the pipe open after
            # the proxy died, so end of file alone would not tell us in time.
            readable, writable, _ = select.select(*waiting, [], min(remaining, 0.25))
            if readable or writable:
                return
            if self.proc is not None and self.proc.poll() is not None:
                self._ended(step.what)

    def _write(self, data: bytes, step: _Step) -> None:
        __tracebackhide__ = True
        view = memoryview(data)
        while view:
            self._wait(self._to_proxy, True, step)
            try:
                # PIPE_BUF at most: that much never blocks once select said writable.
                view = view[os.write(self._to_proxy, view[: select.PIPE_BUF]) :]
            except BrokenPipeError:
                self._ended(step.what)

    def _read(self, count: int, step: _Step) -> bytes:
        __tracebackhide__ = True
        chunks = []
        while count:
            self._wait(self._from_proxy, False, step)
            chunk = os.read(self._from_proxy, count)
            if not chunk:
                self._ended(step.what)
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def _ended(self, what: str) -> NoReturn:
        __tracebackhide__ = True
        proc = self.proc
        assert proc is not None
        if proc.wait(1.0) is None:  # alive but closed its pipe: stop it
            self.stop()
            raise StudentCrashed(f"your code closed the harness's pipe while {what}")
        text = self.state.ended_text(proc, what)
        self.stop()
        raise StudentCrashed(text)


def _student_error(error: Any) -> StudentError:
    if not isinstance(error, dict):
        return StudentError("ProtocolError", "the reply from your code was not understood")
    fields = [error.get(key) for key in ("type", "message", "traceback")]
    kind, message, trace = (value if isinstance(value, str) else "" for value in fields)
    return StudentError(kind or "Exception", message, trace)


class StudentFunction:
    def __init__(self, client: ProxyClient, name: str) -> None:
        self._grader_client = client
        self._grader_name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        return self._grader_client.call(self._grader_name, list(args), kwargs)

    def __repr__(self) -> str:  # stable: it shows up in assertion explanations
        return f"student.{self._grader_name}"


class StudentModule:
    """The student's module as tests see it: every attribute is a function."""

    def __init__(self, client: ProxyClient) -> None:
        self._grader_client = client

    def __getattr__(self, name: str) -> StudentFunction:
        if name.startswith("__"):  # pytest and inspect probe dunders; the student has none
            raise AttributeError(name)
        return StudentFunction(self._grader_client, name)

    def __repr__(self) -> str:
        return "student"


@pytest.fixture(scope="session", autouse=True)
def _grader_proxy(request: pytest.FixtureRequest) -> Iterator[ProxyClient]:
    state = request.config.stash[STATE_KEY]
    client = ProxyClient(state, str(state.config.options["module"]))
    try:
        client.start()
    except StartupFailed as exc:
        # pytest raises this same error again for every test: the report's
        # message has it in full, each test its summary.
        state.startup_message = str(exc)
        exc.shared = True
        raise
    yield client
    client.stop()


@pytest.fixture(scope="session")
def student(_grader_proxy: ProxyClient) -> StudentModule:
    return StudentModule(_grader_proxy)
