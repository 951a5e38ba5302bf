"""Between collection and the first test: where a run meets its request.

Before any test runs, pytest configures itself and collects the exercise's
tests: it imports the test modules and rewrites their asserts, about 100 ms
of a warm http-app grading on these machines. None of that depends on the
submission. So a warm sandbox does it before the request exists. The gate,
a plugin hook that runs after collection, then holds pytest until the request
comes. With the request, it:

- writes the student's files;
- sets the run up: its state, the deadline (armed only now: the student's
  clock starts when the request arrives), the memory counters and the
  released student interpreter;
- lets the tests run.

A cold run goes through the same gate with the request it has already read.
So test modules are always imported before the student's files exist: they
reach the submission through fixtures (`workspace`, `student`, `client`),
never at import time (docs/authoring.md).

A refused request, or none at all (a warm sandbox's idle limit), ends the
session at the gate: no test runs, and grade.py reports it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from grader_harness import prestart
from grader_harness.deadline import Deadline
from grader_harness.errors import BadRequest
from grader_harness.memory import MemoryCounters
from grader_harness.plugin import GraderPlugin
from grader_harness.protocol import GradingRequest, Layout
from grader_harness.state import RunState
from grader_harness.student import StudentProcesses, StudentUser
from grader_harness.workspace import write_files


@dataclass
class Arrival:
    """A request as it arrived: parsed, or why it is refused."""

    started: float  # time.monotonic() when it arrived: the run's clock starts here
    request: GradingRequest | None = None
    refused: str | None = None


class RequestGate:
    def __init__(self, layout: Layout, runner: str, user: StudentUser | None,
                 receive: Callable[[], Arrival | None], grader: GraderPlugin,
                 waiting: prestart.Waiting | None) -> None:  # fmt: skip
        self.layout = layout
        self.runner = runner
        self.user = user
        self.receive = receive
        self.grader = grader
        self.waiting = waiting
        self.arrival: Arrival | None = None
        self.state: RunState | None = None
        self.memory_before: MemoryCounters | None = None
        self.wrong_runner: str | None = None  # a request for another runner came

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        self.arrival = arrival = self.receive()
        if arrival is None:
            return True  # no test runs
        request = arrival.request
        if request is not None and request.config.runner != self.runner:
            # The host's mistake, not the student's: a harness fault (grade.py).
            self.wrong_runner = request.config.runner
            return True
        if arrival.refused is None and request is not None:
            try:
                write_files(self.layout.workspace, request.files)
            except BadRequest as exc:
                arrival.refused = str(exc)
        if arrival.refused is not None or request is None:
            return True
        self._begin(request, arrival.started)
        # What is loaded now lives as long as the process: keep the garbage
        # collector's passes (pytest forces some at its end) off it. The
        # collector was off while it loaded (__main__.py): on for the tests.
        gc.freeze()
        gc.enable()
        return None  # pytest's own loop runs the tests

    def _begin(self, request: GradingRequest, started: float) -> None:
        config = request.config
        procs = StudentProcesses(self.layout.workspace, self.user, config.output_bytes,
                                 config.output)  # fmt: skip
        deadline = Deadline(config.wall_seconds, started)
        self.state = state = RunState(config, self.layout, deadline, procs)
        self.grader.begin(state)
        # The cgroup is ours only in the sandbox, where we drop to the student.
        self.memory_before = MemoryCounters.read() if self.user is not None else None
        deadline.arm()
        if self.waiting is not None:
            state.prestarted = prestart.release(self.waiting, procs, config.runner, config.options)
            if state.prestarted is not None:
                # Its output until a fixture takes it is the app's start-up:
                # shown as a cold start's would be, whenever the take comes.
                procs.phases.released()
            state.clock = self.waiting.take_clock()  # None when it was discarded

    def close(self) -> str:
        """After the session: stop the clock and every student process; the
        author's copy of their output."""
        state = self.state
        if state is None:
            return ""
        state.deadline.disarm()
        author_output = state.procs.close()
        untaken = state.take_prestarted()  # released, but pytest failed before a fixture took it
        for fd in (untaken.channel or ()) if untaken is not None else ():
            os.close(fd)
        if state.clock is not None:
            state.clock.close()
        return author_output
