"""The output policy in the service: a student reads only the output the
harness let through for them (`output`); the author's copy of everything
(`author_output`, which may hold a hidden test's input the student's code
printed) reaches authors and admins only."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient

from grader.db import Grading, Submission
from grader.services import grading_jobs
from grader.services.views import submission_view
from grader.services.wiring import Services
from grader_harness.report import Outcome, Report, TestResult, Visibility, build_report
from tests.helpers.service_fakes import Account

URL = "/api/v1/submissions"
SECRET = "HIDDEN-INPUT-4711"


def hostile_grade(*, pack: Any, files: dict[str, str], settings: Any = None) -> Report:
    """What the harness answers for a student who printed a hidden input."""
    test = TestResult(id="tests/test_hello.py::test_hidden", name="test_hidden",
                      outcome=Outcome.FAILED, points=0, max_points=1, duration=0.01,
                      visibility=Visibility.HIDDEN)
    return build_report([test], output="started\n[... output printed during hidden tests "
                        "is not shown ...]\n", author_output=f"started\necho: {SECRET}\n")


def graded(client: TestClient, services: Services, who: Account,
           grade: Any = hostile_grade) -> str:
    """A submission by `who`, graded at once with `grade` (the harness's answer)."""
    response = client.post(URL, json={"exercise": "hello-api", "files": {"app/main.py": "x\n"}},
                           headers=who.headers)
    assert response.status_code == 202, response.text
    sub_id = str(response.json()["id"])
    result, _ = grading_jobs.grade_submission(
        db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id="t",
        grade=grade, settings=services.settings, worker="test", max_retries=0,
        lease_seconds=60,
    )
    assert result is grading_jobs.Result.GRADED
    return sub_id


def test_a_student_never_reads_the_authors_output(
    client: TestClient, services: Services, alice: Account
) -> None:
    sub_id = graded(client, services, alice)
    one = client.get(f"{URL}/{sub_id}", headers=alice.headers)
    listed = client.get(URL, headers=alice.headers)
    events = client.get(f"{URL}/{sub_id}/events", headers=alice.headers)
    page = client.get(f"/submissions/{sub_id}/result", headers=alice.headers)
    assert one.status_code == listed.status_code == 200
    assert one.json()["output"].startswith("started\n")
    assert one.json()["author_output"] is None
    for response in (one, listed, events, page):
        assert SECRET not in response.text


def test_an_author_reads_all_of_the_output(
    client: TestClient, services: Services, alice: Account, author: Account
) -> None:
    sub_id = graded(client, services, alice)
    body = client.get(f"{URL}/{sub_id}", headers=author.headers).json()
    assert SECRET not in body["output"]
    assert SECRET in body["author_output"]
    listed = client.get(URL, params={"exercise": "hello-api"}, headers=author.headers).json()
    assert SECRET in json.dumps(listed)


def page_as(client: TestClient, who: Account, sub_id: str) -> str:
    """The submission page, signed in through the form like a person."""
    form = client.get("/signin")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf is not None
    signed = client.post("/signin", data={"name": who.name, "password": "pw-" + who.name,
                                          "csrf_token": csrf.group(1)}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    page = client.get(f"/submissions/{sub_id}")
    assert page.status_code == 200
    return page.text


def test_the_page_shows_all_output_to_authors_only(
    client: TestClient, services: Services, alice: Account, author: Account
) -> None:
    sub_id = graded(client, services, alice)
    student_page = page_as(client, alice, sub_id)
    assert "started" in student_page and SECRET not in student_page
    assert "authors only" not in student_page
    client.cookies.clear()
    author_page = page_as(client, author, sub_id)
    assert SECRET in author_page and "authors only" in author_page


def test_the_view_is_the_students_unless_asked(
    client: TestClient, services: Services, alice: Account
) -> None:
    sub_id = graded(client, services, alice)
    with services.db.session() as session:  # as recorded by the service
        row = session.query(Grading).filter_by(submission_id=sub_id).one()
        row.author_output = f"echo: {SECRET}\n"
    with services.db.reading() as session:
        sub = session.get_one(Submission, sub_id)
        assert submission_view(sub).author_output is None
        assert SECRET not in submission_view(sub).model_dump_json()
        assert submission_view(sub, author=True).author_output == f"echo: {SECRET}\n"
