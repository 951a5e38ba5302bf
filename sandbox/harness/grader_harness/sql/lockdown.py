"""What the query roles may not call: applied once, to the template cluster.

A query that can observe its own context (its statement text, its session,
the clock, a random number) or keep state across executions (advisory locks,
sequences, statistics counters, prepared-statement counters) could behave one
way when it is graded and another when it is measured, or differently from
one execution to the next. The plan that is graded already comes from the
execution whose rows are graded (auto_explain, session.py); this takes away
the means to tell executions apart at all, as defence in depth.

An allow-list is not possible: PostgreSQL checks EXECUTE on the function
behind every operator too, so revoking everything breaks `=`. So the deny
list is every volatile function of pg_catalog (volatile means "may differ
between calls": the very property a gate needs), except a few that are
deterministic here, plus the stable functions that reveal the session or
the transaction, by name. tests/integration/test_sql_lockdown.py proves each
category is refused to the student's role with a real query.

The current date and time stay: now(), statement_timestamp() and
CURRENT_DATE are fixed for the whole statement, so they cannot tell the
measured execution from the graded one (they are the same execution), and a
query may need "today". clock_timestamp() and timeofday() change within a
statement and are refused.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from grader_harness.sql.settings import AUTO_EXPLAIN, REFERENCE_ROLE, STUDENT_ROLE

# Volatile, but the same on every call in a read-only grading: sizes of the
# frozen data, and facts of the server. Queries about partitions need these.
ALLOWED_VOLATILE = (
    "pg_relation_size", "pg_table_size", "pg_indexes_size", "pg_total_relation_size",
    "pg_database_size", "pg_tablespace_size", "pg_partition_tree", "pg_partition_ancestors",
    "pg_is_in_recovery", "pg_jit_available", "pg_collation_actual_version",
    "pg_database_collation_actual_version",
)  # fmt: skip
# Stable (fixed within a statement) but a window on the session or the
# transaction: its own statement text, other sessions, process ids, counters
# kept across transactions, transaction ids and snapshots.
DENIED_NAMES = (
    "current_query", "pg_backend_pid", "pg_postmaster_start_time", "pg_conf_load_time",
    "inet_client_addr", "inet_client_port", "inet_server_addr", "inet_server_port",
    "pg_prepared_statement", "pg_cursor", "pg_prepared_xact", "pg_lock_status",
    "pg_blocking_pids", "pg_listening_channels", "pg_get_backend_memory_contexts",
    "pg_current_xact_id", "pg_current_xact_id_if_assigned",
    "nextval", "setval", "currval", "lastval", "clock_timestamp", "timeofday", "random",
    "setseed", "gen_random_uuid",
)  # fmt: skip
DENIED_PATTERNS = (
    r"pg\_stat\_%", r"txid\_%", r"%snapshot%", r"pg\_advisory%", r"pg\_try\_advisory%",
    r"pg\_sleep%", r"pg\_read\_%", r"pg\_ls\_%", r"lo\_%", r"lo%write", r"lo%read",
    r"pg\_current\_wal%", r"pg\_last\_%", r"%to\_xml%", r"pg\_%xact%",
)  # fmt: skip
# Never called by a query, only by the server through its own path (index
# and table access methods, triggers, languages): left alone.
_INTERNAL_TYPES = ("trigger", "event_trigger", "index_am_handler", "table_am_handler",
                   "language_handler", "fdw_handler", "tsm_handler")  # fmt: skip
DENIED_VIEWS = ("pg_locks", "pg_prepared_statements", "pg_cursors", "pg_prepared_xacts",
                "pg_backend_memory_contexts")  # fmt: skip
DENIED_VIEW_PATTERNS = (r"pg\_stat\_%", r"pg\_statio\_%")

_FUNCTIONS = """
SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc AS p
WHERE p.pronamespace = 'pg_catalog'::regnamespace
  AND p.prorettype NOT IN (SELECT t.oid FROM pg_catalog.pg_type AS t
                           WHERE t.typname = ANY(%(internal)s))
  AND ((p.provolatile = 'v' AND NOT p.proname = ANY(%(allowed)s))
       OR p.proname = ANY(%(names)s) OR p.proname LIKE ANY(%(patterns)s))
ORDER BY 1
"""
_VIEWS = """
SELECT c.oid::regclass::text FROM pg_catalog.pg_class AS c
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND c.relkind = 'v'
  AND (c.relname = ANY(%(names)s) OR c.relname LIKE ANY(%(patterns)s))
ORDER BY 1
"""


def denied_functions(conn: psycopg.Connection) -> list[str]:
    """Signatures (`pg_sleep(double precision)`) of the functions to revoke."""
    rows = conn.execute(_FUNCTIONS, {
        "internal": list(_INTERNAL_TYPES), "allowed": list(ALLOWED_VOLATILE),
        "names": list(DENIED_NAMES), "patterns": list(DENIED_PATTERNS)}).fetchall()  # fmt: skip
    return [str(signature) for (signature,) in rows]


def apply(conn: psycopg.Connection) -> int:
    """Revoke the deny-list from PUBLIC (as the superuser, after the data is
    loaded: data files may use random()); the number of functions revoked."""
    functions = denied_functions(conn)
    for signature in functions:
        # From the catalog itself (regprocedure output is quoted as needed).
        conn.execute(sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(
            sql.SQL(signature)))  # fmt: skip
    views = conn.execute(_VIEWS, {"names": list(DENIED_VIEWS),
                                  "patterns": list(DENIED_VIEW_PATTERNS)}).fetchall()
    for (view,) in views:
        conn.execute(sql.SQL("REVOKE ALL ON {} FROM PUBLIC").format(sql.SQL(str(view))))
    for role in (STUDENT_ROLE, REFERENCE_ROLE):
        for name, value in AUTO_EXPLAIN.items():
            conn.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(
                sql.Identifier(role), sql.SQL(name), sql.Literal(value)))  # fmt: skip
    return len(functions)
