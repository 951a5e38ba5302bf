"""Student processes on the host (no uid drop): environment, output, ending them."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from grader_harness import reaper
from grader_harness.student import StudentProcesses


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def alive(pid: int) -> bool:
    status = reaper._status(pid)
    return status is not None and status[0] not in ("Z", "X")


def test_student_gets_a_minimal_environment_and_the_workspace(tmp_path: Path) -> None:
    procs = StudentProcesses(tmp_path, None, 1_000_000)
    code = ("import json, os, sys; print(json.dumps({'env': dict(os.environ), 'cwd': os.getcwd(),"
            " 'stdin': sys.stdin.read(), 'oom': open('/proc/self/oom_score_adj').read().strip()}))")
    proc = procs.start("probe", python(code))
    assert proc.wait(10) == 0
    seen = json.loads(procs.close())
    # LC_CTYPE may appear: Python's own C-locale coercion sets it.
    assert set(seen["env"]) <= {"PATH", "HOME", "LANG", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
                                "PYTHONUNBUFFERED", "LC_CTYPE"}
    assert seen["env"]["HOME"] == "/tmp"
    assert seen["env"]["PYTHONPATH"] == str(tmp_path)
    assert seen["cwd"] == str(tmp_path)
    assert seen["stdin"] == ""
    assert seen["oom"] == "1000"  # the kernel's OOM killer takes the student first


def test_kill_all_ends_children_the_student_forked(tmp_path: Path) -> None:
    procs = StudentProcesses(tmp_path, None, 1_000_000)
    code = ("import os, time\nif os.fork() == 0:\n    print(os.getpid(), flush=True)\n"
            "    time.sleep(60)\ntime.sleep(60)")
    proc = procs.start("forker", python(code))
    give_up = time.monotonic() + 10
    while not proc.tail.text().strip() and time.monotonic() < give_up:
        time.sleep(0.02)
    child = int(proc.tail.text())
    assert alive(child)
    procs.kill_all()
    assert proc.poll() is not None
    give_up = time.monotonic() + 5
    while alive(child) and time.monotonic() < give_up:
        time.sleep(0.02)
    assert not alive(child)
    assert proc.killed_by_us and not proc.killed_for_memory()
    procs.close()


def test_output_past_the_limit_stops_the_student(tmp_path: Path) -> None:
    procs = StudentProcesses(tmp_path, None, 5_000)
    proc = procs.start("chatty", python("while True: print('x' * 99)"))
    assert proc.wait(10) is not None  # it never stops by itself
    output = procs.close()
    assert procs.output_exceeded
    assert proc.killed_by_us and not procs.memory_exceeded()
    assert "x" * 99 in output


def test_a_sigkill_we_did_not_send_is_memory(tmp_path: Path) -> None:
    procs = StudentProcesses(tmp_path, None, 1_000_000)
    proc = procs.start("oom", python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    proc.wait(10)
    assert proc.killed_for_memory()
    assert procs.memory_exceeded()
    assert "SIGKILL" in proc.exit_text()
    procs.close()


def test_a_normal_exit_is_not_memory(tmp_path: Path) -> None:
    procs = StudentProcesses(tmp_path, None, 1_000_000)
    proc = procs.start("exit", python("raise SystemExit(3)"))
    proc.wait(10)
    assert not procs.memory_exceeded()
    assert proc.exit_text() == "exited with code 3"
    procs.close()


def test_processes_of_reads_uids_from_proc() -> None:
    live, zombies = reaper.processes_of(os.getuid())
    assert os.getpid() in live and os.getpid() not in zombies
    other = max(os.getuid(), 0) + 4242
    assert os.getpid() not in reaper.processes_of(other)[0]


def test_kill_uid_refuses_our_own_uid() -> None:
    try:
        reaper.kill_uid(os.getuid())
    except ValueError as exc:
        assert "refusing" in str(exc)
    else:
        raise AssertionError("kill_uid accepted our own uid")
