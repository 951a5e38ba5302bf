"""The poison for real: a tiny exercise whose student code prints NUL bytes,
invalid UTF-8, escape sequences and a 100 000-character line, and raises an
exception whose message holds a lone surrogate. Graded in the real sandbox
(Docker), recorded on PostgreSQL, read back through the API.

Skipped without a Docker engine."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database, Role
from grader.exercises.pack import load_pack
from grader.sandbox_grading import grade_files
from grader.services import accounts, grading_jobs
from grader.services.catalog import Catalog
from grader.services.wiring import Services
from tests.service.test_postgres import pg_url  # noqa: F401  (the module's PostgreSQL server)

MANIFEST = """\
slug = "poison-output"
title = "Poison output (test pack)"
category = "security"
difficulty = "intro"
runner = "python"

[python]
module = "poison"

[submission]
files = ["poison.py"]
required = ["poison.py"]

[limits]
wall_seconds = 20
output_kb = 512

[scoring]
hidden_messages = "full"
"""
STUDENT = r'''import sys

sys.stdout.write("y" * 100_000 + "\n" + "nul:\x00:esc:\x1b[2J:bell:\x07\n")
sys.stdout.flush()
sys.stdout.buffer.write(b"invalid utf-8: \xff\xfe\xc3\n")
sys.stdout.buffer.flush()


def shout():
    print("inside\x00shout", flush=True)
    raise ValueError("lone \ud800 surrogate and nul \x00 in a message")
'''
TESTS = '''def test_shout(student):
    assert student.shout() == "ok"
'''


def _pack(root: Path) -> Path:
    pack = root / "security" / "poison-output"
    for folder in ("starter", "solution", "tests"):
        (pack / folder).mkdir(parents=True)
    (pack / "exercise.toml").write_text(MANIFEST)
    (pack / "README.md").write_text("# Poison output\n\nPrint hostile bytes.\n")
    (pack / "starter/poison.py").write_text("def shout():\n    return 'ok'\n")
    (pack / "solution/poison.py").write_text("def shout():\n    return 'ok'\n")
    (pack / "tests/test_poison.py").write_text(TESTS)
    return pack


@pytest.fixture(scope="module")
def docker_ready() -> None:
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # no engine here: nothing to test against
        pytest.skip(f"no Docker engine: {exc}")


def test_hostile_student_output_is_graded_stored_and_shown_on_postgres(
    docker_ready: None, services: Services, pg_url: str, tmp_path: Path,  # noqa: F811
) -> None:
    root = tmp_path / "packs"
    pack = load_pack(_pack(root))
    services.catalog = Catalog(root)
    services.catalog.reload()
    settings = services.settings.model_copy(update={"warm_sandboxes": 0})
    reports: list[Any] = []

    def real_grade(**kwargs: Any) -> Any:
        reports.append(grade_files(**kwargs))
        return reports[-1]

    services.db = Database(pg_url)
    services.db.migrate()
    name = f"sb-{uuid.uuid4().hex[:8]}"
    accounts.create_user(db=services.db, name=name, role=Role.STUDENT)
    _, token = accounts.create_token(db=services.db, name=name)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(services=services)) as client:
        sent = client.post("/api/v1/submissions", headers=headers, json={
            "exercise": pack.slug, "files": {"poison.py": STUDENT}})
        assert sent.status_code == 202, sent.text
        sub_id = sent.json()["id"]
        result, reason = grading_jobs.grade_submission(
            db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id="sb",
            grade=real_grade, settings=settings, worker="sb", max_retries=0,
            lease_seconds=120)
        assert result is grading_jobs.Result.GRADED, reason
        body = client.get(f"/api/v1/submissions/{sub_id}", headers=headers).json()
    # The sandbox's report really carried the poison to the host...
    raw = reports[0]
    assert "\x00" in raw.output
    assert "\ud800" in (raw.tests[0].message or "") and "\x00" in (raw.tests[0].message or "")
    # ...and what was stored and served is safe text.
    assert body["status"] == "graded" and body["outcome"] == "failed"
    texts = [body["output"], body["tests"][0]["message"]]
    for text in texts:
        text.encode("utf-8")
        assert "\x00" not in text and "\x1b" not in text
    assert "nul:\u2400:esc:\u241b[2J" in body["output"] and "\ufffd" in body["output"]
    assert "lone \ufffd surrogate and nul \u2400" in body["tests"][0]["message"]
    assert len(body["output"]) <= 8_000
