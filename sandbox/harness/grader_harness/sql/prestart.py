"""Starting the sql runner's server while the harness is still importing pytest.

Copying the template and starting postgres (about 0.1 s in the sandbox) are
other processes' work, so they overlap the harness's imports (pytest,
psycopg: about 0.2 s). The thread also waits until the server accepts
connections and opens the session's (session.CONNECTIONS): in a warm
sandbox all of it is done before the request comes. __main__ calls begin()
as soon as it has read the request (a warm start, warm.py, calls start()
before the request came); the runner's session fixture takes the server and
connections over with take().
Stdlib only until the thread runs: nothing here may slow the other runners.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader_harness.protocol import Layout
from grader_harness.runners import find_runner


@dataclass
class Prestart:
    template: Path
    scratch: Path
    thread: threading.Thread | None = None
    error: BaseException | None = None
    server: object | None = None  # a sql.server.Server once launched
    connections: dict[str, Any] = field(default_factory=dict)  # name -> psycopg.Connection
    copy_seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        try:
            from grader_harness.sql.server import Server, run_as_postgres

            began = time.monotonic()
            run_as_postgres(["cp", "-a", str(self.template), str(self.scratch / "data")])
            self.copy_seconds = time.monotonic() - began
            from grader_harness.sql.session import CONNECTIONS

            server = Server(self.scratch / "data", self.scratch)
            server.launch()
            self.server = server
            server.wait_ready()
            for name, role in CONNECTIONS.items():
                self.connections[name] = server.connect(role)
        except BaseException as exc:  # handed to the fixture, which reports it
            self.error = exc
        finally:
            self.done.set()


_PENDING: Prestart | None = None


def scratch_dir(configured: Path) -> Path:
    """The sandbox's tmpfs; on the host (golden tests) a fresh folder the
    postgres user may write in."""
    if configured.is_dir():
        return configured
    made = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    os.chmod(made, 0o1777)
    return made


def begin(raw: bytes, layout: Layout) -> None:
    """Start the server in the background if the request's runner starts one early."""
    try:
        runner = json.loads(raw).get("config", {}).get("runner")
    except (ValueError, AttributeError):
        return  # grade() answers a bad request properly
    spec = find_runner(runner)
    if spec is not None and spec.starts_server_early:
        start(layout)


def start(layout: Layout) -> None:
    """Start the server in the background (an image without a template has none)."""
    global _PENDING
    if _PENDING is not None or not layout.sql_template.is_dir():
        return
    _PENDING = Prestart(layout.sql_template, scratch_dir(layout.sql_scratch))
    _PENDING.thread = threading.Thread(target=_PENDING.run, name="sql-prestart", daemon=True)
    _PENDING.thread.start()


def wait() -> None:
    """Until the background start (if any) is done; it stays to be taken."""
    if _PENDING is not None:
        _PENDING.done.wait()


def take() -> Prestart | None:
    """The background start, finished (once; None if there was none)."""
    global _PENDING
    pending, _PENDING = _PENDING, None
    if pending is not None:
        pending.done.wait()
    return pending


def abandon() -> None:
    """Stop a server nobody took over (the request was refused before the tests)."""
    pending = take()
    for conn in pending.connections.values() if pending is not None else ():
        conn.close()
    stop = getattr(pending.server, "stop", None) if pending is not None else None
    if stop is not None:
        stop()
