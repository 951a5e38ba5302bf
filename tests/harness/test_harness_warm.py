"""`python -m grader_harness --warm RUNNER`: loaded before the request exists.

Run on the host like the other channel tests; the warm pool's containers
(tests/sandbox/test_sandbox_pool.py) run the same harness in real Docker.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from grader_harness.report import parse_report
from tests.helpers.host_harness import HARNESS_ROOT, harness_argv, request, write_tests

SLOW_TEST = {"test_one.py": "import time\ndef test_one(student):\n"
                            "    time.sleep(0.5)\n    assert student.f() == 1\n"}  # fmt: skip
SOLUTION = {"solution.py": "def f():\n    return 1\n"}


def start_warm(tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    folder = write_tests(tmp_path / "ex" / "tests", SLOW_TEST)
    argv = [*harness_argv(folder, tmp_path / "ws" / "submission"), "--warm", "python", *extra]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(HARNESS_ROOT)})  # fmt: skip


def test_the_request_is_one_line_and_its_clock_starts_when_it_arrives(tmp_path: Path) -> None:
    proc = start_warm(tmp_path)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        # Longer than the whole wall-time limit: a clock started at the
        # process's start would have run out before the request came.
        time.sleep(2.5)
        assert proc.poll() is None, "the warm harness did not wait for its request"
        # No EOF: attaching to a running container cannot close its stdin.
        proc.stdin.write(request(SOLUTION, wall_seconds=2.0) + b"\n")
        proc.stdin.flush()
        stdout = proc.stdout.read()
        assert proc.wait(timeout=30) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        proc.wait()
    report = parse_report(stdout)
    assert (report.status, report.score) == ("passed", 1.0), report.message
    assert 0.5 <= report.duration < 2.0  # the test's sleep, not the time spent waiting


def test_a_warm_harness_without_a_request_exits_alone(tmp_path: Path) -> None:
    proc = start_warm(tmp_path, "--idle-seconds", "1")
    began = time.monotonic()
    assert proc.stdout is not None and proc.stderr is not None
    try:
        code = proc.wait(timeout=30)  # stdin stays open: only the idle limit ends it
    finally:
        proc.kill()
    assert code == 4, proc.stderr.read().decode(errors="replace")
    assert proc.stdout.read() == b""  # no report
    assert time.monotonic() - began < 15


def test_closing_stdin_before_a_request_ends_a_warm_harness(tmp_path: Path) -> None:
    proc = start_warm(tmp_path)
    out, _ = proc.communicate(b"", timeout=30)
    assert (proc.returncode, out) == (4, b"")


def test_the_tests_are_collected_before_the_request_and_read_the_files_after(
    tmp_path: Path,
) -> None:
    """gate.py: pytest imports the test modules while the warm sandbox waits,
    before the student's files exist; fixtures see the files the request wrote."""
    marker = tmp_path / "imported"
    tests = {"test_one.py": (
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('at import')\n"
        "def test_one(student, workspace):\n"
        "    assert (workspace / 'solution.py').is_file()\n"
        "    assert student.f() == 1\n")}  # fmt: skip
    folder = write_tests(tmp_path / "ex" / "tests", tests)
    argv = [*harness_argv(folder, tmp_path / "ws" / "submission"), "--warm", "python"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(HARNESS_ROOT)})  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        assert b"warm, loaded" in proc.stderr.readline()  # printed at the gate
        assert marker.read_text() == "at import"  # no request sent yet
        assert not (tmp_path / "ws" / "submission" / "solution.py").exists()
        proc.stdin.write(request(SOLUTION) + b"\n")
        proc.stdin.flush()
        stdout = proc.stdout.read()
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()
    report = parse_report(stdout)
    assert (report.status, report.score) == ("passed", 1.0), report.message


def test_a_refused_request_in_a_warm_harness_is_reported_after_collection(
    tmp_path: Path,
) -> None:
    """Hostile bytes at the gate: a report naming what is wrong, no test run."""
    proc = start_warm(tmp_path)
    hostile = request({"../escape.py": "x = 1"})  # written at the gate, after collection
    out, err = proc.communicate(hostile + b"\n", timeout=30)
    assert proc.returncode == 0, err
    report = parse_report(out)
    assert report.status == "error" and report.tests == []
    assert report.message and "escape.py" in report.message
    assert not (tmp_path / "ws" / "escape.py").exists()
