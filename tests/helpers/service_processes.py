"""Real processes and servers of the service tests, each ours and stopped by
pid: a redis-server, Celery worker processes, a webhook receiver; and the
small tools around them (a free port, waiting, a child's GRADER_* environment)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import redis

from grader.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
FAKE_WORKER = "tests.helpers.fake_worker"  # run with python -m from REPO_ROOT

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A redis-server of our own: loopback only, no persistence (so a restart
    loses the queue, the worst case the service must survive)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # our own child, by pid
            self.proc.wait(timeout=10)
            self.proc = None


class WorkerProcess:
    """A real Celery worker in its own process group (so a test can kill -9
    all of it, pool children included, and only it)."""

    def __init__(self, name: str, env: dict[str, str], log: Path, *, fake: bool = True,
                 beat: bool = False, concurrency: int = 1) -> None:
        import sys

        entry = ["-m", FAKE_WORKER] if fake else ["-m", "celery", "-A", "worker.app"]
        self.argv = [sys.executable, *entry, "worker", "-n", f"{name}@%h", "-c",
                     str(concurrency), "-Q", "grading", "--loglevel=INFO",
                     "--without-gossip", "--without-mingle", "--without-heartbeat",
                     *(["-B", "-s", str(log.with_suffix(".beat"))] if beat else [])]
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> WorkerProcess:
        handle = self.log.open("ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=handle, stderr=handle,
                                     cwd=REPO_ROOT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while " ready." not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        return self

    def kill9(self) -> None:
        import os
        import signal

        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)  # its own group: main process and pool
        self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        import os
        import signal

        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.proc = None


def wait_for(predicate: Any, timeout: float = 30, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def service_env(settings: Settings, **extra: object) -> dict[str, str]:
    """GRADER_* variables that give a child process the same service settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    values: dict[str, object] = {
        "exercises_dir": settings.exercises_dir, "data_dir": settings.data_dir,
        "database_url": settings.database_url, "redis_url": settings.redis_url,
        "grade_retry_backoff_seconds": 0.2, "grade_max_retries": 2,
        "webhook_backoff_seconds": 0.2, "sweep_interval_seconds": 1,
        **extra,
    }
    env.update({f"GRADER_{k.upper()}": str(v) for k, v in values.items()})
    return env


class Receiver:
    """A webhook receiver on 127.0.0.1 that fails its first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), body))
                self.send_response(500 if len(outer.calls) <= failures else 204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
