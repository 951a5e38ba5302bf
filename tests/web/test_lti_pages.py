"""The LTI pages that need no LMS (fast loop): the admin's platform registry,
and the course LTI page's access rules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from grader.db import Course, CourseMember
from grader.services import accounts, lti_platforms
from grader.services.wiring import Services
from tests.helpers.web_signin import sign_in

FORM = {"issuer": "https://lms.example", "client_id": "c1", "name": "Campus LMS",
        "auth_login_url": "https://lms.example/auth", "auth_token_url": "https://lms.example/t",
        "key_set_url": "https://lms.example/jwks", "deployment_ids": "d1, d2"}


def test_admin_registers_a_platform_and_sees_the_tool_urls(app_client: TestClient,
                                                           web_services: Services) -> None:
    csrf = sign_in(app_client, "root")
    page = app_client.get("/admin/lti")
    assert page.status_code == 200 and "http://testserver/lti/jwks" in page.text
    done = app_client.post("/admin/lti", data={**FORM, "csrf_token": csrf})
    assert done.status_code == 303
    [platform] = lti_platforms.list_platforms(db=web_services.db)
    assert platform.deployment_ids == ["d1", "d2"] and platform.name == "Campus LMS"
    bad = app_client.post("/admin/lti", data={**FORM, "key_set_url": "nope", "csrf_token": csrf})
    assert bad.status_code == 422 and "key set URL" in bad.text


def test_the_platform_registry_is_for_admins_only(app_client: TestClient,
                                                  web_services: Services) -> None:
    csrf = sign_in(app_client, "ada")
    assert app_client.get("/admin/lti").status_code == 403
    assert app_client.post("/admin/lti", data={**FORM, "csrf_token": csrf}).status_code == 403
    assert lti_platforms.list_platforms(db=web_services.db) == []


def test_course_lti_page_is_for_staff_and_sync_for_instructors(
        app_client: TestClient, web_services: Services) -> None:
    db = web_services.db
    users = {name: accounts.get_user(db=db, name=name).id for name in ("alice", "bob")}
    with db.session() as session:
        course = Course(slug="cs1", title="CS 1")
        session.add(course)
        session.flush()
        for name, role in (("alice", "student"), ("bob", "assistant")):
            session.add(CourseMember(course_id=course.id, user_id=users[name], role=role))
    sign_in(app_client, "alice")
    assert app_client.get("/courses/cs1/lti").status_code == 403
    app_client.cookies.clear()
    csrf = sign_in(app_client, "bob")
    page = app_client.get("/courses/cs1/lti")
    assert page.status_code == 200 and "Sync roster" not in page.text
    assert "Every score that changed has reached the LMS" in page.text
    refused = app_client.post("/courses/cs1/lti/sync", data={"csrf_token": csrf})
    assert refused.status_code == 403 and "instructors" in refused.text
