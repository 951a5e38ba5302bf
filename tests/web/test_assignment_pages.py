"""Assignment pages in-process (TestClient, SQLite, the tiny pack): the list
partial, the create form (times read as UTC), the assignment page with the
caller's deadlines and attempts, submitting through the exercise form with
the assignment carried along, refusals as readable pages, and the staff
parts (extensions, release grades)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from grader.services.wiring import Services
from tests.helpers.assignment_setup import add_assignment, late_spec, make_course, spec
from tests.helpers.web_signin import sign_in

FORM = {"slug": "hw1", "title": "Homework <1>", "exercises": "hello-api:2",
        "release_at": "2020-01-01T09:00", "due_at": "2999-01-01T12:00", "late_until": "",
        "late_policy": "none", "late_penalty": "0", "max_attempts": "2",
        "score_policy": "best"}


def _course(services: Services) -> None:
    make_course(services.db, "cs101", {"ada": "instructor", "bob": "assistant",
                                       "alice": "student"})
    make_course(services.db, "other", {"olga": "instructor"})


def test_an_instructor_creates_an_assignment_with_the_form(
    app_client: TestClient, web_services: Services
) -> None:
    _course(web_services)
    csrf = sign_in(app_client, "ada")
    listed = app_client.get("/courses/cs101/assignments")
    assert listed.status_code == 200 and 'href="/courses/cs101/assignments/new"' in listed.text
    form = app_client.get("/courses/cs101/assignments/new")
    assert "All times are in UTC" in form.text
    bad = app_client.post("/courses/cs101/assignments",
                          data={**FORM, "due_at": "2019-01-01T00:00", "csrf_token": csrf})
    assert bad.status_code == 422 and "due_at: must be after release_at" in bad.text
    assert 'value="Homework &lt;1&gt;"' in bad.text  # what was typed is kept, escaped
    made = app_client.post("/courses/cs101/assignments", data={**FORM, "csrf_token": csrf})
    assert made.status_code == 303 and made.headers["location"] == "/courses/cs101/assignments/hw1"
    page = app_client.get("/courses/cs101/assignments/hw1")
    assert "Homework &lt;1&gt;" in page.text and "2999-01-01 12:00 UTC" in page.text
    assert "Grant the extension" in page.text


def test_students_and_assistants_cannot_create_and_outsiders_see_nothing(
    app_client: TestClient, web_services: Services
) -> None:
    _course(web_services)
    csrf = sign_in(app_client, "bob")
    assert app_client.get("/courses/cs101/assignments/new").status_code == 403
    refused = app_client.post("/courses/cs101/assignments", data={**FORM, "csrf_token": csrf})
    assert refused.status_code == 403 and "instructors" in refused.text
    assert "New assignment" not in app_client.get("/courses/cs101/assignments").text
    outsider = TestClient(app_client.app, follow_redirects=False)
    sign_in(outsider, "root")  # admins act as instructors everywhere
    assert outsider.get("/courses/cs101/assignments/new").status_code == 200
    stranger = TestClient(app_client.app, follow_redirects=False)
    sign_in(stranger, "alice")
    assert stranger.get("/courses/other/assignments").status_code == 404


def test_a_student_submits_from_the_assignment_and_sees_the_penalty(
    app_client: TestClient, web_services: Services
) -> None:
    _course(web_services)
    users = make_course(web_services.db, "c2", {"ada": "instructor", "alice": "student"})
    add_assignment(web_services.db, web_services.catalog, users["ada"], "c2",
                   late_spec(max_attempts=1))
    csrf = sign_in(app_client, "alice")
    page = app_client.get("/courses/c2/assignments/late")
    assert "late submissions until" in page.text and "Grant the extension" not in page.text
    assert 'name="assignment" value="c2/late"' in page.text
    exercise = app_client.get("/exercises/hello-api", params={"assignment": "c2/late"})
    assert 'type="hidden" name="assignment" value="c2/late"' in exercise.text
    sent = app_client.post("/exercises/hello-api/submit", data={
        "csrf_token": csrf, "assignment": "c2/late", "path-0": "app/main.py",
        "fixed-0": "1", "content-0": "PASS\n"})
    assert sent.status_code == 303, sent.text
    shown = app_client.get(sent.headers["location"])
    assert re.search(r'id="penalty">late: 20 % off<', shown.text)
    again = app_client.post("/exercises/hello-api/submit", data={
        "csrf_token": csrf, "assignment": "c2/late", "path-0": "app/main.py",
        "fixed-0": "1", "content-0": "PASS again\n"})
    assert again.status_code == 403
    assert "no attempts left: 1 of 1 used for this exercise" in again.text
    listed = app_client.get("/courses/c2/assignments/late")
    assert "late: 20 % off" in listed.text
    hostile = app_client.post("/exercises/hello-api/submit", data={
        "csrf_token": csrf, "assignment": "other/x\x00" + "y" * 5000, "path-0": "app/main.py",
        "fixed-0": "1", "content-0": "PASS\n"})
    assert hostile.status_code in (404, 422) and "Traceback" not in hostile.text


def test_staff_grant_extensions_and_release_grades_from_the_page(
    app_client: TestClient, web_services: Services
) -> None:
    _course(web_services)
    ada = make_course(web_services.db, "c3", {"ada": "instructor", "alice": "student"})["ada"]
    add_assignment(web_services.db, web_services.catalog, ada, "c3",
                   spec(hide_scores_until_released=True))
    csrf = sign_in(app_client, "ada")
    bad = app_client.post("/courses/c3/assignments/hw1/extensions", data={
        "csrf_token": csrf, "student": "alice", "due_at": "not a date"})
    assert bad.status_code == 422 and "due_at: not a date" in bad.text
    granted = app_client.post("/courses/c3/assignments/hw1/extensions", data={
        "csrf_token": csrf, "student": "alice", "due_at": "2999-06-01T10:00",
        "extra_attempts": "1", "reason": "ill <b>"})
    assert granted.status_code == 303
    page = app_client.get("/courses/c3/assignments/hw1").text
    assert "ill &lt;b&gt;" in page and "2999-06-01 10:00 UTC" in page
    assert "Release the grades" in page
    released = app_client.post("/courses/c3/assignments/hw1/release-grades",
                               data={"csrf_token": csrf})
    assert released.status_code == 303
    assert "Release the grades" not in app_client.get("/courses/c3/assignments/hw1").text
    student = TestClient(app_client.app, follow_redirects=False)
    student_csrf = sign_in(student, "alice")
    mine = student.get("/courses/c3/assignments/hw1").text
    assert "Your extension: due 2999-06-01 10:00 UTC" in mine
    refused = student.post("/courses/c3/assignments/hw1/release-grades",
                           data={"csrf_token": student_csrf})
    assert refused.status_code == 403
