"""Ending every process of the student, even one that keeps forking.

In the sandbox everything running as the student's uid is the student's, so
we kill by uid: scan /proc, SIGKILL each live process of that uid, and scan
again until a scan finds none (a fork bomb forks between our scans, but every
scan kills what the last one saw; pids_limit bounds how many there are).
/proc/<pid>/status is read rather than the directory's owner: a process that
made itself non-dumpable shows /proc/<pid> as root's, but status stays true.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Collection, Iterable
from pathlib import Path

PROC = Path("/proc")
GIVE_UP_AFTER = 5.0


def _status(pid: int) -> tuple[str, list[int]] | None:
    """(state letter, [real, effective, saved, fs uid]) of a process, if it exists."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    state, uids = "", []
    for line in text.splitlines():
        if line.startswith("State:"):
            state = line.split()[1]
        elif line.startswith("Uid:"):
            uids = [int(x) for x in line.split()[1:]]
    return state, uids


def processes_of(uid: int) -> tuple[list[int], list[int]]:
    """(live pids, zombie pids) of processes with `uid` as any of their uids."""
    live: list[int] = []
    zombies: list[int] = []
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        status = _status(int(entry))
        if status is None or uid not in status[1]:
            continue
        (zombies if status[0] in ("Z", "X") else live).append(int(entry))
    return live, zombies


def _kill(pid: int, uid: int) -> None:
    # Through a pidfd when the kernel has them: once opened it names this very
    # process, so re-checking the uid and then signalling cannot hit a new
    # process that reused the pid in between.
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except OSError:
        os.kill(pid, signal.SIGKILL)  # no pidfd support (old kernel, some gVisor)
        return
    try:
        status = _status(pid)
        if status is not None and uid in status[1]:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass
    finally:
        os.close(pidfd)


def _reap(zombies: Iterable[int], keep: Collection[int]) -> None:
    """Reap orphans that were re-parented to us (when the harness is pid 1).

    Our own Popen children (`keep`) are left for Popen.wait, which needs
    their exit status to tell an out-of-memory kill."""
    for pid in zombies:
        if pid in keep:
            continue
        with contextlib.suppress(ChildProcessError):  # not ours: docker-init reaps it
            os.waitpid(pid, os.WNOHANG)


def kill_uid(uid: int, keep: Collection[int] = ()) -> None:
    if uid == 0 or uid == os.getuid():
        raise ValueError(f"refusing to kill every process of uid {uid}")
    give_up = time.monotonic() + GIVE_UP_AFTER
    while True:
        live, zombies = processes_of(uid)
        _reap(zombies, keep)
        if not live:
            return
        for pid in live:
            with contextlib.suppress(PermissionError):  # no CAP_KILL: reported below
                _kill(pid, uid)
        if time.monotonic() > give_up:
            print(f"grader_harness: {len(live)} student processes survived SIGKILL",
                  file=sys.stderr)
            return
        time.sleep(0.005)  # let the kernel finish the kills before scanning again


def kill_group(pgid: int) -> None:
    """Without a separate uid (golden tests on the host): the process group
    each student process leads (start_new_session=True)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
