"""What a student interpreter started ahead (prestart.py) imports while it
waits, and what it is told to become when it is released: the environment,
working directory, sys.path entries and module the cold command would have
had (waiting_student.py carries it out, as the student).

None (no command) whenever the interpreter cannot become exactly that cold
process: the grading then starts the student's process cold, as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader_harness import clock_shim
from grader_harness.app_env import check_env
from grader_harness.student import student_env

# The folder holding the grader_harness package: a student process started
# with the proxy (python runner) imports the proxy's modules from here.
HARNESS_ROOT = str(Path(__file__).resolve().parent.parent)

# What each runner's student process imports before it runs student code
# (ctypes and datetime: the clock shim's, about 15 ms).
PRELOAD = {
    "http-app": ("ctypes", "datetime", "runpy", "asyncio", "uvicorn", "uvicorn.main",
                 "uvicorn.config", "uvicorn.server", "uvicorn.lifespan.on",
                 "uvicorn.loops.auto", "uvicorn.loops.asyncio",
                 "uvicorn.protocols.http.auto", "uvicorn.protocols.http.h11_impl",
                 "uvicorn.protocols.http.httptools_impl", "uvicorn.protocols.websockets.auto",
                 "fastapi", "fastapi.routing", "fastapi.responses", "starlette.applications",
                 # What the app's first request loads (about 20 ms here).
                 "anyio._backends._asyncio", "anyio.streams.memory", "anyio.streams.stapled",
                 "encodings.idna", "unicodedata"),
    # Not proxy_server itself: runpy runs it as __main__, and a copy already
    # imported would make it warn into the student's output.
    "python": ("ctypes", "datetime", "runpy", "json", "struct", "traceback", "importlib",
               "grader_harness.wire", "grader_harness.clock_shim"),
}  # fmt: skip
# Read by the C library or Python only when a process starts: an exercise
# setting one gets the cold start, where they are in place from the first instruction.
STARTUP_ONLY_ENV = ("LANG", "LANGUAGE", "LC_", "MALLOC_", "GLIBC_", "OPENSSL_", "SSL_", "TMPDIR",
                    "TEMP", "TMP")  # fmt: skip


def takes_env(extra: dict[str, str]) -> bool:
    """Whether a started interpreter can take these exercise variables (none
    is read only when a process starts)."""
    return not any(name.startswith(STARTUP_ONLY_ENV) for name in extra)


def command(runner: str, workspace: Path, clock_fd: int, options: dict[str, Any], port: int,
            proxy_fds: tuple[int, int] | None) -> dict[str, Any] | None:  # fmt: skip
    """What the cold command of `runner` would have had; None when it cannot
    be given. `clock_fd`: the run's clock as the interpreter holds it;
    `proxy_fds`: python's proxy pipes, their numbers in the interpreter."""
    ws = str(workspace)
    if runner == "http-app":
        app = options.get("app")
        try:
            extra = check_env(options.get("env", {}))
        except ValueError:
            return None  # the fixture's cold start reports the exercise's fault
        if not isinstance(app, str) or not takes_env(extra):
            return None
        return {"env": {**student_env(workspace), **extra}, "cwd": ws, "path": ["", ws],
                "module": "uvicorn", "clock_fd": clock_fd,
                "clock_source": Path(clock_shim.__file__).read_text(encoding="utf-8"),
                "args": [app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                         "--no-proxy-headers", "--app-dir", ws]}  # fmt: skip
    module = options.get("module")
    if runner != "python" or not isinstance(module, str) or proxy_fds is None:
        return None
    # The proxy's own argv: it installs the clock and imports the module itself.
    return {"env": {**student_env(workspace), "PYTHONPATH": HARNESS_ROOT}, "cwd": ws,
            "path": [], "module": "grader_harness.proxy_server",
            "args": [module, *map(str, proxy_fds), str(clock_fd)]}  # fmt: skip
