"""The student interpreter a warm sandbox starts ahead. Runs AS THE STUDENT.

    python -P -c "<this file's source>" COMMAND_FD READY_FD PRELOAD[,PRELOAD...]

Started by prestart.py before the request exists, with the student's rules
(student.spawn: the student user, no groups, a new session, a minimal
environment, stdin /dev/null, output into the pipe the run will meter). It
imports PRELOAD (uvicorn and FastAPI for the http-app runner), says so with
one byte on READY_FD, then blocks reading COMMAND_FD; once the command is
read, a second byte says it is taken: whatever ends this process later is the
student's code, as in a cold process. Nothing of
the student exists yet: the workspace is empty, and what it holds of the
harness is what a cold student process holds too (its argv, its modules).

The command (one JSON document, then end of file) is what the cold start
would have put on the command line and in the environment: it sets the
environment, the cwd, sys.path's front entries, installs the `clock` shim
(clock_shim.py's source, sent along) and runs `python -m MODULE ARGS` as
runpy does for the cold process. End of file without a command: the warm
sandbox is going away unused; exit quietly.

Stdlib only and nothing of the harness imported, as clock_shim.py: it is a
`-c` program, so no harness module becomes importable by being run.
"""

import contextlib
import gc
import importlib
import json
import os
import sys
import time
from typing import Any


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _preload(names: str) -> None:
    # Imports make next to no garbage, yet allocate enough to set off the
    # collector's passes again and again: off, they take about 7% less CPU.
    # What they loaded lives as long as the process: frozen, later passes
    # (the student's own) skip it. The collector is on again for the student.
    gc.disable()
    try:
        for name in filter(None, names.split(",")):
            # An optional speed-up missing (uvloop, httptools): the cold start lacks it too.
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


def _install_clock(source: str, fd: int) -> None:
    namespace: dict[str, Any] = {"__name__": "clock_shim"}  # not __main__: its main() must not run
    exec(compile(source, "<clock_shim>", "exec"), namespace)
    namespace["install"](fd)


def _become_cold(command: dict[str, Any]) -> None:
    """This process as the cold command would have started it."""
    os.environ.clear()
    os.environ.update(command["env"])
    time.tzset()  # an exercise's TZ: libc read the environment at our start
    os.chdir(command["cwd"])
    sys.path[0:0] = command["path"]
    # The workspace's files were written after our start: forget what the
    # import system cached of its folders.
    importlib.invalidate_caches()
    if command.get("clock_fd") is not None:
        _install_clock(command["clock_source"], command["clock_fd"])


def main(argv: list[str]) -> None:
    command_fd, ready_fd = int(argv[0]), int(argv[1])
    _preload(argv[2] if len(argv) > 2 else "")
    os.write(ready_fd, b"r")
    data = _read_all(command_fd)
    os.close(command_fd)  # nothing of the harness stays open in the student's code
    if not data:
        os._exit(0)
    os.write(ready_fd, b"g")
    os.close(ready_fd)
    command = json.loads(data)
    _become_cold(command)
    import runpy

    sys.argv = [command["module"], *command["args"]]
    runpy.run_module(command["module"], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
