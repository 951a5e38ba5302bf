"""The sql runner's sandbox: its tmpfs only where it runs, and PostgreSQL in the offline base."""

from __future__ import annotations

from sandbox.container import DATABASE_TMPFS, container_settings
from sandbox.limits import SandboxLimits
from sandbox.offline_base import PACKAGES, offline_base_tag


def test_sql_scratch_tmpfs_only_for_the_sql_runner() -> None:
    plain = container_settings(SandboxLimits(), "runc")
    sql = container_settings(SandboxLimits(), "runc", runner="sql")
    assert "/var/lib/grader-pg" not in plain["tmpfs"]
    assert sql["tmpfs"]["/var/lib/grader-pg"] == DATABASE_TMPFS["/var/lib/grader-pg"]
    assert "size=256m" in sql["tmpfs"]["/var/lib/grader-pg"]
    # Everything else is the same sandbox: no extra capability, still read-only.
    assert {k: v for k, v in sql.items() if k not in ("tmpfs", "labels")} == {
        k: v for k, v in plain.items() if k not in ("tmpfs", "labels")}


def test_offline_base_installs_postgresql_15() -> None:
    assert "postgresql-15" in PACKAGES
    assert offline_base_tag().startswith("grader-base:bookworm-")


def test_every_execution_reports_its_plan_to_the_query_roles() -> None:
    """auto_explain, loaded in the postmaster, sends each statement's plan with
    actual rows and buffers as a NOTICE: the measured execution is the graded one."""
    from grader_harness.sql.settings import AUTO_EXPLAIN, SERVER_SETTINGS, conf_text

    assert SERVER_SETTINGS["shared_preload_libraries"] == "'auto_explain'"
    assert "shared_preload_libraries = 'auto_explain'" in conf_text()
    assert AUTO_EXPLAIN["auto_explain.log_level"] == "notice"
    assert AUTO_EXPLAIN["auto_explain.log_min_duration"] == "0"
    assert AUTO_EXPLAIN["auto_explain.log_format"] == "json"
    on = {name.split(".")[1] for name, value in AUTO_EXPLAIN.items() if value == "on"}
    off = {name.split(".")[1] for name, value in AUTO_EXPLAIN.items() if value == "off"}
    assert on == {"log_analyze", "log_buffers"}
    assert off == {"log_timing", "log_nested_statements"}
