"""The regrade dry runs on the API: 202 with the preview and its `Location`,
progress then the summary at GET /regrade-previews/{id}, 404 for anyone who
may not ask for it, clear 4xx for bad ids; without dry_run, as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database, Role
from grader.services import accounts
from grader.services.catalog import Catalog
from grader.services.regrade_preview_run import run_preview
from tests.helpers.assignment_setup import (
    add_assignment,
    app_services,
    make_course,
    spec,
    submit,
    token,
)
from tests.helpers.regrade_preview_setup import (
    PreviewFakeQueue,
    grade_with,
    new_version_grade,
    settings_for,
)
from tests.helpers.service_fakes import make_pack
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401  (the `db` fixture)

PREVIEWS = "/api/v1/regrade-previews"


@pytest.fixture
def exercises_root(tmp_path: Path) -> Path:
    make_pack(tmp_path / "exercises")
    return tmp_path / "exercises"


@pytest.fixture
def setup(db: Database, catalog: Catalog, tmp_path: Path
          ) -> Iterator[tuple[TestClient, PreviewFakeQueue, dict[str, dict[str, str]]]]:
    people = make_course(db, "cs101", {"ines": "instructor", "asa": "assistant",
                                       "stu": "student"})
    make_course(db, "other", {"olga": "instructor"})
    accounts.create_user(db=db, name="ada", role=Role.AUTHOR)
    queue = PreviewFakeQueue()
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    for source in ("PASS\n", "FAIL\n"):
        sub = submit(db, catalog, queue, people["stu"], "cs101/hw1", source)
        grade_with(db, catalog, tmp_path, sub.id)
    headers = {name: token(db, name) for name in ("ines", "asa", "stu", "olga", "ada")}
    with TestClient(create_app(services=app_services(db, catalog, tmp_path, queue))) as client:
        yield client, queue, headers


def test_an_exercise_dry_run_answers_a_preview_to_follow(
    setup: tuple[TestClient, PreviewFakeQueue, dict[str, dict[str, str]]], db: Database,
    catalog: Catalog, tmp_path: Path
) -> None:
    client, queue, who = setup
    sent = client.post("/api/v1/exercises/hello-api/regrade", params={"dry_run": "true"},
                       headers=who["ada"])
    assert sent.status_code == 202, sent.text
    preview = sent.json()
    assert sent.headers["location"] == f"{PREVIEWS}/{preview['id']}"
    assert (preview["status"], preview["total"], preview["done_count"]) == ("pending", 2, 0)
    assert (preview["plan"]["submissions"], preview["plan"]["requeued"]) == (2, 0)
    assert queue.previews == [preview["id"]] and len(queue.grading) == 2  # no regrade queued
    pending = client.get(sent.headers["location"], headers=who["ada"]).json()
    assert pending["summary"] is None and pending["items"] == []
    run_preview(db=db, catalog=catalog, preview_id=preview["id"], grade=new_version_grade,
                settings=settings_for(tmp_path))
    done = client.get(sent.headers["location"], headers=who["ada"]).json()
    assert (done["status"], done["done_count"], done["summary"]["changed"]) == ("done", 2, 2)
    assert (done["summary"]["up"], done["summary"]["down"]) == (1, 1)
    assert sorted((i["student"], i["old_score"], i["new_score"]) for i in done["items"]) == [
        ("stu", 1.0, 2.0), ("stu", 2.0, 1.0)]
    for outsider in ("stu", "ines"):  # a student, and course staff who are not authors
        assert client.get(sent.headers["location"], headers=who[outsider]).status_code == 404
    assert client.post("/api/v1/exercises/hello-api/regrade", params={"dry_run": "true"},
                       headers=who["stu"]).status_code == 403
    real = client.post("/api/v1/exercises/hello-api/regrade", headers=who["ada"])
    assert real.status_code == 202 and real.json()["requeued"] == 2
    assert "location" not in real.headers and len(queue.grading) == 4


def test_an_assignment_dry_run_is_for_its_course_staff(
    setup: tuple[TestClient, PreviewFakeQueue, dict[str, dict[str, str]]]
) -> None:
    client, queue, who = setup
    url = "/api/v1/courses/cs101/assignments/hw1/regrade"
    sent = client.post(url, params={"dry_run": "true"}, headers=who["asa"])
    assert sent.status_code == 202, sent.text
    preview = sent.json()
    assert (preview["kind"], preview["course"], preview["assignment"]) == (
        "assignment", "cs101", "hw1")
    assert queue.previews == [preview["id"]] and preview["total"] == 2
    assert client.get(sent.headers["location"], headers=who["ines"]).status_code == 200
    for outsider in ("stu", "olga", "ada"):
        assert client.get(sent.headers["location"], headers=who[outsider]).status_code == 404
    assert client.post(url, params={"dry_run": "true"}, headers=who["stu"]).status_code == 403
    assert client.post(url, params={"dry_run": "true"}, headers=who["olga"]).status_code == 404
    assert len(client.post(url, headers=who["asa"]).json()["requeued"]) == 2


@pytest.mark.parametrize(("path", "status", "said"), [
    ("/999", 404, "no regrade preview 999"),
    ("/0", 422, "preview_id"),
    ("/abc", 422, "preview_id"),
    ("/99999999999", 422, "preview_id"),
])
def test_bad_preview_ids_are_refused_clearly(
    setup: tuple[TestClient, PreviewFakeQueue, dict[str, dict[str, str]]], path: str,
    status: int, said: str
) -> None:
    client, _, who = setup
    answer = client.get(PREVIEWS + path, headers=who["ada"])
    assert answer.status_code == status and said in answer.text
    assert client.get(PREVIEWS + "/1").status_code == 401
    bad = client.post("/api/v1/exercises/hello-api/regrade", params={"dry_run": "maybe"},
                      headers=who["ada"])
    assert bad.status_code == 422 and "dry_run" in bad.text
