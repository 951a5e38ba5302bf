"""One grading: request in, Report out (or HarnessFault when we cannot grade).

Check the request, run pytest in this process with our plugin and the
runner's fixtures, then turn what happened into a Report. pytest loads and
collects the tests first; the request meets the run after that, at the gate
(gate.py), which writes the student's files: a warm sandbox collects before
its request arrives (grade_on_arrival), a cold one after (grade). The
student's code never runs in this process: runners start it as the student
user (student.py).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from grader_harness import plugin, prestart
from grader_harness.errors import BadRequest, DeadlineReached, HarnessFault
from grader_harness.gate import Arrival, RequestGate
from grader_harness.memory import MemoryCounters
from grader_harness.plugin import GraderPlugin
from grader_harness.protocol import Layout
from grader_harness.report import MAX_TESTS, Report, Status, build_report
from grader_harness.request import parse_request
from grader_harness.runners import RUNNERS
from grader_harness.state import RunState
from grader_harness.student import lookup_user


def _resolved(layout: Layout) -> tuple[Layout, Path]:
    """Absolute paths, and the rootdir pytest names test ids from."""
    layout = replace(layout, tests=layout.tests.resolve(),
                     public_tests=layout.public_tests.resolve(), data=layout.data.resolve(),
                     workspace=layout.workspace.resolve(), reference=layout.reference.resolve())
    if not layout.tests.is_dir():
        raise HarnessFault(f"the hidden tests folder {layout.tests} does not exist")
    roots = [layout.tests] + ([layout.public_tests] if layout.public_tests.is_dir() else [])
    rootdir = Path(os.path.commonpath([r.parent for r in roots]))
    ws = layout.workspace
    if ws.is_relative_to(rootdir) or rootdir.is_relative_to(ws):
        # pytest would look for conftest.py files in the student's folder.
        raise HarnessFault(f"the workspace {ws} and the tests' folder {rootdir} overlap")
    return layout, rootdir


def _runner(name: str) -> ModuleType:
    return importlib.import_module(RUNNERS[name].module)  # only now: see runners.py


# pytest's built-in plugins a grading never uses: options for files the
# harness does not write (junitxml, pastebin, stepwise), reports of the
# fixtures' plan (setuponly, setupplan), the debugger (no one is there to
# type), doctests (they would collect an author's test*.txt data file as
# one), and the unraisable-exception and thread-exception warnings (wrapped
# around every test; the report has no place for warnings). Left out, a
# sandbox loads about 25 ms of CPU faster (bench/sandbox_cpu.py).
UNUSED_PLUGINS = ("junitxml", "pastebin", "stepwise", "setuponly", "setupplan", "debugging",
                  "doctest", "unraisableexception", "threadexception")  # fmt: skip


def pytest_args(layout: Layout, rootdir: Path) -> list[str]:
    paths = [str(layout.tests)]
    if layout.public_tests.is_dir():
        paths.append(str(layout.public_tests))
    return [
        *paths,
        # No configuration file of anyone's (-c /dev/null), conftest.py files
        # only at or below the rootdir, and nothing written to disk.
        "-c", os.devnull, "--rootdir", str(rootdir), "--confcutdir", str(rootdir),
        "-p", "no:cacheprovider", *(arg for name in UNUSED_PLUGINS for arg in ("-p", f"no:{name}")),
        "--strict-markers", "-q",
        # pytest's own failure texts would quote hidden tests on stderr, which
        # ends up in the host's logs: the report carries what students may read.
        "--tb=no", "-rN", "-o", "console_output_style=classic",
    ]  # fmt: skip


def grade(raw: bytes, layout: Layout, started: float,
          waiting: prestart.Waiting | None = None) -> Report:
    """A cold run: the request was read before pytest loads."""
    layout, rootdir = _resolved(layout)
    try:
        request = parse_request(raw)
        if request.config.runner not in RUNNERS:
            raise BadRequest(f"runner {request.config.runner!r} is not available")
    except BadRequest as exc:
        return build_report([], message=str(exc), duration=time.monotonic() - started)
    report = run_tests(layout, rootdir, request.config.runner, lambda: Arrival(started, request),
                       waiting)  # fmt: skip
    assert report is not None  # the request is there: the gate never waits idle
    return report


def grade_on_arrival(layout: Layout, runner: str, receive: Callable[[], Arrival | None],
                     waiting: prestart.Waiting | None = None) -> Report | None:  # fmt: skip
    """A warm run: pytest loads and collects, then `receive` waits for the
    request (gate.py); None when none came."""
    layout, rootdir = _resolved(layout)
    return run_tests(layout, rootdir, runner, receive, waiting)


def arrived(raw: bytes, started: float) -> Arrival:
    """A request's bytes as the gate takes them: parsed, or refused."""
    try:
        return Arrival(started, request=parse_request(raw))
    except BadRequest as exc:
        return Arrival(started, refused=str(exc))


def _isolate(layout: Layout, rootdir: Path) -> None:
    """Keep the student's folder out of this process's imports, and make the
    failure texts name files relative to the rootdir ("public_tests/...")."""
    def near_workspace(entry: str) -> bool:
        path = Path(entry or ".").resolve()
        # Inside it, or above it (the image's cwd /workspace holds submission/).
        return path.is_relative_to(ws) or (ws.is_relative_to(path) and path != Path("/"))

    ws = layout.workspace
    sys.path[:] = [entry for entry in sys.path if not near_workspace(entry)]
    sys.dont_write_bytecode = True  # the root filesystem is read-only anyway
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the same plugins on every machine
    os.chdir(rootdir)


def run_tests(layout: Layout, rootdir: Path, runner: str, receive: Callable[[], Arrival | None],
              waiting: prestart.Waiting | None = None) -> Report | None:  # fmt: skip
    try:
        user = lookup_user(layout.student_user)
    except KeyError:
        raise HarnessFault(f"the image has no user {layout.student_user!r}") from None
    grader = GraderPlugin(layout)
    gate = RequestGate(layout, runner, user, receive, grader, waiting)
    _isolate(layout, rootdir)
    author_output = ""
    try:
        code = pytest.main(pytest_args(layout, rootdir),
                           plugins=[gate, grader, plugin, _runner(runner)])  # fmt: skip
    except DeadlineReached:  # the grace alarm, outside of pytest's own net
        code = pytest.ExitCode.INTERRUPTED
    finally:
        author_output = gate.close()
    arrival, state = gate.arrival, gate.state
    if arrival is None:
        return None
    if gate.wrong_runner is not None:
        raise HarnessFault(f"a sandbox loaded for the {runner} runner got a request for the "
                           f"{gate.wrong_runner} runner")  # fmt: skip
    if state is None:  # refused at the gate: no test ran
        message = arrival.refused or "the request was refused"
        return build_report([], message=message, duration=time.monotonic() - arrival.started)
    if state.fault:
        raise HarnessFault(state.fault)
    if grader.problems:
        raise HarnessFault("the exercise's tests are broken:\n" + "\n".join(grader.problems))
    deadline, procs = state.deadline, state.procs
    broken = (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
    if code in broken and not deadline.expired:
        raise HarnessFault(f"pytest ended with {code!r} (its output is above)")
    if not grader.items or len(grader.items) > MAX_TESTS:
        raise HarnessFault(f"the exercise has {len(grader.items)} tests (1 to {MAX_TESTS} allowed)")
    before = gate.memory_before
    memory = procs.memory_exceeded() or (
        before is not None and MemoryCounters.read().oom_killed_since(before))
    timed_out = deadline.expired or state.call_timed_out
    limit = limit_status(memory=memory, output=procs.output_exceeded, timed_out=timed_out)
    return build_report(grader.results(), limit_hit=limit, message=_message(state, grader, memory),
                        output=procs.student_output(), author_output=author_output,
                        duration=time.monotonic() - arrival.started)


def limit_status(*, memory: bool, output: bool, timed_out: bool) -> Status | None:
    """The limit that decides the run's status, worst first. Below these,
    report.overall_status decides: error (no test could run) > failed > passed."""
    if memory:
        return Status.MEMORY_EXCEEDED
    if output:
        return Status.OUTPUT_EXCEEDED
    return Status.TIMEOUT if timed_out else None


def _message(state: RunState, grader: GraderPlugin, memory: bool) -> str | None:
    """The report's overall explanation: the limits hit, then why nothing ran."""
    config = state.config
    parts = []
    if memory:
        parts.append("a process of your code was killed: it used more memory than allowed")
    if state.procs.output_exceeded:
        parts.append(f"your code's output passed the limit ({config.output_bytes} bytes), "
                     "so it was stopped")
    if state.deadline.expired:
        not_run = grader.not_run()
        tail = f": {not_run} test{' was' if not_run == 1 else 's were'} not run" if not_run else ""
        parts.append(f"the time limit ({config.wall_seconds:g} s) was reached{tail}")
    elif state.call_timed_out and not state.startup_message:
        limit = config.call_timeout_seconds
        parts.append(f"a call or request to your code took longer than its limit ({limit:g} s)")
    if state.startup_message:
        parts.append(state.startup_message)
    return "\n".join(parts) or None
