"""Assignments and extensions as services, on a migrated SQLite database
(no server needed): who may create, change, list and read them, every
field's check, extensions with their log, and repricing when deadlines move."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from grader.app import create_app
from grader.cli.main import app
from grader.courses.rules import LatePolicy
from grader.db import Database, Submission, User
from grader.services import assignments, extensions
from grader.services.assignment_input import AssignmentChanges, ExerciseWeight
from grader.services.catalog import Catalog
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.settings import get_settings
from tests.helpers.assignment_setup import (
    add_assignment,
    app_services,
    hours,
    late_spec,
    make_course,
    now,
    spec,
    submit,
    token,
)
from tests.helpers.service_fakes import FakeQueue
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401  (the `db` fixture)


@pytest.fixture
def people(db: Database) -> dict[str, User]:
    users = make_course(db, "cs101", {"ines": "instructor", "asa": "assistant",
                                      "stu": "student", "sam": "student"})
    users |= make_course(db, "other", {"olga": "instructor", "oscar": "student"})
    return users


def test_an_instructor_creates_an_assignment_and_a_student_reads_it_with_their_rules(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    made = add_assignment(db, catalog, people["ines"], "cs101", spec(max_attempts=3))
    assert (made.course, made.slug, made.staff) == ("cs101", "hw1", True)
    assert [(e.slug, e.weight) for e in made.exercises] == [("hello-api", 2.0)]
    seen = assignments.get_assignment(db=db, catalog=catalog, user=people["stu"],
                                      course="cs101", slug="hw1")
    assert seen.state == "open" and not seen.staff
    assert seen.exercises[0].attempts_used == 0 and seen.exercises[0].attempts_left == 3
    assert seen.your_due_at == made.due_at


@pytest.mark.parametrize("who", ["asa", "stu"])
def test_assistants_and_students_may_not_create(
    db: Database, catalog: Catalog, people: dict[str, User], who: str
) -> None:
    with pytest.raises(Forbidden, match="instructors"):
        add_assignment(db, catalog, people[who], "cs101", spec())


def test_another_courses_instructor_gets_not_found(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    with pytest.raises(NotFound):
        add_assignment(db, catalog, people["olga"], "cs101", spec("x1"))
    with pytest.raises(NotFound):
        assignments.get_assignment(db=db, catalog=catalog, user=people["oscar"],
                                   course="cs101", slug="hw1")


@pytest.mark.parametrize(("changes", "message"), [
    ({"due_at": datetime(2030, 1, 1)}, "due_at: give a time zone"),
    ({"release_at": datetime(2030, 1, 1)}, "release_at: give a time zone"),
    ({"exercises": [ExerciseWeight(slug="nope", weight=1)]}, "no exercise 'nope'"),
    ({"exercises": [ExerciseWeight(slug="hello-api", weight=0)]}, "weight"),
    ({"exercises": [ExerciseWeight(slug="hello-api", weight=float("nan"))]}, "weight"),
    ({"exercises": [ExerciseWeight(slug="hello-api", weight=1e300)]}, "weight"),
    ({"exercises": []}, "at least one exercise"),
    ({"due_at": now() - hours(3)}, "due_at: must be after release_at"),
    ({"late_until": now()}, "late_until: must not be before due_at"),
    ({"late_penalty": 1.5}, "late_penalty"),
    ({"late_penalty": -0.1}, "late_penalty"),
    ({"max_attempts": 10**12}, "max_attempts"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"title": "evil\x00title"}, "title: control characters"),
    ({"title": "x" * 201}, "title: at most 200"),
    ({"title": "  "}, "title: must not be empty"),
    ({"slug": "../etc"}, "slug:"),
    ({"slug": "A" * 500}, "slug:"),
])
def test_every_bad_field_is_named(
    db: Database, catalog: Catalog, people: dict[str, User], changes: dict[str, object],
    message: str
) -> None:
    with pytest.raises(Invalid, match=message.replace("(", r"\(")):
        add_assignment(db, catalog, people["ines"], "cs101", spec(**changes))
    assert assignments.list_assignments(db=db, catalog=catalog, user=people["ines"],
                                        course="cs101") == []


def test_a_second_assignment_with_the_same_slug_is_a_conflict(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    with pytest.raises(Conflict, match="slug"):
        add_assignment(db, catalog, people["ines"], "cs101", spec(title="Again"))
    kept = assignments.get_assignment(db=db, catalog=catalog, user=people["ines"],
                                      course="cs101", slug="hw1")
    assert kept.title == "Homework 1"


def test_students_list_released_assignments_only(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    add_assignment(db, catalog, people["ines"], "cs101", spec(
        "later", release_at=now() + hours(5), due_at=now() + hours(50)))

    def slugs(user: str) -> list[str]:
        views = assignments.list_assignments(db=db, catalog=catalog, user=people[user],
                                             course="cs101")
        return [v.slug for v in views]

    assert slugs("stu") == ["hw1"]
    assert slugs("asa") == ["hw1", "later"]
    with pytest.raises(NotFound):
        assignments.get_assignment(db=db, catalog=catalog, user=people["stu"],
                                   course="cs101", slug="later")
    with pytest.raises(NotFound):
        assignments.list_assignments(db=db, catalog=catalog, user=people["oscar"],
                                     course="cs101")


def test_an_extension_moves_one_students_deadline_reprices_and_is_logged(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", late_spec(max_attempts=2))
    late = submit(db, catalog, queue, people["stu"], "cs101/late")
    assert late.late_penalty == pytest.approx(0.2) and late.penalty_text == "late: 20 % off"
    granted = extensions.grant_extension(
        db=db, user=people["asa"], course="cs101", assignment="late", student="stu",
        due_at=now() + hours(2), extra_attempts=1, reason="ill")
    assert (granted.student, granted.granted_by, granted.extra_attempts) == ("stu", "asa", 1)
    with db.reading() as session:
        stored = session.scalar(select(Submission.late_penalty).where(Submission.id == late.id))
    assert stored == 0.0  # repriced from received_at: before the new due date
    mine = assignments.get_assignment(db=db, catalog=catalog, user=people["stu"],
                                      course="cs101", slug="late")
    assert mine.state == "open" and mine.your_max_attempts == 3
    assert mine.exercises[0].attempts_left == 2
    assert mine.extension is not None and mine.extension.reason == "ill"
    other = assignments.get_assignment(db=db, catalog=catalog, user=people["sam"],
                                       course="cs101", slug="late")
    assert other.state == "late" and other.extension is None
    log = extensions.list_extensions(db=db, user=people["ines"], course="cs101",
                                     assignment="late")
    assert [(e.student, e.granted_by) for e in log] == [("stu", "asa")]


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"student": "stu", "due_at": datetime(2030, 1, 1)}, Invalid, "due_at: give a time zone"),
    ({"student": "stu", "extra_attempts": 10**9}, Invalid, "extra_attempts"),
    ({"student": "stu", "extra_attempts": -1}, Invalid, "extra_attempts"),
    ({"student": "stu"}, Invalid, "give a new due_at"),
    ({"student": "stu", "extra_attempts": 1, "reason": "a\x1bb"}, Invalid, "reason"),
    ({"student": "stu", "extra_attempts": 1, "reason": "r" * 5000}, Invalid, "reason"),
    ({"student": "oscar", "extra_attempts": 1}, NotFound, "no member 'oscar'"),
    ({"student": "x" * 10_000, "extra_attempts": 1}, NotFound, "student"),
])
def test_bad_grants_are_refused_and_nothing_is_logged(
    db: Database, catalog: Catalog, people: dict[str, User], kwargs: dict[str, object],
    error: type[Exception], message: str
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    with pytest.raises(error, match=message):
        extensions.grant_extension(db=db, user=people["ines"], course="cs101",
                                   assignment="hw1", **kwargs)  # type: ignore[arg-type]
    assert extensions.list_extensions(db=db, user=people["ines"], course="cs101",
                                      assignment="hw1") == []


def test_students_may_neither_grant_nor_read_the_log(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    with pytest.raises(Forbidden):
        extensions.grant_extension(db=db, user=people["stu"], course="cs101",
                                   assignment="hw1", student="stu", extra_attempts=5)
    with pytest.raises(Forbidden):
        extensions.list_extensions(db=db, user=people["stu"], course="cs101",
                                   assignment="hw1")
    with pytest.raises(NotFound):  # another course's instructor
        extensions.grant_extension(db=db, user=people["olga"], course="cs101",
                                   assignment="hw1", student="stu", extra_attempts=5)


def test_moving_the_due_date_reprices_stored_penalties_from_received_at(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", late_spec())
    sub = submit(db, catalog, queue, people["stu"], "cs101/late")
    assert sub.late_penalty == pytest.approx(0.2)
    changed = assignments.update_assignment(
        db=db, catalog=catalog, user=people["ines"], course="cs101", slug="late",
        changes=AssignmentChanges(late_policy=LatePolicy.FACTOR, late_penalty=0.5))
    assert changed.late_policy is LatePolicy.FACTOR
    with db.reading() as session:
        assert session.get_one(Submission, sub.id).late_penalty == 0.5
    assignments.update_assignment(
        db=db, catalog=catalog, user=people["ines"], course="cs101", slug="late",
        changes=AssignmentChanges(due_at=now() + hours(1)))
    with db.reading() as session:
        assert session.get_one(Submission, sub.id).late_penalty == 0.0
    with pytest.raises(Invalid, match="late_until"):  # checked as a whole
        assignments.update_assignment(
            db=db, catalog=catalog, user=people["ines"], course="cs101", slug="late",
            changes=AssignmentChanges(due_at=now() + hours(100)))
    with pytest.raises(Forbidden):
        assignments.update_assignment(
            db=db, catalog=catalog, user=people["asa"], course="cs101", slug="late",
            changes=AssignmentChanges(title="mine now"))


def test_only_instructors_release_grades(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec(hide_scores_until_released=True))
    with pytest.raises(Forbidden):
        assignments.release_grades(db=db, catalog=catalog, user=people["asa"],
                                   course="cs101", slug="hw1")
    released = assignments.release_grades(db=db, catalog=catalog, user=people["ines"],
                                           course="cs101", slug="hw1")
    assert released.grades_released_at is not None


def test_the_api_creates_reads_changes_extends_and_releases(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, tmp_path: Path
) -> None:
    ines, asa, stu = (token(db, name) for name in ("ines", "asa", "stu"))
    base = "/api/v1/courses/cs101/assignments"
    body = {"slug": "hw1", "title": "Homework 1", "exercises": [{"slug": "hello-api"}],
            "release_at": "2020-01-01T00:00:00Z", "due_at": "2999-01-01T00:00:00+02:00",
            "max_attempts": 2, "hide_scores_until_released": True}
    with TestClient(create_app(services=app_services(db, catalog, tmp_path, queue))) as client:
        assert client.post(base, json=body, headers=stu).status_code == 403
        made = client.post(base, json=body, headers=ines)
        assert made.status_code == 201, made.text
        assert made.json()["due_at"].startswith("2998-12-31T22:00:00")  # stored in UTC
        assert client.post(base, json=body, headers=ines).status_code == 409
        naive = client.post(base, json={**body, "slug": "hw2", "due_at": "2999-01-01T00:00"},
                            headers=ines)
        assert naive.status_code == 422 and "due_at: give a time zone" in naive.text
        bad_date = client.post(base, json={**body, "slug": "hw2", "due_at": "2999-02-30"},
                               headers=ines)
        assert bad_date.status_code == 422 and "due_at" in bad_date.text
        assert [a["slug"] for a in client.get(base, headers=stu).json()] == ["hw1"]
        assert client.get(base, headers=token(db, "oscar")).status_code == 404
        patched = client.patch(f"{base}/hw1", json={"title": "HW one"}, headers=ines)
        assert patched.status_code == 200 and patched.json()["title"] == "HW one"
        assert client.patch(f"{base}/hw1", json={"title": "x"}, headers=asa).status_code == 403
        grant = {"student": "stu", "extra_attempts": 1, "reason": "ill"}
        assert client.post(f"{base}/hw1/extensions", json=grant, headers=stu).status_code == 403
        granted = client.post(f"{base}/hw1/extensions", json=grant, headers=asa)
        assert granted.status_code == 201 and granted.json()["granted_by"] == "asa"
        log = client.get(f"{base}/hw1/extensions", headers=ines).json()
        assert [(e["student"], e["extra_attempts"]) for e in log] == [("stu", 1)]
        mine = client.get(f"{base}/hw1", headers=stu).json()
        assert mine["your_max_attempts"] == 3 and mine["extension"]["reason"] == "ill"
        assert client.post(f"{base}/hw1/release-grades", headers=asa).status_code == 403
        released = client.post(f"{base}/hw1/release-grades", headers=ines)
        assert released.json()["grades_released_at"] is not None
        regraded = client.post(f"{base}/hw1/regrade", headers=asa)
        assert regraded.status_code == 202 and regraded.json() == {"requeued": []}


def test_the_cli_creates_lists_extends_and_releases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exercises_root: Path
) -> None:
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.setenv("GRADER_EXERCISES_DIR", str(exercises_root))
    get_settings.cache_clear()
    try:
        database = Database(f"sqlite:///{tmp_path / 'cli' / 'grader.db'}")
        database.migrate()
        make_course(database, "cs101", {"stu": "student"})
        runner = CliRunner()
        base = ["assignments", "create", "cs101", "hw1", "--title", "Homework",
                "--exercise", "hello-api:2", "--release", "2020-01-01T00:00Z"]
        made = runner.invoke(app, [*base, "--due", "2999-01-01T00:00Z", "--late-policy",
                                   "per_hour", "--penalty", "0.1", "--max-attempts", "3"])
        assert made.exit_code == 0, made.output
        assert "created cs101/hw1" in made.output
        naive = runner.invoke(app, [*base, "--due", "2999-01-01T00:00"])
        assert naive.exit_code == 2 and "due_at: give a time zone" in naive.output
        garbage = runner.invoke(app, [*base, "--due", "tomorrow\x1b[31m"])
        assert garbage.exit_code == 2 and "--due: not a date" in garbage.output
        weight = runner.invoke(app, [*base[:7], "hello-api:heavy", *base[8:], "--due", "x"])
        assert weight.exit_code == 2 and "SLUG:WEIGHT" in weight.output
        listed = runner.invoke(app, ["assignments", "list", "cs101"])
        assert listed.exit_code == 0 and "hello-api:2" in listed.output
        extended = runner.invoke(app, ["assignments", "extend", "cs101", "hw1", "stu",
                                       "--extra-attempts", "2", "--reason", "ill"])
        assert extended.exit_code == 0 and "+2 attempt(s)" in extended.output
        nobody = runner.invoke(app, ["assignments", "extend", "cs101", "hw1", "ghost",
                                     "--extra-attempts", "2"])
        assert nobody.exit_code == 2 and "no member 'ghost'" in nobody.output
        released = runner.invoke(app, ["assignments", "release-grades", "cs101", "hw1"])
        assert released.exit_code == 0 and "released at" in released.output
        log = extensions.list_extensions(db=database, user=User(name="x", role="admin"),
                                         course="cs101", assignment="hw1")
        assert [(e.student, e.granted_by) for e in log] == [("stu", "(command line)")]
        database.dispose()
    finally:
        get_settings.cache_clear()
