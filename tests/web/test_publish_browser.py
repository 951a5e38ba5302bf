"""Publishing in a real browser (headless Chromium through Playwright) against
the real stack: uvicorn, Redis, a grading worker and an authoring worker
(Celery, queue "authoring") proving in Docker. An author goes from /author
to the upload form, uploads a small python pack and watches the proving log
stream in and the verdict turn "proven" without a reload; a pack whose
mutant passes every test ends "failed" naming the mutant; a hostile archive
is refused on the form and nothing is stored."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from grader.db.publishing import ExerciseVersion
from tests.helpers.browser_stack import Stack, authoring_worker  # noqa: F401  (fixture)
from tests.helpers.publish_packs import member, pack_bytes, tar_gz
from tests.helpers.service_processes import WorkerProcess
from tests.web.test_browser import shot, sign_in

pytestmark = [pytest.mark.docker, pytest.mark.slow]
VERSION_URL = re.compile(r"/author/versions/\d+$")
PROVING = 300_000  # ms: an image build and two runs of each case on a busy 2-core machine


def _versions(stack: Stack) -> int:
    with stack.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ExerciseVersion)) or 0)


def _upload(page: Any, name: str, data: bytes) -> None:
    page.goto("/author")
    page.locator("#publish-link").click()
    page.wait_for_url("**/author/publish")
    page.get_by_label("Pack archive").set_input_files(
        files=[{"name": name, "mimeType": "application/gzip", "buffer": data}])
    page.get_by_role("button", name="Publish", exact=True).click()


def _follow(page: Any) -> tuple[str, int]:
    """Wait for the verdict on a version page; (final status, page loads meanwhile)."""
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    # The first log lines arrive while the version is still being proven.
    page.locator("#log", has_text="building the image").wait_for(timeout=PROVING)
    assert page.locator("#proving").get_attribute("data-final") == "no"
    assert page.locator("#status").inner_text() in ("pending", "checking")
    page.wait_for_selector("#proving[data-final=yes]", state="attached", timeout=PROVING)
    return page.locator("#status").inner_text(), len(loads)


def test_an_author_publishes_watches_it_proven_then_a_broken_and_a_hostile_pack(
        new_page: Any, stack: Stack, authoring_worker: WorkerProcess,  # noqa: F811
        tmp_path: Path) -> None:
    page = new_page()
    sign_in(page, "ada")

    _upload(page, "adder.tar.gz", pack_bytes(tmp_path / "good", "adder"))
    page.wait_for_url(VERSION_URL)
    assert page.locator("h1").inner_text().startswith("Add numbers")
    status, reloads = _follow(page)
    assert (status, reloads) == ("proven", 0)
    log = page.locator("#log").inner_text()
    assert "image ready; checking" in log and "run 2/2" in log
    assert page.locator("#verdict").inner_text().startswith("proven:")
    version_id = page.url.rsplit("/", 1)[1]
    row = page.locator(f'[data-version-status="{version_id}"]')
    assert row.inner_text() == "proven"  # the version list too, without a reload
    assert page.locator(f'[data-version-active="{version_id}"]').inner_text() == "yes"
    shot(page, "publish-proven")

    _upload(page, "broken.tar.gz", pack_bytes(tmp_path / "bad", "adder-broken",
                                              mutant_passes=True))
    page.wait_for_url(VERSION_URL)
    status, reloads = _follow(page)
    assert (status, reloads) == ("failed", 0)
    verdict = page.locator("#verdict").inner_text()
    assert verdict.startswith("failed:") and "mutant 'abs'" in verdict
    shot(page, "publish-failed")

    stored = _versions(stack)
    hostile = tar_gz([member("p/../../x.py")], {"p/../../x.py": b"print('out')\n"})
    _upload(page, "hostile.tar.gz", hostile)
    problems = page.locator("#problems")
    problems.wait_for()
    assert page.url.endswith("/author/publish")
    text = problems.inner_text()
    assert "The upload was refused" in text and "hostile.tar.gz: refused" in text
    assert "'p/../../x.py': '..' or '.' in the path" in text
    assert _versions(stack) == stored == 2
    shot(page, "publish-refused")
