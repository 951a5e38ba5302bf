"""The student interpreter a warm harness starts ahead (grader_harness/prestart.py).

On the host (--no-drop: the student's processes run as ourselves) with the
real harness, uvicorn and FastAPI: a warm grading uses the interpreter
started before the request, grades hostile code exactly like the cold start
(`--no-prestart`), and falls back to the cold start when the interpreter is
gone or cannot take the exercise's environment. The sandbox's side (the
student's uid, capabilities, what it can read) is tested in real containers:
tests/integration/test_prestarted_student.py.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from grader_harness.report import Report, parse_report
from tests.harness.test_app_clock_env import APP, PY_MODULE, PY_TESTS, TESTS
from tests.helpers.host_harness import HARNESS_ROOT, harness_argv, request, write_tests
from tests.helpers.prestart_probe import (
    CASES,
    facts_of,
    hidden_test,
    other_descriptors,
    pipes,
    prestarted,
)

ANSWERS = {"test_answers.py": "def test_answers(client):\n"
                              "    assert client.get('/').status_code == 200\n"}  # fmt: skip
HOSTILE = {
    "kills itself": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n",
    "floods": "import sys\nwhile True:\n    sys.stdout.write('x' * 4096)\n",
    "never answers": "import time\ntime.sleep(3600)\n",
}
APP_TAIL = ("\nfrom fastapi import FastAPI\napp = FastAPI()\n"
            "@app.get('/')\ndef root():\n    return {}\n")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def run_warm(tmp_path: Path, tests: dict[str, str], payload: bytes, runner: str,
             *extra: str, before: Any = None) -> tuple[int, bytes, bytes]:  # fmt: skip
    """One warm harness: wait until it is loaded, then send the request."""
    folder = write_tests(tmp_path / "ex" / "tests", tests)
    workspace = tmp_path / f"ws-{time.monotonic_ns()}" / "submission"
    argv = [*harness_argv(folder, workspace), "--warm", runner, *extra]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(HARNESS_ROOT)})  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        line = proc.stderr.readline()  # "grader_harness: warm, loaded in ..."
        assert b"warm, loaded" in line, line + proc.stderr.read()
        time.sleep(0.5)
        if before is not None:
            before(proc.pid)
        proc.stdin.write(payload + b"\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, out, err


def grade_warm(tmp_path: Path, tests: dict[str, str], payload: bytes, runner: str,
               *extra: str, before: Any = None) -> Report:  # fmt: skip
    code, out, err = run_warm(tmp_path, tests, payload, runner, *extra, before=before)
    assert code == 0, err.decode(errors="replace")
    return parse_report(out)


def probe(tmp_path: Path, runner: str, *extra: str, before: Any = None,
          **config: Any) -> dict[str, Any]:  # fmt: skip
    _, _, options, files = CASES[runner]
    options = {**options, **config.pop("options", {})}
    payload = request(files, runner=runner, options=options, hidden_messages="full", **config)
    report = grade_warm(tmp_path, {"test_facts.py": hidden_test(runner)}, payload, runner,
                        *extra, before=before)  # fmt: skip
    return facts_of(report)


@pytest.mark.parametrize("runner", ["http-app", "python"])
def test_a_warm_grading_runs_the_interpreter_started_before_the_request(
    tmp_path: Path, runner: str
) -> None:
    found = probe(tmp_path, runner)
    assert prestarted(found), found
    # The garbage collector, off while each process loaded, is on again for
    # the student's code and for the tests.
    assert found["gc"] and found["harness_gc"], found
    # Exactly the cold process's environment: nothing of the harness's.
    expected = {"PATH", "HOME", "LANG", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert set(found["env"]) == expected
    # The output pipe (and the proxy's two): no command or ready pipe left.
    # uvloop, where installed (the host's venv: the API uses it), opens a pipe
    # pair of its own in the app's process; the sandbox images have none.
    loop_pipes = 2 if runner == "http-app" and importlib.util.find_spec("uvloop") else 0
    assert len(pipes(found)) == (3 if runner == "python" else 1) + loop_pipes, found["fds"]
    assert found["fds"]["0"] == "/dev/null" and other_descriptors(found) == {}
    cold = probe(tmp_path, runner, "--no-prestart")
    assert not prestarted(cold), cold
    assert cold["gc"] and cold["harness_gc"], cold
    assert cold["env"].keys() == found["env"].keys() and len(pipes(cold)) == len(pipes(found))
    same = [name for name in found["env"] if name != "PYTHONPATH"]  # the workspace's path
    assert [cold["env"][n] for n in same] == [found["env"][n] for n in same]


def test_the_exercise_environment_reaches_the_prestarted_app(tmp_path: Path) -> None:
    found = probe(tmp_path, "http-app", options={"env": {"GREETING": "hi", "TZ": "Asia/Tokyo"}})
    assert prestarted(found)
    assert found["env"]["GREETING"] == "hi"
    assert found["tz"] == "JST"  # set after the interpreter started: tzset() ran


def test_env_clock_and_client_from_work_in_the_prestarted_app(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/main.py": APP}
    options = {"app": "app.main:app", "env": {"GREETING": "hello from the manifest"}}
    payload = request(files, runner="http-app", options=options)
    report = grade_warm(tmp_path, {"test_env_clock.py": TESTS}, payload, "http-app")
    failed = {t.id: t.message for t in report.tests if t.outcome != "passed"}
    assert failed == {} and len(report.tests) == 7


def test_the_prestarted_proxy_has_the_clock(tmp_path: Path) -> None:
    report = grade_warm(tmp_path, {"test_py_clock.py": PY_TESTS},
                        request({"solution.py": PY_MODULE}), "python")  # fmt: skip
    assert report.status == "passed", report.tests[0].message


def test_a_refused_env_name_is_still_the_exercises_fault(tmp_path: Path) -> None:
    options = {"app": "app:app", "env": {"LD_PRELOAD": "/tmp/evil.so"}}
    payload = request({"app.py": APP_TAIL}, runner="http-app", options=options)
    code, out, err = run_warm(tmp_path, ANSWERS, payload, "http-app")
    assert (code, out) == (3, b"")  # a harness fault: no report, never the student's failure
    assert b"http_app.env" in err and b"LD_PRELOAD" in err


def test_an_environment_read_only_at_start_gets_a_cold_start(tmp_path: Path) -> None:
    found = probe(tmp_path, "http-app", options={"env": {"LC_ALL": "C.UTF-8"}})
    assert not prestarted(found)
    assert found["env"]["LC_ALL"] == "C.UTF-8"


@pytest.mark.parametrize("runner", ["http-app", "python"])
def test_a_prestarted_interpreter_that_died_leaves_the_grading_cold(
    tmp_path: Path, runner: str
) -> None:
    def kill_it(harness: int) -> None:
        [waiting] = children_of(harness)
        os.kill(waiting, signal.SIGKILL)
        give_up = time.monotonic() + 5
        while _state(waiting) != "Z":  # dead, not yet reaped
            assert time.monotonic() < give_up
            time.sleep(0.01)

    _, _, options, files = CASES[runner]
    payload = request(files, runner=runner, options=options, hidden_messages="full")
    code, out, err = run_warm(tmp_path, {"test_facts.py": hidden_test(runner)}, payload,
                              runner, before=kill_it)  # fmt: skip
    assert code == 0 and not prestarted(facts_of(parse_report(out)))
    assert b"unused (it ended (status -9)): cold start" in err, err


def grade_both(tmp_path: Path, app: str, wall_seconds: float = 4.0) -> tuple[Report, Report]:
    payload = request({"app.py": app}, runner="http-app", options={"app": "app:app"},
                      wall_seconds=wall_seconds, output_bytes=100_000,
                      hidden_messages="full")  # fmt: skip
    warm = grade_warm(tmp_path, ANSWERS, payload, "http-app")
    cold = grade_warm(tmp_path, ANSWERS, payload, "http-app", "--no-prestart")
    return warm, cold


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_apps_are_graded_exactly_like_a_cold_start(tmp_path: Path, name: str) -> None:
    # An app that never answers is stopped by the deadline (wall - 1 s, under the
    # harness's 10 s start-up limit: the container test takes that path), the
    # same however short: 2.5 s. Both runs collect before the request (run_warm),
    # so the deadline is all the app's.
    wall = 2.5 if name == "never answers" else 4.0
    warm, cold = grade_both(tmp_path, HOSTILE[name] + APP_TAIL, wall)
    assert warm.status == cold.status != "passed"
    assert (warm.score, warm.message, warm.output) == (cold.score, cold.message, cold.output)
    assert warm.author_output == cold.author_output
    # Not the tests' author_output: a warm app's start-up output comes before
    # the first test (the run's author_output has it, as cold).
    outcomes = [[(t.outcome, t.message) for t in r.tests] for r in (warm, cold)]
    assert outcomes[0] == outcomes[1]


def test_an_unused_interpreter_ends_with_an_idle_warm_harness(tmp_path: Path) -> None:
    folder = write_tests(tmp_path / "ex" / "tests", ANSWERS)
    argv = [*harness_argv(folder, tmp_path / "ws" / "submission"), "--warm", "http-app",
            "--idle-seconds", "1"]  # fmt: skip
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(HARNESS_ROOT)})  # fmt: skip
    assert proc.stderr is not None
    assert b"warm, loaded" in proc.stderr.readline()
    [waiting] = children_of(proc.pid)
    try:
        assert proc.wait(timeout=30) == 4
    finally:
        proc.kill()
    give_up = time.monotonic() + 5
    while Path(f"/proc/{waiting}").exists() and "Z" not in _state(waiting):
        assert time.monotonic() < give_up, "the waiting interpreter outlived its harness"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_another_runners_request_is_a_harness_fault_not_the_students(tmp_path: Path) -> None:
    """A warm sandbox collected its tests with its runner's fixtures before the
    request came (gate.py): a python request in an http-app sandbox is the
    host's mistake, so no report (exit 3), never an error blamed on the student."""
    tests = {"test_one.py": "def test_one(student):\n    assert student.f() == 1\n"}
    payload = request({"solution.py": "def f():\n    return 1\n"})
    code, out, err = run_warm(tmp_path, tests, payload, "http-app")
    assert (code, out) == (3, b"")
    assert b"loaded for the http-app runner got a request for the python runner" in err


def test_an_interpreter_that_dies_before_taking_its_command_is_not_the_students(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Between our command and its receipt nothing of the student ran: cold start."""
    from grader_harness import prestart
    from grader_harness.clock import Clock
    from grader_harness.student import StudentProcesses, spawn, student_env

    command_r, command_w = os.pipe()
    ready_r, ready_w = os.pipe()
    # Ready, reads the command, then dies without the receipt (as a kill would make it).
    source = ("import os, sys\nos.write(int(sys.argv[2]), b'r')\n"
              "os.read(int(sys.argv[1]), 1 << 16)\nos._exit(9)\n")  # fmt: skip
    popen, output_fd = spawn([sys.executable, "-c", source, str(command_r), str(ready_w)],
                             tmp_path, None, env=student_env(tmp_path),
                             pass_fds=(command_r, ready_w))  # fmt: skip
    os.close(command_r)
    os.close(ready_w)  # only the child could write the receipt, and it never does
    waiting = prestart.Waiting("http-app", popen, command_w, ready_r, output_fd, Clock(),
                               tmp_path)  # fmt: skip
    procs = StudentProcesses(tmp_path, None, 10_000)
    assert prestart.release(waiting, procs, "http-app", {"app": "app:app"}) is None
    assert popen.poll() is not None and procs.close() == ""
    # The container's log says why this warm grading started cold.
    assert "unused (it did not confirm its command): cold start" in capsys.readouterr().err
    assert (waiting.command_fd, waiting.ready_fd, waiting.output_fd) == (-1, -1, -1)
    assert waiting.clock is None  # closed with it: the run makes its own


RESTART_TESTS = '''
import time
from grader_harness.state import STATE_KEY
SEEN = []

def _since(request):
    state = request.config.stash[STATE_KEY]
    return time.monotonic() - (state.deadline.at - max(state.config.wall_seconds - 1.0, 0.1))

def test_1_first(client, request):
    SEEN.append((client.get("/facts").json()["age"], _since(request)))

def test_2_crash(client):
    client.get("/die")

def test_3_again(client, request):
    SEEN.append((client.get("/facts").json()["age"], _since(request)))
    (first_age, first_since), (again_age, again_since) = SEEN
    assert first_age > first_since + 0.1, "the first app was not the prestarted one"
    assert again_age < again_since, "the restarted app was not a fresh process"
'''


def test_a_restart_after_a_crash_is_a_cold_process(tmp_path: Path) -> None:
    app = CASES["http-app"][3]["app.py"] + "\n@app.get('/die')\ndef die():\n    os._exit(1)\n"
    payload = request({"app.py": app}, runner="http-app", options={"app": "app:app"},
                      hidden_messages="full")  # fmt: skip
    report = grade_warm(tmp_path, {"test_restart.py": RESTART_TESTS}, payload, "http-app")
    outcomes = {t.name: (t.outcome, t.message) for t in report.tests}
    assert outcomes["test_1_first"][0] == outcomes["test_3_again"][0] == "passed", outcomes
    assert outcomes["test_2_crash"][0] == "failed"
