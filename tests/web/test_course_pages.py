"""Course pages in-process (TestClient, SQLite): the course list, the course
page by role, enrolling with the form, and roster uploads (a bad file lists
every problem and imports nothing); outsiders get 404, forms need CSRF."""

from __future__ import annotations

from fastapi.testclient import TestClient

from grader.db import Role
from grader.services import accounts, courses
from grader.services.wiring import Services
from tests.helpers.web_signin import sign_in


def _courses(services: Services) -> None:
    db = services.db
    ada = accounts.get_user(db=db, name="ada")
    courses.create_course(db=db, user=ada, slug="cs101", title="Intro <CS>")
    courses.enrol(db=db, user=ada, course="cs101", name="alice")
    olga = accounts.create_user(db=db, name="olga", role=Role.AUTHOR)
    courses.create_course(db=db, user=olga, slug="other", title="Other course")


def test_the_course_list_shows_only_the_callers_courses_and_the_nav_link(
        app_client: TestClient, web_services: Services) -> None:
    _courses(web_services)
    sign_in(app_client, "alice")
    page = app_client.get("/courses")
    assert page.status_code == 200 and '<a href="/courses">Courses</a>' in page.text
    assert 'href="/courses/cs101">Intro &lt;CS&gt;</a>' in page.text
    assert "Other course" not in page.text and "student" in page.text
    assert app_client.get("/courses/other").status_code == 404
    assert app_client.get("/courses/nope").status_code == 404


def test_a_student_sees_the_course_without_members_or_forms(
        app_client: TestClient, web_services: Services) -> None:
    _courses(web_services)
    csrf = sign_in(app_client, "alice")
    page = app_client.get("/courses/cs101")
    assert page.status_code == 200 and '<strong id="your-role">student</strong>' in page.text
    assert 'href="/courses/cs101/gradebook"' in page.text
    assert 'id="members"' not in page.text and 'id="roster"' not in page.text
    assert 'id="lti-link"' not in page.text  # the LMS page is for staff
    refused = app_client.post("/courses/cs101/members",
                              data={"name": "bob", "csrf_token": csrf})
    assert refused.status_code == 403 and "instructors" in refused.text


def test_an_instructor_enrols_with_the_form(app_client: TestClient,
                                            web_services: Services) -> None:
    _courses(web_services)
    csrf = sign_in(app_client, "ada")
    page = app_client.get("/courses/cs101")
    assert 'id="members"' in page.text and 'id="enrol"' in page.text
    assert 'href="/courses/cs101/lti" id="lti-link"' in page.text
    no_csrf = app_client.post("/courses/cs101/members", data={"name": "bob"})
    assert no_csrf.status_code == 403
    added = app_client.post("/courses/cs101/members", data={
        "name": "newbie", "role": "assistant", "email": "", "csrf_token": csrf})
    assert added.status_code == 200
    assert "added newbie as assistant (a new account without a password)" in added.text
    bad = app_client.post("/courses/cs101/members",
                          data={"name": "=cmd()", "role": "student", "csrf_token": csrf})
    assert bad.status_code == 422 and "is not a valid user name" in bad.text
    boss = app_client.post("/courses/cs101/members",
                           data={"name": "bob", "role": "boss", "csrf_token": csrf})
    assert boss.status_code == 422 and "role: &#39;boss&#39;" in boss.text
    # Another course: as if it did not exist.
    assert app_client.post("/courses/other/members", data={
        "name": "bob", "csrf_token": csrf}).status_code == 404
    listed = [m.name for m in courses.list_members(
        db=web_services.db, user=accounts.get_user(db=web_services.db, name="ada"),
        course="cs101")]
    assert listed == ["ada", "alice", "newbie"]


def test_roster_upload_good_and_bad(app_client: TestClient, web_services: Services) -> None:
    _courses(web_services)
    csrf = sign_in(app_client, "ada")
    bad = app_client.post("/courses/cs101/roster", data={"csrf_token": csrf}, files={
        "roster": ("r.csv", b"name,role\nfine1,\n=cmd(),\nfine2,boss\n", "text/csv")})
    assert bad.status_code == 422
    assert "2 problems; nothing was changed" in bad.text
    assert "line 3: name &#39;=cmd()&#39;" in bad.text and "line 4: role" in bad.text
    assert "fine1" not in bad.text.split('id="members"')[1]
    binary = app_client.post("/courses/cs101/roster", data={"csrf_token": csrf},
                             files={"roster": ("r.csv", b"\xff\xfe", "text/csv")})
    assert binary.status_code == 422 and "not UTF-8" in binary.text
    good = app_client.post("/courses/cs101/roster", data={"csrf_token": csrf}, files={
        "roster": ("r.csv", "\ufeffname,email\r\nbob,bob@uni.example\r\nalice,\r\n".encode(),
                   "text/csv")})
    assert good.status_code == 200
    assert "1 added, 0 updated, 1 unchanged, 0 new accounts" in good.text
    assert "bob@uni.example" in good.text
    student = TestClient(app_client.app, follow_redirects=False)
    other_csrf = sign_in(student, "alice")
    assert student.post("/courses/cs101/roster", data={"csrf_token": other_csrf}, files={
        "roster": ("r.csv", b"name\nmallory\n", "text/csv")}).status_code == 403


def test_an_author_creates_a_course_with_the_form(app_client: TestClient,
                                                  web_services: Services) -> None:
    _courses(web_services)
    csrf = sign_in(app_client, "ada")
    assert 'id="new-course"' in app_client.get("/courses").text
    made = app_client.post("/courses", data={"slug": "web201", "title": "Web <201>",
                                             "csrf_token": csrf})
    assert made.status_code == 303 and made.headers["location"].endswith("/courses/web201")
    page = app_client.get("/courses/web201")
    assert '<strong id="your-role">instructor</strong>' in page.text
    assert "Web &lt;201&gt;" in page.text
    taken = app_client.post("/courses", data={"slug": "cs101", "title": "x", "csrf_token": csrf})
    assert taken.status_code == 409 and "exists already" in taken.text
    for hostile in ("../etc", "=cmd()", "A" * 300, "a"):
        bad = app_client.post("/courses", data={"slug": hostile, "title": "t",
                                                "csrf_token": csrf})
        assert bad.status_code == 422, hostile
    assert app_client.post("/courses", data={"slug": "nocsrf", "title": "t"}).status_code == 403


def test_a_student_cannot_create_a_course(app_client: TestClient,
                                          web_services: Services) -> None:
    _courses(web_services)
    csrf = sign_in(app_client, "alice")
    assert 'id="new-course"' not in app_client.get("/courses").text
    refused = app_client.post("/courses", data={"slug": "mine", "title": "t",
                                                "csrf_token": csrf})
    assert refused.status_code == 403 and "author or admin" in refused.text
