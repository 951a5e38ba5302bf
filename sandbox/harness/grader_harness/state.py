"""What one run knows, shared by the plugin, the fixtures and the runners.

Kept on the pytest config's stash under STATE_KEY, so runner modules reach it
from any fixture with `request.config.stash[STATE_KEY]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from grader_harness.deadline import Deadline
from grader_harness.protocol import HarnessConfig, Layout
from grader_harness.student import StudentProcess, StudentProcesses

if TYPE_CHECKING:
    from grader_harness.clock import Clock
    from grader_harness.prestart import Released


@dataclass
class RunState:
    config: HarnessConfig
    layout: Layout
    deadline: Deadline
    procs: StudentProcesses
    # A call or request ran past call_timeout_seconds (the run's status: timeout).
    call_timed_out: bool = False
    # Why no test could run (the app did not start, the module did not import).
    startup_message: str | None = None
    # Not the student's doing (the exercise's database did not start): no report.
    fault: str | None = None
    # The student's wall clock (clock.py), made when a runner first needs it.
    clock: Clock | None = None
    # A warm sandbox's student interpreter, released with the files
    # (prestart.py): the runner's first start takes it instead of starting one.
    prestarted: Released | None = None

    @property
    def workspace(self) -> Path:
        return self.layout.workspace

    @property
    def call_timeout(self) -> float:
        return float(self.config.call_timeout_seconds)

    def run_clock(self) -> Clock:
        """The run's clock (clock.py), made on first use: the first start of
        student code, before any of it runs."""
        if self.clock is None:
            from grader_harness.clock import Clock  # clock.py imports this module

            self.clock = Clock()
        return self.clock

    def take_prestarted(self) -> Released | None:
        """The released interpreter, once: every later start is a cold one."""
        taken, self.prestarted = self.prestarted, None
        return taken

    def timed_out(self) -> None:
        """A call ran too long: stop every student process, as the next call
        must not find the CPU still taken by the last one."""
        self.call_timed_out = True
        self.procs.kill_all()

    def ended_text(self, proc: StudentProcess, what: str, who: str = "your code") -> str:
        """Why the student's process `proc` ended while `what` ran."""
        if proc.killed_for_memory():
            return f"{who} was killed while {what}: it used more memory than allowed"
        if self.procs.output_exceeded:
            limit = self.config.output_bytes
            return f"{who} was stopped while {what}: its output passed the limit ({limit} bytes)"
        return f"{who} {proc.exit_text()} while {what}"


STATE_KEY = pytest.StashKey[RunState]()
