"""The `clock` fixture: the wall clock of the student's process, moved by the tests.

The harness keeps one offset per run, in a file of its own: created in a
fresh folder under /tmp (0700, the harness's user), the file 0600. The
student's process gets only a read-only descriptor of it (clock_shim.py
reads it on every clock call); it can neither write the file nor open it
again by a path or through /proc/self/fd (both are closed to its user).
Tests move the offset; the app sees the new time on its next clock read,
without a restart and without waiting. The offset stays for the rest of the
run: like a real clock, time does not go back by itself.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from grader_harness import clock_shim

_WIDTH = 32  # fixed: a rewrite never leaves the tail of a longer number behind


class Clock:
    """What the tests hold: `advance(seconds)`, `set(datetime)`, `now()`."""

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="grader-clock-")
        path = os.path.join(self._folder, "offset")
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        # The student's copy: read-only, opened once and passed to each start.
        self.reader_fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        self._offset_ns = 0
        self._write()

    def _write(self) -> None:
        data = str(self._offset_ns).rjust(_WIDTH).encode("ascii")
        if len(data) != _WIDTH:
            raise ValueError("the clock cannot be moved that far")
        os.pwrite(self._fd, data, 0)

    @property
    def offset(self) -> float:
        """Seconds the student's clock is ahead of the real one (negative: behind)."""
        return self._offset_ns / 1e9

    def advance(self, seconds: float) -> None:
        """Move the student's wall clock `seconds` forward (negative: back)."""
        self._offset_ns += round(seconds * 1e9)
        self._write()

    def set(self, when: datetime) -> None:
        """Make the student's wall clock read `when` now (naive: UTC); it keeps running."""
        target = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
        self._offset_ns = round(target.timestamp() * 1e9) - time.time_ns()
        self._write()

    def time(self) -> float:
        """time.time() as the student's code sees it now."""
        return time.time() + self.offset

    def now(self) -> datetime:
        """The student's current time, as an aware datetime in UTC."""
        return datetime.fromtimestamp(self.time(), UTC)

    def close(self) -> None:
        for fd in (self._fd, self.reader_fd):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._folder, ignore_errors=True)


def shim_argv(executable: str, clock: Clock, module: str, args: list[str]) -> list[str]:
    """`python -m module args` with the clock installed first. The shim goes as
    the `-c` program: nothing of the harness becomes importable to the student."""
    source = Path(clock_shim.__file__).read_text(encoding="utf-8")
    return [executable, "-c", source, str(clock.reader_fd), "-m", module, *args]

