"""One grading: request in, Report out (or HarnessFault when we cannot grade).

Check the request, write the student's files, run pytest in this process
with our plugin and the runner's fixtures, then turn what happened into a
Report. The student's code never runs in this process: runners start it as
the student user (student.py).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from grader_harness import plugin, prestart
from grader_harness.deadline import Deadline
from grader_harness.errors import BadRequest, DeadlineReached, HarnessFault
from grader_harness.memory import MemoryCounters
from grader_harness.plugin import GraderPlugin
from grader_harness.protocol import HarnessConfig, Layout
from grader_harness.report import MAX_TESTS, Report, Status, build_report
from grader_harness.request import parse_request
from grader_harness.runners import RUNNERS
from grader_harness.state import RunState
from grader_harness.student import StudentProcesses, lookup_user
from grader_harness.workspace import write_files


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


def pytest_args(layout: Layout, rootdir: Path) -> list[str]:
    paths = [str(layout.tests)]
    if layout.public_tests.is_dir():
        paths.append(str(layout.public_tests))
    return [
        *paths,
        # No configuration file of anyone's (-c /dev/null), conftest.py files
        # only at or below the rootdir, and nothing written to disk.
        "-c", os.devnull, "--rootdir", str(rootdir), "--confcutdir", str(rootdir),
        "-p", "no:cacheprovider", "--strict-markers", "-q",
        # pytest's own failure texts would quote hidden tests on stderr, which
        # ends up in the host's logs: the report carries what students may read.
        "--tb=no", "-rN", "-o", "console_output_style=classic",
    ]  # fmt: skip


def grade(raw: bytes, layout: Layout, started: float,
          waiting: prestart.Waiting | None = None) -> Report:
    layout, rootdir = _resolved(layout)
    try:
        request = parse_request(raw)
        if request.config.runner not in RUNNERS:
            raise BadRequest(f"runner {request.config.runner!r} is not available")
        write_files(layout.workspace, request.files)
    except BadRequest as exc:
        return build_report([], message=str(exc), duration=time.monotonic() - started)
    return run_tests(request.config, layout, rootdir, started, waiting)


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


def run_tests(config: HarnessConfig, layout: Layout, rootdir: Path, started: float,
              waiting: prestart.Waiting | None = None) -> Report:
    try:
        user = lookup_user(layout.student_user)
    except KeyError:
        raise HarnessFault(f"the image has no user {layout.student_user!r}") from None
    procs = StudentProcesses(layout.workspace, user, config.output_bytes, config.output)
    deadline = Deadline(config.wall_seconds, started)
    state = RunState(config, layout, deadline, procs)
    grader = GraderPlugin(state)
    # The cgroup is ours only in the sandbox, where we drop to the student.
    memory_before = MemoryCounters.read() if user is not None else None
    _isolate(layout, rootdir)
    deadline.arm()
    try:
        if waiting is not None:
            # Before pytest loads the tests: the student's import runs meanwhile.
            state.prestarted = prestart.release(waiting, procs, config.runner, config.options)
            state.clock = waiting.take_clock()  # None when it was discarded
        code = pytest.main(pytest_args(layout, rootdir),
                           plugins=[grader, plugin, _runner(config.runner)])
    except DeadlineReached:  # the grace alarm, outside of pytest's own net
        code = pytest.ExitCode.INTERRUPTED
    finally:
        deadline.disarm()
        author_output = procs.close()
        _close_untaken(state)
        if state.clock is not None:
            state.clock.close()
    if state.fault:
        raise HarnessFault(state.fault)
    if grader.problems:
        raise HarnessFault("the exercise's tests are broken:\n" + "\n".join(grader.problems))
    broken = (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
    if code in broken and not deadline.expired:
        raise HarnessFault(f"pytest ended with {code!r} (its output is above)")
    if not grader.items or len(grader.items) > MAX_TESTS:
        raise HarnessFault(f"the exercise has {len(grader.items)} tests (1 to {MAX_TESTS} allowed)")
    memory = procs.memory_exceeded() or (
        memory_before is not None and MemoryCounters.read().oom_killed_since(memory_before))
    timed_out = deadline.expired or state.call_timed_out
    limit = limit_status(memory=memory, output=procs.output_exceeded, timed_out=timed_out)
    return build_report(grader.results(), limit_hit=limit, message=_message(state, grader, memory),
                        output=procs.student_output(), author_output=author_output,
                        duration=time.monotonic() - started)


def _close_untaken(state: RunState) -> None:
    """A released interpreter no fixture took (pytest failed before): its
    process is ended with the rest; close our ends of its pipes."""
    untaken = state.take_prestarted()
    for fd in (untaken.channel or ()) if untaken is not None else ():
        os.close(fd)


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
