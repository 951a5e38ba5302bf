"""A real Chromium launched from the test LMS: the platform's page auto-submits
its signed id token into the tool (both on 127.0.0.1, each under uvicorn), and
the browser lands signed in on the linked assignment's page. No Docker: no
grading happens here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from grader.app import create_app
from grader.db import Database
from grader.services import lti_platforms
from grader.services.wiring import Services
from tests.helpers.browser_stack import SHOTS
from tests.helpers.lti_platform import INSTRUCTOR, LEARNER, LaunchSpec, Platform, serve
from tests.service.test_lti_flow import add_assignment, launch


@pytest.fixture
def lms(web_services: Services) -> Iterator[tuple[str, Platform]]:
    with serve(create_app(services=web_services)) as tool, \
            Platform(tool_base=tool).running() as platform:
        reg = platform.registration()
        lti_platforms.register_platform(db=web_services.db, name="Test LMS", **{
            k: reg[k] for k in ("issuer", "client_id", "auth_login_url", "auth_token_url",
                                "key_set_url", "deployment_ids")})
        yield tool, platform


def test_launch_from_the_lms_lands_signed_in_on_the_assignment(
        lms: tuple[str, Platform], web_services: Services, browser: Any) -> None:
    tool, platform = lms
    db: Database = web_services.db
    with httpx.Client(base_url=tool) as teacher:  # the course comes from the first launch
        assert launch(teacher, platform, LaunchSpec(sub="t", roles=[INSTRUCTOR])
                      ).status_code == 303
    add_assignment(db, "cs101")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(platform.login_url(LaunchSpec(
            sub="s1", roles=[LEARNER], email="sam@example.edu", resource_link_id="rl-hw1",
            custom={"grader_assignment": "hw1"})))
        page.wait_for_url(f"{tool}/courses/cs101/assignments/hw1", timeout=15000)
        assert page.locator(".who").inner_text().startswith("sam")
        assert "Homework 1" in page.content()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "lti-launch.png"))
        # The session is a normal one: another page of the tool knows the user.
        page.goto(f"{tool}/account")
        assert page.locator(".who").inner_text().startswith("sam")
    finally:
        context.close()
