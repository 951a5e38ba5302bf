"""Fixtures for the web pages: the app in-process (TestClient) over a migrated
SQLite database and the tiny test pack, with users who have passwords.

The browser tests (test_browser.py) start their own real stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database
from grader.services import accounts
from grader.services.catalog import Catalog
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.service_fakes import FakeQueue, make_pack
from tests.helpers.web_signin import USERS, password


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    root = tmp_path / "exercises"
    make_pack(root, extra="\n\n<script>alert('x')</script>\n\n```python\nprint('hi')\n```\n")
    return Settings(exercises_dir=root, data_dir=tmp_path / "data",
                    database_url=f"sqlite:///{tmp_path / 'grader.db'}")


@pytest.fixture
def web_services(web_settings: Settings) -> Iterator[Services]:
    db = Database(web_settings.database_url or "")
    db.migrate()
    for name, role in USERS.items():
        accounts.create_user(db=db, name=name, role=role, password=password(name))
    catalog = Catalog(web_settings.exercises_dir)
    catalog.reload()
    yield Services(settings=web_settings, db=db, catalog=catalog, queue=FakeQueue(),
                   redis=None, limiter=None, docker_check=lambda: None)
    db.dispose()


@pytest.fixture
def app_client(web_services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=web_services), follow_redirects=False) as client:
        yield client


# The browser tests' fixtures (a real stack and Chromium), from tests/helpers/browser_stack.py.
from tests.helpers.browser_stack import browser, new_page, stack  # noqa: E402, F401
