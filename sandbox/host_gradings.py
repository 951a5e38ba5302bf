"""How many gradings one worker runs right now, across its processes.

The warm pool (pool.py) starts a sandbox ahead only when a core is free of
grading (refill_gate.py says why). A prefork worker's processes each have
their own pool and know nothing of each other, so the count lives in a
folder they share: each grading holds an exclusive flock on a file of its
own there, named after its worker (the scope), for as long as it runs. A
lock dies with its process, so a killed process leaves at most a stale
file, which counts as idle (its lock can be taken) and is removed by the
next count that finds it old. Two workers on one host count apart
(deployments run one per host; tests run many).

Stdlib only, no Docker: the count is a listdir and a non-blocking flock per
file, some microseconds per grading running.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import os
import re
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# A file whose lock nobody holds and that is this old belongs to a process
# that died mid-grading: removed by the count that finds it.
STALE_SECONDS = 600.0
_SUFFIX = ".grading"


def default_folder() -> Path:
    """Per user, in memory where there is /dev/shm."""
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path(tempfile.gettempdir())
    return base / f"grader-gradings-{os.getuid()}"


def usable_cores() -> int:
    """The cores this process may run on (its affinity: a container's cpuset)."""
    return len(os.sched_getaffinity(0)) or 1


class HostGradings:
    def __init__(self, scope: str, folder: Path | None = None) -> None:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,64}", scope):
            raise ValueError(
                f"a gradings scope is 1-64 ASCII letters, digits and '-', not {scope!r}")
        self.scope = scope
        self.folder = folder or default_folder()
        self._serial = itertools.count()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Count one grading as running on this host while the block runs.
        Never raises for the count's sake: a grading is never refused for it."""
        claimed = self._claim()
        try:
            yield
        finally:
            if claimed is not None:
                fd, path = claimed
                with contextlib.suppress(OSError):
                    os.unlink(path)
                os.close(fd)

    def count(self) -> int:
        """Gradings running on this host now (whose files are locked)."""
        if not self._ours():
            return 0
        try:
            names = [n for n in os.listdir(self.folder)
                     if n.startswith(f"{self.scope}.") and n.endswith(_SUFFIX)]
        except OSError:
            return 0
        return sum(self._held(self.folder / name) for name in names)

    # --- the files ------------------------------------------------------

    def _claim(self) -> tuple[int, Path] | None:
        """Our file, created and locked (its descriptor and path); None: uncounted."""
        path = self.folder / (f"{self.scope}.{os.getpid()}-{threading.get_ident()}-"
                              f"{next(self._serial)}{_SUFFIX}")  # fmt: skip
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            if not self._ours():
                return None
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return None
        try:
            # Blocking: a count may hold it for a moment (it tries it, _held).
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # no locks here (ENOLCK): this grading goes uncounted
            with contextlib.suppress(OSError):
                os.unlink(path)
            os.close(fd)
            return None
        return fd, path

    def _ours(self) -> bool:
        """The folder is a real folder of this user's that nobody else may
        write in: another user's (made first, under our name in a shared
        /dev/shm) could hold locks to stop our refills. Not ours: no count."""
        try:
            found = os.lstat(self.folder)
        except OSError:
            return False
        return (stat.S_ISDIR(found.st_mode) and found.st_uid == os.getuid()
                and not found.st_mode & 0o022)  # fmt: skip

    @staticmethod
    def _held(path: Path) -> bool:
        """Whether a live grading holds `path`'s lock (a stale one is removed)."""
        try:
            # Never follow a link, never wait on a fifo: only our files are here.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return False  # its grading just ended
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        else:
            # Unlocked: created a moment ago and not locked yet, or its process died.
            with contextlib.suppress(OSError):
                if time.time() - os.fstat(fd).st_mtime > STALE_SECONDS:
                    os.unlink(path)
            return False
        finally:
            os.close(fd)  # releases our lock, if we took it
