"""Assignments in a real browser (headless Chromium through Playwright)
against the real stack (uvicorn, Redis, a Celery worker grading in Docker):
an instructor creates an assignment with the form, and a student submits
on time and late, seeing the late penalty, then the penalised score."""

from __future__ import annotations

import re
from typing import Any

import pytest

from grader.courses.rules import LatePolicy
from grader.exercises.submission import read_submission
from grader.services.assignment_input import ExerciseWeight
from tests.helpers.assignment_setup import add_assignment, hours, make_course, now, spec
from tests.helpers.browser_stack import SLUG, Stack
from tests.web.test_browser import fill_files, shot, sign_in

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_an_instructor_creates_an_assignment_through_the_form(
    new_page: Any, stack: Stack
) -> None:
    make_course(stack.db, "web101", {"ada": "instructor", "alice": "student"})
    page = new_page()
    sign_in(page, "ada")
    page.goto("/courses/web101/assignments")
    page.get_by_role("link", name="New assignment").click()
    page.wait_for_url("**/courses/web101/assignments/new")
    assert "UTC" in page.locator("#utc-note").inner_text()
    page.get_by_label("Short name").fill("week1")
    page.get_by_label("Title").fill("Week 1: books")
    page.get_by_label("Exercises, one per line").fill(f"{SLUG}:2")
    page.get_by_label("Opens at (UTC)").fill("2020-01-01T09:00")
    page.get_by_label("Due at (UTC)").fill("2999-01-01T12:00")
    page.get_by_label("Attempts per exercise").fill("3")
    page.get_by_role("button", name="Create the assignment").click()
    page.wait_for_url("**/courses/web101/assignments/week1")
    assert page.locator("h1").inner_text() == "Week 1: books"
    assert "2999-01-01 12:00 UTC" in page.locator("#due").inner_text()
    assert page.locator("#assignment-exercises tbody tr").count() == 1
    shot(page, "assignment-created")


def _submit_reference(page: Any, stack: Stack, course: str, slug: str) -> None:
    page.goto(f"/courses/{course}/assignments/{slug}")
    page.get_by_role("button", name=re.compile("^Submit to Books API")).click()
    page.wait_for_url(re.compile(rf"/exercises/{SLUG}\?assignment="))
    assert f"{course}/{slug}" in page.locator("#submit-assignment").inner_text()
    pack = stack.catalog.get(SLUG)
    fill_files(page, read_submission(pack.solution, pack.manifest.submission))
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}$"))


def test_a_student_submits_on_time_and_late_and_sees_the_penalty(
    new_page: Any, stack: Stack
) -> None:
    users = make_course(stack.db, "web102", {"ada": "instructor", "alice": "student"})
    weights = [ExerciseWeight(slug=SLUG, weight=1)]
    add_assignment(stack.db, stack.catalog, users["ada"], "web102",
                   spec("ontime", exercises=weights))
    # Due half an hour ago, late submissions for a day at 10 % per started hour.
    add_assignment(stack.db, stack.catalog, users["ada"], "web102", spec(
        "late", exercises=weights, release_at=now() - hours(5), due_at=now() - hours(0.5),
        late_until=now() + hours(24), late_policy=LatePolicy.PER_HOUR, late_penalty=0.1))
    page = new_page()
    sign_in(page, "alice")
    _submit_reference(page, stack, "web102", "ontime")
    assert page.locator("#penalty").inner_text() == "on time"
    _submit_reference(page, stack, "web102", "late")
    assert page.locator("#penalty").inner_text() == "late: 10 % off"
    page.wait_for_selector("#live[data-final=yes]", state="attached", timeout=90_000)
    assert page.locator("#status").inner_text() == "graded"
    earned, total = (float(x) for x in page.locator("#score").inner_text().split(" / "))
    assert earned == total > 0
    penalised = page.locator("#penalised").inner_text()
    assert penalised == f"(late: 10 % off: counts {earned * 0.9:g})"
    shot(page, "assignment-late-submission")
    page.goto("/courses/web102/assignments/late")
    assert page.locator("#assignment-submissions .penalty").inner_text() == "late: 10 % off"
