"""Engine, sessions and migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from grader.db.writer_queue import WriterQueue, begin_immediate

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
READONLY = "grader_readonly"
BUSY_TIMEOUT_MS = 30_000  # how long a statement waits for another process's lock


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" below open transactions, not pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL: readers never block the writer (API and workers share the file).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front. A deferred transaction that
        # reads and then writes fails at once with "database is locked" when
        # another process committed in between; this one waits (up to
        # busy_timeout, in short steps: writer_queue.begin_immediate). Within
        # a process, writers first queue on Database.writers (FIFO), so only
        # one of them at a time waits here, against other processes.
        # Read-only sessions (Database.reading) never write, so they need no
        # lock and do not queue behind writers (WAL readers never block).
        if conn.get_execution_options().get(READONLY, False):
            conn.exec_driver_sql("BEGIN")
            return
        begin_immediate(conn.connection.dbapi_connection, timeout=BUSY_TIMEOUT_MS / 1000,
                        busy_timeout_ms=BUSY_TIMEOUT_MS,
                        fallback=lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"))


class Database:
    """One engine and its session factory; create one per process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(
            self.engine.execution_options(**{READONLY: True}), expire_on_commit=False
        )
        # SQLite: this process's writers in arrival order (grader.db.writer_queue);
        # PostgreSQL has row locks and a fair lock queue of its own.
        self.writers: WriterQueue | None = WriterQueue() if self.is_sqlite else None

    @contextlib.contextmanager
    def session(self, *, arrived: float | None = None) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error.
        On SQLite it holds the process's writer queue until the commit, its
        turn by `arrived` (time.time() when the work arrived; default now)."""
        if self.writers is None:
            with self.sessions.begin() as session:
                yield session
            return
        with self.writers.hold(arrived), self.sessions.begin() as session:
            yield session

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only: on SQLite it takes no write lock (do not write in it)."""
        with self.read_sessions.begin() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to call from every process)."""
        with self._migration_lock():
            command.upgrade(alembic_config(self.url, self.engine), "head")

    @contextlib.contextmanager
    def _migration_lock(self) -> Iterator[None]:
        # The API and the worker both migrate on start. For SQLite a file lock
        # next to the database serialises them; PostgreSQL uses an advisory
        # lock inside env.py, which works across hosts too.
        database = make_url(self.url).database
        if not self.is_sqlite or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["engine"] = engine
    return config
