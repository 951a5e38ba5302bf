"""A real Celery worker whose grading function returns a poison report.

Like fake_worker.py (only the grading call is replaced: Celery, Redis, the
database and the process are real), plus, from the environment:

- POISON_LOG: a file that gets one line per grading call, so a test counts
  the gradings a submission cost across worker processes;
- POISON_BREAK_RECORDING=1: the report is recorded as it is, without
  services.report_text, as before the fix: on PostgreSQL the NUL bytes make
  the INSERT fail for real, which proves the attempt cap holds when
  recording itself is broken;
- POISON_EXIT=1: a poison grading kills its pool process instead (a worker
  lost mid-grading, every time: the sweep must end it).

A submission whose app/main.py holds POISON gets the poison report; any
other is graded by fake_grade. Usage, from the repo root:
python -m tests.helpers.poison_worker worker -n NAME ...
"""

from __future__ import annotations

import os
import sys
from typing import Any

import grader.services.recording
import worker.runtime
import worker.tasks
from grader_harness.report import Outcome, Report, TestResult, Visibility, build_report
from tests.helpers.service_fakes import fake_grade
from worker.app import app

HOSTILE = "nul \x00 lone \ud800 escape \x1b[2J <script>alert(1)</script>"


def poison_report() -> Report:
    """What a student's prints and exception messages can put in a report."""
    test = TestResult(id="test_poison.py::test_\x00", name="test \ud800 poison",
                      outcome=Outcome.FAILED, points=0, max_points=1, duration=0.01,
                      visibility=Visibility.PUBLIC, hint="no \x00 please",
                      message="ValueError: " + HOSTILE)
    return build_report([test], message="student error: " + HOSTILE,
                        output=("x" * 100_000 + "\n" + HOSTILE + "\n") * 2, duration=0.02)


def poison_grade(*, pack: Any, files: dict[str, str], settings: Any = None) -> Report:
    source = files.get("app/main.py", "")
    log = os.environ.get("POISON_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {source.splitlines()[0] if source else ''}\n")
    if "POISON" not in source:
        return fake_grade(pack=pack, files=files, settings=settings)
    if os.environ.get("POISON_EXIT") == "1":
        os._exit(1)  # the pool process dies mid-grading
    return poison_report()


worker.runtime.grade_function = poison_grade
if os.environ.get("POISON_BREAK_RECORDING") == "1":
    setattr(grader.services.recording, "storable_report", lambda report: report)  # noqa: B010
assert worker.tasks  # the tasks must be registered before the worker starts

if __name__ == "__main__":
    app.worker_main(argv=sys.argv[1:])
