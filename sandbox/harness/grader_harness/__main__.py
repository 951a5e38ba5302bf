"""python -m grader_harness [--tests DIR] [--public-tests DIR] [--data DIR]
                          [--workspace DIR] [--reference DIR]
                          [--sql-template DIR] [--no-drop]
                          [--warm RUNNER [--idle-seconds S] [--no-prestart]]

Reads one GradingRequest (JSON) from stdin and writes one Report (JSON) to
stdout. With --warm, loads RUNNER first and then reads the request as one
line; the grading's clock starts when it arrives (warm.py), and the
student's interpreter waits ready too (prestart.py). Exit status:
  0  a report was written (whatever the student's result, even status error);
  3  a harness fault: no report, the traceback on stderr. The host must treat
     it as an infrastructure fault (retry, "not gradable"), never as the
     student's failure;
  4  --warm: no request came within --idle-seconds; no report;
  2  bad command line.
"""

from __future__ import annotations

import gc
import time

STARTED = time.monotonic()  # before the imports: pytest takes a while to load
# Loading (the imports, pytest's set-up and collection) makes next to no
# garbage but allocates enough to set off the collector's passes again and
# again: without them it takes about 10% less CPU. The gate (gate.py) freezes
# what was loaded and turns the collector on before the first test runs.
gc.disable()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from grader_harness.protocol import Layout  # noqa: E402
from grader_harness.runners import RUNNERS  # noqa: E402
from grader_harness.warm import DEFAULT_IDLE_SECONDS, EXIT_IDLE  # noqa: E402

if TYPE_CHECKING:
    from grader_harness.gate import Arrival
    from grader_harness.prestart import Waiting
    from grader_harness.report import Report

EXIT_FAULT = 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    default = Layout()
    parser = argparse.ArgumentParser(prog="python -m grader_harness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=Path, default=default.tests)
    parser.add_argument("--public-tests", type=Path, default=default.public_tests)
    parser.add_argument("--data", type=Path, default=default.data)
    parser.add_argument("--workspace", type=Path, default=default.workspace)
    parser.add_argument("--reference", type=Path, default=default.reference)
    parser.add_argument("--sql-template", type=Path, default=default.sql_template)
    parser.add_argument("--no-drop", action="store_true",
                        help="run student processes as ourselves (trusted golden tests only)")
    parser.add_argument("--warm", choices=list(RUNNERS),
                        help="load this runner, then read the request as one line")
    parser.add_argument("--no-prestart", action="store_true",
                        help="with --warm: start no student interpreter ahead (benchmarks)")
    parser.add_argument("--idle-seconds", type=float, default=DEFAULT_IDLE_SECONDS,
                        help="with --warm: exit (status 4) when no request came this long")
    args = parser.parse_args(argv)
    user = None if args.no_drop else default.student_user
    args.layout = Layout(tests=args.tests, public_tests=args.public_tests, data=args.data,
                         workspace=args.workspace, reference=args.reference,
                         sql_template=args.sql_template, student_user=user)
    return args


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _stdin_done() -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)  # nothing after us reads the request
    os.close(null)


def _student_ahead(raw: bytes, layout: Layout) -> Waiting | None:
    """A cold run's student interpreter, started before pytest is imported
    (prestart.py), if the request is sound and the exercise allows it."""
    from grader_harness import prestart as student_prestart
    from grader_harness.cpu_quota import available_cpus
    from grader_harness.errors import BadRequest
    from grader_harness.request import parse_request
    from grader_harness.warm import start_student

    cpus = available_cpus()
    if cpus < student_prestart.MIN_CPUS_AHEAD:
        return None  # before parsing: most sandboxes have one CPU, and grade() parses too
    try:
        config = parse_request(raw).config  # grade() parses it again, and answers a bad one
    except BadRequest:
        return None
    if not student_prestart.worth_starting(config.runner, config.options, cpus):
        return None
    return start_student(config.runner, layout)


def _warm_run(runner: str, layout: Layout, idle_seconds: float, student: bool) -> Report | None:
    """Load the runner, start the student's interpreter, and let pytest collect
    the tests; then wait for the request (gate.py). None when none came."""
    from grader_harness import warm
    from grader_harness.grade import arrived, grade_on_arrival
    from grader_harness.sql import prestart

    waiting = warm.warm_up(runner, layout, student=student)
    # pytest points fd 0 at /dev/null while it runs: the request comes on a
    # private copy (not inheritable: no student process holds it).
    request_fd = os.dup(0)
    _stdin_done()

    def receive() -> Arrival | None:
        loaded = time.monotonic() - STARTED
        print(f"grader_harness: warm, loaded in {loaded:.3f} s", file=sys.stderr, flush=True)
        try:
            raw = warm.read_request(request_fd, idle_seconds)
        finally:
            os.close(request_fd)
        if raw is None:
            return None
        started = time.monotonic()  # the student's clock starts now
        return arrived(raw, started)  # the sql runner's server started with warm_up

    try:
        return grade_on_arrival(layout, runner, receive, waiting)
    finally:
        prestart.abandon()
        if waiting is not None:
            waiting.discard()  # unused (a bad request) or already the run's


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    layout: Layout = args.layout
    # The report's descriptor is a private copy of stdout; fd 1 becomes stderr,
    # so a print anywhere in this process (a test, a library) cannot corrupt
    # the report. os.dup's copy is not inheritable: no child ever holds it.
    report_fd = os.dup(1)
    os.dup2(2, 1)
    from grader_harness.sql import prestart

    try:
        if args.warm:
            report = _warm_run(args.warm, layout, args.idle_seconds, not args.no_prestart)
            if report is None:
                return EXIT_IDLE
        else:
            raw = sys.stdin.buffer.read()
            _stdin_done()
            prestart.begin(raw, layout)  # the sql runner's server starts while pytest loads
            waiting = _student_ahead(raw, layout)  # and the student's interpreter
            from grader_harness.grade import grade  # pytest loads only now, with fd 1 safe

            try:
                report = grade(raw, layout, STARTED, waiting)
            finally:
                prestart.abandon()
                if waiting is not None:
                    waiting.discard()  # unused, or already the run's
        document = report.to_json().encode("utf-8")
    except BaseException:
        traceback.print_exc()
        print("grader_harness: harness fault, no report written", file=sys.stderr)
        return EXIT_FAULT
    _write_all(report_fd, document + b"\n")
    os.close(report_fd)
    return 0


if __name__ == "__main__":
    status = main()
    sys.stderr.flush()
    # The report is written and every process of ours is stopped: skip the
    # interpreter's teardown of pytest's and psycopg's modules, which costs
    # each grading about 0.1 s before the container is seen to exit.
    os._exit(status)
