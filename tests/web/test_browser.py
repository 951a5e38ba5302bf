"""The pages in a real browser: headless Chromium (Debian's) driven by
Playwright, against a real stack: the app under uvicorn in its own process,
Redis, a Celery worker process and Docker sandboxes grading the books-api
exercise. Screenshots of the main pages go to artifacts/screenshots/."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from grader.exercises.submission import read_submission
from grader.services import accounts, submissions
from tests.helpers.browser_stack import SHOTS, SLUG, Stack
from tests.helpers.service_fakes import FakeQueue
from tests.helpers.web_signin import password

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, name: str) -> None:
    page.goto("/exercises")
    assert "/signin" in page.url
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password(name))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/exercises")


def open_exercise(page: Any) -> None:
    page.get_by_role("link", name=re.compile("^Books API")).click()
    page.wait_for_url(f"**/exercises/{SLUG}")


def fill_files(page: Any, files: dict[str, str]) -> None:
    for path, text in files.items():
        page.get_by_label(f"Text of {path}", exact=True).fill(text)


def _final_status(page: Any, timeout: float = 90_000) -> str:
    """Wait for the script to swap in the results (locators, not wait_for_function:
    the pages' Content-Security-Policy forbids the eval that would need)."""
    page.wait_for_selector("#live[data-final=yes]", state="attached", timeout=timeout)
    return str(page.locator("#status").inner_text())


def test_student_submits_the_reference_and_watches_it_graded_live(
        new_page: Any, stack: Stack) -> None:
    page = new_page()
    sign_in(page, "alice")
    assert page.locator("h2", has_text="api-design").is_visible()
    assert page.locator("h2", has_text="security").is_visible()
    shot(page, "exercises")
    open_exercise(page)
    assert page.locator("article.prompt h1").inner_text().startswith("Books API")
    assert page.locator("article.prompt pre.highlight").count() >= 1  # highlighted code
    shot(page, "exercise")
    pack = stack.catalog.get(SLUG)
    fill_files(page, read_submission(pack.solution, pack.manifest.submission))
    started = time.monotonic()
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}$"))
    first = page.locator("#status").inner_text()
    assert first in ("queued", "running"), first  # not final yet: the change is live
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    assert _final_status(page) == "graded"
    elapsed = time.monotonic() - started
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    score = page.locator("#score").inner_text()
    earned, total = (float(x) for x in score.split(" / "))
    assert earned == total > 0, score
    rows = page.locator("#tests tbody tr")
    assert rows.count() >= 5
    assert page.locator("#tests .o-passed").count() == rows.count()
    assert "Every test passed." in page.locator(".score-box").inner_text()
    print(f"reference solution: submit to graded on the page in {elapsed:.2f} s")
    shot(page, "submission-graded")
    page.goto("/submissions")
    assert page.locator("table a", has_text="Details").count() >= 1
    shot(page, "my-submissions")


def test_starter_shows_failing_tests_with_their_hints(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "alice")
    open_exercise(page)
    page.get_by_role("button", name="Submit for grading").click()  # the starter as given
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}$"))
    assert _final_status(page) == "graded"
    earned, total = (float(x) for x in page.locator("#score").inner_text().split(" / "))
    assert earned < total
    failed = page.locator("#tests tr.t-failed")
    assert failed.count() >= 1
    hints = page.locator("#tests tr.t-failed .hint")
    assert hints.count() >= 1 and hints.first.inner_text().startswith("Hint:")
    # Public tests' messages are shown in full (open), hidden ones as the policy allows.
    assert "Some tests failed" in page.locator(".score-box").inner_text()
    shot(page, "submission-failed")


def test_core_flow_works_without_javascript(new_page: Any, stack: Stack) -> None:
    page = new_page(javascript=False)
    sign_in(page, "bob")
    open_exercise(page)
    pack = stack.catalog.get(SLUG)
    fill_files(page, read_submission(pack.solution, pack.manifest.submission))
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submissions/[0-9a-f-]{36}$"))
    # The <noscript> refresh reloads the page until the result is there.
    page.wait_for_selector("#score", timeout=90_000)
    assert page.locator("#status").inner_text() == "graded"
    earned, total = (float(x) for x in page.locator("#score").inner_text().split(" / "))
    assert earned == total > 0


def test_another_students_submission_url_is_404(new_page: Any, stack: Stack) -> None:
    alice = accounts.get_user(db=stack.db, name="alice")
    pack = stack.catalog.get(SLUG)
    view, _ = submissions.create_submission(
        db=stack.db, catalog=stack.catalog, queue=FakeQueue(), limiter=None,
        limits=submissions.SubmissionCaps(queue_max_depth=1000, max_submission_bytes=2_000_000),
        new=submissions.NewSubmission(
            user=alice, exercise=SLUG,
            files=read_submission(pack.starter, pack.manifest.submission)))
    page = new_page()
    sign_in(page, "bob")
    answer = page.goto(f"/submissions/{view.id}")
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text().startswith("Page not found")
    assert "alice" not in page.content()
    shot(page, "not-found")


def test_a_form_post_without_the_csrf_token_is_refused(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "alice")
    open_exercise(page)
    page.evaluate("document.querySelector('form.submit input[name=csrf_token]').remove()")
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Not allowed")
    assert "security token" in page.locator("main").inner_text()
    assert re.search(r"/exercises/books-api/submit$", page.url)


def test_author_sees_the_stats_page_with_the_chart(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "ada")
    page.get_by_role("link", name="Author").click()
    page.get_by_role("link", name=re.compile("^Books API")).click()
    page.wait_for_url(f"**/author/exercises/{SLUG}")
    chart = page.locator("svg#score-chart")
    assert chart.is_visible() and chart.locator("rect.bar").count() == 10
    desc = chart.locator("desc").text_content() or ""
    counts = [int(n) for n in re.findall(r": (\d+)", desc)]
    graded = int(re.search(r"(\d+) graded submission", page.locator("main").inner_text())[1])
    assert len(counts) == 10 and sum(counts) == graded
    assert page.locator("#pass-rates tbody tr").count() >= 1
    assert page.get_by_role("button", name=re.compile("^Regrade")).count() >= 1
    shot(page, "author-stats")


WIDE_ELEMENTS = """[...document.querySelectorAll('main *')]
  .filter(e => e.parentElement.getBoundingClientRect().right <= 376
               && e.getBoundingClientRect().right > 376)
  .slice(0, 5).map(e => e.tagName + '.' + e.className)"""


def test_phone_width_has_no_sideways_scroll(new_page: Any) -> None:
    page = new_page(width=375)
    sign_in(page, "alice")
    for path in ("/exercises", f"/exercises/{SLUG}", "/submissions"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate(WIDE_ELEMENTS)  # what sticks out, for the message
        assert width <= 376, (path, width, wide)
    page.goto(f"/exercises/{SLUG}")
    shot(page, "exercise-phone")
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


def test_keyboard_reaches_the_submit_button_and_pages_load_fast(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "alice")
    timings = {}
    for path in ("/exercises", f"/exercises/{SLUG}", "/submissions"):
        page.goto(path)
        timings[path] = page.evaluate(
            "performance.getEntriesByType('navigation')[0].duration")
    print("page load (navigation duration, ms):",
          {path: round(ms) for path, ms in timings.items()})
    assert all(ms < 3000 for ms in timings.values()), timings
    page.goto(f"/exercises/{SLUG}")
    labels = []
    for _ in range(60):
        page.keyboard.press("Tab")
        labels.append(page.evaluate("document.activeElement.id || "
                                    "document.activeElement.textContent"))
        if labels[-1] == "Submit for grading":
            break
    assert labels[-1] == "Submit for grading", labels
    # Every text area and upload is on the way.
    assert {"content-0", "upload-0", "content-1", "upload-1"} <= set(labels), labels


CONTRAST = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e)
      .backgroundColor); if (c.length < 4 || c[3] > 0) return c.slice(0, 3); }
    return [255, 255, 255]; };
  const worst = [];
  for (const e of document.querySelectorAll('body *')) {
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (e.closest('svg') || e.closest('.highlight') || !e.offsetParent) continue;
    const a = lum(rgb(getComputedStyle(e).color)), b = lum(bg(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push(e.tagName + '.' + e.className + ' ' + ratio.toFixed(2));
  }
  return worst;
}"""


def test_text_contrast_is_at_least_4_5_to_1(new_page: Any) -> None:
    page = new_page()
    sign_in(page, "ada")
    for path in ("/exercises", f"/exercises/{SLUG}", "/submissions", "/author",
                 f"/author/exercises/{SLUG}"):
        page.goto(path)
        assert page.evaluate(CONTRAST) == [], path
    # The check itself notices a pale heading.
    page.evaluate("document.querySelector('h1').style.color = '#bbbbbb'")
    assert any(found.startswith("H1") for found in page.evaluate(CONTRAST))
