"""Building an exercise's template cluster at image build time.

    python -m grader_harness.sql.cluster DATA_DIR REFERENCE_DIR TARGET OPTIONS_JSON

initdb, the pinned settings, the roles, then per dataset two schemas with
the same rows: `<name>` (the student's queries and indexes) and
`reference_<name>` (the reference solution's indexes, built here once).
Everything is VACUUM (FREEZE, ANALYZE)d with a statistics target big enough
to sample every row, so the statistics are exact, the same in both schemas
and never re-sampled (autovacuum is off, and the student cannot ANALYZE).
"""

from __future__ import annotations

import json
import os
import pwd
import sys
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from grader_harness.sql import lockdown
from grader_harness.sql.server import Server, ServerFailed, binary, run_as_postgres
from grader_harness.sql.settings import (
    ADMIN_ROLE,
    DATABASE,
    OS_USER,
    OWNER_ROLE,
    REFERENCE_OWNER_ROLE,
    REFERENCE_PREFIX,
    REFERENCE_ROLE,
    STUDENT_ROLE,
    conf_text,
)
from grader_harness.sql.statements import index_statements, split_statements

_ROLES_SQL = f"""
CREATE ROLE {OWNER_ROLE} LOGIN;
CREATE ROLE {REFERENCE_OWNER_ROLE} NOLOGIN;
CREATE ROLE {STUDENT_ROLE} LOGIN;
CREATE ROLE {REFERENCE_ROLE} LOGIN;
CREATE DATABASE {DATABASE} OWNER {ADMIN_ROLE};
"""
# In the exercise database: nobody but the admin creates anything, and no
# query can change a setting from inside a SELECT (set_config()).
_LOCKDOWN_SQL = f"""
REVOKE ALL ON DATABASE {DATABASE} FROM PUBLIC;
GRANT CONNECT ON DATABASE {DATABASE} TO {OWNER_ROLE}, {STUDENT_ROLE}, {REFERENCE_ROLE};
REVOKE ALL ON SCHEMA public FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
ALTER ROLE {STUDENT_ROLE} SET default_transaction_read_only = on;
ALTER ROLE {REFERENCE_ROLE} SET default_transaction_read_only = on;
ALTER ROLE {STUDENT_ROLE} SET statement_timeout = '10s';
ALTER ROLE {REFERENCE_ROLE} SET statement_timeout = '10s';
"""


def _run_file(conn: psycopg.Connection, path: Path) -> None:
    for statement in split_statements(path.read_text(encoding="utf-8")):
        try:
            conn.execute(statement.encode())
        except psycopg.Error as exc:
            raise ServerFailed(f"{path.name}: {exc}".strip()) from None


def _load_schema(conn: psycopg.Connection, schema: str, role: str, owner: str, data: Path,
                 dataset: str, index_files: list[Path]) -> None:  # fmt: skip
    ident = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(
        ident, sql.Identifier(owner)))  # fmt: skip
    conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
    conn.execute(sql.SQL("SET search_path = {}").format(ident))
    _run_file(conn, data / "schema.sql")
    _run_file(conn, data / f"{dataset}.sql")
    for path in index_files:
        for statement in index_statements(path.read_text(encoding="utf-8"), filename=path.name,
                                          limit=50):  # fmt: skip
            conn.execute(statement.encode())
    conn.execute("RESET ROLE")
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident, sql.Identifier(role)))
    conn.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
        ident, sql.Identifier(role)))  # fmt: skip


def build(data: Path, reference: Path, target: Path, options: dict[str, Any]) -> None:
    datasets = [str(d) for d in options.get("datasets", ["main"])]
    index_files = [reference / str(name) for name in options.get("index_files", [])]
    index_files = [p for p in index_files if p.is_file()]
    for needed in [data / "schema.sql", *(data / f"{d}.sql" for d in datasets)]:
        if not needed.is_file():
            raise ServerFailed(f"the sql runner needs data/{needed.name}; it is missing")
    target.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        entry = pwd.getpwnam(OS_USER)
        os.chown(target, entry.pw_uid, entry.pw_gid)
    os.chmod(target, 0o700)
    run_as_postgres([binary("initdb"), "-D", str(target), "-U", ADMIN_ROLE, "--auth=trust",
                     "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
                     "--wal-segsize=1"])  # fmt: skip
    with open(target / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# grader: pinned for reproducible plans and buffers\n" + conf_text())
    with tempfile.TemporaryDirectory(prefix="grader-pg-build-") as sockets:
        os.chmod(sockets, 0o1777)
        server = Server(target, Path(sockets))
        server.start(ready_db="postgres")
        try:
            with server.connect(ADMIN_ROLE, "postgres") as admin:
                admin.autocommit = True
                for statement in split_statements(_ROLES_SQL):
                    admin.execute(statement.encode())
            with server.connect(ADMIN_ROLE) as conn:
                conn.autocommit = True
                for statement in split_statements(_LOCKDOWN_SQL):
                    conn.execute(statement.encode())
                for dataset in datasets:
                    _load_schema(conn, dataset, STUDENT_ROLE, OWNER_ROLE, data, dataset, [])
                    _load_schema(conn, REFERENCE_PREFIX + dataset, REFERENCE_ROLE,
                                 REFERENCE_OWNER_ROLE, data, dataset, index_files)  # fmt: skip
                # After the loads (data files may call random()): what no
                # query may call, and the roles' auto_explain (lockdown.py).
                lockdown.apply(conn)
                conn.execute("VACUUM (FREEZE, ANALYZE)")
                # Measured: right after the loads, this VACUUM leaves the
                # visibility map mostly unset (relallvisible 0 of 750), so
                # index-only scans would visit the table. A second pass sets it.
                conn.execute("VACUUM (FREEZE)")
                # Only the exercise's database is copied per submission: the
                # others are 7-8 MB each of copying for nothing.
                for name in ("postgres", "template0", "template1"):
                    conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(
                        sql.Identifier(name)))  # fmt: skip
                    conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
                conn.execute("CHECKPOINT")
        finally:
            server.stop(fast=True)
    # A clean shutdown leaves recycled WAL segments behind; one is enough.
    run_as_postgres([binary("pg_resetwal"), "-D", str(target)])


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        build(Path(argv[0]), Path(argv[1]), Path(argv[2]), json.loads(argv[3]))
    except (ServerFailed, ValueError) as exc:
        print(f"building the exercise's database failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
