"""Student code and hidden tests that tell a pre-started student interpreter
(grader_harness/prestart.py) from a cold one, and what it can reach.

The student's code reports its process's age (from /proc: the kernel's
start time, which nothing in the process can fake for us), its ids, its
capabilities, its descriptors and what it could read of the harness; the
hidden test compares the age with the time since the request arrived (the
run's deadline) and puts everything in its message as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from grader_harness.report import Report

FACTS = '''
import gc, os, sys, time

def _age():
    ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
    return float(open("/proc/uptime").read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")

def _reads(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as f:
                f.read(1)
        return True
    except OSError:
        return False

def _opens_a_descriptor(pid):
    """Whether a descriptor of `pid` opens through /proc (its report's pipe: for
    writing); /dev/null aside, which anyone may open."""
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for name in names:
        try:
            if os.readlink(f"/proc/{pid}/fd/{name}") == "/dev/null":
                continue
        except OSError:
            pass
        for flags in (os.O_RDONLY, os.O_WRONLY | os.O_NONBLOCK):
            try:
                os.close(os.open(f"/proc/{pid}/fd/{name}", flags))
                return True
            except OSError:
                pass
    return False

def _harness_pids():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                line = f.read()
            with open(f"/proc/{pid}/status") as f:
                uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
        except OSError:
            continue
        mine = uid == str(os.getuid())
        if b"grader_harness" in line and b"-c" not in line.split(b"\\0") and not mine:
            found.append(pid)
    return found

def facts():
    status = open("/proc/self/status").read()
    cap = [l.split()[1] for l in status.splitlines() if l.startswith("CapEff:")][0]
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            fds[fd] = "?"
    harness = _harness_pids()
    return {"age": _age(), "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "cap": cap, "fds": fds, "env": dict(os.environ), "tz": time.tzname[0],
            "gc": gc.isenabled(),
            "hidden_tests": _reads("/grader/tests"), "harness": harness,
            "harness_fds": [p for p in harness if _opens_a_descriptor(p)],
            "harness_fd_lists": [p for p in harness if _reads(f"/proc/{p}/fd")],
            "harness_environ": [p for p in harness if _reads(f"/proc/{p}/environ")],
            "harness_mem": [p for p in harness if _reads(f"/proc/{p}/mem")]}
'''
APP = FACTS + '''
from fastapi import FastAPI
app = FastAPI()

@app.get("/facts")
def get_facts():
    return facts()
'''
HIDDEN_TEST = '''
import gc, json, time
from grader_harness.state import STATE_KEY

def test_facts(request, {fixture}):
    state = request.config.stash[STATE_KEY]
    arrived = state.deadline.at - max(state.config.wall_seconds - 1.0, 0.1)
    found = {call}
    found["since_arrival"] = time.monotonic() - arrived
    found["harness_gc"] = gc.isenabled()  # off while the harness loaded, on for the tests
    assert False, "FACTS " + json.dumps(found)
'''
CASES: dict[str, tuple[str, str, dict[str, Any], dict[str, str]]] = {
    "http-app": ("client", 'client.get("/facts").json()', {"app": "app:app"}, {"app.py": APP}),
    "python": ("student", "student.facts()", {"module": "solution"}, {"solution.py": FACTS}),
}


def hidden_test(runner: str) -> str:
    fixture, call, _, _ = CASES[runner]
    return HIDDEN_TEST.format(fixture=fixture, call=call)


def facts_of(report: Report) -> dict[str, Any]:
    """What the student's process said of itself (the hidden test's message)."""
    message = report.tests[0].message if report.tests else None
    if not message or "FACTS " not in message:
        raise AssertionError(f"no facts: {report.status} {report.message!r} {message!r}")
    found: dict[str, Any] = json.loads(message.split("FACTS ", 1)[1].split("\n", 1)[0])
    return found


def prestarted(found: dict[str, Any]) -> bool:
    """The process existed before the request came (0.1 s: the kernel's tick and slack)."""
    return bool(found["age"] > found["since_arrival"] + 0.1)


def pipes(found: dict[str, Any]) -> set[str]:
    """The pipes the student's process holds (its output, the proxy's two)."""
    return {target for target in found["fds"].values() if target.startswith("pipe:")}


def other_descriptors(found: dict[str, Any]) -> dict[str, str]:
    """Its descriptors beyond stdin, pipes, sockets, the event loop's and the
    clock's read-only offset file (and the one that listed /proc/self/fd)."""
    # "?": the descriptor that listed /proc/self/fd, closed before its readlink.
    ordinary = ("pipe:", "socket:", "anon_inode:", "/dev/null", "/proc/", "?")
    return {fd: target for fd, target in found["fds"].items()
            if not target.startswith(ordinary)
            and not (target.startswith("/tmp/grader-clock-") and target.endswith("/offset"))}
