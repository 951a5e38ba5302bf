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

A warm sandbox that gets no request within --idle-seconds exits without a
report (EXIT_IDLE); the host has dropped it from its pool by then.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import select

from grader_harness.protocol import Layout
from grader_harness.runners import RUNNERS

EXIT_IDLE = 4
DEFAULT_IDLE_SECONDS = 120.0


def warm_up(runner: str, layout: Layout) -> None:
    """Everything a grading of `runner` loads or starts before it reads its files."""
    from grader_harness.sql import prestart

    spec = RUNNERS[runner]
    if spec.starts_server_early:
        prestart.start(layout)  # in the background, while the imports below run
    importlib.import_module("grader_harness.grade")
    importlib.import_module(spec.module)
    # pytest.main() imports its built-in plugins itself, after the request
    # came: load them now (about 60 ms in the sandbox).
    from _pytest.config import default_plugins

    for name in default_plugins:
        # A plugin another pytest version lacks is simply not preloaded.
        with contextlib.suppress(ImportError):
            importlib.import_module(f"_pytest.{name}")
    prestart.wait()  # ready means ready: the server accepts connections too


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
