"""The gradebook page in-process: the instructor's sortable table and its
charts, a student's own row with the rules explained, and hostile input
(unknown sort keys, other courses, names with markup)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from grader.services.wiring import Services
from tests.helpers import gradebook_seed as seed
from tests.helpers.gradebook_seed import DUE, hours
from tests.helpers.web_signin import sign_in


def build(services: Services) -> None:
    """c1: ada teaches; alice (late, 10 % off), bob (extension) and a student
    whose name is markup. c2: bob only."""
    with services.db.session() as s:
        c1 = seed.course(s, "c1", {"ada": "instructor", "alice": "student", "bob": "student",
                                   "<b>mal</b>": "student"})
        c2 = seed.course(s, "c2", {"bob": "student"})
        alice, bob, mal = (seed.user(s, n) for n in ("alice", "bob", "<b>mal</b>"))
        hw1 = seed.assignment(s, c1, "hw1", {"ex-a": 1.0}, late_policy="factor",
                              late_penalty=0.1, late_until=DUE + hours(48))
        hw2 = seed.assignment(s, c1, "hw2", {"ex-a": 1.0}, hide_scores_until_released=True,
                              release_at=DUE - hours(100))
        seed.submission(s, who=alice, where=hw1, slug="ex-a", late=-1, score=4)
        seed.submission(s, who=alice, where=hw1, slug="ex-a", late=2, score=10, penalty=0.1)
        seed.submission(s, who=alice, where=hw2, slug="ex-a", late=-1, score=10)
        seed.extension(s, who=bob, where=hw1, due_at=DUE + hours(26))
        seed.submission(s, who=bob, where=hw1, slug="ex-a", late=25, score=6)
        seed.submission(s, who=mal, where=hw1, slug="ex-a", late=-1, score=10)
        seed.submission(s, who=mal, where=hw2, slug="ex-a", late=-1, score=2)
        seed.assignment(s, c2, "other", {"ex-a": 1.0})


def names(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="student">([^<]*)</th>', html)


def test_instructor_sorts_by_any_column_and_sees_a_chart_per_assignment(
        app_client: TestClient, web_services: Services) -> None:
    build(web_services)
    sign_in(app_client, "ada")
    page = app_client.get("/courses/c1/gradebook")
    assert page.status_code == 200
    assert names(page.text) == ["&lt;b&gt;mal&lt;/b&gt;", "alice", "bob"]
    assert "<b>mal</b>" not in page.text  # escaped, never markup
    assert len(re.findall(r'<svg class="score-chart" data-assignment="hw\d"', page.text)) == 2
    assert "late (late: 10 % off)" in page.text
    assert "ext.: extension to 2026-11-21 14:00 UTC" in page.text
    by_hw1 = app_client.get("/courses/c1/gradebook?sort=hw1&dir=desc")
    assert names(by_hw1.text) == ["&lt;b&gt;mal&lt;/b&gt;", "alice", "bob"]  # 100, 90, 60
    by_hw1_up = app_client.get("/courses/c1/gradebook?sort=hw1&dir=asc")
    assert names(by_hw1_up.text) == ["bob", "alice", "&lt;b&gt;mal&lt;/b&gt;"]
    assert 'aria-sort="ascending"' in by_hw1_up.text
    assert 'href="?sort=hw1&amp;dir=desc"' in by_hw1_up.text  # the sorted column flips
    total = app_client.get("/courses/c1/gradebook?sort=total&dir=desc")
    assert names(total.text)[0] == "alice"  # (90 + 100) / 2 beats (100 + 20) / 2


def test_hostile_sort_keys_fall_back_to_the_name(app_client: TestClient,
                                                 web_services: Services) -> None:
    build(web_services)
    sign_in(app_client, "ada")
    for query in ("sort=%3DHYPERLINK(1)&dir=desc", "sort=files&dir=%00", "sort=" + "x" * 5000,
                  "sort=user_id", "dir=sideways"):
        page = app_client.get(f"/courses/c1/gradebook?{query}")
        assert page.status_code == 200, query
        assert "HYPERLINK" not in page.text
        expected = ["bob", "alice", "&lt;b&gt;mal&lt;/b&gt;"] if "dir=desc" in query else \
            ["&lt;b&gt;mal&lt;/b&gt;", "alice", "bob"]
        assert names(page.text) == expected, query


def test_a_student_sees_their_own_row_and_why(app_client: TestClient,
                                              web_services: Services) -> None:
    build(web_services)
    sign_in(app_client, "alice")
    page = app_client.get("/courses/c1/gradebook")
    assert page.status_code == 200
    assert "bob" not in page.text and "mal" not in page.text and "score-chart" not in page.text
    assert "<li>late: 10 % off</li>" in page.text
    assert "<li>best of 2 attempts</li>" in page.text
    assert "not released" in page.text and "<li>not released yet</li>" in page.text
    app_client.post("/signout", data={"csrf_token": re.findall(
        r'name="csrf_token" value="([^"]+)"', page.text)[0]})
    sign_in(app_client, "bob")
    bob = app_client.get("/courses/c1/gradebook")
    assert "<li>extension to 2026-11-21 14:00 UTC</li>" in bob.text and "alice" not in bob.text


def test_other_courses_and_strangers_get_404_and_the_signed_out_sign_in(
        app_client: TestClient, web_services: Services) -> None:
    build(web_services)
    assert app_client.get("/courses/c1/gradebook").status_code == 303  # to the sign-in page
    sign_in(app_client, "alice")
    for slug in ("c2", "nope", "%3Dc1"):
        assert app_client.get(f"/courses/{slug}/gradebook").status_code == 404, slug


def test_the_page_downloads_the_csv_with_the_session(app_client: TestClient,
                                                     web_services: Services) -> None:
    """The page's own CSV link needs no API token; the same rules as the API."""
    build(web_services)
    assert app_client.get("/courses/c1/gradebook.csv").status_code == 303  # signed out
    sign_in(app_client, "ada")
    page = app_client.get("/courses/c1/gradebook")
    assert 'href="/courses/c1/gradebook.csv"' in page.text
    got = app_client.get("/courses/c1/gradebook.csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="c1-gradebook.csv"' in got.headers["content-disposition"]
    lines = got.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("name,email,hw1 %") and len(lines) == 4
    app_client.post("/signout", data={"csrf_token": re.findall(
        r'name="csrf_token" value="([^"]+)"', page.text)[0]})
    sign_in(app_client, "alice")
    own = app_client.get("/courses/c1/gradebook.csv").content.decode("utf-8-sig").splitlines()
    assert len(own) == 2 and own[1].startswith("alice,")  # only her row
    assert app_client.get("/courses/c2/gradebook.csv").status_code == 404
