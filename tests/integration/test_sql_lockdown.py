"""The sql runner's lockdown and measurement against a real PostgreSQL 15 on the
host (no Docker): a template cluster built by sql/cluster.py, queried as the
student's role. Every function or view a query could use to tell one
execution from another is refused; what the exercises' queries need works;
rows and plan come from one execution."""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from grader_harness.errors import SqlError
from grader_harness.sql import cluster, lockdown
from grader_harness.sql.server import Server
from grader_harness.sql.session import SqlSession
from grader_harness.sql.settings import ADMIN_ROLE, AUTO_EXPLAIN, POSTGRES_BIN, STUDENT_ROLE

# docker: a real PostgreSQL server, so not in the fast loop (tests/conftest.py).
pytestmark = [pytest.mark.docker,
              pytest.mark.skipif(not (POSTGRES_BIN / "postgres").exists() or os.geteuid() != 0,
                                 reason="needs PostgreSQL 15 binaries and root (runs as postgres)")]

SCHEMA = """CREATE TABLE orders (id serial PRIMARY KEY, customer_id integer NOT NULL,
                                 total numeric(10, 2) NOT NULL, created_at timestamp NOT NULL);
CREATE INDEX orders_created_at ON orders (created_at);"""
# random() in a data file: the lockdown comes after the loads.
DATA = """SELECT setseed(0.25);
INSERT INTO orders (customer_id, total, created_at)
SELECT 1 + (random() * 99)::int, round((random() * 500)::numeric, 2),
       timestamp '2024-01-01' + g * interval '17 minutes' FROM generate_series(1, 20000) AS g;"""

# Each category of the brief, with real calls: all must be refused.
DENIED = {
    "statement text": ["SELECT current_query()"],
    "activity": ["SELECT count(*) FROM pg_stat_activity",
                 "SELECT * FROM pg_stat_get_activity(NULL)",
                 "SELECT pg_stat_get_backend_pid(1)", "SELECT count(*) FROM pg_locks",
                 "SELECT count(*) FROM pg_prepared_statements", "SELECT count(*) FROM pg_cursors"],
    "session": ["SELECT pg_backend_pid()", "SELECT inet_client_port()",
                "SELECT pg_postmaster_start_time()", "SELECT pg_conf_load_time()"],
    "transaction": ["SELECT txid_current()", "SELECT pg_current_xact_id()",
                    "SELECT txid_current_if_assigned()", "SELECT pg_current_snapshot()"],
    "advisory locks": ["SELECT pg_advisory_lock(1)", "SELECT pg_try_advisory_lock(1)",
                       "SELECT pg_advisory_xact_lock(1)", "SELECT pg_advisory_unlock_all()",
                       "SELECT pg_try_advisory_lock_shared(1, 2)"],
    "sequences": ["SELECT nextval('orders_id_seq')", "SELECT currval('orders_id_seq')",
                  "SELECT lastval()", "SELECT setval('orders_id_seq', 5)"],
    "volatile": ["SELECT random()", "SELECT clock_timestamp()", "SELECT timeofday()",
                 "SELECT setseed(0.5)", "SELECT gen_random_uuid()"],
    "sleep": ["SELECT pg_sleep(0)", "SELECT pg_sleep_for('0 s')"],
    "files": ["SELECT pg_read_file('/etc/hostname')", "SELECT pg_ls_dir('.')",
              "SELECT pg_stat_file('.')", "SELECT lo_get(1)", "SELECT lo_create(0)"],
    "counters": ["SELECT pg_stat_get_numscans('orders'::regclass)",
                 "SELECT pg_stat_get_xact_numscans('orders'::regclass)",
                 "SELECT count(*) FROM pg_stat_user_tables"],
    "nested queries": ["SELECT query_to_xml('SELECT 1', true, true, '')"],
    "notify": ["SELECT pg_notify('c', 'x')"],
}
# What the exercises' queries (and likely ones) use: all must work.
ALLOWED = [
    "SELECT id, total FROM orders WHERE created_at >= $1::date AND created_at < $1::date + 1",
    "SELECT id FROM orders WHERE date_trunc('day', created_at) = $1::date ORDER BY id",
    "SELECT id FROM orders WHERE (created_at, id) < ($1::timestamp, 500) "
    "ORDER BY created_at DESC, id DESC LIMIT 20",
    "SELECT customer_id, count(*), coalesce(sum(total), 0), max(created_at)::date "
    "FROM orders WHERE $1::date IS NOT NULL GROUP BY customer_id ORDER BY 3 DESC",
    "SELECT o.id, row_number() OVER (PARTITION BY customer_id ORDER BY total DESC) FROM orders o "
    "WHERE EXISTS (SELECT 1 FROM orders p WHERE p.id = o.id + 1) AND o.created_at < $1",
    "SELECT json_agg(id), string_agg(total::text, ','), array_agg(lower('X')) FROM orders "
    "WHERE extract(dow FROM created_at) = 1 AND to_char(created_at, 'YYYY') = '2024' "
    "AND created_at > now() - interval '100 years' AND $1::date < current_date",
    "SELECT pg_relation_size('orders') > 0, statement_timestamp() <= now() + interval '1 day', "
    "count(*) FROM generate_series(1, 3) WHERE $1::date IS NOT NULL",
    "SELECT to_tsvector('english', 'running dogs') @@ to_tsquery('english', 'dog'), "
    "'abc' ILIKE 'A%', 'abc' ~ '^a', CASE WHEN $1::date > '2000-01-01' THEN 1 END",
]


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    # Not under pytest's tmp folders (0700): the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="grader-sql-lockdown-"))
    root.chmod(0o755)
    (root / "data").mkdir()
    (root / "data" / "schema.sql").write_text(SCHEMA)
    (root / "data" / "main.sql").write_text(DATA)
    (root / "reference").mkdir()
    cluster.build(root / "data", root / "reference", root / "pgdata", {"datasets": ["main"]})
    yield root / "pgdata"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def session(template: Path) -> Iterator[SqlSession]:
    scratch = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    scratch.chmod(0o1777)
    sql_session = SqlSession(template, scratch, ["main"], timeout_seconds=5)
    sql_session.start()
    yield sql_session
    sql_session.close()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def student(session: SqlSession) -> Iterator[psycopg.Connection]:
    with session.server.connect(STUDENT_ROLE) as conn:
        conn.execute("SET search_path = main")
        conn.commit()
        yield conn


@pytest.mark.parametrize("query", [q for queries in DENIED.values() for q in queries])
def test_denied_to_the_student(student: psycopg.Connection, query: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        student.execute(query.encode())
    student.rollback()


def test_no_temporary_objects_even_in_a_read_write_transaction(student: psycopg.Connection,
                                                               ) -> None:  # fmt: skip
    student.execute("SET TRANSACTION READ WRITE")
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="temporary"):
        student.execute("CREATE TEMP TABLE kept (n integer)")
    student.rollback()


def test_auto_explain_is_on_for_the_student_and_out_of_its_reach(
        student: psycopg.Connection) -> None:  # fmt: skip
    for name, value in AUTO_EXPLAIN.items():
        shown = student.execute(f"SHOW {name}".encode()).fetchone()
        assert shown is not None and shown[0] in (value, "0", "json")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            student.execute(f"SET {name} = DEFAULT".encode())
        student.rollback()


def test_no_denied_function_is_behind_an_operator_cast_or_aggregate(session: SqlSession) -> None:
    """Revoking those would break ordinary queries (EXECUTE is checked for them too)."""
    with session.server.connect(ADMIN_ROLE) as admin:
        denied = set(lockdown.denied_functions(admin))
        used = admin.execute(
            "SELECT oprcode::regprocedure::text FROM pg_operator UNION "
            "SELECT castfunc::regprocedure::text FROM pg_cast WHERE castfunc <> 0 UNION "
            "SELECT aggfnoid::regprocedure::text FROM pg_aggregate").fetchall()
    assert denied and not denied & {name for (name,) in used}
    assert {"current_query()", "random()", "pg_backend_pid()", "nextval(regclass)"} <= denied


@pytest.mark.parametrize("query", ALLOWED)
def test_ordinary_queries_still_work(session: SqlSession, query: str) -> None:
    day = datetime.date(2024, 1, 3)
    result = session.query(query, dataset="main", params=[day], what="your query")
    plan = session.explain(query, dataset="main", params=[day], what="your query")
    assert plan.rows == len(result.rows)


def test_rows_and_plan_come_from_one_execution(session: SqlSession,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = SqlSession._execute

    def counting(self: SqlSession, side: str, text: str, *args: object) -> object:
        calls.append(text)
        return real(self, side, text, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlSession, "_execute", counting)
    text = "SELECT id FROM orders WHERE customer_id = $1 ORDER BY id"
    rows = session.query(text, dataset="main", params=[7]).rows
    plan = session.explain(text, dataset="main", params=[7])
    assert plan.rows == len(rows) and plan.shared_buffers > 0
    # One run to fill the caches (discarded), one graded for rows and plan.
    assert calls == [text, text]
    session.explain(text, dataset="main", params=[8])
    assert calls == [text, text, text]  # the same text again: no second warm-up
    assert all(not t.upper().startswith("EXPLAIN") for t in calls)


def test_an_empty_result_whose_scan_never_ran_is_honest(session: SqlSession) -> None:
    """A one-time filter that is false: the scan never runs, nothing is returned."""
    text = "SELECT id FROM orders WHERE (SELECT $1::integer) IS NULL"  # not folded away
    assert session.query(text, dataset="main", params=[1]).rows == []
    plan = session.explain(text, dataset="main", params=[1])
    scans = [n for n in plan.nodes if n.relation == "orders"]
    assert plan.shared_buffers == 0 and plan.nodes[0].loops == 1
    assert [n.loops for n in scans] == [0]


def test_buffers_are_the_same_in_a_new_session(template: Path, session: SqlSession) -> None:
    text = "SELECT id, total FROM orders WHERE created_at >= $1::date AND created_at < $1::date + 1"
    day = datetime.date(2024, 2, 1)
    first = session.explain(text, dataset="main", params=[day]).shared_buffers
    scratch = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    scratch.chmod(0o1777)
    other = SqlSession(template, scratch, ["main"], timeout_seconds=5)
    try:
        other.start()
        assert other.explain(text, dataset="main", params=[day]).shared_buffers == first
    finally:
        other.close()
        shutil.rmtree(scratch, ignore_errors=True)


def test_a_refused_function_fails_the_query_as_the_students_error(session: SqlSession) -> None:
    with pytest.raises(SqlError, match="permission denied"):
        session.query("SELECT id FROM orders WHERE current_query() NOT LIKE 'EXPLAIN%'",
                      dataset="main", what="your query.sql")


def test_server_is_the_template_copy(session: SqlSession) -> None:
    assert isinstance(session.server, Server) and session.server.proc is not None
