"""LTI 1.3 end to end against the test platform (tests/helpers/lti_platform.py):
both the tool (the real app) and the platform are served by uvicorn on
127.0.0.1, and httpx plays the browser (cookies and all). Registration,
resource-link launch and sign-in, deep linking, a graded submission's score
reaching the platform's AGS endpoint through a real Celery worker, and NRPS."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy import select

from grader.app import create_app
from grader.db import Assignment, AssignmentExercise, CourseMember, Database, LtiPassback, utcnow
from grader.services import lti_passback, lti_platforms, submissions
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.lti_platform import INSTRUCTOR, LEARNER, TA, LaunchSpec, Platform, serve
from tests.helpers.service_fakes import SLUG
from tests.helpers.service_processes import WorkerProcess, service_env, wait_for


@pytest.fixture
def tool(live_services: Services) -> Iterator[str]:
    with serve(create_app(services=live_services)) as base:
        yield base


@pytest.fixture
def platform(tool: str, db: Database) -> Iterator[Platform]:
    with Platform(tool_base=tool).running() as running:
        reg = running.registration()
        lti_platforms.register_platform(
            db=db, issuer=reg["issuer"], client_id=reg["client_id"],
            auth_login_url=reg["auth_login_url"], auth_token_url=reg["auth_token_url"],
            key_set_url=reg["key_set_url"], deployment_ids=reg["deployment_ids"], name="Test LMS")
        yield running


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in {page[:500]}"
    return unescape(found.group(1))


def launch(browser: httpx.Client, platform: Platform, spec: LaunchSpec,
           *, replay: str | None = None) -> httpx.Response:
    """login initiation -> the platform's auth page -> its form POSTed to the tool."""
    start = browser.get(platform.login_url(spec))
    assert start.status_code == 302, start.text
    page = httpx.get(start.headers["location"]).text
    id_token = replay or field(page, "id_token")
    return browser.post("/lti/launch", data={"id_token": id_token,
                                             "state": field(page, "state")})


def add_assignment(db: Database, course_slug: str, slug: str = "hw1") -> None:
    from grader.db import Course

    with db.session() as session:
        course = session.scalar(select(Course).where(Course.slug == course_slug))
        assert course is not None
        assignment = Assignment(course_id=course.id, slug=slug, title="Homework 1",
                                release_at=utcnow() - timedelta(days=1),
                                due_at=utcnow() + timedelta(days=7))
        assignment.exercises.append(AssignmentExercise(exercise_slug=SLUG))
        session.add(assignment)


def test_resource_launch_signs_in_and_provisions(tool: str, platform: Platform,
                                                 db: Database) -> None:
    with httpx.Client(base_url=tool) as browser:
        answer = launch(browser, platform, LaunchSpec(sub="teacher-1", roles=[INSTRUCTOR],
                                                      email="grace@example.edu"))
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/courses/cs101"  # no assignment linked yet
        page = browser.get("/courses/cs101/lti")  # staff only: the session cookie works
        assert page.status_code == 200 and "LMS connection" in page.text
    with db.reading() as session:
        member = session.scalar(select(CourseMember))
        assert member is not None and member.role == "instructor"
        assert member.user.name == "grace" and member.user.role == "student"


def test_launch_never_takes_over_a_local_account_and_names_stay_unique(
        tool: str, platform: Platform, db: Database, alice: object) -> None:
    with httpx.Client(base_url=tool) as browser:
        assert launch(browser, platform, LaunchSpec(sub="s-9", roles=[TA],
                                                    email="alice@x.org")).status_code == 303
    with db.reading() as session:
        member = session.scalar(select(CourseMember))
        assert member is not None and member.role == "assistant"
        assert member.user.name == "alice-2"  # the local alice is someone else


def test_deep_link_round_trip_then_student_launch_opens_the_assignment(
        tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as teacher:
        assert launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR])
                      ).status_code == 303
        add_assignment(db, "cs101")
        picker = launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR],
                                                      deep_link=True))
        assert picker.status_code == 200 and "Homework 1" in picker.text
        answer = teacher.post("/lti/deep-link", data={
            "csrf_token": field(picker.text, "csrf_token"), "token": field(picker.text, "token"),
            "assignment": "hw1"})
        assert answer.status_code == 200, answer.text
        assert f"form-action 'self' {platform.base}" in answer.headers["content-security-policy"]
        action = re.search(r'id="lti-return" method="post" action="([^"]+)"', answer.text)
        assert action and unescape(action.group(1)) == f"{platform.base}/deep_link_return"
        done = httpx.post(unescape(action.group(1)), data={"JWT": field(answer.text, "JWT")})
        assert done.status_code == 200, done.text  # the platform verified our signature
    [items] = platform.deep_link_items
    assert items[0]["type"] == "ltiResourceLink"
    assert items[0]["custom"] == {"grader_assignment": "hw1"}
    assert items[0]["lineItem"]["scoreMaximum"] == 100
    with httpx.Client(base_url=tool) as student:
        answer = launch(student, platform, LaunchSpec(
            sub="s1", roles=[LEARNER], email="sam@example.edu", resource_link_id="rl-hw1",
            custom=items[0]["custom"]))
        assert answer.headers["location"] == "/courses/cs101/assignments/hw1"


def test_a_student_cannot_deep_link(tool: str, platform: Platform) -> None:
    with httpx.Client(base_url=tool) as browser:
        answer = launch(browser, platform, LaunchSpec(sub="s", roles=[LEARNER], deep_link=True))
        assert answer.status_code == 403 and "instructors" in answer.text


def _student_with_a_linked_assignment(tool: str, platform: Platform, db: Database) -> None:
    with httpx.Client(base_url=tool) as teacher:
        launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR]))
    add_assignment(db, "cs101")
    with httpx.Client(base_url=tool) as student:
        answer = launch(student, platform, LaunchSpec(
            sub="s1", roles=[LEARNER], email="sam@example.edu", resource_link_id="rl-hw1",
            custom={"grader_assignment": "hw1"}))
        assert answer.headers["location"] == "/courses/cs101/assignments/hw1"


def _submit(live_services: Services, db: Database, text: str) -> None:
    from grader.services import accounts

    sam = accounts.get_user(db=db, name="sam")
    submissions.create_submission(
        db=db, catalog=live_services.catalog, queue=live_services.queue, limiter=None,
        limits=live_services.limits, new=submissions.NewSubmission(
            user=sam, exercise=SLUG, files={"app/main.py": text}, assignment="cs101/hw1"))


def test_a_graded_submission_reaches_the_platform_through_the_worker(
        tool: str, platform: Platform, db: Database, live_services: Services,
        start_worker: Callable[..., WorkerProcess]) -> None:
    """The real grade task with the fake grading function (no Docker: this is
    about passback); Redis, Celery, the worker process and HTTP are real."""
    _student_with_a_linked_assignment(tool, platform, db)
    start_worker()
    _submit(live_services, db, "FAIL")  # one of two tests passes: 50 %
    wait_for(lambda: platform.scores, timeout=60)
    [score] = platform.scores
    assert score["lineitem"] == "rl-hw1" and score["userId"] == "s1"
    assert score["scoreGiven"] == 50 and score["scoreMaximum"] == 100
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    _submit(live_services, db, "PASS")  # the counted (best) score changes: posted again
    wait_for(lambda: len(platform.scores) == 2, timeout=60)
    assert platform.scores[1]["scoreGiven"] == 100


def test_a_failing_platform_is_retried_and_the_failure_is_visible_meanwhile(
        tool: str, platform: Platform, db: Database, live_services: Services, settings: Settings,
        start_worker: Callable[..., WorkerProcess]) -> None:
    _student_with_a_linked_assignment(tool, platform, db)
    platform.score_failures = 1000  # down until the test has seen the failure
    start_worker(env=service_env(settings, webhook_max_retries=10))
    _submit(live_services, db, "PASS")
    [failed] = wait_for(lambda: [r for r in lti_passback.operator_passbacks(db=db, course="cs101")
                                 if r.status == "failed"], timeout=60)
    assert failed.student == "sam" and "500" in (failed.last_error or "")
    with httpx.Client(base_url=tool) as teacher:  # instructors see it on the course's LTI page
        launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR]))
        page = teacher.get("/courses/cs101/lti").text
        assert "failed" in page and "platform hiccup" in page
    platform.score_failures = platform.score_calls  # the platform is back
    wait_for(lambda: platform.scores, timeout=60)

    def sent() -> LtiPassback | None:
        # The platform has the score before the worker has written that it
        # was sent: wait for the row too, not only for the platform.
        with db.reading() as session:
            row = session.scalar(select(LtiPassback))
            return row if row is not None and row.status == "sent" else None

    row = wait_for(sent, timeout=30)
    assert row.attempts >= 2
    assert row.score_sent == 100 and row.last_error is None
    assert lti_passback.operator_passbacks(db=db, course="cs101", problems_only=True) == []


def test_nrps_sync_adds_and_updates_members(tool: str, platform: Platform, db: Database) -> None:
    from grader.services import accounts

    with httpx.Client(base_url=tool) as teacher:
        launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR], email="tea@x.org"))
        platform.members = [
            {"user_id": "t", "status": "Active", "roles": [INSTRUCTOR], "email": "tea@x.org"},
            {"user_id": "n1", "status": "Active", "roles": [LEARNER], "name": "Nia Bold"},
            {"user_id": "n2", "status": "Inactive", "roles": [LEARNER], "name": "Gone"},
        ]
        page = teacher.get("/courses/cs101/lti")
        synced = teacher.post("/courses/cs101/lti/sync",
                              data={"csrf_token": field(page.text, "csrf_token")})
        assert synced.status_code == 200
        assert "1 added, 1 updated" in synced.text
    assert accounts.get_user(db=db, name="Nia-Bold").role == "student"


def test_another_courses_assignment_is_never_linked_or_returned(
        tool: str, platform: Platform, db: Database) -> None:
    """A launch's custom claim and the deep-link answer name assignments by
    slug: only the launched course's count, whatever the other course holds."""
    from grader.db import Course

    with db.session() as session:
        session.add(Course(slug="secret", title="Another course"))
    add_assignment(db, "secret", slug="exam")
    with httpx.Client(base_url=tool) as teacher:
        assert launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR])
                      ).status_code == 303
        add_assignment(db, "cs101")
        picker = launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR],
                                                      deep_link=True))
        assert "exam" not in picker.text
        csrf, token = field(picker.text, "csrf_token"), field(picker.text, "token")
        for slugs in (["exam"], ["../exam"], ["x" * 5000]):
            refused = teacher.post("/lti/deep-link", data={
                "csrf_token": csrf, "token": token, "assignment": slugs})
            assert refused.status_code == 422, slugs
            assert "choose at least one assignment" in refused.text
        altered = teacher.post("/lti/deep-link", data={
            "csrf_token": csrf, "token": token[:-4] + "AAAA", "assignment": "hw1"})
        assert altered.status_code == 422 and "expired or was altered" in altered.text
    with httpx.Client(base_url=tool) as colleague:  # another user's picker token
        page = launch(colleague, platform, LaunchSpec(sub="t2", roles=[INSTRUCTOR],
                                                      deep_link=True))
        stolen = colleague.post("/lti/deep-link", data={
            "csrf_token": field(page.text, "csrf_token"), "token": token, "assignment": "hw1"})
        assert stolen.status_code == 403 and "started by another user" in stolen.text
    with httpx.Client(base_url=tool) as student:
        answer = launch(student, platform, LaunchSpec(
            sub="s1", roles=[LEARNER], resource_link_id="rl-x",
            custom={"grader_assignment": "exam"}))
        assert answer.headers["location"] == "/courses/cs101"  # not /courses/secret/...
        assert student.get("/courses/secret").status_code == 404
    assert platform.deep_link_items == []
