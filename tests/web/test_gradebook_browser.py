"""The gradebook in real headless Chromium (Debian's, through Playwright):
the app under uvicorn on 127.0.0.1 in this process (no worker or Docker is
needed to read a gradebook), an instructor signs in, clicks a column header
and sees the order change, with the score charts drawn in SVG."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from grader.app import create_app
from grader.services.wiring import Services
from tests.helpers.browser_stack import ARGS, CHROMIUM
from tests.helpers.service_processes import free_port
from tests.helpers.web_signin import password
from tests.web.test_gradebook_page import build

pytestmark = [pytest.mark.docker]  # Chromium and uvicorn: real processes and sockets


@pytest.fixture
def served(web_services: Services) -> Iterator[str]:
    build(web_services)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(services=web_services), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def page(served: str) -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(base_url=served)
        yield context.new_page()
        context.close()
        browser.close()


def test_instructor_sorts_the_gradebook_by_clicking_a_header(page: Any) -> None:
    page.goto("/courses/c1/gradebook")
    assert "/signin" in page.url
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(password("ada"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/courses/c1/gradebook")
    students = page.locator("#gradebook tbody th.student")
    assert students.all_inner_texts() == ["<b>mal</b>", "alice", "bob"]
    assert page.locator("svg.score-chart").count() == 2
    assert page.locator("svg.score-chart rect.bar").count() == 20
    page.locator('#gradebook thead a[data-sort="hw1"]').click()
    page.wait_for_url("**sort=hw1&dir=asc")
    assert students.all_inner_texts() == ["bob", "alice", "<b>mal</b>"]  # 60, 90, 100
    page.locator('#gradebook thead a[data-sort="hw1"]').click()
    page.wait_for_url("**sort=hw1&dir=desc")
    assert students.all_inner_texts() == ["<b>mal</b>", "alice", "bob"]
    header = page.locator('#gradebook thead th[aria-sort="descending"]')
    assert header.inner_text().startswith("hw1 %")
    assert page.locator("svg.score-chart").first.is_visible()
