"""The fast loop, `pytest -m "not docker"`, runs only tests that need no engine
or server beside pytest (docs/architecture.md, "Tests"); short-lived children of
our own code, such as the harness or `grader` run on the host, are fine.

`docker` marks a test that needs a Docker engine or a real server process: our
redis-server, PostgreSQL 15, Celery worker processes, the API under uvicorn,
Chromium (pyproject.toml's markers). A module marks itself (pytestmark) where
the need is in its own code; this hook adds the marker to every test that uses
a fixture starting one of those servers, so a new test that takes `client` in
tests/service/ (which needs redis-server) is marked without anyone remembering to."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from grader.auth import credentials

# (defining module, fixture) -> what it starts. Their users reach them through
# fixture closures: `settings`, `services`, `client`, `db`... of
# tests/service/conftest.py all use redis_server. By definition, not by name
# alone: tests/web/test_sessions.py has a `browser` fixture of its own.
SERVER_FIXTURES = {
    ("tests.service.conftest", "redis_server"): "our redis-server",
    ("tests.service.conftest", "start_worker"): "Celery worker processes",
    ("tests.service.test_postgres", "pg_url"): "a PostgreSQL 15 server",
    ("tests.service.test_poison_worker", "poison_worker"): "Celery worker processes",
    ("tests.helpers.browser_stack", "stack"): "uvicorn and a worker grading in Docker",
    ("tests.helpers.browser_stack", "browser"): "Chromium",
}


def needs_a_server(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)  # the fixtures a test uses, with their definitions
    if info is None:
        return False
    for name, definitions in info.name2fixturedefs.items():
        used = definitions[-1].func  # the definition closest to the test wins
        if (getattr(used, "__module__", ""), name) in SERVER_FIXTURES:
            return True
    return False


# The files that take minutes go first. scripts/test hands whole files to its
# pytest-xdist workers in collection order, each the next as it finishes one:
# started last, the catalogue's check would leave one worker running it alone
# for minutes after the other ran out of files.
LONGEST_FIRST = (
    "tests/integration/test_exercises.py",
    "tests/integration/test_prestarted_student.py",
    "tests/service/test_publishing_end_to_end.py",
)


def _file_rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("docker") is None and needs_a_server(item):
            item.add_marker(pytest.mark.docker)
    items.sort(key=_file_rank)  # stable: each file's tests keep their order


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests hash with argon2id's smallest cost: they test who may
    sign in, not how slow a hash is (0.14 s each was a third of the fast
    loop). The real parameters stay in every server process the `docker`
    tests start, and in tests marked `real_password_hashes`, which check them."""
    marks = request.node.get_closest_marker
    if marks("docker") is None and marks("real_password_hashes") is None:
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        monkeypatch.setattr(credentials, "_hasher", cheap)
