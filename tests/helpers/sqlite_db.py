"""A migrated SQLite database in the test's tmp_path, with no Redis: the
service tests that need only tables import it as their `db` fixture
(`from tests.helpers.sqlite_db import sqlite_db  # noqa: F401`), which
overrides tests/service/conftest.py's `db` (that one starts a redis-server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.db import Database


@pytest.fixture(name="db")
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'grader.db'}")
    database.migrate()
    yield database
    database.dispose()
