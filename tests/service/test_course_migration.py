"""The courses migration (0005) on a database with data, on SQLite and on
PostgreSQL: build it at revision 0004 with users, submissions, gradings and
test results, upgrade to head, check that every row is kept with
received_at = queued_at and no assignment; then down to 0004 and up again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.engine import Engine

from grader.db import Database
from grader.db.session import alembic_config
from tests.service.test_postgres import pg_url  # noqa: F401  (the fixture)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
KEPT = {  # table -> the 0004 columns compared before and after
    "users": ("id", "name", "role", "password_hash", "session_version"),
    "submissions": ("id", "user_id", "exercise_slug", "status", "attempt_number", "files"),
    "gradings": ("id", "submission_id", "status", "score", "max_score", "author_output"),
    "test_results": ("id", "grading_id", "name", "outcome", "points"),
}


def _migrate(db: Database, revision: str, down: bool = False) -> None:
    config = alembic_config(db.url, db.engine)
    (command.downgrade if down else command.upgrade)(config, revision)


def _seed(engine: Engine) -> None:
    meta = MetaData()
    meta.reflect(engine)
    tables = meta.tables
    with engine.begin() as conn:
        conn.execute(tables["users"].insert(), [
            {"id": 1, "name": "alice", "role": "student", "password_hash": None,
             "created_at": T0, "session_version": 0},
            {"id": 2, "name": "ada", "role": "author", "password_hash": "x",
             "created_at": T0, "session_version": 3}])
        conn.execute(tables["exercises"].insert(), [
            {"id": 1, "slug": "hello-api", "content_hash": "h" * 64, "title": "Hello",
             "category": "api-design", "created_at": T0}])
        subs = [{"id": f"00000000-0000-0000-0000-00000000000{i}", "user_id": 1 + i % 2,
                 "exercise_id": 1, "exercise_slug": "hello-api", "files": {"a.py": f"#{i}"},
                 "files_bytes": 3, "status": "graded", "tries": 1, "infra_failures": 0,
                 "run_failures": 0, "attempt_number": i, "queued_at": T0 + timedelta(hours=i),
                 "grading_attempts": 1} for i in range(1, 4)]
        conn.execute(tables["submissions"].insert(), subs)
        conn.execute(tables["gradings"].insert(), [
            {"id": i, "submission_id": subs[i - 1]["id"], "exercise_id": 1, "status": "graded",
             "score": float(i), "max_score": 3.0, "finished_at": T0, "author_output": "log"}
            for i in (1, 2)])
        conn.execute(tables["test_results"].insert(), [
            {"id": i, "grading_id": 1 + i % 2, "position": i, "test_id": f"t{i}",
             "name": f"test {i}", "outcome": "passed", "points": 1.0, "max_points": 1.0,
             "duration": 0.1, "visibility": "public"} for i in range(1, 4)])


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {table: [tuple(row) for row in conn.execute(text(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"))]
            for table, columns in KEPT.items()}


def _check_round_trip(db: Database) -> None:
    _migrate(db, "0004")
    _seed(db.engine)
    before = _rows(db.engine)
    assert [len(rows) for rows in before.values()] == [2, 3, 2, 3]
    _migrate(db, "head")
    assert _rows(db.engine) == before
    with db.engine.connect() as conn:
        added = conn.execute(text(
            "SELECT received_at = queued_at, assignment_id, late_penalty FROM submissions")).all()
    assert [tuple(row) for row in added] == [(True, None, None)] * 3
    _migrate(db, "0004", down=True)
    assert _rows(db.engine) == before
    _migrate(db, "head")
    assert _rows(db.engine) == before


def test_the_courses_migration_keeps_every_row_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        _check_round_trip(db)
    finally:
        db.dispose()


@pytest.fixture
def fresh_pg(pg_url: str) -> Iterator[str]:  # noqa: F811
    name = "mig_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def test_the_courses_migration_keeps_every_row_on_postgresql(fresh_pg: str) -> None:
    db = Database(fresh_pg)
    try:
        _check_round_trip(db)
    finally:
        db.dispose()
