"""Fixed facts of the sql runner: roles, paths, and the server's pinned settings.

The settings are written into postgresql.conf when the exercise image is
built, so every submission starts from the same planner: no parallel
workers (a parallel plan changes costs and averages rows per worker), no
JIT, fixed memory and cost constants, and no autovacuum (it would re-sample
the statistics frozen at build time). fsync and friends are off: the data
directory is a throwaway copy on tmpfs.
"""

from __future__ import annotations

from pathlib import Path

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
# The cluster initdb'd at image build (owned by the postgres user, 0700),
# and the tmpfs a submission's copy of it lives on.
TEMPLATE_DIR = Path("/opt/grader/pgdata")
SCRATCH_DIR = Path("/var/lib/grader-pg")
OS_USER = "postgres"  # PostgreSQL refuses to run as root

ADMIN_ROLE = "grader_admin"  # superuser: build time and start-up only
OWNER_ROLE = "exercise_owner"  # owns the student's schemas' tables; runs their CREATE INDEX
REFERENCE_OWNER_ROLE = "reference_owner"  # owns reference_*: out of the student's DDL's reach
STUDENT_ROLE = "student_sql"  # runs the student's queries: SELECT on its schemas only
REFERENCE_ROLE = "reference_sql"  # runs the reference queries: SELECT on reference_* only
DATABASE = "exercise"
REFERENCE_PREFIX = "reference_"

SERVER_SETTINGS: dict[str, str] = {
    "listen_addresses": "''",
    "max_connections": "10",
    "shared_buffers": "32MB",
    "dynamic_shared_memory_type": "mmap",
    "huge_pages": "off",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "min_wal_size": "2MB",
    "max_wal_size": "64MB",
    "autovacuum": "off",
    "track_io_timing": "off",
    "jit": "off",
    "max_parallel_workers_per_gather": "0",
    "max_parallel_maintenance_workers": "0",
    "work_mem": "4MB",
    "maintenance_work_mem": "64MB",
    "effective_cache_size": "128MB",
    "seq_page_cost": "1.0",
    "random_page_cost": "1.1",
    "cpu_tuple_cost": "0.01",
    "cpu_index_tuple_cost": "0.005",
    "cpu_operator_cost": "0.0025",
    "default_statistics_target": "1000",
    "plan_cache_mode": "force_custom_plan",
    "timezone": "'UTC'",
    "datestyle": "'iso, ymd'",
    "lc_messages": "'C'",
    "logging_collector": "off",
    "log_min_messages": "fatal",
    # Loaded in the postmaster, so its settings exist before a role's own
    # settings (AUTO_EXPLAIN, set per query role) are applied at login.
    "shared_preload_libraries": "'auto_explain'",
}

# What the query roles' sessions report of every statement they execute: the
# plan with its row counts and buffers, as a NOTICE on the same connection
# (session.py reads it). This is how the buffers graded come from the very
# execution whose rows are graded; a separate EXPLAIN could be told apart by
# the query and answered with a cheap path. Timing off: time is not graded
# and its clock calls cost more than the query on small tables. Nested
# statements off: one plan per statement we sent, the nested ones' buffers
# are counted in the node that ran them. These settings are superuser-only
# (PGC_SUSET): the query roles cannot change them.
AUTO_EXPLAIN: dict[str, str] = {
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_analyze": "on",
    "auto_explain.log_buffers": "on",
    "auto_explain.log_timing": "off",
    "auto_explain.log_nested_statements": "off",
    "auto_explain.log_format": "json",
    "auto_explain.log_level": "notice",
}


def conf_text() -> str:
    return "".join(f"{name} = {value}\n" for name, value in SERVER_SETTINGS.items())
