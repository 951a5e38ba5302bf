"""`[http_app] env`, the `clock` fixture, `client_from` and each test's
`author_output`, through the real sandbox image (runc and gVisor).

A tiny http-app pack built in tmp_path: the app reads LOCK_SECONDS from its
environment, locks a client address out after 3 failed logins by
time.time() (with Retry-After), and reports request.client.host. Its tests
use clock.advance and client_from. A probe route checks the trust boundary
from the student's side: the clock's descriptor is read-only, its file
cannot be opened again, the hidden tests stay unreadable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.exercises.pack import ExercisePack, load_pack
from grader.sandbox_grading import ensure_image, grade_files
from grader.settings import Settings
from grader_harness.report import Report, Status

pytestmark = pytest.mark.docker

MANIFEST = """\
slug = "lockout-clock"
title = "Lock-out with a clock"
category = "security"
difficulty = "easy"
runner = "http-app"

[http_app]
env = { LOCK_SECONDS = "300", GREETING = "hello from the manifest" }

[submission]
files = ["app/*.py"]
required = ["app/main.py"]

[limits]
wall_seconds = 30
memory_mb = 256
call_timeout_seconds = 5
"""
SOLUTION = """\
import os, time
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()
LOCK = int(os.environ.get("LOCK_SECONDS", "60"))
FAILS: dict[str, list[float]] = {}

@app.get("/whoami")
def whoami(request: Request) -> dict:
    return {"host": request.client.host, "greeting": os.environ.get("GREETING"),
            "time": time.time()}

@app.post("/login")
def login(request: Request, password: str = "") -> JSONResponse:
    who, now = request.client.host, time.time()
    fails = [t for t in FAILS.get(who, []) if now - t < LOCK]
    if len(fails) >= 3:
        retry = int(LOCK - (now - fails[-1])) + 1
        return JSONResponse({"locked": True}, 429, headers={"Retry-After": str(retry)})
    if password == "right":
        return JSONResponse({"ok": True})
    FAILS[who] = fails + [now]
    print(f"failed login from {who}", flush=True)
    return JSONResponse({"ok": False}, 401)

@app.get("/probe")
def probe() -> dict:
    found = {}
    for fd in map(int, os.listdir("/proc/self/fd")):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "grader-clock" not in target:
            continue
        found["fd"] = fd
        for what, attempt in (
            ("write", lambda: os.pwrite(fd, b"9" * 20, 0)),
            ("reopen", lambda: os.open(f"/proc/self/fd/{fd}", os.O_WRONLY)),
            ("reopen_read", lambda: os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)),
            ("list", lambda: os.listdir(os.path.dirname(target))),
            ("by_path", lambda: os.open(target, os.O_RDONLY)),
        ):
            try:
                attempt()
                found[what] = "allowed"
            except OSError as exc:
                found[what] = type(exc).__name__
    for what, path in (("tests", "/grader/tests"), ("harness_tmp", "/tmp")):
        try:
            found[what] = sorted(os.listdir(path))
        except OSError as exc:
            found[what] = type(exc).__name__
    return found
"""
STARTER = SOLUTION.replace("if len(fails) >= 3:", "if False:")
TESTS = """\
import time

def test_env_and_client_address(client, client_from):
    assert client.get("/whoami").json()["greeting"] == "hello from the manifest"
    assert client.get("/whoami").json()["host"] == "127.0.0.1"
    assert client_from("127.0.0.2").get("/whoami").json()["host"] == "127.0.0.2"
    spoofed = client.get("/whoami", headers={"X-Forwarded-For": "198.51.100.1"})
    assert spoofed.json()["host"] == "127.0.0.1"

def test_lock_out_and_its_expiry(client_from, clock):
    print("the test itself says hello")
    mallory, alice = client_from("127.0.0.66"), client_from("127.0.0.77")
    for _ in range(3):
        assert mallory.post("/login", params={"password": "no"}).status_code == 401
    locked = mallory.post("/login", params={"password": "right"})
    assert locked.status_code == 429, "3 failures must lock the address out"
    assert 290 <= int(locked.headers["Retry-After"]) <= 301
    assert alice.post("/login", params={"password": "right"}).status_code == 200
    started = time.monotonic()
    clock.advance(299)
    assert mallory.post("/login", params={"password": "right"}).status_code == 429
    clock.advance(2)
    assert mallory.post("/login", params={"password": "right"}).status_code == 200
    assert time.monotonic() - started < 60  # nobody waited for 5 minutes

def test_the_student_cannot_touch_the_clock(client, clock):
    clock.advance(1000)
    probe = client.get("/probe").json()
    assert "fd" in probe, probe
    denied = ("PermissionError", "OSError", "FileNotFoundError")
    for what in ("write", "reopen", "reopen_read", "list", "by_path"):
        assert probe[what] in denied, (what, probe)
    assert probe["tests"] == "PermissionError", probe
    seen = client.get("/whoami").json()["time"]
    assert abs(seen - clock.time()) < 30, "the app's clock must be the one the test set"
"""
MUTANT = SOLUTION.replace('os.environ.get("LOCK_SECONDS", "60")', '"60"')


def write_pack(root: Path) -> Path:
    pack = root / "security" / "lockout-clock"
    files = {
        "exercise.toml": MANIFEST,
        "README.md": "# Lock-out\n\nLock an address out for LOCK_SECONDS after 3 failures.\n",
        "solution/app/__init__.py": "", "solution/app/main.py": SOLUTION,
        "starter/app/__init__.py": "", "starter/app/main.py": STARTER,
        "tests/test_lockout.py": TESTS,
        "mutants/ignores-env/app/__init__.py": "", "mutants/ignores-env/app/main.py": MUTANT,
        "mutants/ignores-env/mutant.toml": 'must_fail = ["test_lock_out_and_its_expiry"]\n',
    }
    for name, text in files.items():
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        (pack / name).write_text(text, encoding="utf-8")
    return pack


@pytest.fixture(scope="module")
def exercises(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("exercises")
    write_pack(root)
    return root


@pytest.fixture(scope="module")
def pack(exercises: Path) -> ExercisePack:
    loaded = load_pack(exercises / "security" / "lockout-clock")
    ensure_image(loaded, Settings(exercises_dir=exercises))
    return loaded


def solution_files() -> dict[str, str]:
    return {"app/__init__.py": "", "app/main.py": SOLUTION}


@pytest.mark.parametrize("runtime", ["runc", "runsc"])
def test_env_clock_and_client_from_in_the_sandbox(pack: ExercisePack, exercises: Path,
                                                   runtime: str) -> None:
    settings = Settings(exercises_dir=exercises, runtime=runtime)
    report = grade_files(pack=pack, files=solution_files(), settings=settings)
    failures = {t.name: t.message for t in report.tests if t.outcome.value != "passed"}
    assert failures == {} and report.status is Status.PASSED, (failures, report.message)
    by_name = {t.name: t for t in report.tests}
    lock_out = by_name["test_lock_out_and_its_expiry"].author_output
    assert lock_out.count("failed login from 127.0.0.66") == 3
    assert "the test itself says hello" in lock_out
    assert "failed login" not in by_name["test_env_and_client_address"].author_output


def test_the_starter_fails_the_lock_out_and_students_get_no_test_output(
        pack: ExercisePack, exercises: Path) -> None:
    files = {"app/__init__.py": "", "app/main.py": STARTER}
    report: Report = grade_files(pack=pack, files=files, settings=Settings(exercises_dir=exercises))
    outcomes = {t.name: t.outcome.value for t in report.tests}
    assert outcomes["test_lock_out_and_its_expiry"] == "failed"
    assert outcomes["test_env_and_client_address"] == "passed"
    # The hidden test's output is the author's: none of it in the student's `output`.
    assert "failed login" not in report.output
    assert "failed login" in report.author_output


def grader_cli(exercises: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GRADER_EXERCISES_DIR": str(exercises), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "grader.cli.main", *args], capture_output=True,
                          text=True, env=env, timeout=600)


def test_grade_json_shows_each_tests_output(pack: ExercisePack, exercises: Path,
                                            tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    for name, text in solution_files().items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    done = grader_cli(exercises, "grade", "lockout-clock", str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["schema_version"] == 3
    printed = {t["name"]: t["author_output"] for t in report["tests"]}
    assert "failed login from 127.0.0.66" in printed["test_lock_out_and_its_expiry"]


def test_check_verbose_shows_each_tests_output(pack: ExercisePack, exercises: Path) -> None:
    done = grader_cli(exercises, "exercises", "check", "--verbose",
                      str(exercises / "security" / "lockout-clock"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "printed during the test:" in done.stdout
    assert "| failed login from 127.0.0.66" in done.stdout
    assert "| the test itself says hello" in done.stdout
