"""The output policy on the host (--no-drop): a hostile student prints the
inputs it gets, and the student-facing `output` never holds a hidden one
under the default policy, while `author_output` always has everything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader_harness.phases import WITHHELD_MARK
from grader_harness.report import parse_report
from tests.helpers.host_harness import harness_argv, request, run_harness, write_tests

SECRET = "HIDDEN-SECRET-4711"

# Prints what it is given (stdout and stderr), once more from a thread after
# the call returned, and keeps every input in a file that a restarted process
# prints (and raises with) at import.
PYTHON_STUDENT = """\
import os, sys, threading, time
STASH = {stash!r}
if os.path.exists(STASH):
    kept = open(STASH).read()
    print("RESTORED:", kept, flush=True)
    if "HIDDEN" in kept:
        raise ValueError("RESTORED " + kept)
print("IMPORT-BANNER")

def echo(value):
    print("echo:", value)
    sys.stderr.write(f"err: {{value}}\\n")
    with open(STASH, "a") as f:
        f.write(value + " ")
    def late():
        time.sleep(0.2)
        # One write: two threads' print() calls interleave on a busy machine.
        sys.stdout.write(f"late: {{value}}\\n")
        sys.stdout.flush()
    threading.Thread(target=late, daemon=True).start()
    return value

def crash():
    os._exit(3)
"""
PYTHON_PUBLIC = {"test_echo_public.py": """\
def test_public(student):
    assert student.echo("PUBLIC-VALUE") == "PUBLIC-VALUE"
"""}
PYTHON_HIDDEN = {"test_echo_hidden.py": f"""\
import time

def test_hidden(student):
    assert student.echo("{SECRET}") == "{SECRET}"
    time.sleep(0.4)  # the student's late print arrives meanwhile
"""}
# After test_hidden: a crash, then a restart that prints and raises what it kept.
PYTHON_RESTART = {"test_echo_restart.py": """\
def test_crash(student):
    student.crash()

def test_after_restart(student):
    assert student.echo("x") == "x"
"""}

HTTP_STUDENT = """\
import sys
from fastapi import FastAPI, Request

print("APP-STARTUP-BANNER", flush=True)
app = FastAPI()

@app.post("/echo")
async def echo(request: Request) -> dict:
    body = (await request.body()).decode()
    print("echo:", body)
    print("err:", body, file=sys.stderr)
    return {"got": body}
"""
HTTP_PUBLIC = {"test_http_public.py": """\
def test_public(client):
    assert client.post("/echo", content="PUBLIC-VALUE").json() == {"got": "PUBLIC-VALUE"}
"""}
HTTP_HIDDEN = {"test_http_hidden.py": f"""\
def test_hidden(client):
    assert client.post("/echo", content="{SECRET}").json() == {{"got": "{SECRET}"}}
"""}


def grade(tmp_path: Path, files: dict[str, str], hidden: dict[str, str],
          public: dict[str, str] | None, **config: Any) -> dict[str, Any]:
    tests = write_tests(tmp_path / "ex" / "tests", hidden)
    public_dir = tmp_path / "ex" / "public_tests"
    if public:
        write_tests(public_dir, public)
    argv = harness_argv(tests, tmp_path / "ws" / "submission", public_tests=public_dir)
    proc = run_harness(argv, request(files, **config), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    parse_report(proc.stdout)
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def student_facing(report: dict[str, Any]) -> str:
    """Everything of the report but the author's copies of the output (the
    report's and each test's)."""
    tests = [{k: v for k, v in t.items() if k != "author_output"} for t in report["tests"]]
    return json.dumps({k: v for k, v in report.items() if k != "author_output"} | {"tests": tests})


def python_files(tmp_path: Path) -> dict[str, str]:
    return {"solution.py": PYTHON_STUDENT.format(stash=str(tmp_path / "stash.txt"))}


@pytest.mark.parametrize("policy", [None, "public", "full", "none"])
def test_python_runner_output_policy(tmp_path: Path, policy: str | None) -> None:
    config = {} if policy is None else {"output": policy}
    report = grade(tmp_path, python_files(tmp_path), PYTHON_HIDDEN, PYTHON_PUBLIC, **config)
    assert report["status"] == "passed", report
    # The report lists hidden tests first, though public ones ran first.
    assert [t["visibility"] for t in report["tests"]] == ["hidden", "public"]
    everything, shown = report["author_output"], report["output"]
    for line in ("IMPORT-BANNER", "echo: PUBLIC-VALUE", "err: PUBLIC-VALUE",
                 f"echo: {SECRET}", f"err: {SECRET}", f"late: {SECRET}"):
        assert line in everything
    if policy == "none":
        assert shown == ""
    elif policy == "full":
        assert shown == everything
    else:  # the default, public: start-up and public tests only
        assert "IMPORT-BANNER" in shown
        assert "echo: PUBLIC-VALUE" in shown and "err: PUBLIC-VALUE" in shown
        assert SECRET not in student_facing(report)
        assert shown.endswith(WITHHELD_MARK)


def test_start_up_inside_the_first_hidden_test_is_shown(tmp_path: Path) -> None:
    report = grade(tmp_path, python_files(tmp_path), PYTHON_HIDDEN, None)
    assert report["status"] == "passed", report
    assert "IMPORT-BANNER" in report["output"]
    assert SECRET not in student_facing(report)
    assert f"echo: {SECRET}" in report["author_output"]


def test_a_restart_after_a_hidden_test_keeps_what_it_kept_to_itself(tmp_path: Path) -> None:
    hidden = {**PYTHON_HIDDEN, **PYTHON_RESTART}
    report = grade(tmp_path, python_files(tmp_path), hidden, PYTHON_PUBLIC)
    outcomes = {t["name"]: t["outcome"] for t in report["tests"]}
    assert outcomes["test_after_restart"] == "failed", report  # the import raised
    after = next(t for t in report["tests"] if t["name"] == "test_after_restart")
    assert after["message"].endswith("again: ValueError")
    assert SECRET not in student_facing(report)
    assert f"RESTORED: PUBLIC-VALUE {SECRET}" in report["author_output"]


@pytest.mark.parametrize("policy", ["public", "full", "none"])
def test_http_app_output_policy(tmp_path: Path, policy: str) -> None:
    files = {"app/__init__.py": "", "app/main.py": HTTP_STUDENT}
    report = grade(tmp_path, files, HTTP_HIDDEN, HTTP_PUBLIC, runner="http-app",
                   options={"app": "app.main:app"}, output=policy)
    assert report["status"] == "passed", report
    everything, shown = report["author_output"], report["output"]
    for line in ("APP-STARTUP-BANNER", "echo: PUBLIC-VALUE", f"echo: {SECRET}", f"err: {SECRET}"):
        assert line in everything
    if policy == "none":
        assert shown == ""
    elif policy == "full":
        assert f"echo: {SECRET}" in shown and f"err: {SECRET}" in shown
    else:
        assert "APP-STARTUP-BANNER" in shown and "echo: PUBLIC-VALUE" in shown
        assert SECRET not in student_facing(report)


def test_an_unknown_policy_gets_an_error_report(tmp_path: Path) -> None:
    report = grade(tmp_path, python_files(tmp_path), PYTHON_HIDDEN, None, output="some")
    assert report["status"] == "error" and "config.output" in report["message"]
