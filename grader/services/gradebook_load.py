"""Loading a course's gradebook in a constant number of queries, whatever
the number of students: the members, the assignments (their exercises come
with one selectin), the extensions, and the students' assignment
submissions joined with their current grading's score in one select of the
few columns needed (never the files JSON). services.gradebook computes on
what this returns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.courses.rules import Attempt, CourseRole
from grader.db import (
    Assignment,
    CourseMember,
    Extension,
    Grading,
    Submission,
    SubmissionStatus,
    User,
)

PENDING = (SubmissionStatus.QUEUED.value, SubmissionStatus.RUNNING.value)


@dataclass(frozen=True)
class Student:
    user_id: int
    name: str
    email: str | None


@dataclass
class Loaded:
    """What the gradebook reads, keyed by ids (plain data after the session)."""

    students: list[Student]
    assignments: list[Assignment]  # release order, then slug
    extensions: dict[tuple[int, int], Extension] = field(default_factory=dict)  # (assignment, user)
    # (user, assignment) -> exercise slug -> graded attempts
    attempts: dict[tuple[int, int], dict[str, list[Attempt]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    pending: dict[tuple[int, int], int] = field(
        default_factory=lambda: defaultdict(int))  # (user, assignment) -> queued or running


def load(session: Session, *, course_id: int, user_id: int | None = None,
         assignment_id: int | None = None) -> Loaded:
    """The course's students (or the one `user_id`, if a student) and what
    they submitted to its assignments (or the one `assignment_id`)."""
    members = select(CourseMember.user_id, User.name, CourseMember.email).join(
        User, User.id == CourseMember.user_id).where(
        CourseMember.course_id == course_id, CourseMember.role == CourseRole.STUDENT.value)
    if user_id is not None:
        members = members.where(CourseMember.user_id == user_id)
    students = [Student(uid, name, email) for uid, name, email
                in session.execute(members.order_by(User.name, CourseMember.user_id))]
    query = select(Assignment).where(Assignment.course_id == course_id)
    if assignment_id is not None:
        query = query.where(Assignment.id == assignment_id)
    assignments = list(session.scalars(query.order_by(Assignment.release_at, Assignment.slug)))
    loaded = Loaded(students, assignments)
    ids = [a.id for a in assignments]
    if not students or not ids:
        return loaded
    wanted = [s.user_id for s in students] if user_id is not None else None
    _load_extensions(session, loaded, ids, wanted)
    _load_submissions(session, loaded, course_id, ids, wanted)
    return loaded


def _load_extensions(session: Session, loaded: Loaded, ids: list[int],
                     wanted: list[int] | None) -> None:
    query = select(Extension).where(Extension.assignment_id.in_(ids))
    if wanted is not None:
        query = query.where(Extension.user_id.in_(wanted))
    # Oldest first, so the newest grant (the one that counts) is stored last.
    for grant in session.scalars(query.order_by(Extension.granted_at, Extension.id)):
        loaded.extensions[(grant.assignment_id, grant.user_id)] = grant


def _load_submissions(session: Session, loaded: Loaded, course_id: int, ids: list[int],
                      wanted: list[int] | None) -> None:
    query = (
        select(Submission.user_id, Submission.assignment_id, Submission.exercise_slug,
               Submission.status, Submission.received_at, Submission.late_penalty,
               Grading.score, Grading.max_score)
        .outerjoin(Grading, Grading.id == Submission.current_grading_id)
        # Students only, by a join rather than a list of 200 ids.
        .join(CourseMember, (CourseMember.user_id == Submission.user_id)
              & (CourseMember.course_id == course_id)
              & (CourseMember.role == CourseRole.STUDENT.value))
        .where(Submission.assignment_id.in_(ids),
               Submission.status.in_((SubmissionStatus.GRADED.value, *PENDING)))
    )
    if wanted is not None:
        query = query.where(Submission.user_id.in_(wanted))
    for uid, aid, slug, status, received, penalty, score, max_score in session.execute(query):
        if aid is None:  # cannot happen (filtered above); tells the type checker
            continue
        if status in PENDING:
            loaded.pending[(uid, aid)] += 1
            continue
        fraction = min(1.0, max(0.0, score / max_score)) if score is not None and max_score \
            else 0.0
        loaded.attempts[(uid, aid)][slug].append(
            Attempt(received_at=received, fraction=fraction, penalty=penalty or 0.0))
