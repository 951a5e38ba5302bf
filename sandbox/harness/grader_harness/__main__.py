"""python -m grader_harness [--tests DIR] [--public-tests DIR] [--data DIR]
                          [--workspace DIR] [--reference DIR]
                          [--sql-template DIR] [--no-drop]

Reads one GradingRequest (JSON) from stdin and writes one Report (JSON) to
stdout. Exit status:
  0  a report was written (whatever the student's result, even status error);
  3  a harness fault: no report, the traceback on stderr. The host must treat
     it as an infrastructure fault (retry, "not gradable"), never as the
     student's failure;
  2  bad command line.
"""

from __future__ import annotations

import time

STARTED = time.monotonic()  # before the imports: pytest takes a while to load

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

from grader_harness.protocol import Layout  # noqa: E402

EXIT_FAULT = 3


def parse_layout(argv: list[str] | None) -> Layout:
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
    args = parser.parse_args(argv)
    user = None if args.no_drop else default.student_user
    return Layout(tests=args.tests, public_tests=args.public_tests, data=args.data,
                  workspace=args.workspace, reference=args.reference,
                  sql_template=args.sql_template, student_user=user)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main(argv: list[str] | None = None) -> int:
    layout = parse_layout(argv)
    # The report's descriptor is a private copy of stdout; fd 1 becomes stderr,
    # so a print anywhere in this process (a test, a library) cannot corrupt
    # the report. os.dup's copy is not inheritable: no child ever holds it.
    report_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        raw = sys.stdin.buffer.read()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)  # nothing after us reads the request
        os.close(null)
        from grader_harness.sql import prestart

        prestart.begin(raw, layout)  # the sql runner's server starts while pytest loads
        from grader_harness.grade import grade  # pytest loads only now, with fd 1 safe

        try:
            document = grade(raw, layout, STARTED).to_json().encode("utf-8")
        finally:
            prestart.abandon()
    except BaseException:
        traceback.print_exc()
        print("grader_harness: harness fault, no report written", file=sys.stderr)
        return EXIT_FAULT
    _write_all(report_fd, document + b"\n")
    os.close(report_fd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
