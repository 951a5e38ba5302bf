"""`python -m grader_harness` as the sandbox runs it: the channel and its faults."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader_harness.report import parse_report
from tests.helpers.host_harness import harness_argv, request, run_harness, write_tests

PASSING = {"test_one.py": "def test_one(student):\n    assert student.f() == 1\n"}
SOLUTION = {"solution.py": "def f():\n    return 1\n"}


def grade(tmp_path: Path, tests: dict[str, str], stdin: bytes) -> tuple[int, bytes, str]:
    folder = write_tests(tmp_path / "ex" / "tests", tests)
    proc = run_harness(harness_argv(folder, tmp_path / "ws" / "submission"), stdin, cwd=tmp_path)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


def report_of(tmp_path: Path, tests: dict[str, str], stdin: bytes) -> dict[str, Any]:
    code, stdout, stderr = grade(tmp_path, tests, stdin)
    assert code == 0, stderr
    parse_report(stdout)  # one valid document and nothing else
    result: dict[str, Any] = json.loads(stdout)
    return result


def test_a_passing_submission(tmp_path: Path) -> None:
    report = report_of(tmp_path, PASSING, request(SOLUTION))
    assert (report["status"], report["score"], report["max_score"]) == ("passed", 1.0, 1.0)


def test_a_request_that_is_not_json_gets_an_error_report(tmp_path: Path) -> None:
    report = report_of(tmp_path, PASSING, b"{not json")
    assert report["status"] == "error"
    assert report["message"].startswith("the grading request is not valid")


@pytest.mark.parametrize("name", ["../escape.py", "/tmp/abs.py", "a/../../b.py"])
def test_unsafe_file_paths_get_an_error_report(tmp_path: Path, name: str) -> None:
    report = report_of(tmp_path, PASSING, request({name: "x = 1\n", **SOLUTION}))
    assert report["status"] == "error"
    assert name in report["message"]
    assert not (tmp_path / "ws" / "escape.py").exists()


def test_a_bad_config_gets_an_error_report(tmp_path: Path) -> None:
    report = report_of(tmp_path, PASSING, request(SOLUTION, hidden_messages="everything"))
    assert report["status"] == "error" and "hidden_messages" in report["message"]


def test_missing_tests_are_a_harness_fault_without_report(tmp_path: Path) -> None:
    argv = harness_argv(tmp_path / "nowhere" / "tests", tmp_path / "ws")
    proc = run_harness(argv, request(SOLUTION), cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stdout == b""
    assert b"HarnessFault" in proc.stderr


@pytest.mark.parametrize(
    "tests",
    [
        {"test_broken.py": "def test_x(student:\n    pass\n"},  # the exercise's syntax error
        {"test_marker.py": "import pytest\n@pytest.mark.points('two')\ndef test_x(): pass\n"},
        {"test_typo.py": "import pytest\n@pytest.mark.pionts(2)\ndef test_x(): pass\n"},
        {"test_nothing.py": "x = 1\n"},  # no tests at all
    ],
    ids=["syntax", "points", "unknown-marker", "no-tests"],
)
def test_a_broken_exercise_is_a_harness_fault(tmp_path: Path, tests: dict[str, str]) -> None:
    code, stdout, stderr = grade(tmp_path, tests, request(SOLUTION))
    assert code == 3, stderr
    assert stdout == b""


def test_prints_in_the_harness_never_reach_the_report_channel(tmp_path: Path) -> None:
    tests = {
        "test_noisy.py": (
            "import os, sys\n"
            "def test_noisy(student):\n"
            "    print('{\"status\": \"passed\"}')\n"
            "    os.write(1, b'junk in a test\\n')\n"
            "    assert student.f() == 2\n"
        ),
        # pytest's capture is off by then: this reaches fd 1 for real.
        "conftest.py": (
            "import os, sys\n"
            "def pytest_unconfigure(config):\n"
            "    sys.stdout.write('{\"status\": \"passed\"}\\n'); sys.stdout.flush()\n"
            "    os.write(1, b'junk at unconfigure\\n')\n"
        ),
    }
    code, stdout, stderr = grade(tmp_path, tests, request(SOLUTION))
    assert code == 0
    assert parse_report(stdout).status == "failed"
    assert "junk at unconfigure" in stderr  # written, and sent to stderr instead


def test_a_data_file_named_like_a_doctest_is_not_run_and_unused_plugins_stay_unloaded(
    tmp_path: Path,
) -> None:
    # pytest's doctest plugin would collect test*.txt and run its examples:
    # an author's data file must stay data (and must not count as a test).
    tests = {
        "test_cases.txt": ">>> raise SystemExit('a data file ran as a doctest')\n",
        "test_plugins.py": (
            "import sys\n"
            "def test_plugins(student, request):\n"
            "    assert student.f() == 1\n"
            "    names = ('junitxml', 'pastebin', 'stepwise', 'debugging', 'doctest',\n"
            "             'unraisableexception', 'threadexception')\n"
            "    loaded = [n for n in names if request.config.pluginmanager.has_plugin(n)]\n"
            "    assert loaded == [], loaded\n"
        ),
    }
    report = report_of(tmp_path, tests, request(SOLUTION))
    assert [t["outcome"] for t in report["tests"]] == ["passed"], report
    assert report["status"] == "passed"


def test_the_students_conftest_and_ini_are_never_loaded(tmp_path: Path) -> None:
    forged = (
        "import pytest\n"
        "@pytest.hookimpl(wrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n"
        "    report = yield\n"
        "    report.outcome = 'passed'\n"
        "    return report\n"
    )
    files = {**SOLUTION, "conftest.py": forged, "pytest.ini": "[pytest]\naddopts = -p no:python\n"}
    tests = {"test_two.py": "def test_two(student):\n    assert student.f() == 2\n"}
    report = report_of(tmp_path, tests, request(files))
    assert report["status"] == "failed"


def test_student_modules_cannot_shadow_the_proxys_own(tmp_path: Path) -> None:
    files = {**SOLUTION, "json.py": "raise SystemExit('shadowed json')\n",
             "struct.py": "raise SystemExit('shadowed struct')\n"}
    report = report_of(tmp_path, PASSING, request(files))
    assert report["status"] == "passed", report


def test_a_garbage_reply_costs_one_call_only(tmp_path: Path) -> None:
    forger = (
        "import os, sys\n"
        "def f():\n"
        "    return 1\n"
        "def forge():\n"
        "    os.write(int(sys.argv[3]), b'\\xff\\xff\\xff\\xff')  # a frame of 4 GiB\n"
        "    return 0\n"
    )
    tests = {"test_forge.py": (
        "from grader_harness import StudentCrashed\n"
        "import pytest\n"
        "def test_1_forge(student):\n"
        "    with pytest.raises(StudentCrashed, match='broke the reply'):\n"
        "        student.forge()\n"
        "def test_2_after(student):\n"
        "    assert student.f() == 1\n"
    )}
    report = report_of(tmp_path, tests, request({"solution.py": forger}))
    assert [t["outcome"] for t in report["tests"]] == ["passed", "passed"]


def test_the_workspace_fixture_sees_root_owned_read_only_files(tmp_path: Path) -> None:
    tests = {"test_modes.py": (
        "def test_modes(workspace):\n"
        "    assert (workspace / 'pkg').stat().st_mode & 0o777 == 0o755\n"
        "    assert (workspace / 'pkg' / 'm.py').stat().st_mode & 0o777 == 0o644\n"
    )}
    files = {**SOLUTION, "pkg/m.py": "x = 1\n"}
    report = report_of(tmp_path, tests, request(files, hidden_messages="full"))
    assert report["status"] == "passed", report["tests"][0]["message"]


def test_a_crash_is_seen_even_when_a_forked_child_holds_the_pipes(tmp_path: Path) -> None:
    crasher = (
        "import os, time\n"
        "def f():\n"
        "    return 1\n"
        "def crash():\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(30)  # keeps the proxy's pipes open\n"
        "    os._exit(4)\n"
    )
    tests = {"test_crash.py": (
        "def test_1_crash(student):\n"
        "    student.crash()\n"
        "def test_2_after(student):\n"
        "    assert student.f() == 1\n"
    )}
    stdin = request({"solution.py": crasher}, call_timeout_seconds=20)
    report = report_of(tmp_path, tests, stdin)
    crash, after = report["tests"]
    assert crash["outcome"] == "failed"
    assert crash["message"] == "your code exited with code 4 while running crash()"
    assert crash["duration"] < 5  # not the 20 s call timeout
    assert after["outcome"] == "passed"
    assert report["status"] == "failed"
