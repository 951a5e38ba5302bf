"""Who sees what: students only their own submissions (another's id is a 404
exactly like a missing one); nobody sees solutions, mutants or hidden tests."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from grader.services import grading_jobs
from grader.services.wiring import Services
from tests.helpers.service_fakes import Account, fake_grade

URL = "/api/v1/submissions"
GOOD = {"exercise": "hello-api", "files": {"app/main.py": "PASS\n"}}


def submit(client: TestClient, who: Account, body: dict[str, object] = GOOD) -> str:
    response = client.post(URL, json=body, headers=who.headers)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def grade_now(services: Services, sub_id: str) -> None:
    """Grade in-process with the fake grader (the worker path is tested with Celery)."""
    result, _ = grading_jobs.grade_submission(
        db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id="t",
        grade=fake_grade, settings=services.settings, worker="test", max_retries=0,
        lease_seconds=60,
    )
    assert result is grading_jobs.Result.GRADED


def test_another_students_submission_is_404_like_a_missing_one(
    client: TestClient, alice: Account, bob: Account
) -> None:
    sub_id = submit(client, alice)
    theirs = client.get(f"{URL}/{sub_id}", headers=bob.headers)
    missing = client.get(f"{URL}/00000000-0000-0000-0000-000000000000", headers=bob.headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == {"detail": f"no submission '{sub_id}'"}
    assert client.get(f"{URL}/{sub_id}/events", headers=bob.headers).status_code == 404
    assert client.post(f"{URL}/{sub_id}/regrade", headers=bob.headers).status_code == 404


def test_list_shows_own_submissions_and_authors_see_all(
    client: TestClient, alice: Account, bob: Account, author: Account
) -> None:
    mine = submit(client, alice)
    theirs = submit(client, bob)
    listed = client.get(URL, headers=alice.headers).json()
    assert [s["id"] for s in listed] == [mine]
    everyone = client.get(URL, params={"exercise": "hello-api"}, headers=author.headers).json()
    assert {s["id"] for s in everyone} == {mine, theirs}
    assert client.get(URL, params={"exercise": "other"}, headers=author.headers).json() == []


def test_graded_submission_shows_tests_without_hidden_code(
    client: TestClient, alice: Account, services: Services
) -> None:
    sub_id = submit(client, alice, {**GOOD, "files": {"app/main.py": "FAIL\n"}})
    grade_now(services, sub_id)
    body = client.get(f"{URL}/{sub_id}", headers=alice.headers).json()
    assert body["status"] == "graded"
    assert (body["score"], body["max_score"], body["outcome"]) == (1.0, 2.0, "failed")
    assert body["attempts"] == 1 and body["attempt_number"] == 1
    assert body["started_at"] and body["finished_at"]
    hidden = next(t for t in body["tests"] if t["visibility"] == "hidden")
    assert hidden == {
        "id": "test_hello.py::test_body", "name": "test_body", "outcome": "failed",
        "points": 0.0, "max_points": 1.0, "duration": 0.01, "visibility": "hidden",
        "hint": "return JSON", "message": "body was not JSON",
        "author_output": None,  # what was printed during the test: authors only
    }
    assert [h["score"] for h in body["history"]] == [1.0]


def test_exercise_routes_never_leak_solutions_mutants_or_hidden_tests(
    client: TestClient, alice: Account
) -> None:
    listing = client.get("/api/v1/exercises", headers=alice.headers)
    assert listing.status_code == 200
    assert [e["slug"] for e in listing.json()] == ["hello-api"]
    detail = client.get("/api/v1/exercises/hello-api", headers=alice.headers)
    assert detail.status_code == 200
    info = detail.json()
    assert info["prompt"].startswith("# Hello")
    assert info["starter_files"] == ["app/main.py"]
    assert info["allowed_files"] == ["app/*.py", "notes.txt"]
    assert info["limits"]["wall_seconds"] == 30.0 and info["categories"] == ["api-design"]
    archive = client.get("/api/v1/exercises/hello-api/starter.zip", headers=alice.headers)
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert names == ["hello-api/app/main.py"]
    everything = listing.text + detail.text + archive.content.decode("latin-1")
    assert "SOLUTION_SECRET" not in everything and "HIDDEN_TEST_CODE" not in everything
    assert client.get("/api/v1/exercises/nope", headers=alice.headers).status_code == 404
    assert client.get("/api/v1/exercises/nope/starter.zip",
                      headers=alice.headers).status_code == 404


def test_regrade_is_for_authors_and_keeps_history(
    client: TestClient, alice: Account, author: Account, services: Services
) -> None:
    sub_id = submit(client, alice)
    denied = client.post(f"{URL}/{sub_id}/regrade", headers=alice.headers)
    assert denied.status_code == 403
    busy = client.post(f"{URL}/{sub_id}/regrade", headers=author.headers)
    assert busy.status_code == 409  # still queued
    grade_now(services, sub_id)
    again = client.post(f"{URL}/{sub_id}/regrade", headers=author.headers)
    assert again.status_code == 202
    assert again.json()["status"] == "queued" and again.json()["score"] is None
    assert len(again.json()["history"]) == 1
    grade_now(services, sub_id)
    final = client.get(f"{URL}/{sub_id}", headers=alice.headers).json()
    assert [h["score"] for h in final["history"]] == [2.0, 2.0]
    assert final["attempt_number"] == 1  # a regrade is not a new attempt
    whole = client.post("/api/v1/exercises/hello-api/regrade", headers=author.headers)
    assert whole.status_code == 202
    assert (whole.json()["requeued"], whole.json()["ids"]) == (1, [sub_id])
    assert client.post("/api/v1/exercises/hello-api/regrade",
                       headers=alice.headers).status_code == 403
