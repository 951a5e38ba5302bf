"""A PostgreSQL server for one grading (or one image build), run as the postgres user.

The harness is root without CAP_CHOWN or CAP_DAC_OVERRIDE in the sandbox,
so it can neither read the template cluster (postgres, 0700) nor chown a
copy: every file step runs in a child that has become the postgres user.
Connections go over a Unix socket with trust authentication: in the sql
runner no student process exists, only the harness's own connections.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg

from grader_harness.sql.settings import ADMIN_ROLE, DATABASE, OS_USER, POSTGRES_BIN

READY_SECONDS = 15.0


class ServerFailed(RuntimeError):
    """The server did not start or a build step failed: the exercise's or the image's fault."""


def _as_postgres() -> Callable[[], None] | None:
    """preexec_fn that drops to the postgres user (None when we are not root)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(OS_USER)

    def become() -> None:
        os.setgroups([])
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return become


def run_as_postgres(argv: Sequence[str]) -> None:
    done = subprocess.run(list(argv), preexec_fn=_as_postgres(), capture_output=True, text=True,
                          check=False, env={"PATH": f"{POSTGRES_BIN}:/usr/bin:/bin",
                                            "LANG": "C.UTF-8"})  # fmt: skip
    if done.returncode != 0:
        raise ServerFailed(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def binary(name: str) -> str:
    path = POSTGRES_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        raise ServerFailed(f"PostgreSQL 15 ({path}) is not installed in this image")
    return found


class Server:
    """postgres -D data_dir, its socket in socket_dir; stop() ends it at once."""

    def __init__(self, data_dir: Path, socket_dir: Path) -> None:
        self.data_dir = data_dir
        self.socket_dir = socket_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False  # it accepted a connection (wait_ready)

    def launch(self) -> None:
        """Start postgres without waiting for it (wait_ready() does)."""
        argv = [binary("postgres"), "-D", str(self.data_dir), "-k", str(self.socket_dir)]
        self.proc = subprocess.Popen(argv, preexec_fn=_as_postgres(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     start_new_session=True)  # fmt: skip

    def start(self, ready_db: str = DATABASE) -> None:
        if self.proc is None:
            self.launch()
        if not self.ready:
            self.wait_ready(ready_db)

    def wait_ready(self, ready_db: str = DATABASE) -> None:
        assert self.proc is not None
        socket = self.socket_dir / ".s.PGSQL.5432"
        give_up = time.monotonic() + READY_SECONDS
        while True:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise ServerFailed(f"postgres exited with {self.proc.returncode}: {err[-2000:]}")
            if socket.exists():
                try:
                    self.connect(ADMIN_ROLE, ready_db).close()
                    self.ready = True
                    return
                except psycopg.OperationalError:
                    pass  # "the database system is starting up"
            if time.monotonic() > give_up:
                self.stop()
                raise ServerFailed(f"postgres did not accept connections within {READY_SECONDS} s")
            time.sleep(0.005)

    def connect(self, role: str, dbname: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(host=str(self.socket_dir), user=role, dbname=dbname,
                               connect_timeout=5)  # fmt: skip

    def stop(self, *, fast: bool = False) -> None:
        """Immediate shutdown (SIGQUIT) by default: the copy is thrown away.
        fast=True (SIGINT) checkpoints first, for the image's template."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGINT if fast else signal.SIGQUIT)
        except PermissionError:
            return  # no CAP_KILL: the container's end stops it
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
