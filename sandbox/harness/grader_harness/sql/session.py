"""One grading's database: a fresh copy of the template, the student's indexes,
and the queries tests run on the student's and the reference's schemas.

Every statement goes through the extended protocol (prepare=True), which
refuses more than one command per statement whatever our own splitter
thought. Queries run in a read-only transaction that is rolled back, as a
role that may only SELECT from its own schemas and cannot call set_config()
or anything that tells one execution from another (lockdown.py). Each
execution's plan, with its actual rows and buffers, comes from auto_explain
on the same connection (measure.py): the buffers graded are those of the
execution whose rows are graded, never of a second, separate EXPLAIN. Index
DDL runs as the tables' owner (PostgreSQL 15 lets nobody else create
an index) after the grammar check of statements.py; the roles' privileges,
not that check, are the security boundary.
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
from grader_harness.sql.measure import PlanCollector
from grader_harness.sql.plan import PlanSummary, measurement_problem
from grader_harness.sql.server import Server, run_as_postgres
from grader_harness.sql.settings import OWNER_ROLE, REFERENCE_PREFIX, REFERENCE_ROLE, STUDENT_ROLE
from grader_harness.sql.sqlstate import DATA_CLASSES, describe, error_class
from grader_harness.sql.statements import SqlFileError, index_statements

SIDES = ("student", "reference")
# The session's connections: name -> role. prestart.py may open them early.
CONNECTIONS = {"student": STUDENT_ROLE, "reference": REFERENCE_ROLE, "owner": OWNER_ROLE}


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
        # One execution per (side, text, dataset, params) gives both the rows
        # and the plan that are graded (measure.py); the data is read-only and
        # frozen, so tests asking twice (rows, then two credit tiers) pay once.
        self._runs: dict[tuple[str, str, str, str], tuple[Result, PlanSummary, str | None]] = {}
        self._plans = {side: PlanCollector() for side in SIDES}
        self._warmed: set[tuple[str, str, str]] = set()

    def start(self, prestarted: Server | None = None, copy_seconds: float = 0.0,
              connections: dict[str, psycopg.Connection] | None = None) -> None:  # fmt: skip
        """Copy the template and start the server, or adopt the server (and
        the connections, CONNECTIONS) that prestart.py started."""
        began = time.monotonic()
        if prestarted is None:
            run_as_postgres(["cp", "-a", str(self.template), str(self.server.data_dir)])
            copy_seconds = time.monotonic() - began
        else:
            self.server = prestarted
        copied = time.monotonic()
        self.server.start()
        self.timings = Timings(copy=copy_seconds, start=time.monotonic() - copied)
        for side, role in CONNECTIONS.items():
            opened = (connections or {}).get(side)
            self._conns[side] = opened if opened is not None else self.server.connect(role)
            if side in self._plans:
                self._conns[side].add_notice_handler(self._plans[side])
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
            # Two texts: PostgreSQL's message can quote the parameters and
            # rows a hidden test used, so hidden tests show only `safe`.
            failed = f"{what} failed on dataset {dataset!r}"
            raise SqlError(f"{failed}: {str(exc).strip()}", sqlstate=exc.sqlstate,
                           safe=f"{failed}: {describe(exc.sqlstate)}") from None  # fmt: skip
        return cur

    def _run(self, side: str, text: str, dataset: str, params: Sequence[Any],
             what: str) -> tuple[Result, PlanSummary]:  # fmt: skip
        """Rows and plan of one execution (cached); SqlError if they disagree."""
        __tracebackhide__ = True
        key = (side, text, dataset, repr(list(params)))
        if key not in self._runs:
            if key[:3] not in self._warmed:
                # Measured: a text's first execution on a connection reads a
                # few catalog pages more (caches being filled: 10 buffers
                # instead of 4), so its figure would depend on which test
                # ran first. One discarded run first; its rows and plan are
                # never used, so a query that behaves differently on it gains
                # nothing.
                self._fetch(side, text, dataset, params, what)
                self._warmed.add(key[:3])
            self._plans[side].clear()
            result = self._fetch(side, text, dataset, params, what)
            try:
                plan = self._plans[side].take(text)
                problem = measurement_problem(plan, len(result.rows))
            except ValueError as exc:  # more than one plan for one execution
                plan, problem = PlanSummary(0.0, 0, 0, ()), str(exc)
            self._runs[key] = (result, plan, problem)
        result, plan, problem = self._runs[key]
        if problem is not None:
            if side != "student":  # the exercise's own query: not the student's doing
                raise RuntimeError(f"{what} on dataset {dataset!r}: {problem}")
            raise SqlError(f"{what} on dataset {dataset!r}: {problem}")
        return Result(result.columns, list(result.rows)), plan

    def _fetch(self, side: str, text: str, dataset: str, params: Sequence[Any],
               what: str) -> Result:  # fmt: skip
        __tracebackhide__ = True
        cur = self._execute(side, text, dataset, params, what)
        try:
            columns = tuple(c.name for c in cur.description or ())
            return Result(columns, [tuple(row) for row in cur.fetchall()] if cur.description
                          else [])  # fmt: skip
        finally:
            # Ends the statement's executor: auto_explain's plan arrives.
            self._conns[side].rollback()

    def query(self, text: str, *, side: str = "student", dataset: str = "main",
              params: Sequence[Any] = (), what: str = "the query") -> Result:  # fmt: skip
        __tracebackhide__ = True
        return self._run(side, text, dataset, params, what)[0]

    def explain(self, text: str, *, side: str = "student", dataset: str = "main",
                params: Sequence[Any] = (), what: str = "the query") -> PlanSummary:  # fmt: skip
        """The plan, actual rows and buffers of the execution query() returns."""
        __tracebackhide__ = True
        return self._run(side, text, dataset, params, what)[1]

    def apply_indexes(self, text: str, filename: str, limit: int) -> None:
        """The student's index file on every dataset; SqlFileError/SqlError if refused."""
        began = time.monotonic()
        statements = index_statements(text, filename=filename, limit=limit, schemas=self.datasets)
        conn = self._conns["owner"]
        for dataset in self.datasets:
            cur = self._begin(conn, dataset)
            for number, statement in enumerate(statements, start=1):
                try:
                    cur.execute(statement.encode(), prepare=True)
                except psycopg.Error as exc:
                    conn.rollback()
                    # PostgreSQL's text about the student's own statement is
                    # what they need to fix it ("column x does not exist"), and
                    # index DDL sees no hidden test's inputs; but building the
                    # index evaluates it on every row, and data errors quote
                    # the row (a failed cast, a duplicate key): those say
                    # only their class.
                    message = str(exc).strip()
                    if error_class(exc.sqlstate) in DATA_CLASSES:
                        message = f"{describe(exc.sqlstate)} while building it on the data"
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
