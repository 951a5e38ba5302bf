"""Courses and members as services (SQLite, and PostgreSQL for the same
scenario), over the API with hostile values, and through the CLI: who may
create, list, enrol, change and remove; the last instructor stays; rosters
are all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from grader.app import create_app
from grader.cli.main import app as cli
from grader.courses.roster import MAX_ROWS
from grader.courses.rules import CourseRole
from grader.db import CourseMember, Database, Role, User
from grader.services import accounts, courses
from grader.services.catalog import Catalog
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.settings import get_settings
from tests.helpers.assignment_setup import app_services, token
from tests.helpers.service_fakes import FakeQueue
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401  (the `db` fixture)
from tests.service.test_postgres import pg_url  # noqa: F401  (the fixture)

ROSTER = "name,role,email\nines,instructor,\nstu1,,s1@uni.example\nstu2,student,\nasa,assistant,\n"


def people(db: Database, prefix: str = "") -> dict[str, User]:
    made = {}
    for name, role in (("ada", Role.AUTHOR), ("root", Role.ADMIN), ("ines", Role.STUDENT),
                       ("stu1", Role.STUDENT), ("olga", Role.AUTHOR)):
        made[name] = accounts.create_user(db=db, name=prefix + name, role=role)
    return made


def scenario(db: Database, p: str = "") -> None:
    """The whole life of a course; `p` prefixes names and slugs (a shared server)."""
    u = people(db, p)
    with pytest.raises(Forbidden, match="author or admin"):
        courses.create_course(db=db, user=u["stu1"], slug=p + "cs101", title="CS")
    made = courses.create_course(db=db, user=u["ada"], slug=p + "cs101", title=" Intro ")
    assert (made.slug, made.title, made.role) == (p + "cs101", "Intro", CourseRole.INSTRUCTOR)
    with pytest.raises(Conflict, match="exists already"):
        courses.create_course(db=db, user=u["olga"], slug=p + "cs101", title="again")
    courses.create_course(db=db, user=u["olga"], slug=p + "other", title="Other")
    roster = (f"name,role,email\n{p}ines,instructor,\n{p}stu1,,s1@uni.example\n"
              f"{p}stu2,student,\n{p}asa,assistant,\n")
    result = courses.import_roster(db=db, user=u["ada"], course=p + "cs101", text=roster)
    assert sorted(result.added) == sorted(p + n for n in ("ines", "stu1", "stu2", "asa"))
    assert sorted(result.created_users) == [p + "asa", p + "stu2"]
    assert [c.slug for c in courses.list_courses(db=db, user=u["stu1"])] == [p + "cs101"]
    assert {c.slug for c in courses.list_courses(db=db, user=u["root"])} >= {
        p + "cs101", p + "other"}
    listed = courses.list_members(db=db, user=u["ada"], course=p + "cs101")
    assert {(m.name, m.role.value) for m in listed} == {
        (p + "ada", "instructor"), (p + "ines", "instructor"), (p + "stu1", "student"),
        (p + "stu2", "student"), (p + "asa", "assistant")}
    with pytest.raises(Forbidden):
        courses.list_members(db=db, user=u["stu1"], course=p + "cs101")
    with pytest.raises(NotFound):
        courses.list_members(db=db, user=u["olga"], course=p + "cs101")
    courses.remove_member(db=db, user=u["ada"], course=p + "cs101", name=p + "ines")
    with pytest.raises(Conflict, match="no instructor left"):
        courses.set_role(db=db, user=u["ada"], course=p + "cs101", name=p + "ada",
                         role=CourseRole.STUDENT)
    with pytest.raises(Conflict, match="no instructor left"):
        courses.remove_member(db=db, user=u["ada"], course=p + "cs101", name=p + "ada")
    again = courses.import_roster(db=db, user=u["ada"], course=p + "cs101",
                                  text=f"name,role\n{p}stu1,assistant\n{p}stu2,\n")
    assert (again.updated, again.unchanged, again.added) == ([p + "stu1"], [p + "stu2"], [])


def test_the_course_scenario_on_sqlite(db: Database) -> None:
    scenario(db)


def test_the_course_scenario_on_postgresql(pg_url: str) -> None:  # noqa: F811
    database = Database(pg_url)
    database.migrate()
    try:
        scenario(database, "pg-")
    finally:
        database.dispose()


def test_enrol_creates_unknown_users_without_a_password_and_updates_members(
        db: Database) -> None:
    u = people(db)
    courses.create_course(db=db, user=u["ada"], slug="cs101", title="CS")
    new = courses.enrol(db=db, user=u["ada"], course="cs101", name="newbie",
                        email="n@uni.example")
    assert (new.status, new.created_user, new.member.role) == ("added", True, "student")
    assert accounts.get_user(db=db, name="newbie").password_hash is None
    same = courses.enrol(db=db, user=u["ada"], course="cs101", name="newbie")
    assert (same.status, same.member.email) == ("unchanged", "n@uni.example")
    assert courses.enrol(db=db, user=u["ada"], course="cs101", name="newbie",
                         role=CourseRole.ASSISTANT).status == "updated"
    for bad in ("=cmd()", "a\x00b", "x" * 65, ""):
        with pytest.raises(Invalid, match="name"):
            courses.enrol(db=db, user=u["ada"], course="cs101", name=bad)
    with pytest.raises(Invalid, match="email"):
        courses.enrol(db=db, user=u["ada"], course="cs101", name="ok", email="=1+1")
    with pytest.raises(Forbidden, match="instructors"):
        courses.enrol(db=db, user=accounts.get_user(db=db, name="newbie"), course="cs101",
                      name="stu1")
    with pytest.raises(NotFound):  # someone else's course
        courses.enrol(db=db, user=u["olga"], course="cs101", name="stu1")


@pytest.mark.parametrize(("slug", "title"), [
    ("A", "t"), ("cs_101", "t"), ("x" * 65, "t"), ("cs101\n", "t"), ("cs101", ""),
    ("cs101", "a\x1bb"), ("cs101", "t" * 201)])
def test_bad_slugs_and_titles_name_the_field(db: Database, slug: str, title: str) -> None:
    u = people(db)
    with pytest.raises(Invalid, match=r"slug|title"):
        courses.create_course(db=db, user=u["ada"], slug=slug, title=title)


def test_a_bad_roster_imports_nothing_and_names_every_line(db: Database) -> None:
    u = people(db)
    courses.create_course(db=db, user=u["ada"], slug="cs101", title="CS")
    with pytest.raises(courses.RosterInvalid) as caught:
        courses.import_roster(db=db, user=u["ada"], course="cs101",
                              text="name,role\ngood1,\n=cmd(),\ngood2,boss\n")
    assert caught.value.errors == [
        "line 3: name '=cmd()' is not a valid user name (1-64 letters, digits, '.', '_', "
        "'@' or '-', starting with a letter or digit)",
        "line 4: role 'boss' is not one of instructor, assistant, student"]
    # A roster that parses but would leave no instructor: rolled back whole.
    with pytest.raises(Conflict):
        courses.import_roster(db=db, user=u["ada"], course="cs101",
                              text="name,role\nfresh1,\nada,student\n")
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CourseMember)) == 1
        assert session.scalar(select(User).where(User.name.in_(["good1", "fresh1"]))) is None


def _api(db: Database, catalog: Catalog, tmp_path: Path) -> TestClient:
    return TestClient(create_app(services=app_services(db, catalog, tmp_path, FakeQueue()),
                                 migrate=False))


def test_api_access_rules_with_hostile_values(
        db: Database, catalog: Catalog, tmp_path: Path) -> None:
    u = people(db)
    with _api(db, catalog, tmp_path) as client:
        ada, olga, stu = token(db, "ada"), token(db, "olga"), token(db, "stu1")
        made = client.post("/api/v1/courses", json={"slug": "cs101", "title": "CS"}, headers=ada)
        assert made.status_code == 201 and made.json()["role"] == "instructor"
        assert client.post("/api/v1/courses", json={"slug": "x1", "title": "t"},
                           headers=stu).status_code == 403
        assert client.post("/api/v1/courses", json={"slug": "cs101", "title": "t"},
                           headers=olga).status_code == 409
        client.post("/api/v1/courses", json={"slug": "other", "title": "O"}, headers=olga)
        enrol = client.post("/api/v1/courses/cs101/members", json={"name": "stu1"}, headers=ada)
        assert enrol.status_code == 201 and enrol.json()["created_user"] is False
        # A student: their course yes, its members no; another course is a 404.
        assert client.get("/api/v1/courses/cs101", headers=stu).json()["role"] == "student"
        assert client.get("/api/v1/courses/cs101/members", headers=stu).status_code == 403
        assert client.get("/api/v1/courses/other/members", headers=stu).status_code == 404
        assert client.get("/api/v1/courses/other", headers=stu).status_code == 404
        assert client.get("/api/v1/courses/nope", headers=stu).status_code == 404
        # Another course's instructor cannot enrol, change or remove here.
        for call in (lambda: client.post("/api/v1/courses/cs101/members",
                                         json={"name": "olga", "role": "instructor"},
                                         headers=olga),
                     lambda: client.patch("/api/v1/courses/cs101/members/stu1",
                                          json={"role": "instructor"}, headers=olga),
                     lambda: client.delete("/api/v1/courses/cs101/members/stu1",
                                           headers=olga)):
            assert call().status_code == 404
        assert client.post("/api/v1/courses/cs101/members", json={"name": "x", "role": "god"},
                           headers=ada).status_code == 422
        bad = client.post("/api/v1/courses/cs101/members", json={"name": "=HYPERLINK()"},
                          headers=ada)
        assert bad.status_code == 422 and "name" in bad.json()["detail"]
        assert client.patch("/api/v1/courses/cs101/members/ada", json={"role": "student"},
                            headers=ada).status_code == 409
        assert client.delete("/api/v1/courses/cs101/members/stu1", headers=ada).status_code \
            == 204
        assert [c["slug"] for c in client.get("/api/v1/courses", headers=stu).json()] == []
    assert u["stu1"].name == "stu1"


def test_api_roster_uploads_caps_and_errors(
        db: Database, catalog: Catalog, tmp_path: Path) -> None:
    people(db)
    with _api(db, catalog, tmp_path) as client:
        ada, stu = token(db, "ada"), token(db, "stu1")
        client.post("/api/v1/courses", json={"slug": "cs101", "title": "CS"}, headers=ada)
        csv_headers = {**ada, "Content-Type": "text/csv"}
        ok = client.post("/api/v1/courses/cs101/roster", content=ROSTER, headers=csv_headers)
        assert ok.status_code == 200 and sorted(ok.json()["added"]) == [
            "asa", "ines", "stu1", "stu2"]
        part = client.post("/api/v1/courses/cs101/roster", headers=ada,
                           files={"file": ("r.csv", b"\xef\xbb\xbfname\r\nnew1\r\n", "text/csv")})
        assert part.status_code == 200 and part.json()["created_users"] == ["new1"]
        rows = "name\n" + "\n".join(f"u{i}" for i in range(6000)) + "\n"
        capped = client.post("/api/v1/courses/cs101/roster", content=rows, headers=csv_headers)
        assert capped.status_code == 422 and f"more than {MAX_ROWS} rows" in capped.text
        huge = client.post("/api/v1/courses/cs101/roster", content=b"name\n" + b"a" * 10_000_000,
                           headers=csv_headers)
        assert huge.status_code == 413
        bad = client.post("/api/v1/courses/cs101/roster", content="name\n=cmd()\n@x\n",
                          headers=csv_headers)
        assert bad.status_code == 422
        assert "line 2" in bad.json()["detail"] and "line 3" in bad.json()["detail"]
        assert client.post("/api/v1/courses/cs101/roster", content="name\nz\n",
                           headers={**stu, "Content-Type": "text/csv"}).status_code == 403
        assert client.post("/api/v1/courses/cs101/roster", json={"name": "x"},
                           headers=ada).status_code == 415
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CourseMember)) == 6


def test_cli_create_enrol_roster_members(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people(db)
    monkeypatch.setenv("GRADER_DATABASE_URL", str(db.engine.url))
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    run = CliRunner().invoke
    made = run(cli, ["courses", "create", "cs101", "--title", "CS [1]", "--owner", "ada"])
    assert made.exit_code == 0 and "created cs101" in made.output, made.output
    assert "created user" not in run(cli, ["courses", "enrol", "cs101", "stu1"]).output
    enrolled = run(cli, ["courses", "enrol", "cs101", "ghost", "--role", "assistant"])
    assert "added ghost as assistant" in enrolled.output and "new account" in enrolled.output
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("name,email\nn1,n1@uni.example\nstu1,\n")
    bad.write_text("name,role\n=cmd(),\nfine,\nx y,boss\n")
    imported = run(cli, ["courses", "roster", "cs101", str(good)])
    assert imported.exit_code == 0
    assert "added 1, updated 0, unchanged 1, created users 1" in imported.output
    refused = run(cli, ["courses", "roster", "cs101", str(bad)])
    assert refused.exit_code == 2
    assert "line 2" in refused.output and "line 4" in refused.output
    assert "nothing imported: 3 problem(s)" in refused.output
    listed = run(cli, ["courses", "members", "cs101"])
    assert "ghost" in listed.output and "fine" not in listed.output
    assert run(cli, ["courses", "members", "nope"]).exit_code == 2
    assert "cs101" in run(cli, ["courses", "list"]).output
    get_settings.cache_clear()
