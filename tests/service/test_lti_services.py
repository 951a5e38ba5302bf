"""The LTI services without any server (the fast loop): platform registration
and its errors, the CLI, role mapping, nonces used once, the tool key, and
which passbacks `scores_changed` queues (scores held until released)."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from grader.courses.rules import CourseRole
from grader.db import (
    Assignment,
    Course,
    Database,
    LtiIdentity,
    LtiLineItem,
    LtiPassback,
    Role,
    Submission,
    User,
    utcnow,
)
from grader.lti.adapters import NonceSession
from grader.lti.keys import KEY_FILE, tool_key
from grader.lti.provision import course_role
from grader.services import lti_passback, lti_platforms
from grader.services.errors import Invalid
from grader.settings import Settings
from tests.helpers.lti_platform import INSTRUCTOR, LEARNER, TA
from tests.helpers.service_fakes import FakeQueue

PLATFORM = {"issuer": "https://lms.example", "client_id": "c1",
            "auth_login_url": "https://lms.example/auth", "auth_token_url": "https://lms.example/t",
            "key_set_url": "https://lms.example/jwks"}


@pytest.fixture
def lti_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'grader.db'}")
    db.migrate()
    yield db
    db.dispose()


def test_register_updates_and_adds_deployments(lti_db: Database) -> None:
    first = lti_platforms.register_platform(db=lti_db, deployment_ids=["d1"], **PLATFORM)
    again = lti_platforms.register_platform(db=lti_db, deployment_ids=["d2", "d1"], name="LMS",
                                            **PLATFORM)
    assert again.id == first.id and again.deployment_ids == ["d1", "d2"]
    assert [p.name for p in lti_platforms.list_platforms(db=lti_db)] == ["LMS"]


@pytest.mark.parametrize(("change", "message"), [
    ({"auth_login_url": "javascript:alert(1)"}, "auth login URL"),
    ({"key_set_url": "lms.example/jwks"}, "key set URL"),
    ({"issuer": " "}, "issuer"),
    ({"client_id": "x" * 300}, "client id"),
    ({"deployment_ids": []}, "deployment id"),
])
def test_bad_registrations_are_refused_clearly(lti_db: Database, change: dict[str, object],
                                               message: str) -> None:
    values: dict[str, object] = {**PLATFORM, "deployment_ids": ["d1"], **change}
    with pytest.raises(Invalid, match=message):
        lti_platforms.register_platform(db=lti_db, **values)  # type: ignore[arg-type]
    assert lti_platforms.list_platforms(db=lti_db) == []


def test_cli_registers_lists_and_prints_the_jwks(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.cli.main import app

    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GRADER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    args = ["lti", "register", "--deployment-id", "d1", "--deployment-id", "d2"]
    for key, value in PLATFORM.items():
        args += [f"--{key.replace('_', '-')}", value]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["lti", "platforms"])
    assert "https://lms.example" in listed.output and "d1, d2" in listed.output
    jwks = runner.invoke(app, ["lti", "jwks", "--base-url", "https://grader.example"])
    assert jwks.exit_code == 0
    assert json.loads(jwks.stdout)["keys"][0]["kty"] == "RSA"
    assert "https://grader.example/lti/login" in jwks.stderr
    bad = runner.invoke(app, ["lti", "passbacks", "no-such-course"])
    assert bad.exit_code == 2 and "no course" in bad.output and "Traceback" not in bad.output


def test_roles_map_to_course_roles_least_power_by_default() -> None:
    assert course_role([INSTRUCTOR]) is CourseRole.INSTRUCTOR
    assert course_role([INSTRUCTOR, TA]) is CourseRole.ASSISTANT
    assert course_role([LEARNER]) is CourseRole.STUDENT
    inst_admin = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
    assert course_role([inst_admin]) is CourseRole.STUDENT  # not a role in this course
    assert course_role("Instructor") is CourseRole.STUDENT  # not a list: ignored


def test_a_nonce_is_accepted_once_and_only_if_issued(lti_db: Database) -> None:
    api_one, api_two = NonceSession(lti_db), NonceSession(lti_db)  # two API processes
    api_one.save_nonce("n-1")
    assert api_two.check_nonce("n-1") is True
    assert api_one.check_nonce("n-1") is False
    assert api_one.check_nonce("never-issued") is False


def test_an_expired_nonce_is_refused(lti_db: Database) -> None:
    from grader.db import LtiNonce

    NonceSession(lti_db).save_nonce("old")
    with lti_db.session() as session:
        row = session.scalar(select(LtiNonce).where(LtiNonce.nonce == "old"))
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert NonceSession(lti_db).check_nonce("old") is False


def test_the_tool_key_is_made_once_and_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = tool_key(settings)
    assert tool_key(Settings(data_dir=tmp_path / "data")).kid == first.kid
    mode = (tmp_path / "data" / KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert first.jwks()["keys"][0]["kid"] == first.kid


def _linked(db: Database, *, hidden: bool) -> tuple[int, int]:
    """A course, an assignment with a line item, and a student with an LTI
    identity and a submission in it."""
    platform = lti_platforms.register_platform(db=db, deployment_ids=["d1"], **PLATFORM)
    with db.session() as session:
        from grader.db import Exercise

        course = Course(slug="c", title="C")
        student, other = User(name="s", role=Role.STUDENT), User(name="o", role=Role.STUDENT)
        exercise = Exercise(slug="e", content_hash="h", title="E", category="api-design")
        session.add_all([course, student, other, exercise])
        session.flush()
        assignment = Assignment(course_id=course.id, slug="a", title="A",
                                release_at=utcnow(), due_at=utcnow() + timedelta(days=1),
                                hide_scores_until_released=hidden)
        session.add(assignment)
        session.flush()
        session.add_all([
            LtiIdentity(platform_id=platform.id, sub="sub-s", user_id=student.id),
            LtiLineItem(assignment_id=assignment.id, platform_id=platform.id,
                        lineitem_url="https://lms.example/li/1", scopes="score"),
            *[Submission(user_id=u.id, exercise_id=exercise.id, exercise_slug="e", files={},
                         files_bytes=0, assignment_id=assignment.id) for u in (student, other)],
        ])
        return assignment.id, student.id


def test_scores_changed_queues_only_students_with_an_lms_identity(lti_db: Database) -> None:
    assignment_id, student_id = _linked(lti_db, hidden=False)
    queue = FakeQueue()
    assert lti_passback.scores_changed(db=lti_db, queue=queue, assignment_id=assignment_id) == 1
    assert lti_passback.scores_changed(db=lti_db, queue=queue, assignment_id=assignment_id,
                                       user_ids=[student_id]) == 1
    with lti_db.reading() as session:
        [row] = session.scalars(select(LtiPassback)).all()  # one row per (line item, student)
    assert row.status == "pending" and row.user_id == student_id
    assert queue.passbacks == [row.id, row.id]


def test_scores_hidden_until_released_are_not_queued(lti_db: Database) -> None:
    assignment_id, _ = _linked(lti_db, hidden=True)
    queue = FakeQueue()
    assert lti_passback.scores_changed(db=lti_db, queue=queue, assignment_id=assignment_id) == 0
    with lti_db.session() as session:
        session.get_one(Assignment, assignment_id).grades_released_at = utcnow()
    assert lti_passback.scores_changed(db=lti_db, queue=queue, assignment_id=assignment_id) == 1


def test_a_passback_with_nothing_graded_is_held_not_posted(lti_db: Database,
                                                           tmp_path: Path) -> None:
    assignment_id, _ = _linked(lti_db, hidden=False)
    queue = FakeQueue()
    lti_passback.scores_changed(db=lti_db, queue=queue, assignment_id=assignment_id)
    key = tool_key(Settings(data_dir=tmp_path / "data"))
    # The line item's host does not exist: had it tried to post, this would be "failed".
    assert lti_passback.send(db=lti_db, key=key, passback_id=queue.passbacks[0]) == "held"
    assert lti_passback.send(db=lti_db, key=key, passback_id=999) == "gone"


def test_releasing_grades_marks_the_held_scores_and_the_sweep_enqueues_them(
        lti_db: Database, tmp_path: Path) -> None:
    from grader.services import assignments
    from grader.services.catalog import Catalog
    from tests.helpers.service_fakes import make_pack

    _assignment_id, student_id = _linked(lti_db, hidden=True)
    root = tmp_path / "exercises"
    make_pack(root)
    catalog = Catalog(root)
    catalog.reload()
    admin = User(id=0, name="root", role=Role.ADMIN)  # admins act as instructors
    assignments.release_grades(db=lti_db, catalog=catalog, user=admin, course="c", slug="a")
    with lti_db.reading() as session:
        [row] = session.scalars(select(LtiPassback)).all()
    assert row.status == "pending" and row.user_id == student_id
    queue = FakeQueue()
    assert lti_passback.enqueue_pending(db=lti_db, queue=queue, settle_seconds=0) == 1
    assert queue.passbacks == [row.id]
    assert lti_passback.enqueue_pending(db=lti_db, queue=FakeQueue(), settle_seconds=3600) == 0


def test_an_extension_marks_only_that_students_score_for_the_lms(lti_db: Database) -> None:
    """An extension can change a counted score (a late penalty lifted): the
    student's passback goes pending in the same transaction as the grant."""
    from grader.db import CourseMember
    from grader.services import extensions

    assignment_id, student_id = _linked(lti_db, hidden=False)
    with lti_db.session() as session:
        course_id = session.get_one(Assignment, assignment_id).course_id
        session.add(CourseMember(course_id=course_id, user_id=student_id,
                                 role=CourseRole.STUDENT))
        admin = User(name="root", role=Role.ADMIN)  # admins act as instructors
        session.add(admin)
        session.flush()
        session.expunge(admin)
    extensions.grant_extension(db=lti_db, user=admin, course="c", assignment="a", student="s",
                               extra_attempts=2, reason="ill")
    with lti_db.reading() as session:
        [row] = session.scalars(select(LtiPassback)).all()
    assert row.status == "pending" and row.user_id == student_id
