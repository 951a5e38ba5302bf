"""`grader api --workers N`: N uvicorn processes on one port over one SQLite
file, migrated once by the parent before they start; a burst through them is
all stored, each submission once, each with its own arrival time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from grader.db import Database, Role, Submission
from grader.services import accounts
from grader.settings import Settings
from tests.helpers.live_service import http_ok
from tests.helpers.service_fakes import make_pack
from tests.helpers.service_processes import RedisServer, free_port, service_env, wait_for

pytestmark = pytest.mark.docker  # a real server process (see pyproject's markers)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry))
    return found


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, Settings, subprocess.Popen[bytes]]]:
    redis = RedisServer(tmp_path)
    redis.start()
    root = tmp_path / "exercises"
    make_pack(root)
    settings = Settings(exercises_dir=root, data_dir=tmp_path / "data",
                        database_url=f"sqlite:///{tmp_path / 'grader.db'}",
                        redis_url=redis.url, rate_limit_submissions=1000)
    env = service_env(settings, api_workers=2)
    port = free_port()
    log = (tmp_path / "api.log").open("wb")
    api = subprocess.Popen([sys.executable, "-m", "grader.cli.main", "api", "--port", str(port)],
                           env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_ok(url + "/healthz"), 60)
        yield url, settings, api
    finally:
        try:
            api.send_signal(signal.SIGTERM)  # our child, by pid; it stops its workers
            api.wait(timeout=30)
        finally:
            log.close()
            redis.stop()


def test_two_api_processes_share_one_sqlite_file(
        two_workers: tuple[str, Settings, subprocess.Popen[bytes]]) -> None:
    url, settings, api = two_workers
    wait_for(lambda: len(_children(api.pid)) >= 2, 30)
    db = Database(settings.database_url or "")
    with db.reading() as session:  # migrated (by the parent, before the workers)
        assert session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    tokens = []
    for i in range(4):
        accounts.create_user(db=db, name=f"s{i}", role=Role.STUDENT)
        tokens.append(accounts.create_token(db=db, name=f"s{i}")[1])
    body = {"exercise": "hello-api", "files": {"app/main.py": "print('hi')\n"}}

    def post(i: int) -> httpx.Response:
        return httpx.post(url + "/api/v1/submissions", json=body, timeout=60,
                          headers={"Authorization": f"Bearer {tokens[i % 4]}"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(40)))
    assert [a.status_code for a in answers] == [202] * 40, [a.text for a in answers][:3]
    ids = {a.json()["id"] for a in answers}
    with db.reading() as session:
        stored = session.scalar(select(func.count()).select_from(Submission))
        stamps = session.scalars(select(Submission.received_at)).all()
    assert len(ids) == 40 and stored == 40
    assert len(set(stamps)) == 40
    db.dispose()
