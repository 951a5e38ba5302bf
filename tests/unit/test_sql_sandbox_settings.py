"""The sql runner's sandbox: its tmpfs only where it runs, and PostgreSQL in the offline base."""

from __future__ import annotations

from sandbox.container import SQL_SCRATCH, container_settings
from sandbox.limits import Limits
from sandbox.offline_base import PACKAGES, offline_base_tag


def test_sql_scratch_tmpfs_only_for_the_sql_runner() -> None:
    plain = container_settings(Limits(), "runc")
    sql = container_settings(Limits(), "runc", sql=True)
    assert "/var/lib/grader-pg" not in plain["tmpfs"]
    assert sql["tmpfs"]["/var/lib/grader-pg"] == SQL_SCRATCH["/var/lib/grader-pg"]
    assert "size=256m" in sql["tmpfs"]["/var/lib/grader-pg"]
    # Everything else is the same sandbox: no extra capability, still read-only.
    assert {k: v for k, v in sql.items() if k not in ("tmpfs", "labels")} == {
        k: v for k, v in plain.items() if k not in ("tmpfs", "labels")}


def test_offline_base_installs_postgresql_15() -> None:
    assert "postgresql-15" in PACKAGES
    assert offline_base_tag().startswith("grader-base:bookworm-")
