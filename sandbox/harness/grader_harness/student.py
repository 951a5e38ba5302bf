"""Student processes: started as the student user, metered, and ended for sure.

Every process that runs student code (the app server, the python proxy, and
the interpreter a warm sandbox starts before the request: prestart.py) is
started here (spawn), so this is the one place that knows the rules: the student
user, an empty supplementary group list, a new session, the workspace as
cwd, a minimal environment, stdin from /dev/null and stdout+stderr into a
metered pipe. Nothing the student starts can reach the report's descriptor:
it is not inherited (close_fds) and /proc/<harness>/fd is closed to the uid.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader_harness import reaper
from grader_harness.output import OutputMeter, Tail
from grader_harness.phases import OutputPhases


@dataclass(frozen=True)
class StudentUser:
    uid: int
    gid: int


def lookup_user(name: str | None) -> StudentUser | None:
    """The student user's ids, or None to run student processes as ourselves."""
    if name is None:
        return None
    entry = pwd.getpwnam(name)  # KeyError: the image has no such user (a fault)
    return StudentUser(entry.pw_uid, entry.pw_gid)


def student_env(workspace: Path) -> dict[str, str]:
    """Only what a Python program needs: nothing of the harness's environment."""
    bindir = os.path.dirname(sys.executable)
    return {
        "PATH": f"{bindir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(workspace),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def _become(user: StudentUser | None) -> Callable[[], None]:
    """The child's last steps before exec.

    We drop the uid here rather than with Popen(user=, group=, extra_groups=):
    subprocess runs preexec_fn *after* its own setreuid, and a process whose
    uid just changed is made non-dumpable by the kernel, so /proc/self is then
    owned by root and the student can no longer write oom_score_adj (measured:
    EACCES). Order here: raise oom_score_adj while still root, then drop the
    supplementary groups, the gid, the uid (setuid as root sets all three
    uids, so there is no way back). Raw os calls only: this runs in a forked
    child of a threaded process, where taking Python-level locks could hang.
    """

    def run() -> None:
        try:
            # 1000: the kernel's OOM killer takes this process before the harness.
            fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
            try:
                os.write(fd, b"1000")
            finally:
                os.close(fd)
        except OSError:
            pass  # a kernel without the file (or gVisor refusing it) is no reason to fail
        if user is not None:
            os.setgroups([])
            os.setgid(user.gid)
            os.setuid(user.uid)

    return run


def spawn(argv: Sequence[str], cwd: Path, user: StudentUser | None, *, env: dict[str, str],
          pass_fds: Sequence[int] = ()) -> tuple[subprocess.Popen[bytes], int]:
    """Start a process by the rules above; returns it and the read end of
    its stdout+stderr pipe (nobody reads it yet: StudentProcesses.adopt)."""
    read_fd, write_fd = os.pipe()
    try:
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write_fd,
            stderr=write_fd,
            start_new_session=True,
            close_fds=True,
            pass_fds=tuple(pass_fds),
            preexec_fn=_become(user),
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)  # the child holds its own copy
    return popen, read_fd


class StudentProcess:
    def __init__(self, name: str, popen: subprocess.Popen[bytes], tail: Tail,
                 reader: threading.Thread) -> None:
        self.name = name
        self.popen = popen
        self.tail = tail
        self.reader = reader
        self.killed_by_us = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def killed_for_memory(self) -> bool:
        # Out of memory: in the sandbox only the kernel's OOM killer, the
        # harness and the student itself can SIGKILL a student process. We
        # know when we did; a student killing itself only costs itself. So a
        # SIGKILL death we did not cause is taken as the memory limit, and
        # memory.py corroborates from the cgroup's counters.
        return self.popen.returncode == -signal.SIGKILL and not self.killed_by_us

    def exit_text(self) -> str:
        code = self.popen.returncode
        if code is None:
            return "is still running"
        if code < 0:
            try:
                return f"was stopped by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"was stopped by signal {-code}"
        return f"exited with code {code}"


class StudentProcesses:
    """All student processes of one run, their output meter and their end."""

    def __init__(self, workspace: Path, user: StudentUser | None, output_limit: int,
                 output_policy: str = "public") -> None:
        self.workspace = workspace
        self.user = user
        self.meter = OutputMeter(output_limit, self.kill_all)
        # What of that output the student may see (the exercise's policy).
        self.phases = OutputPhases(self.meter, output_policy)
        self._procs: list[StudentProcess] = []
        self._lock = threading.RLock()

    def start(self, name: str, argv: Sequence[str], *, env: dict[str, str] | None = None,
              pass_fds: Sequence[int] = ()) -> StudentProcess:
        self.phases.process_started()
        popen, read_fd = spawn(argv, self.workspace, self.user,
                               env={**student_env(self.workspace), **(env or {})},
                               pass_fds=pass_fds)  # fmt: skip
        return self.adopt(name, popen, read_fd)

    def adopt(self, name: str, popen: subprocess.Popen[bytes], read_fd: int) -> StudentProcess:
        """Meter and own a process spawn() started: one started before the
        run (prestart.py) joins it here. The caller tells the phases when
        it takes the process (process_started), as start() does."""
        tail = Tail()
        reader = self.meter.start_reader(read_fd, tail, f"output-{name}-{popen.pid}")
        proc = StudentProcess(name, popen, tail, reader)
        with self._lock:
            self._procs.append(proc)
        return proc

    @property
    def output_exceeded(self) -> bool:
        return self.meter.exceeded

    def memory_exceeded(self) -> bool:
        with self._lock:
            procs = list(self._procs)
        return any(p.poll() is not None and p.killed_for_memory() for p in procs)

    def kill_all(self) -> None:
        """End every student process, including ones the student forked."""
        with self._lock:
            procs = list(self._procs)
            for proc in procs:
                # Poll first: a process that already died keeps its own cause.
                if proc.poll() is None:
                    proc.killed_by_us = True
            if self.user is not None:
                reaper.kill_uid(self.user.uid, keep={p.pid for p in procs})
            else:
                for proc in procs:
                    reaper.kill_group(proc.pid)
            for proc in procs:
                proc.wait(2.0)

    def close(self) -> str:
        """Kill everything, wait for the pipes to drain; returns the author's
        tail of the output (all of it; `student_output` is the student's)."""
        self.kill_all()
        with self._lock:
            readers = [p.reader for p in self._procs]
        for reader in readers:
            reader.join(1.0)
        return self.meter.tail.text()

    def student_output(self) -> str:
        """The tail the exercise's output policy lets the student see."""
        return self.phases.student_text()
