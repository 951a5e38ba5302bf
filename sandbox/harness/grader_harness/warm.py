"""Warm start (--warm RUNNER): the harness loads before the request exists.

The host's warm pool (sandbox/pool.py) starts a sandbox ahead of the next
submission. Its harness imports pytest and the runner's modules (the sql
runner also starts its server), then waits for the request. So a grading no
longer pays for the container's start, the imports or the server's start:
about 0.8 s of a 1.35 s SQL grading on these machines (bench/sql_startup.py).

Two things differ from a cold start, both on purpose:
- the request is one line, not "everything until EOF": the host attaches to
  a container that is already running, and such an attach cannot close the
  container's stdin (Docker closes it only for the first attach, StdinOnce);
- the grading's clock starts when the request arrives, so the time a warm
  container waited is never counted against the student's wall-time limit.

The http-app and python runners also start the student's interpreter ahead
(prestart.py): as the student user, with uvicorn and FastAPI (or the proxy's
modules) imported, waiting for its command; --no-prestart leaves it out
(bench/student_ready.py compares). Failing to start it is no fault: the
grading then starts the student's process cold, as before.

A warm sandbox that gets no request within --idle-seconds exits without a
report (EXIT_IDLE); the host has dropped it from its pool by then.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import select
import sys

from grader_harness import prestart as student_prestart
from grader_harness.protocol import Layout
from grader_harness.runners import RUNNERS

EXIT_IDLE = 4
DEFAULT_IDLE_SECONDS = 120.0


def warm_up(runner: str, layout: Layout, student: bool = True) -> student_prestart.Waiting | None:
    """Everything a grading of `runner` loads or starts before it reads its
    files; returns the student's waiting interpreter, if it has one."""
    from grader_harness.sql import prestart

    spec = RUNNERS[runner]
    if spec.starts_server_early:
        prestart.start(layout)  # in the background, while the imports below run
    waiting = start_student(runner, layout) if student else None  # its imports run meanwhile
    grade = importlib.import_module("grader_harness.grade")
    importlib.import_module(spec.module)
    # pytest.main() imports its built-in plugins itself, after the request
    # came: load them now (about 60 ms in the sandbox).
    from _pytest.config import default_plugins

    for name in default_plugins:
        if name in grade.UNUSED_PLUGINS:
            continue
        # A plugin another pytest version lacks is simply not preloaded.
        with contextlib.suppress(ImportError):
            importlib.import_module(f"_pytest.{name}")
    prestart.wait()  # ready means ready: the server accepts connections too
    if waiting is not None and not student_prestart.wait_ready(waiting):
        print("grader_harness: the student interpreter did not get ready: cold start",
              file=sys.stderr, flush=True)
        waiting.discard()
        return None
    return waiting


def start_student(runner: str, layout: Layout) -> student_prestart.Waiting | None:
    try:
        return student_prestart.start(runner, layout)
    except Exception as exc:  # the grading starts cold: slower, never wrong
        print(f"grader_harness: no student interpreter started ahead: {exc!r}",
              file=sys.stderr, flush=True)
        return None


def read_request(fd: int, idle_seconds: float) -> bytes | None:
    """The request's line (without its newline), or None when nothing came
    within idle_seconds, or stdin was closed before a byte of it arrived."""
    ready, _, _ = select.select([fd], [], [], idle_seconds)
    if not ready:
        return None
    chunks: list[bytes] = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:  # EOF ends the line too
            break
        end = chunk.find(b"\n")
        if end >= 0:
            chunks.append(chunk[:end])
            break
        chunks.append(chunk)
    return b"".join(chunks) or None
