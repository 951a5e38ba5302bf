"""Submitting inside an assignment, on real databases: what is stored (the
assignment, the server's time of receipt, the penalty), every refusal with
why and when, the attempt limit under 20 parallel submits (SQLite and
PostgreSQL), what staff and students may read, and regrades that keep the
assignment's rules."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from grader.app import create_app
from grader.db import Assignment, Database, Submission, SubmissionStatus, User
from grader.services import assignments, grading_jobs, regrade, submissions
from grader.services.catalog import Catalog
from grader.services.errors import Forbidden, Invalid, NotFound, Refused, ServiceError
from grader.settings import Settings
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
from tests.helpers.service_fakes import FakeQueue, fake_grade, make_pack
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401  (the `db` fixture)
from tests.service.test_postgres import pg_url  # noqa: F401  (the fixture)


@pytest.fixture
def exercises_root(tmp_path: Path) -> Path:
    root = tmp_path / "exercises"
    pack = make_pack(root)
    other = shutil.copytree(pack, root / "api-design" / "other-api")
    toml = other / "exercise.toml"
    toml.write_text(toml.read_text().replace('slug = "hello-api"', 'slug = "other-api"'))
    return root


@pytest.fixture
def people(db: Database) -> dict[str, User]:
    users = make_course(db, "cs101", {"ines": "instructor", "asa": "assistant",
                                      "stu": "student", "sam": "student"})
    users |= make_course(db, "other", {"olga": "instructor", "oscar": "student"})
    return users


def grade(db: Database, catalog: Catalog, tmp_path: Path, sub_id: str) -> None:
    settings = Settings(exercises_dir=tmp_path / "exercises", data_dir=tmp_path / "data",
                        database_url=f"sqlite:///{tmp_path / 'unused.db'}")
    result, _ = grading_jobs.grade_submission(
        db=db, catalog=catalog, submission_id=sub_id, claim_id=f"c-{sub_id}", grade=fake_grade,
        settings=settings, worker="test", max_retries=0, lease_seconds=60)
    assert result is grading_jobs.Result.GRADED


def test_a_submission_records_its_assignment_receipt_time_and_penalty(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    add_assignment(db, catalog, people["ines"], "cs101", late_spec())
    before = now()
    on_time = submit(db, catalog, queue, people["stu"], "cs101/hw1")
    late = submit(db, catalog, queue, people["stu"], "cs101/late")
    assert (on_time.course, on_time.assignment, on_time.late_penalty) == ("cs101", "hw1", 0.0)
    assert on_time.received_at is not None and before <= on_time.received_at <= now()
    assert on_time.penalty_text == ""
    assert late.late_penalty == pytest.approx(0.2) and late.penalty_text == "late: 20 % off"
    practice = submit(db, catalog, queue, people["stu"], None)
    assert practice.assignment is None and practice.late_penalty is None
    assert queue.grading == [on_time.id, late.id, practice.id]


@pytest.mark.parametrize(("who", "ref", "error", "message"), [
    ("oscar", "cs101/hw1", NotFound, "no course 'cs101'"),
    ("stu", "other/hw1", NotFound, "no course 'other'"),
    ("stu", "cs101/nope", NotFound, "no assignment 'nope'"),
    ("stu", "cs101", Invalid, "course-slug/assignment-slug"),
    ("stu", "cs101/hw1/x", Invalid, "course-slug/assignment-slug"),
    ("stu", "c\x00/\x1b" * 100, Invalid, "course-slug/assignment-slug"),
])
def test_hostile_assignment_references_are_refused(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, who: str,
    ref: str, error: type[ServiceError], message: str
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    with pytest.raises(error, match=message):
        submit(db, catalog, queue, people[who], ref)
    assert queue.grading == []


def test_an_exercise_outside_the_assignment_is_invalid(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    with pytest.raises(Invalid, match="'other-api' is not part of assignment 'cs101/hw1'"):
        submissions.create_submission(
            db=db, catalog=catalog, queue=queue, limiter=None,
            limits=submissions.SubmissionCaps(queue_max_depth=10, max_submission_bytes=10_000),
            new=submissions.NewSubmission(user=people["stu"], exercise="other-api",
                                          files={"app/main.py": "x"}, assignment="cs101/hw1"))


def test_refusals_say_why_and_when(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec(
        "soon", release_at=now() + hours(2), due_at=now() + hours(3)))
    add_assignment(db, catalog, people["ines"], "cs101", spec(
        "past", release_at=now() - hours(5), due_at=now() - hours(1)))
    with pytest.raises(Refused, match=r"opens at \d{4}-\d\d-\d\d \d\d:\d\d UTC") as opens:
        submit(db, catalog, queue, people["stu"], "cs101/soon")
    assert opens.value.reason == "not_released"
    with pytest.raises(Refused, match=r"was due at \d{4}-") as closed:
        submit(db, catalog, queue, people["stu"], "cs101/past")
    assert closed.value.reason == "closed" and isinstance(closed.value, Forbidden)
    assert queue.grading == []
    # Staff may submit at any time (their submissions count for nothing).
    staff = submit(db, catalog, queue, people["asa"], "cs101/past")
    assert staff.assignment == "past"


def test_the_attempt_limit_counts_queued_ones_but_never_not_gradable(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec(max_attempts=2))
    first = submit(db, catalog, queue, people["stu"], "cs101/hw1")
    submit(db, catalog, queue, people["stu"], "cs101/hw1")
    with pytest.raises(Refused, match="no attempts left: 2 of 2 used"):
        submit(db, catalog, queue, people["stu"], "cs101/hw1")
    with db.session() as session:  # one of them ended not_gradable: it costs nothing
        session.execute(update(Submission).where(Submission.id == first.id)
                        .values(status=SubmissionStatus.NOT_GRADABLE.value))
    submit(db, catalog, queue, people["stu"], "cs101/hw1")
    submit(db, catalog, queue, people["sam"], "cs101/hw1")  # another student's own count
    view = assignments.get_assignment(db=db, catalog=catalog, user=people["stu"],
                                      course="cs101", slug="hw1")
    assert view.exercises[0].attempts_used == 2 and view.exercises[0].attempts_left == 0


def _race(db: Database, catalog: Catalog, user: User, ref: str) -> list[str]:
    queue = FakeQueue()

    def one(_: int) -> str:
        try:
            return submit(db, catalog, queue, user, ref).id
        except Refused as exc:
            return exc.reason

    with ThreadPoolExecutor(max_workers=20) as pool:
        return list(pool.map(one, range(20)))


def test_twenty_parallel_submits_on_sqlite_accept_exactly_the_limit(
    db: Database, catalog: Catalog, people: dict[str, User]
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec(max_attempts=3))
    outcomes = _race(db, catalog, people["stu"], "cs101/hw1")
    assert outcomes.count("no_attempts_left") == 17
    assert len({o for o in outcomes if o != "no_attempts_left"}) == 3


def test_twenty_parallel_submits_on_postgresql_accept_exactly_the_limit(
    pg_url: str, catalog: Catalog  # noqa: F811
) -> None:
    database = Database(pg_url)
    database.migrate()
    try:
        users = make_course(database, "pg101", {"pgi": "instructor", "pgs": "student"})
        add_assignment(database, catalog, users["pgi"], "pg101", spec(max_attempts=3))
        outcomes = _race(database, catalog, users["pgs"], "pg101/hw1")
        assert outcomes.count("no_attempts_left") == 17
        assert len({o for o in outcomes if o != "no_attempts_left"}) == 3
    finally:
        database.dispose()


def test_attempt_numbers_count_per_assignment_and_a_regrade_keeps_the_rules(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, tmp_path: Path
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    practice = submit(db, catalog, queue, people["stu"], None)
    grade(db, catalog, tmp_path, practice.id)
    graded = submit(db, catalog, queue, people["stu"], "cs101/hw1")
    grade(db, catalog, tmp_path, graded.id)
    before = submissions.get_submission(db=db, user=people["stu"], submission_id=graded.id)
    assert before.attempt_number == 1 and before.late_penalty == 0.0  # not practice's 2nd
    # The clock passes the due date (moved in the database: no repricing).
    with db.session() as session:
        session.execute(update(Assignment).values(due_at=now() - hours(3),
                                                  release_at=now() - hours(4)))
    again = regrade.regrade_submission(db=db, catalog=catalog, queue=queue,
                                       user=people["asa"], submission_id=graded.id)
    assert again.status is SubmissionStatus.QUEUED
    grade(db, catalog, tmp_path, graded.id)
    after = submissions.get_submission(db=db, user=people["stu"], submission_id=graded.id)
    assert after.status is SubmissionStatus.GRADED and len(after.history) == 2
    assert (after.received_at, after.late_penalty, after.attempt_number) == (
        before.received_at, 0.0, 1)


def test_course_staff_read_list_and_regrade_their_courses_submissions_only(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, tmp_path: Path
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    sub = submit(db, catalog, queue, people["stu"], "cs101/hw1")
    practice = submit(db, catalog, queue, people["stu"], None)
    grade(db, catalog, tmp_path, sub.id)
    seen = submissions.get_submission(db=db, user=people["asa"], submission_id=sub.id)
    assert seen.user == "stu"
    listed = submissions.list_submissions(db=db, user=people["asa"])
    assert [v.id for v in listed] == [sub.id]  # not the practice one
    there = submissions.list_submissions(db=db, user=people["asa"], assignment="cs101/hw1")
    assert [v.id for v in there] == [sub.id]
    for outsider in ("olga", "sam"):
        with pytest.raises(NotFound):
            submissions.get_submission(db=db, user=people[outsider], submission_id=sub.id)
        with pytest.raises(NotFound):
            regrade.regrade_submission(db=db, catalog=catalog, queue=queue,
                                       user=people[outsider], submission_id=sub.id)
        with pytest.raises(NotFound):
            submissions.submission_status(db=db, user=people[outsider], submission_id=sub.id)
    with pytest.raises(NotFound):
        submissions.get_submission(db=db, user=people["asa"], submission_id=practice.id)
    with pytest.raises(NotFound):
        submissions.list_submissions(db=db, user=people["olga"], assignment="cs101/hw1")
    ids = regrade.regrade_assignment(db=db, catalog=catalog, queue=queue, user=people["asa"],
                                     course="cs101", assignment="hw1")
    assert ids == [sub.id]
    with pytest.raises(Forbidden):
        regrade.regrade_assignment(db=db, catalog=catalog, queue=queue, user=people["stu"],
                                   course="cs101", assignment="hw1")


def test_hidden_feedback_waits_for_the_due_date_and_scores_for_the_release(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, tmp_path: Path
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", spec(hide_hidden_until_due=True))
    add_assignment(db, catalog, people["ines"], "cs101", spec(
        "held", hide_scores_until_released=True))
    hidden = submit(db, catalog, queue, people["stu"], "cs101/hw1", source="FAIL\n")
    held = submit(db, catalog, queue, people["stu"], "cs101/held", source="FAIL\n")
    for sub_id in (hidden.id, held.id):
        grade(db, catalog, tmp_path, sub_id)
    mine = submissions.get_submission(db=db, user=people["stu"], submission_id=hidden.id)
    assert [t.name for t in mine.tests] == ["test_status"]  # the public one
    assert mine.score == 1 and mine.max_score == 2  # the total stays
    assert mine.withheld and mine.withheld.startswith("hidden tests' feedback after ")
    staff = submissions.get_submission(db=db, user=people["asa"], submission_id=hidden.id)
    assert len(staff.tests) == 2 and staff.withheld is None
    kept = submissions.get_submission(db=db, user=people["stu"], submission_id=held.id)
    assert kept.status is SubmissionStatus.GRADED
    assert (kept.score, kept.max_score, kept.tests, kept.outcome) == (None, None, [], None)
    assert all(run.score is None for run in kept.history)
    listed = {v.id: v for v in submissions.list_submissions(db=db, user=people["stu"])}
    assert listed[held.id].score is None and len(listed[hidden.id].tests) == 1
    assignments.release_grades(db=db, catalog=catalog, user=people["ines"], course="cs101",
                               slug="held")
    shown = submissions.get_submission(db=db, user=people["stu"], submission_id=held.id)
    assert shown.score == 1 and len(shown.tests) == 2


def test_the_api_submits_inside_an_assignment_and_refuses_with_why_and_when(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, tmp_path: Path
) -> None:
    add_assignment(db, catalog, people["ines"], "cs101", late_spec(max_attempts=2))
    add_assignment(db, catalog, people["ines"], "cs101", spec(
        "past", release_at=now() - hours(5), due_at=now() - hours(1)))
    stu = token(db, "stu")
    files = {"app/main.py": "PASS\n"}
    with TestClient(create_app(services=app_services(db, catalog, tmp_path, queue))) as client:
        sent = client.post("/api/v1/submissions", headers=stu, json={
            "exercise": "hello-api", "files": files, "assignment": "cs101/late"})
        assert sent.status_code == 202, sent.text
        assert sent.json()["penalty_text"] == "late: 20 % off"
        assert sent.json()["assignment"] == "late" and sent.json()["course"] == "cs101"
        upload = client.post("/api/v1/submissions", headers=stu,
                             data={"exercise": "hello-api", "assignment": "cs101/late"},
                             files={"files": ("app/main.py", b"PASS\n")})
        assert upload.status_code == 202, upload.text
        over = client.post("/api/v1/submissions", headers=stu, json={
            "exercise": "hello-api", "files": files, "assignment": "cs101/late"})
        assert over.status_code == 403
        assert over.json()["detail"] == "no attempts left: 2 of 2 used for this exercise"
        closed = client.post("/api/v1/submissions", headers=stu, json={
            "exercise": "hello-api", "files": files, "assignment": "cs101/past"})
        assert closed.status_code == 403 and "was due at" in closed.json()["detail"]
        # A time sent by the client is never taken: the field does not exist.
        clock = client.post("/api/v1/submissions", headers=stu, json={
            "exercise": "hello-api", "files": files, "assignment": "cs101/past",
            "received_at": "2000-01-01T00:00:00Z"})
        assert clock.status_code == 422 and "received_at: unknown field" in clock.text
        listed = client.get("/api/v1/submissions?assignment=cs101/late", headers=stu).json()
        assert len(listed) == 2
        huge = client.post("/api/v1/submissions", headers=stu, json={
            "exercise": "hello-api", "files": files, "assignment": "c/" + "a" * 5000})
        assert huge.status_code == 422 and "assignment" in huge.text
    assert len(queue.grading) == 2


def test_the_command_line_client_submits_inside_an_assignment(
    db: Database, catalog: Catalog, people: dict[str, User], queue: FakeQueue, tmp_path: Path
) -> None:
    """`grader submit --assignment cs101/late` goes through ApiClient.submit."""
    from grader.services.client import ApiClient

    add_assignment(db, catalog, people["ines"], "cs101", late_spec(max_attempts=1))
    stu = token(db, "stu")
    with TestClient(create_app(services=app_services(db, catalog, tmp_path, queue)),
                    base_url="http://testserver/api/v1", headers=stu) as http:
        client = ApiClient("http://testserver", "unused")
        client.http = http
        first = client.submit("hello-api", {"app/main.py": "PASS\n"}, assignment="cs101/late")
        assert first["assignment"] == "late" and first["penalty_text"] == "late: 20 % off"
        with pytest.raises(ServiceError, match="no attempts left: 1 of 1"):
            client.submit("hello-api", {"app/main.py": "PASS\n"}, assignment="cs101/late")
