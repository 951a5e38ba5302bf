"""The same storage on a real PostgreSQL 15 server: a throwaway cluster made
with initdb on loopback (as an unprivileged user: postgres refuses root)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Base, Database, Role
from grader.services import accounts, grading_jobs
from grader.services.wiring import Services
from tests.helpers.service_fakes import FakeQueue, fake_grade
from tests.helpers.service_processes import free_port, wait_for

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_user(cmd: list[str]) -> list[str]:
    if os.getuid() != 0:
        return cmd
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 server binaries are not installed")
    root = Path(tempfile.mkdtemp(prefix="grader-pg-"))
    os.chmod(root, 0o755)
    if os.getuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
    data, port = root / "data", free_port()
    subprocess.run(_as_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", "grader",
                             "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    server = subprocess.Popen(
        _as_user([str(PG_BIN / "postgres"), "-D", str(data), "-p", str(port), "-h", "127.0.0.1",
                  "-k", str(root), "-c", "fsync=off"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"postgresql+psycopg://grader@127.0.0.1:{port}/postgres"
    try:
        probe = Database(url)
        wait_for(lambda: _ping(probe), 30, 0.2)
        probe.dispose()
        yield url
    finally:
        server.send_signal(signal.SIGINT)  # our own postgres, by pid: fast shutdown
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def _ping(db: Database) -> bool:
    try:
        db.ping()
        return True
    except Exception:
        return False


def test_concurrent_migrations_build_the_models(pg_url: str) -> None:
    # Three processes migrate at once, as the API and two workers do on start.
    code = f"from grader.db import Database; Database({pg_url!r}).migrate()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for proc in procs:
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr
    with Database(pg_url).engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_submit_grade_regrade_on_postgres(pg_url: str, services: Services) -> None:
    services.db = Database(pg_url)
    services.db.migrate()
    services.queue = FakeQueue()
    accounts.create_user(db=services.db, name="pg-student", role=Role.STUDENT)
    accounts.create_user(db=services.db, name="pg-author", role=Role.AUTHOR)
    _, student = accounts.create_token(db=services.db, name="pg-student")
    _, author = accounts.create_token(db=services.db, name="pg-author")
    with TestClient(create_app(services=services)) as client:
        response = client.post("/api/v1/submissions",
                               headers={"Authorization": f"Bearer {student}"},
                               json={"exercise": "hello-api", "files": {"app/main.py": "PASS\0"}})
        assert response.status_code == 202, response.text
        sub_id = response.json()["id"]
        def grade(claim: str) -> grading_jobs.Result:
            result, _ = grading_jobs.grade_submission(
                db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id=claim,
                grade=fake_grade, settings=services.settings, worker="pg", max_retries=0,
                lease_seconds=60)
            return result

        assert grade("a") is grading_jobs.Result.GRADED
        assert grade("b") is grading_jobs.Result.SKIPPED  # a redelivery: nothing happens
        assert client.post(f"/api/v1/submissions/{sub_id}/regrade",
                           headers={"Authorization": f"Bearer {author}"}).status_code == 202
        assert grade("c") is grading_jobs.Result.GRADED
        body = client.get(f"/api/v1/submissions/{sub_id}",
                          headers={"Authorization": f"Bearer {student}"}).json()
    assert body["status"] == "graded" and body["score"] == 2.0
    assert len(body["history"]) == 2 and body["attempt_number"] == 1
