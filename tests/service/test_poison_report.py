"""A poison report (NUL bytes, lone surrogates, control characters, 100 000-
character lines) is recorded and shown safely on SQLite and PostgreSQL: the
API's JSON, the submission page and the webhook body. And when recording is
broken anyway, the submission ends `not_gradable` after the attempt cap.

In-process, without Docker: the grading function is a fake that returns what
a hostile student's prints and exceptions put in a report."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from grader.app import create_app
from grader.db import Database, Role, Submission
from grader.services import accounts, grading_jobs, recording, webhooks
from grader.services.wiring import Services
from grader_harness.report import build_report
from tests.helpers.poison_worker import poison_grade
from tests.helpers.service_fakes import fake_grade
from tests.service.test_postgres import pg_url  # noqa: F401  (the module's PostgreSQL server)

URL = "/api/v1/submissions"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, services: Services) -> Iterator[Services]:
    if request.param == "postgres":
        services.db = Database(request.getfixturevalue("pg_url"))
        services.db.migrate()
    yield services
    if request.param == "postgres":
        services.db.dispose()


def _student(services: Services) -> tuple[str, dict[str, str]]:
    name = f"s-{uuid.uuid4().hex[:8]}"  # the PostgreSQL database outlives each test
    accounts.create_user(db=services.db, name=name, role=Role.STUDENT, password="pw-" + name)
    _, token = accounts.create_token(db=services.db, name=name)
    return name, {"Authorization": f"Bearer {token}"}


def _submit(client: TestClient, headers: dict[str, str], source: str) -> str:
    response = client.post(URL, headers=headers,
                           json={"exercise": "hello-api", "files": {"app/main.py": source}})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _grade(services: Services, sub_id: str, grade: Any = poison_grade, *,
           claim: str = "c", max_attempts: int = 3) -> grading_jobs.Result:
    result, _ = grading_jobs.grade_submission(
        db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id=claim,
        grade=grade, settings=services.settings, worker="w", max_retries=0, lease_seconds=60,
        max_attempts=max_attempts)
    return result


def _safe(text: str) -> None:
    text.encode("utf-8")  # no lone surrogate
    assert "\x00" not in text and "\x1b" not in text


def test_a_poison_report_is_graded_and_shown_safely(backend: Services) -> None:
    services = backend
    name, headers = _student(services)
    with TestClient(create_app(services=services), follow_redirects=False) as client:
        sub_id = _submit(client, headers, "POISON\n")
        assert _grade(services, sub_id) is grading_jobs.Result.GRADED
        # The API's JSON.
        answer = client.get(f"{URL}/{sub_id}", headers=headers)
        assert answer.status_code == 200
        body = answer.json()
        assert body["status"] == "graded" and body["outcome"] == "failed"
        test = body["tests"][0]
        for text in (body["message"], body["output"], test["id"], test["name"], test["hint"],
                     test["message"]):
            _safe(text)
        assert "\u2400" in body["output"] and "\ufffd" in test["name"]  # visible marks
        assert len(body["output"]) <= 8_000 and "<script>" in body["output"]  # JSON: as text
        # The submission page, signed in through the form.
        page = client.get("/signin")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        signed = client.post("/signin", data={"name": name, "password": "pw-" + name,
                                              "csrf_token": csrf.group(1)})
        assert signed.status_code == 303
        html = client.get(f"/submissions/{sub_id}")
        assert html.status_code == 200
        _safe(html.text)
        assert "\u2400" in html.text and "<script>alert(1)" not in html.text
        assert "&lt;script&gt;alert(1)" in html.text
    # The webhook body, as a receiver gets it.
    with services.db.session() as session:
        session.execute(update(Submission).where(Submission.id == sub_id)
                        .values(callback_url="http://receiver.test/hook"))
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(receive)) as http:
        sent = webhooks.deliver(db=services.db, submission_id=sub_id, secret=b"k" * 32,
                                timeout=5, client=http,
                                resolve=lambda host, port: ["93.184.215.14"])  # never dialled
    assert sent.delivered and len(seen) == 1
    raw = seen[0].content
    assert webhooks.verify(b"k" * 32, raw, seen[0].headers[webhooks.SIGNATURE_HEADER])
    payload = json.loads(raw.decode("utf-8"))
    assert payload["status"] == "graded" and "\u2400" in payload["output"]


def test_broken_recording_ends_not_gradable_after_the_cap(
    backend: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recording without the sanitizer, as before the fix: SQLite fails on the
    # lone surrogates, PostgreSQL on the NUL bytes, both for real.
    monkeypatch.setattr(recording, "storable_report", lambda report: report)
    services = backend
    calls: list[str] = []

    def counting(**kwargs: Any) -> Any:
        calls.append(kwargs["files"]["app/main.py"])
        return poison_grade(**kwargs)

    _, headers = _student(services)
    with TestClient(create_app(services=services)) as client:
        sub_id = _submit(client, headers, "POISON\n")
        results = [_grade(services, sub_id, counting, claim=f"try-{i}") for i in range(5)]
        assert results == [grading_jobs.Result.RETRY, grading_jobs.Result.RETRY,
                           grading_jobs.Result.NOT_GRADABLE, grading_jobs.Result.SKIPPED,
                           grading_jobs.Result.SKIPPED]
        assert len(calls) == 3  # graded three times, never again
        body = client.get(f"{URL}/{sub_id}", headers=headers).json()
        assert body["status"] == "not_gradable" and body["attempt_number"] is None
        assert "could not be recorded" in body["message"] and "3 unfinished" in body["message"]
        _safe(body["message"])
        # One student's poison does not stop the next submission.
        monkeypatch.undo()
        other = _submit(client, headers, "PASS\n")
        assert _grade(services, other, fake_grade) is grading_jobs.Result.GRADED
        assert client.get(f"{URL}/{other}", headers=headers).json()["score"] == 2.0


def test_nul_alone_breaks_postgres_without_the_sanitizer(
    services: Services, pg_url: str, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    # The bug of issue 9 as it was: printed NUL bytes, nothing else hostile.
    services.db = Database(pg_url)
    services.db.migrate()
    nul_only = build_report([], output="before\x00after", message="m\x00")
    _, headers = _student(services)
    with TestClient(create_app(services=services)) as client:
        raw = _submit(client, headers, "NUL\n")
        monkeypatch.setattr(recording, "storable_report", lambda report: report)
        result, reason = grading_jobs.grade_submission(
            db=services.db, catalog=services.catalog, submission_id=raw, claim_id="r",
            grade=lambda **_: nul_only, settings=None, worker="w", max_retries=0,
            lease_seconds=60)
        assert result is grading_jobs.Result.RETRY and reason and "NUL" in reason
        monkeypatch.undo()
        clean = _submit(client, headers, "NUL\n")
        assert _grade(services, clean, lambda **_: nul_only) is grading_jobs.Result.GRADED
        body = client.get(f"{URL}/{clean}", headers=headers).json()
        assert body["output"] == "before\u2400after" and body["message"] == "m\u2400"
    services.db.dispose()
