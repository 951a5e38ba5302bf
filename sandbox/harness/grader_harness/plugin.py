"""The pytest plugin: markers, per-phase records, the deadline's hold on pytest,
and the fixtures every runner offers.

Registered by the harness for each run (never found by autoload): the
GraderPlugin object for the hooks, this module for the fixtures. It keeps
what each test did and turns it into TestResults at the end. Markers:

    @pytest.mark.points(2)          # worth 2 points, all or nothing (default 1)
    @pytest.mark.hint("Check ...")  # shown to the student when the test fails
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from grader_harness.clock import Clock
from grader_harness.errors import DeadlineReached
from grader_harness.messages import failure_message
from grader_harness.protocol import Layout
from grader_harness.report import TestResult, Visibility
from grader_harness.results import (
    ItemInfo,
    Phase,
    build_result,
    combined_output,
    item_info,
    within_budget,
)
from grader_harness.state import STATE_KEY, RunState

# Runners whose student code runs in a process of ours (clock_shim.py installed).
CLOCK_RUNNERS = ("http-app", "python")
MARKERS = (
    "points(n): the test is worth n points, all or nothing (default 1)",
    "hint(text): shown to the student when the test fails",
)


class GraderPlugin:
    """Made before the request exists (gate.py): collection needs only the
    layout; the run's state comes with the request, before the first test."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._state: RunState | None = None
        self._config: pytest.Config | None = None
        self.items: list[ItemInfo] = []
        self.phases: dict[str, dict[str, Phase]] = {}
        # Per test, for authors: student code's output, and the test's own.
        self.student_output: dict[str, str] = {}
        self.own_output: dict[str, str] = {}
        # Faults of the exercise that pytest found: the run cannot be graded.
        self.problems: list[str] = []
        self._session: pytest.Session | None = None

    @property
    def state(self) -> RunState:
        if self._state is None:
            raise RuntimeError("the run has no state before its request arrived")
        return self._state

    def begin(self, state: RunState) -> None:
        """The request arrived: the run's state, for the hooks and fixtures."""
        self._state = state
        state.deadline.on_expire(self._stop_session)
        if self._config is not None:
            self._config.stash[STATE_KEY] = state

    def _stop_session(self) -> None:
        if self._session is not None:
            # pytest checks this after each test and then stops the loop.
            self._session.shouldstop = "the time limit was reached"

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in MARKERS:
            config.addinivalue_line("markers", line)
        self._config = config

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self._session = session

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            where = report.nodeid or "the tests"
            self.problems.append(f"collecting {where}:\n{report.longreprtext}")

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        # Public tests run first: the student may see output printed until the
        # first hidden test, and never after it (phases.py). The report keeps
        # the collected order (results()).
        public = self.layout.public_tests
        items.sort(key=lambda item: not Path(item.path).is_relative_to(public))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            try:
                self.items.append(item_info(item, self.layout))
            except ValueError as exc:
                self.problems.append(f"{item.nodeid}: {exc}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> bool | None:
        # Past the deadline nothing more starts; the test is reported "not run".
        return True if self.state.deadline.expired else None

    # The deadline raises inside a test phase only: elsewhere pytest's own code
    # runs, and an exception there would end the session without its reports.
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        # Before any of the test's fixtures: a hidden test's inputs must find
        # the student's output already withheld.
        public = Path(item.path).is_relative_to(self.state.layout.public_tests)
        self.state.procs.meter.begin_test()
        self.state.procs.phases.test(public)
        return (yield from self._phase())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        return (yield from self._phase())

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            return (yield from self._phase())
        finally:
            self.student_output[item.nodeid] = self.state.procs.meter.end_test()

    def _phase(self) -> Generator[None, None, None]:
        self.state.deadline.in_phase = True
        try:
            return (yield)
        finally:
            self.state.deadline.in_phase = False

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        excinfo = call.excinfo
        timed_out = excinfo is not None and isinstance(excinfo.value, DeadlineReached)
        message = None
        if report.failed and excinfo is not None and not timed_out:
            public = Path(item.path).is_relative_to(self.state.layout.public_tests)
            policy = self.state.config.hidden_messages
            message = failure_message(excinfo, public, policy, self.state.layout)
        phase = Phase(report.outcome, report.duration, message, timed_out)
        # Each phase's report has the captures of the phases before it too.
        self.own_output[item.nodeid] = report.capstdout + report.capstderr
        self.phases.setdefault(item.nodeid, {})[call.when] = phase
        return report

    def results(self) -> list[TestResult]:
        wall = self.state.config.wall_seconds
        expired = self.state.deadline.expired
        # Hidden first, as collected: public tests ran first only for the output.
        listed = sorted(self.items, key=lambda info: info.visibility is Visibility.PUBLIC)
        return within_budget([
            build_result(info, self.phases.get(info.nodeid, {}), wall=wall, expired=expired,
                         output=self._output(info.nodeid))
            for info in listed
        ])

    def _output(self, nodeid: str) -> str:
        student = self.student_output.get(nodeid, "")
        return combined_output(student, self.own_output.get(nodeid, ""))

    def not_run(self) -> int:
        return sum(1 for info in self.items if info.nodeid not in self.phases)


@pytest.fixture(scope="session")
def data_dir(request: pytest.FixtureRequest) -> Path:
    """The exercise's data folder (/grader/data in the sandbox)."""
    return request.config.stash[STATE_KEY].layout.data


@pytest.fixture(scope="session")
def workspace(request: pytest.FixtureRequest) -> Path:
    """The student's files. Read them; never write: they are the submission."""
    return request.config.stash[STATE_KEY].workspace


@pytest.fixture(scope="session")
def call_timeout(request: pytest.FixtureRequest) -> float:
    """Seconds one call or request to the student's code may take."""
    return request.config.stash[STATE_KEY].call_timeout


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """The student process's wall clock: `clock.advance(60)` (clock.py)."""
    state = request.config.stash[STATE_KEY]
    if state.config.runner not in CLOCK_RUNNERS:
        raise RuntimeError(f"the clock fixture moves a student process's clock; the "
                           f"{state.config.runner} runner has none")
    return state.run_clock()
