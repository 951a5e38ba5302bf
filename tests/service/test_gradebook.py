"""The gradebook service on SQLite and PostgreSQL, its API (JSON and CSV)
and `grader gradebook export`, over a small course made in the database: a
late submission, an extension, a not_gradable one and a queued one that
count nothing, best vs last vs last_before_due, scores not yet released."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from grader.app import create_app
from grader.db import Assignment, Course, CourseMember, Database, Role, User
from grader.services import accounts
from grader.services.catalog import Catalog
from grader.services.errors import NotFound
from grader.services.gradebook import assignment_score, course_gradebook, export_gradebook
from grader.services.wiring import Services
from grader.settings import Settings, get_settings
from tests.helpers import gradebook_seed as seed
from tests.helpers.gradebook_seed import DUE, hours
from tests.helpers.service_fakes import FakeQueue
from tests.service.test_postgres import pg_url  # noqa: F401  (the module's PostgreSQL server)

STAFF = {"ines": "instructor", "abe": "assistant"}
STUDENTS = {"ann": "student", "bea": "student", "=cid": "student"}


def build_course(db: Database) -> None:
    with db.session() as s:
        c1 = seed.course(s, "c1", {**STAFF, **STUDENTS})
        c2 = seed.course(s, "c2", {"zed": "student"})
        ann, bea, ines = (seed.user(s, n) for n in ("ann", "bea", "ines"))
        hw1 = seed.assignment(s, c1, "hw1", {"ex-a": 2.0, "ex-b": 1.0}, late_policy="per_day",
                              late_penalty=0.1, late_until=DUE + hours(72))
        hw2 = seed.assignment(s, c1, "hw2", {"ex-a": 1.0}, score_policy="last_before_due",
                              hide_scores_until_released=True, due_at=DUE + hours(1))
        hw3 = seed.assignment(s, c1, "hw3", {"ex-a": 1.0}, score_policy="last",
                              due_at=DUE + hours(2))
        # ann: late and better (0.9 after 10 % off) beats on time 0.5; ex-b full.
        seed.submission(s, who=ann, where=hw1, slug="ex-a", late=-5, score=5)
        seed.submission(s, who=ann, where=hw1, slug="ex-a", late=3, score=10, penalty=0.1)
        seed.submission(s, who=ann, where=hw1, slug="ex-b", late=-2, score=10)
        for where in (hw2, hw3):  # on time full marks, then late and poor
            seed.submission(s, who=ann, where=where, slug="ex-a", late=-1, score=10)
            seed.submission(s, who=ann, where=where, slug="ex-a", late=1, score=2, penalty=0.1)
        # bea: an extension (an older grant superseded), her late one is on time for her.
        seed.extension(s, who=bea, where=hw1, due_at=DUE + hours(5), granted_at=DUE - hours(9))
        seed.extension(s, who=bea, where=hw1, due_at=DUE + hours(48), extra_attempts=2)
        seed.submission(s, who=bea, where=hw1, slug="ex-a", late=24, score=8, penalty=0.0)
        seed.submission(s, who=bea, where=hw1, slug="ex-b", late=-3, score=None,
                        status="not_gradable")
        seed.submission(s, who=bea, where=hw1, slug="ex-b", late=-1, score=None,
                        status="queued")
        # Staff submissions and other courses' never show.
        seed.submission(s, who=ines, where=hw1, slug="ex-a", late=-1, score=10)
        other = seed.assignment(s, c2, "hw1", {"ex-a": 1.0})
        seed.submission(s, who=seed.user(s, "zed"), where=other, slug="ex-a", late=-1, score=7)


def of_c1(session: Session, slug: str) -> Assignment | None:
    return session.scalar(select(Assignment).join(Course, Course.id == Assignment.course_id)
                          .where(Course.slug == "c1", Assignment.slug == slug))


def check_staff_view(db: Database, viewer: str) -> None:
    with db.reading() as s:
        user = seed.user(s, viewer)
    book = course_gradebook(db=db, slug="c1", user=user, now=DUE)
    assert book.staff and [a.slug for a in book.assignments] == ["hw1", "hw2", "hw3"]
    rows = {r.name: r for r in book.students}
    assert sorted(rows) == ["=cid", "ann", "bea"]  # no staff, nobody of c2
    ann, bea, cid = rows["ann"], rows["bea"], rows["=cid"]
    assert [c.percent for c in ann.cells] == [93.33, 100.0, 18.0]
    assert ann.cells[0].late and ann.cells[0].penalty_text == "late: 10 % off"
    assert not ann.cells[1].late and ann.cells[2].late
    assert ann.total == round((93.33 + 100 + 18) / 3, 2)
    assert bea.cells[0].percent == 53.33 and not bea.cells[0].late
    assert bea.cells[0].attempts == 1 and bea.cells[0].pending == 1
    assert bea.cells[0].extension is not None
    assert bea.cells[0].extension.text == "extension to 2026-11-22 12:00 UTC, +2 attempts"
    assert [c.percent for c in cid.cells] == [0.0, 0.0, 0.0] and cid.email == "=cid@example.org"


def check_student_view(db: Database) -> None:
    with db.reading() as s:
        ann = seed.user(s, "ann")
        hw1, hw2 = of_c1(s, "hw1"), of_c1(s, "hw2")
        assert hw1 is not None and hw2 is not None
        book = course_gradebook(db=db, slug="c1", user=ann, now=DUE)
        assert not book.staff and [r.name for r in book.students] == ["ann"]
        cells = book.students[0].cells
        assert cells[1].percent is None and not cells[1].released
        assert "not released yet" in cells[1].why and cells[1].penalty_text == ""
        assert book.students[0].total == round((93.33 + 18) / 2, 2)  # released ones only
        assert "best of 3 attempts" in cells[0].why and "late: 10 % off" in cells[0].why
        score = assignment_score(s, assignment=hw1, user_id=ann.id)
        assert score is not None and score.percent == 93.33 and score.late and score.released
        assert score.counted == {"ex-a": pytest.approx(0.9), "ex-b": 1.0}
        hidden = assignment_score(s, assignment=hw2, user_id=ann.id)
        assert hidden is not None and hidden.percent == 100.0 and not hidden.released
        for nobody in ("=cid", "ines", "zed"):  # no attempt, staff, other course
            assert assignment_score(s, assignment=hw1, user_id=seed.user(s, nobody).id) is None
    for outsider, slug in (("zed", "c1"), ("ann", "c2"), ("ann", "no-such")):
        with db.reading() as s:
            who = seed.user(s, outsider)
        with pytest.raises(NotFound, match="no course"):
            course_gradebook(db=db, slug=slug, user=who)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'grader.db'}")
    db.migrate()
    yield db
    db.dispose()


def test_gradebook_on_sqlite(sqlite_db: Database) -> None:
    build_course(sqlite_db)
    with sqlite_db.session() as s:
        s.add(User(name="root", role=Role.ADMIN.value))
    for viewer in ("ines", "abe", "root"):  # instructor, assistant, admin (not a member)
        check_staff_view(sqlite_db, viewer)
    check_student_view(sqlite_db)
    assert len(export_gradebook(db=sqlite_db, slug="c1").students) == 3
    with pytest.raises(NotFound):
        export_gradebook(db=sqlite_db, slug="nope")


def test_gradebook_on_postgresql(pg_url: str) -> None:  # noqa: F811
    db = Database(pg_url)
    db.migrate()
    try:
        build_course(db)
        check_staff_view(db, "ines")
        check_student_view(db)
    finally:
        db.dispose()


def test_the_number_of_queries_does_not_grow_with_the_students(sqlite_db: Database) -> None:
    build_course(sqlite_db)
    with sqlite_db.reading() as s:
        ines = seed.user(s, "ines")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    def queries() -> int:
        statements.clear()
        event.listen(sqlite_db.engine, "before_cursor_execute", count)
        try:
            course_gradebook(db=sqlite_db, slug="c1", user=ines)
        finally:
            event.remove(sqlite_db.engine, "before_cursor_execute", count)
        return len(statements)

    few = queries()
    with sqlite_db.session() as s:  # 30 more students of c1, each with work in hw1
        hw1 = of_c1(s, "hw1")
        assert hw1 is not None
        for n in range(30):
            member = seed.user(s, f"s{n:02}")
            s.add(CourseMember(course_id=hw1.course_id, user_id=member.id, role="student"))
            seed.submission(s, who=member, where=hw1, slug="ex-a", late=-1, score=n % 10)
    assert queries() == few
    assert not any("files" in q.split("FROM")[0] for q in statements)  # never the files JSON


# --- the API -------------------------------------------------------------------------------

@pytest.fixture
def api(sqlite_db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    build_course(sqlite_db)
    settings = Settings(exercises_dir=tmp_path / "ex", data_dir=tmp_path / "data",
                        database_url=sqlite_db.url)
    (tmp_path / "ex").mkdir()
    catalog = Catalog(settings.exercises_dir)
    services = Services(settings=settings, db=sqlite_db, catalog=catalog, queue=FakeQueue(),
                        redis=None, limiter=None, docker_check=lambda: None)
    tokens = {name: accounts.create_token(db=sqlite_db, name=name)[1]
              for name in ("ines", "ann", "zed")}
    with TestClient(create_app(services=services)) as client:
        yield client, tokens


def get(api: tuple[TestClient, dict[str, str]], who: str, path: str, **headers: str) -> Any:
    client, tokens = api
    return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}", **headers})


def test_api_json_for_staff_and_only_their_row_for_a_student(api: Any) -> None:
    staff = get(api, "ines", "/api/v1/courses/c1/gradebook")
    assert staff.status_code == 200
    assert [r["name"] for r in staff.json()["students"]] == ["=cid", "ann", "bea"]
    own = get(api, "ann", "/api/v1/courses/c1/gradebook")
    assert own.status_code == 200 and [r["name"] for r in own.json()["students"]] == ["ann"]
    assert "bea" not in own.text and "cid" not in own.text
    for who, slug in (("zed", "c1"), ("ann", "c2"), ("ann", "../c1")):
        answer = get(api, who, f"/api/v1/courses/{slug}/gradebook")
        assert answer.status_code == 404, (who, slug)
    assert api[0].get("/api/v1/courses/c1/gradebook").status_code == 401


@pytest.mark.parametrize("how", ["accept", "format"])
def test_api_csv_by_accept_and_by_format(api: Any, how: str) -> None:
    answer = (get(api, "ines", "/api/v1/courses/c1/gradebook", Accept="text/csv")
              if how == "accept" else get(api, "ines", "/api/v1/courses/c1/gradebook?format=csv"))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="c1-gradebook.csv"'
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["name", "email", "hw1 %"] and rows[0][-1] == "total %"
    assert [r[0] for r in rows[1:]] == ["'=cid", "ann", "bea"]  # formula name neutralised
    assert rows[2][2:4] == ["93.33", "late: 10 % off"]


def test_api_csv_for_a_student_leaves_unreleased_blank_and_bad_format_is_named(api: Any) -> None:
    rows = list(csv.reader(io.StringIO(
        get(api, "ann", "/api/v1/courses/c1/gradebook?format=csv").content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == "ann"
    assert rows[1][6] == ""  # hw2 % is not released to her
    bad = get(api, "ines", "/api/v1/courses/c1/gradebook?format=xlsx%00=1")
    assert bad.status_code == 422 and bad.json()["detail"].startswith("format: unknown value")


# --- the command line --------------------------------------------------------------------

def test_cli_export_writes_csv_and_json_and_refuses_an_unknown_course(
        sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli.main import app

    build_course(sqlite_db)
    monkeypatch.setenv("GRADER_DATABASE_URL", sqlite_db.url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out_csv, out_json = tmp_path / "c1.csv", tmp_path / "c1.json"
        done = runner.invoke(app, ["gradebook", "export", "c1", "--csv", str(out_csv),
                                   "--json", str(out_json)])
        assert done.exit_code == 0, done.output
        rows = list(csv.reader(io.StringIO(out_csv.read_text("utf-8-sig"))))
        assert [r[0] for r in rows[1:]] == ["'=cid", "ann", "bea"]
        assert json.loads(out_json.read_text())["course"] == "c1"
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        missing = runner.invoke(app, ["gradebook", "export", "=nope", "--csv", str(out_csv)])
        assert missing.exit_code == 2 and "no course '=nope'" in missing.output
        nothing = runner.invoke(app, ["gradebook", "export", "c1"])
        assert nothing.exit_code == 2 and "--csv" in nothing.output
        nowhere = runner.invoke(app, ["gradebook", "export", "c1", "--csv",
                                      str(tmp_path / "no" / "x.csv")])
        assert nowhere.exit_code == 2 and "no folder" in nowhere.output
    finally:
        get_settings.cache_clear()
