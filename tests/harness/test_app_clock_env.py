"""The http-app runner's environment on the host (--no-drop): the exercise's
`[http_app] env`, the `clock` fixture and `client_from`, graded end to end by
the real harness with a real uvicorn app. The sandbox's version of the same
is tests/integration/test_app_clock_in_docker.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader_harness.output import CUT_MARK
from grader_harness.report import MAX_TEST_OUTPUT_CHARS, parse_report
from grader_harness.results import TEST_OUTPUT_MARK
from tests.helpers.host_harness import harness_argv, request, run_harness, write_tests

# Reads GREETING from its environment, locks a client address out for 300 s
# (by time.time()) after 3 failed logins, and says who it thinks is calling.
APP = """\
import datetime, os, sys, time
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()
FAILS: dict[str, list[float]] = {}
LOCK_SECONDS = 300

@app.get("/env")
def env() -> dict:
    return {"greeting": os.environ.get("GREETING"), "path": os.environ.get("PATH"),
            "grader": sorted(k for k in os.environ if k.startswith("GRADER"))}

@app.get("/whoami")
def whoami(request: Request) -> dict:
    return {"host": request.client.host}

@app.get("/now")
def now() -> dict:
    return {"time": time.time(), "time_ns": time.time_ns(),
            "now": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "utcnow": datetime.datetime.utcnow().isoformat(),
            "today": datetime.date.today().isoformat(), "monotonic": time.monotonic()}

@app.get("/spam")
def spam() -> dict:
    for i in range(3000):
        print(f"spam line {i:05d}")
    return {}

@app.post("/login")
def login(request: Request, password: str = "") -> JSONResponse:
    who, at = request.client.host, time.time()
    fails = [t for t in FAILS.get(who, []) if at - t < LOCK_SECONDS]
    if len(fails) >= 3:
        retry = int(LOCK_SECONDS - (at - fails[-1])) + 1
        return JSONResponse({"locked": True}, 429, headers={"Retry-After": str(retry)})
    if password == "right":
        return JSONResponse({"ok": True})
    FAILS[who] = fails + [at]
    print(f"failed login from {who}", flush=True)
    return JSONResponse({"ok": False}, 401)
"""

TESTS = """\
import datetime, time
import pytest

def test_env_reaches_the_app(client):
    body = client.get("/env").json()
    assert body["greeting"] == "hello from the manifest"
    assert body["path"] and "/usr/bin" in body["path"]
    assert body["grader"] == []

def test_client_from_sets_request_client_host(client, client_from):
    assert client.get("/whoami").json() == {"host": "127.0.0.1"}
    assert client_from("127.0.0.2").get("/whoami").json() == {"host": "127.0.0.2"}
    assert client_from("127.9.8.7").get("/whoami").json() == {"host": "127.9.8.7"}

def test_forwarded_for_is_not_honoured(client):
    answer = client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.json() == {"host": "127.0.0.1"}

def test_client_from_refuses_other_addresses(client_from):
    for bad in ("10.0.0.1", "localhost", "::1", "127.255.255.255"):
        with pytest.raises(ValueError, match="client_from"):
            client_from(bad)

def test_clock_moves_the_apps_wall_clock(client, clock):
    before = client.get("/now").json()
    clock.advance(86400 * 3)
    after = client.get("/now").json()
    assert 3 * 86400 <= after["time"] - before["time"] < 3 * 86400 + 60
    assert 3 * 86400 <= (after["time_ns"] - before["time_ns"]) / 1e9 < 3 * 86400 + 60
    assert after["monotonic"] - before["monotonic"] < 60, "monotonic must not move"
    clock.set(datetime.datetime(2031, 5, 17, 12, 0, tzinfo=datetime.timezone.utc))
    now = client.get("/now").json()
    assert now["now"].startswith("2031-05-17T12:0"), now
    assert now["utcnow"].startswith("2031-05-17T12:0"), now
    assert now["today"] == "2031-05-17"
    assert abs(clock.time() - now["time"]) < 60
    assert clock.now().year == 2031

def test_spam(client):
    assert client.get("/spam").status_code == 200

def test_lock_out_expires_when_the_clock_moves(client_from, clock):
    print("TEST-OWN-LINE")
    mallory, alice = client_from("127.0.0.66"), client_from("127.0.0.77")
    for _ in range(3):
        assert mallory.post("/login", params={"password": "wrong"}).status_code == 401
    locked = mallory.post("/login", params={"password": "right"})
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["Retry-After"]) <= 301
    assert alice.post("/login", params={"password": "right"}).status_code == 200
    clock.advance(299)
    assert mallory.post("/login", params={"password": "right"}).status_code == 429
    clock.advance(2)
    assert mallory.post("/login", params={"password": "right"}).status_code == 200
"""


def grade(tmp_path: Path, env: dict[str, Any], tests: str = TESTS) -> dict[str, Any]:
    hidden = write_tests(tmp_path / "ex" / "tests", {"test_env_clock.py": tests})
    argv = harness_argv(hidden, tmp_path / "ws" / "submission")
    options = {"app": "app.main:app", "env": env}
    files = {"app/__init__.py": "", "app/main.py": APP}
    proc = run_harness(argv, request(files, runner="http-app", options=options), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    parse_report(proc.stdout)
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def test_env_clock_and_client_from_in_a_real_grading(tmp_path: Path) -> None:
    report = grade(tmp_path, {"GREETING": "hello from the manifest"})
    failed = {t["id"]: t["message"] for t in report["tests"] if t["outcome"] != "passed"}
    assert failed == {}
    assert report["status"] == "passed" and len(report["tests"]) == 7


def test_each_test_gets_its_own_output_for_authors(tmp_path: Path) -> None:
    report = grade(tmp_path, {"GREETING": "hi"})
    outputs = {t["name"]: t["author_output"] for t in report["tests"]}
    lock_out = outputs["test_lock_out_expires_when_the_clock_moves"]
    assert lock_out.count("failed login from 127.0.0.66") == 3
    assert lock_out.endswith(TEST_OUTPUT_MARK + "TEST-OWN-LINE\n")
    others = [text for name, text in outputs.items()
              if name not in ("test_lock_out_expires_when_the_clock_moves", "test_spam")]
    assert not any("failed login" in text or "spam" in text for text in others)
    spam = outputs["test_spam"]
    assert len(spam) <= MAX_TEST_OUTPUT_CHARS and spam.startswith(CUT_MARK)
    assert "spam line 02999" in spam  # the tail is kept


def test_a_refused_env_name_is_the_exercises_fault(tmp_path: Path) -> None:
    hidden = write_tests(tmp_path / "ex" / "tests", {"test_env_clock.py": TESTS})
    argv = harness_argv(hidden, tmp_path / "ws" / "submission")
    options = {"app": "app.main:app", "env": {"LD_PRELOAD": "/tmp/evil.so"}}
    files = {"app/__init__.py": "", "app/main.py": APP}
    proc = run_harness(argv, request(files, runner="http-app", options=options), cwd=tmp_path)
    assert proc.returncode == 3  # a harness fault: no report, never the student's failure
    assert proc.stdout == b""
    assert b"http_app.env" in proc.stderr and b"LD_PRELOAD" in proc.stderr


PY_MODULE = """\
import datetime, time

def now():
    return [time.time(), datetime.datetime.now(datetime.timezone.utc).year]
"""
PY_TESTS = """\
import datetime

def test_clock_reaches_the_python_runner(student, clock):
    before, _ = student.now()
    clock.advance(7200)
    after, _ = student.now()
    assert 7200 <= after - before < 7260
    clock.set(datetime.datetime(2040, 1, 2, tzinfo=datetime.timezone.utc))
    assert student.now()[1] == 2040
"""


def test_the_python_runner_has_the_clock_too(tmp_path: Path) -> None:
    hidden = write_tests(tmp_path / "ex" / "tests", {"test_py_clock.py": PY_TESTS})
    argv = harness_argv(hidden, tmp_path / "ws" / "submission")
    proc = run_harness(argv, request({"solution.py": PY_MODULE}), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    report = parse_report(proc.stdout)
    assert report.status.value == "passed", report.tests[0].message
