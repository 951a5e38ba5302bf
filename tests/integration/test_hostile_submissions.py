"""Hostile and broken submissions against the real sandbox.

Each probe.py below is what a student could submit. The hidden test
`test_secret` (5 points) passes only for someone who knows a string that lives
in the hidden tests, so any score on it means the sandbox leaked or the
verdict was forged.
"""

from __future__ import annotations

import json
import socket
import textwrap
import time
from collections.abc import Callable, Iterator

import pytest

from grader_harness.report import Outcome, Report, Status, TestResult

pytestmark = pytest.mark.docker

Grade = Callable[..., Report]
SECRET_POINTS = 5


def probe(body: str) -> str:
    """A probe.py whose run() executes `body` and returns `result`."""
    return (
        "import os, sys, socket, signal, json\n"
        "def guess():\n    return 'no idea'\n"
        "def run():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    )


def result_of(report: Report, name: str) -> TestResult:
    return next(t for t in report.tests if t.name == name)


def test_reference_and_starter(grade_probe: Grade, probe_pack) -> None:  # type: ignore[no-untyped-def]
    solution = (probe_pack.solution / "probe.py").read_text()
    full = grade_probe(solution)
    assert full.status is Status.PASSED and full.score == full.max_score == SECRET_POINTS + 1
    starter = grade_probe((probe_pack.starter / "probe.py").read_text())
    assert starter.status is Status.FAILED and starter.score == 1


def test_syntax_error_is_error_with_the_message(grade_probe: Grade) -> None:
    report = grade_probe("def guess(:\n    return 1\n")
    assert report.status is Status.ERROR
    assert report.score == 0
    assert report.message and "SyntaxError" in report.message and "probe.py" in report.message
    assert all(t.outcome is Outcome.ERROR for t in report.tests)


def test_infinite_loop_is_timeout(grade_probe: Grade) -> None:
    started = time.monotonic()
    report = grade_probe(probe("while True:\n    pass\n"))
    assert report.status is Status.TIMEOUT
    assert result_of(report, "test_run").outcome is not Outcome.PASSED
    assert time.monotonic() - started < 30


def test_memory_hog_is_memory_exceeded(grade_probe: Grade) -> None:
    report = grade_probe(probe("""
        hog = []
        while True:
            hog.append(bytearray(16 * 1024 * 1024))
    """))
    assert report.status is Status.MEMORY_EXCEEDED, report
    assert report.score == 0


def test_fork_bomb_is_contained(grade_probe: Grade) -> None:
    started = time.monotonic()
    report = grade_probe(probe("""
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """))
    # Contained: the grading ends in bounded time with a verdict, the
    # container goes (checked by the autouse fixture), nothing scored.
    assert report.status in (Status.TIMEOUT, Status.FAILED, Status.ERROR, Status.MEMORY_EXCEEDED)
    assert report.score <= 0 + 0  # run() never returned "ok", the secret is unknown
    assert time.monotonic() - started < 60


def test_printing_100_mb_is_output_exceeded(grade_probe: Grade) -> None:
    report = grade_probe(probe("""
        chunk = 'x' * (1 << 20)
        for _ in range(100):
            print(chunk)
        return 'ok'
    """))
    assert report.status is Status.OUTPUT_EXCEEDED
    assert len(report.output) <= 8_000


@pytest.fixture
def host_listener() -> Iterator[int]:
    """A TCP server on the host's loopback: the sandbox must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_no_network_only_loopback(grade_probe: Grade, host_listener: int) -> None:
    report = grade_probe(probe(f"""
        names = sorted(os.listdir('/sys/class/net'))
        try:
            socket.create_connection(('127.0.0.1', {host_listener}), timeout=2).close()
            reached = 'reached the host'
        except OSError as exc:
            reached = type(exc).__name__
        # The sandbox's own loopback, by name: Docker writes no /etc/hosts
        # (networking disabled), the image's resolves `localhost`.
        own = socket.create_server(('127.0.0.1', 0))
        try:
            socket.create_connection(('localhost', own.getsockname()[1]), timeout=2).close()
            by_name = 'ok'
        except OSError as exc:
            by_name = type(exc).__name__
        return f'interfaces={{names}} host={{reached}} localhost={{by_name}}'
    """))
    message = result_of(report, "test_run").message or ""
    assert "interfaces=['lo']" in message, message
    assert "host=ConnectionRefusedError" in message, message
    assert "localhost=ok" in message, message


def test_cannot_read_hidden_tests_or_forge_the_report(grade_probe: Grade) -> None:
    fake = {
        "schema_version": 1, "status": "passed", "score": 100, "max_score": 100,
        "tests": [], "message": None, "output": "", "duration": 0,
    }
    report = grade_probe(probe(f"""
        tried = []
        for path in ('/grader/tests/test_probe.py', '/grader', '/proc/1/fd/1', '/proc/1/environ'):
            try:
                if os.path.isdir(path):
                    os.listdir(path)
                else:
                    open(path, 'rb').read(1)
                tried.append(path + ':READ')
            except OSError as exc:
                tried.append(path + ':' + type(exc).__name__)
        try:
            with open('/proc/1/fd/1', 'w') as out:
                out.write({json.dumps(fake)!r})
            tried.append('stdout-of-harness:WROTE')
        except OSError as exc:
            tried.append('stdout-of-harness:' + type(exc).__name__)
        try:
            os.kill(1, signal.SIGKILL)
            tried.append('kill-harness:SENT')
        except OSError as exc:
            tried.append('kill-harness:' + type(exc).__name__)
        print({json.dumps(fake)!r})
        sys.stdout.flush()
        return ' '.join(tried)
    """))
    message = result_of(report, "test_run").message or ""
    assert ":READ" not in message and "WROTE" not in message and "SENT" not in message, message
    assert "kill-harness:PermissionError" in message
    assert result_of(report, "test_secret").outcome is Outcome.FAILED
    assert report.score == 0 and report.max_score == SECRET_POINTS + 1
    assert report.status is Status.FAILED
