"""One grading's database: a fresh copy of the template, the student's indexes,
and the queries tests run on the student's and the reference's schemas.

Every statement goes through the extended protocol (prepare=True), which
refuses more than one command per statement whatever our own splitter
thought. Queries run in a read-only transaction that is rolled back, as a
role that may only SELECT from its own schemas and cannot call set_config();
index DDL runs as the tables' owner (PostgreSQL 15 lets nobody else create
an index) after the allow-list in statements.py.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from grader_harness.errors import SqlError, StudentTimeout
from grader_harness.sql.plan import PlanSummary, parse_plan
from grader_harness.sql.server import Server, run_as_postgres
from grader_harness.sql.settings import OWNER_ROLE, REFERENCE_PREFIX, REFERENCE_ROLE, STUDENT_ROLE
from grader_harness.sql.statements import SqlFileError, index_statements

EXPLAIN = "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, SUMMARY OFF, FORMAT JSON) "
SIDES = ("student", "reference")


@dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


@dataclass
class Timings:
    copy: float = 0.0
    start: float = 0.0
    indexes: float = 0.0


class SqlSession:
    def __init__(self, template: Path, scratch: Path, datasets: Sequence[str],
                 timeout_seconds: float) -> None:  # fmt: skip
        self.datasets = tuple(datasets)
        self.timeout_ms = max(1, int(timeout_seconds * 1000))
        self.server = Server(scratch / "data", scratch)
        self.template = template
        self.timings = Timings()
        self._conns: dict[str, psycopg.Connection] = {}
        self._built_indexes: dict[str, set[str]] = {}
        # Plans are deterministic: tests asking twice (two credit tiers) pay once.
        self._plans: dict[tuple[str, str, str, str], PlanSummary] = {}

    def start(self, prestarted: Server | None = None, copy_seconds: float = 0.0) -> None:
        """Copy the template and start the server, or adopt one prestart.py launched."""
        began = time.monotonic()
        if prestarted is None:
            run_as_postgres(["cp", "-a", str(self.template), str(self.server.data_dir)])
            copy_seconds = time.monotonic() - began
        else:
            self.server = prestarted
        copied = time.monotonic()
        self.server.start()
        self.timings = Timings(copy=copy_seconds, start=time.monotonic() - copied)
        for side, role in (("student", STUDENT_ROLE), ("reference", REFERENCE_ROLE),
                           ("owner", OWNER_ROLE)):  # fmt: skip
            self._conns[side] = self.server.connect(role)
        for dataset in self.datasets:
            self._built_indexes[dataset] = {name for name, _ in self.indexes(dataset)}

    def close(self) -> None:
        for conn in self._conns.values():
            conn.close()
        self.server.stop()

    def _schema(self, side: str, dataset: str) -> str:
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, not {side!r}")
        if dataset not in self.datasets:
            raise ValueError(f"dataset {dataset!r} is not one of {self.datasets}")
        return dataset if side == "student" else REFERENCE_PREFIX + dataset

    def _begin(self, conn: psycopg.Connection, schema: str) -> psycopg.RawCursor[Any]:
        cur = psycopg.RawCursor(conn)
        # Our own text, both in one round trip (simple protocol: no parameters).
        cur.execute(sql.SQL("SET LOCAL search_path = {}; SET LOCAL statement_timeout = {}").format(
            sql.Identifier(schema), sql.Literal(self.timeout_ms)))  # fmt: skip
        return cur

    def _execute(self, side: str, text: str, dataset: str, params: Sequence[Any],
                 what: str) -> psycopg.RawCursor[Any]:  # fmt: skip
        __tracebackhide__ = True
        conn = self._conns[side]
        cur = self._begin(conn, self._schema(side, dataset))
        try:
            cur.execute(text.encode(), list(params), prepare=True)
        except psycopg.errors.QueryCanceled:
            conn.rollback()
            raise StudentTimeout(
                f"{what} was cancelled after {self.timeout_ms / 1000:g} s (statement_timeout)"
            ) from None
        except psycopg.Error as exc:
            conn.rollback()
            raise SqlError(f"{what} failed on dataset {dataset!r}: {str(exc).strip()}") from None
        return cur

    def query(self, text: str, *, side: str = "student", dataset: str = "main",
              params: Sequence[Any] = (), what: str = "the query") -> Result:  # fmt: skip
        __tracebackhide__ = True
        cur = self._execute(side, text, dataset, params, what)
        try:
            columns = tuple(c.name for c in cur.description or ())
            rows = [tuple(row) for row in cur.fetchall()] if cur.description else []
        finally:
            self._conns[side].rollback()
        return Result(columns, rows)

    def explain(self, text: str, *, side: str = "student", dataset: str = "main",
                params: Sequence[Any] = (), what: str = "the query") -> PlanSummary:  # fmt: skip
        __tracebackhide__ = True
        key = (side, text, dataset, repr(list(params)))
        if key not in self._plans:
            cur = self._execute(side, EXPLAIN + text, dataset, params, what)
            try:
                row = cur.fetchone()
            finally:
                self._conns[side].rollback()
            assert row is not None
            self._plans[key] = parse_plan(row[0])
        return self._plans[key]

    def apply_indexes(self, text: str, filename: str, limit: int) -> None:
        """The student's index file on every dataset; SqlFileError/SqlError if refused."""
        began = time.monotonic()
        statements = index_statements(text, filename=filename, limit=limit)
        conn = self._conns["owner"]
        for dataset in self.datasets:
            cur = self._begin(conn, dataset)
            for number, statement in enumerate(statements, start=1):
                try:
                    cur.execute(statement.encode(), prepare=True)
                except psycopg.Error as exc:
                    conn.rollback()
                    message = str(exc).strip()
                    raise SqlFileError(f"{filename}, statement {number}: {message}") from None
            conn.commit()
        self.timings.indexes = time.monotonic() - began

    def indexes(self, dataset: str) -> list[tuple[str, str]]:
        """(name, definition) of every index on the student's schema of `dataset`."""
        with self._conns["owner"].cursor() as cur:
            cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s "
                        "ORDER BY indexname", (self._schema("student", dataset),))  # fmt: skip
            found = [(str(name), str(definition)) for name, definition in cur.fetchall()]
        self._conns["owner"].rollback()
        return found

    def student_indexes(self, dataset: str = "main") -> list[str]:
        """Definitions of the indexes the student's files created (not the exercise's own)."""
        built = self._built_indexes.get(dataset, set())
        return [definition for name, definition in self.indexes(dataset) if name not in built]
