"""A course with members and an assignment over the tiny test pack, made
straight in the database (the course services are engineer A's; these
tests are about assignments), and the submit call the assignment tests share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from grader.courses.rules import LatePolicy
from grader.db import Course, CourseMember, Database, Role, User
from grader.services import accounts, submissions
from grader.services.assignment_input import AssignmentSpec, ExerciseWeight
from grader.services.assignment_views import AssignmentView
from grader.services.assignments import create_assignment
from grader.services.catalog import Catalog
from grader.services.errors import NotFound
from grader.services.queue import Queue
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.service_fakes import SLUG

LIMITS = submissions.SubmissionCaps(queue_max_depth=1000, max_submission_bytes=10_000)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def now() -> datetime:
    return datetime.now(UTC)


def make_course(db: Database, slug: str, members: dict[str, str]) -> dict[str, User]:
    """The course and its members by name (role: instructor, assistant, student);
    users are created as global students unless they exist already."""
    users: dict[str, User] = {}
    with db.session() as session:
        course = Course(slug=slug, title=f"Course {slug}")
        session.add(course)
        session.flush()
        course_id = course.id
    for name, role in members.items():
        try:
            user = accounts.get_user(db=db, name=name)
        except NotFound:
            user = accounts.create_user(db=db, name=name, role=Role.STUDENT)
        with db.session() as session:
            session.add(CourseMember(course_id=course_id, user_id=user.id, role=role))
        users[name] = user
    return users


def spec(slug: str = "hw1", **changes: Any) -> AssignmentSpec:
    values: dict[str, Any] = {
        "slug": slug, "title": "Homework 1", "exercises": [ExerciseWeight(slug=SLUG, weight=2)],
        "release_at": now() - hours(1), "due_at": now() + hours(24),
    }
    values.update(changes)
    return AssignmentSpec(**values)


def late_spec(slug: str = "late", **changes: Any) -> AssignmentSpec:
    """Due an hour and a half ago, late submissions for a day at 10 % per started hour."""
    return spec(slug, release_at=now() - hours(5), due_at=now() - hours(1.5),
                late_until=now() + hours(24), late_policy=LatePolicy.PER_HOUR,
                late_penalty=0.1, **changes)


def add_assignment(db: Database, catalog: Catalog, instructor: User, course: str,
                   new: AssignmentSpec) -> AssignmentView:
    return create_assignment(db=db, catalog=catalog, user=instructor, course=course, spec=new)


def submit(db: Database, catalog: Catalog, queue: Queue, user: User, ref: str | None,
           source: str = "PASS\n", key: str | None = None) -> submissions.SubmissionView:
    view, _ = submissions.create_submission(
        db=db, catalog=catalog, queue=queue, limiter=None, limits=LIMITS,
        new=submissions.NewSubmission(user=user, exercise=SLUG, files={"app/main.py": source},
                                      assignment=ref, idempotency_key=key))
    return view


def app_services(db: Database, catalog: Catalog, root: Path, queue: Queue) -> Services:
    """The app's services over the test database, with no Redis (no rate limit)."""
    settings = Settings(exercises_dir=root / "exercises", data_dir=root / "data",
                        database_url=str(db.engine.url))
    return Services(settings=settings, db=db, catalog=catalog, queue=queue, redis=None,
                    limiter=None, docker_check=lambda: None)


def token(db: Database, name: str) -> dict[str, str]:
    _, secret = accounts.create_token(db=db, name=name)
    return {"Authorization": f"Bearer {secret}"}
