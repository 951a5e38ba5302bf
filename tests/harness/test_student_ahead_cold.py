"""A cold run starts the student's interpreter before pytest loads (prestart.py).

Run on the host like the warm ones (tests/harness/test_student_prestart.py);
the catalogue's cold gradings in real containers go through the same path.
The hidden test module sleeps at import, so a process started before the
tests' collection is at least that old when the test asks it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from grader_harness.cpu_quota import available_cpus
from grader_harness.report import parse_report
from tests.helpers.host_harness import harness_argv, request, run_harness, write_tests
from tests.helpers.prestart_probe import CASES, facts_of, hidden_test

COLLECTION_SECONDS = 1.0
# Started ahead only where two processes run at once (prestart.worth_starting).
needs_two_cpus = pytest.mark.skipif(available_cpus() < 1.5, reason="this host has one CPU")


def probe_cold(tmp_path: Path, runner: str, **config: Any) -> dict[str, Any]:
    _, _, options, files = CASES[runner]
    options = {**options, **config.pop("options", {})}
    tests = {"test_facts.py": f"import time\ntime.sleep({COLLECTION_SECONDS})\n"
                              + hidden_test(runner)}  # fmt: skip
    folder = write_tests(tmp_path / "ex" / "tests", tests)
    workspace = tmp_path / f"ws-{time.monotonic_ns()}" / "submission"
    payload = request(files, runner=runner, options=options, hidden_messages="full", **config)
    ran = run_harness(harness_argv(folder, workspace), payload, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr.decode(errors="replace")
    return facts_of(parse_report(ran.stdout))


@needs_two_cpus
@pytest.mark.parametrize("runner", ["http-app", "python"])
def test_a_cold_run_starts_the_students_interpreter_before_collecting(
    tmp_path: Path, runner: str
) -> None:
    found = probe_cold(tmp_path, runner)
    assert found["age"] > COLLECTION_SECONDS, found["age"]
    # The same process as a cold start's: the student's environment only.
    expected = {"PATH", "HOME", "LANG", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert set(found["env"]) == expected and found["fds"]["0"] == "/dev/null"


def test_an_environment_read_only_at_start_gets_its_process_at_the_test(tmp_path: Path) -> None:
    found = probe_cold(tmp_path, "http-app", options={"env": {"LC_ALL": "C.UTF-8"}})
    assert found["age"] < COLLECTION_SECONDS, found["age"]  # started by the fixture, as before
    assert found["env"]["LC_ALL"] == "C.UTF-8"


def test_a_bad_request_starts_no_interpreter_and_is_answered(tmp_path: Path) -> None:
    folder = write_tests(tmp_path / "ex" / "tests", {"test_one.py": hidden_test("http-app")})
    hostile = request({"../../etc/evil.py": "x = 1"}, runner="http-app", options={"app": "a:app"})
    ran = run_harness(harness_argv(folder, tmp_path / "ws" / "submission"), hostile, cwd=tmp_path)
    report = parse_report(ran.stdout)
    assert ran.returncode == 0 and report.status == "error" and report.tests == []
    assert report.message and "evil.py" in report.message
