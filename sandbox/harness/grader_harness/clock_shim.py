"""The student's side of the `clock` fixture. Runs AS THE STUDENT, before their code.

    python -c "<this file's source>" FD -m MODULE ARGS...   (the http-app runner)
    install(FD)                                             (the python runner's proxy)

Wraps the wall clock of this process so it reads the real time plus an
offset: time.time, time.time_ns, time.gmtime/localtime/ctime/strftime
without a time argument, datetime.datetime.now/utcnow/today and
datetime.date.today. The offset (integer nanoseconds, ASCII) is read from
FD on every call: a read-only descriptor of a file the harness owns and
rewrites (clock.py), in a folder the student's user cannot enter.

time.monotonic and time.perf_counter are left alone: the event loop and
every timeout measure with them, and a jump would fire them all at once.
The datetime types are patched in place (their identity stays, so
isinstance, pydantic and FastAPI see the real classes). Pure stdlib, and
it imports nothing of the harness: under the http-app runner the student's
process gets this source as its `-c` program, not a module path.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

_OFFSET_BYTES = 64


def _patch_type(cls: type, name: str, value: object) -> None:
    """Set an attribute on a C type (datetime's are immutable): through the
    type's own dict, then tell the interpreter its method cache is stale."""
    import ctypes
    import gc

    mapping = cls.__dict__
    inner = [d for d in gc.get_referents(mapping) if isinstance(d, dict)]
    if len(inner) != 1 or name not in inner[0]:
        raise RuntimeError(f"cannot patch {cls.__name__}.{name}")
    inner[0][name] = value
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(cls))


def install(fd: int) -> None:
    import datetime as dt

    real_time, real_time_ns = time.time, time.time_ns
    real_gmtime, real_localtime = time.gmtime, time.localtime
    real_ctime, real_strftime = time.ctime, time.strftime

    def offset_ns() -> int:
        try:
            raw = os.pread(fd, _OFFSET_BYTES, 0)
            return int(raw.strip() or b"0")
        except (OSError, ValueError):
            return 0  # the descriptor closed by the student's own code: real time

    def fake_time() -> float:
        return real_time() + offset_ns() / 1e9

    def fake_time_ns() -> int:
        return real_time_ns() + offset_ns()

    def gmtime(secs: float | None = None) -> time.struct_time:
        return real_gmtime(fake_time() if secs is None else secs)

    def localtime(secs: float | None = None) -> time.struct_time:
        return real_localtime(fake_time() if secs is None else secs)

    def ctime(secs: float | None = None) -> str:
        return real_ctime(fake_time() if secs is None else secs)

    def strftime(format: str, t: Any = None) -> str:
        return real_strftime(format, localtime() if t is None else t)

    def now(cls: type[dt.datetime], tz: dt.tzinfo | None = None) -> dt.datetime:
        return cls.fromtimestamp(fake_time(), tz)

    def utcnow(cls: type[dt.datetime]) -> dt.datetime:
        return cls.fromtimestamp(fake_time(), dt.UTC).replace(tzinfo=None)

    def today(cls: type[dt.date]) -> dt.date:
        return cls.fromtimestamp(fake_time())

    for name, value in (("time", fake_time), ("time_ns", fake_time_ns), ("gmtime", gmtime),
                        ("localtime", localtime), ("ctime", ctime), ("strftime", strftime)):
        setattr(time, name, value)
    _patch_type(dt.datetime, "now", classmethod(now))
    _patch_type(dt.datetime, "utcnow", classmethod(utcnow))
    _patch_type(dt.date, "today", classmethod(today))


def main(argv: list[str]) -> None:
    """FD -m MODULE ARGS...: install the clock, then run MODULE as __main__."""
    import runpy

    if len(argv) < 3 or argv[1] != "-m":
        raise SystemExit("usage: FD -m MODULE ARGS...")
    install(int(argv[0]))
    sys.argv = [argv[2], *argv[3:]]
    runpy.run_module(argv[2], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
