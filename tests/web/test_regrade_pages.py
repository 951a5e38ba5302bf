"""Regrades on the pages: an author previews an exercise's regrade and reads
what would change; course staff preview and run an assignment's regrade;
students and strangers get neither (in-process, SQLite, the preview's worker
work called directly with the "new version" grading)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.services.regrade_preview_run import run_preview
from grader.services.wiring import Services
from tests.helpers.assignment_setup import add_assignment, make_course, spec, submit
from tests.helpers.regrade_preview_setup import (
    PreviewFakeQueue,
    grade_with,
    new_version_grade,
    settings_for,
)
from tests.helpers.web_signin import sign_in


@pytest.fixture
def graded(web_services: Services, tmp_path) -> Iterator[tuple[TestClient, PreviewFakeQueue]]:
    """cs101 taught by ada (an author), alice's two graded submissions in hw1."""
    queue = PreviewFakeQueue()
    services = dataclasses.replace(web_services, queue=queue)
    db, catalog = services.db, services.catalog
    people = make_course(db, "cs101", {"ada": "instructor", "alice": "student"})
    add_assignment(db, catalog, people["ada"], "cs101", spec())
    for source in ("PASS\n", "FAIL\n"):
        grade_with(db, catalog, tmp_path, submit(db, catalog, queue, people["alice"],
                                                 "cs101/hw1", source).id)
    with TestClient(create_app(services=services), follow_redirects=False) as client:
        yield client, queue


def _preview_id(location: str) -> int:
    found = re.fullmatch(r".*/regrade-previews/(\d+)", location)
    assert found, location
    return int(found.group(1))


def test_an_author_previews_an_exercise_regrade_and_reads_the_changes(
        graded: tuple[TestClient, PreviewFakeQueue], web_services: Services, tmp_path) -> None:
    client, queue = graded
    csrf = sign_in(client, "ada")
    assert 'id="preview-regrade"' in client.get("/author/exercises/hello-api").text
    asked = client.post("/author/exercises/hello-api/regrade-preview",
                        data={"csrf_token": csrf})
    assert asked.status_code == 303
    preview_id = _preview_id(asked.headers["location"])
    assert queue.previews == [preview_id] and len(queue.grading) == 2  # nothing regraded
    pending = client.get(f"/regrade-previews/{preview_id}")
    assert '<strong id="preview-status">pending</strong>' in pending.text
    assert 'http-equiv="refresh"' in pending.text  # follows the workers until done
    run_preview(db=web_services.db, catalog=web_services.catalog, preview_id=preview_id,
                grade=new_version_grade, settings=settings_for(tmp_path))
    done = client.get(f"/regrade-previews/{preview_id}").text
    assert '<strong id="preview-status">done</strong>' in done and "refresh" not in done
    assert '<td id="changed">2 of 2</td>' in done and "1 up, 1 down" in done
    assert done.count("<td>alice</td>") == 2 and "+1.00" in done and "-1.00" in done


def test_course_staff_preview_and_run_an_assignment_regrade(
        graded: tuple[TestClient, PreviewFakeQueue]) -> None:
    client, queue = graded
    csrf = sign_in(client, "ada")
    page = client.get("/courses/cs101/assignments/hw1").text
    assert 'id="preview-regrade"' in page and 'id="regrade"' in page
    asked = client.post("/courses/cs101/assignments/hw1/regrade-preview",
                        data={"csrf_token": csrf})
    assert asked.status_code == 303 and queue.previews == [_preview_id(asked.headers["location"])]
    ran = client.post("/courses/cs101/assignments/hw1/regrade", data={"csrf_token": csrf})
    assert ran.status_code == 303 and ran.headers["location"].endswith("?requeued=2")
    assert "Re-queued 2 submissions" in client.get(ran.headers["location"]).text
    assert client.get("/courses/cs101/assignments/hw1?requeued=-1").status_code == 422


def test_students_neither_preview_nor_regrade_nor_read_a_preview(
        graded: tuple[TestClient, PreviewFakeQueue]) -> None:
    client, queue = graded
    csrf = sign_in(client, "ada")
    preview_id = _preview_id(client.post("/author/exercises/hello-api/regrade-preview",
                                         data={"csrf_token": csrf}).headers["location"])
    client.post("/signout", data={"csrf_token": csrf})
    csrf = sign_in(client, "alice")
    assert 'id="regrade"' not in client.get("/courses/cs101/assignments/hw1").text
    assert client.get(f"/regrade-previews/{preview_id}").status_code == 404
    for path in ("/courses/cs101/assignments/hw1/regrade-preview",
                 "/courses/cs101/assignments/hw1/regrade",
                 "/author/exercises/hello-api/regrade-preview"):
        assert client.post(path, data={"csrf_token": csrf}).status_code in (403, 404), path
    assert client.get("/regrade-previews/99999999999").status_code == 422
    assert len(queue.previews) == 1 and len(queue.grading) == 2
