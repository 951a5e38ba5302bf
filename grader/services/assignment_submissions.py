"""Submitting inside an assignment, and what each reader sees of such a
submission.

Admission (`target` before anything is stored, `admit` inside the insert's
transaction): the caller must be a member of the course, the exercise part
of the assignment, and for students the rules decide (released, still
open, attempts left) on the server's time of receipt. The count and the
insert share one transaction: on PostgreSQL it locks the student's
course_members row first, on SQLite the write transaction is already
exclusive (BEGIN IMMEDIATE), so parallel submits are counted one at a time.
Staff may submit at any time; their submissions count for nothing in the
gradebook.

Reading (`shape`): course staff see everything; a student sees public
tests and the total until their due date when hidden tests' feedback is
held back, and no score at all while scores wait to be released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from grader.courses import rules
from grader.db import (
    Assignment,
    Course,
    CourseMember,
    Database,
    Grading,
    Submission,
    User,
    utcnow,
)
from grader.services.assignments import attempts_used, find, parse_ref
from grader.services.course_access import latest_extension, member_role, student_rules
from grader.services.errors import Invalid, Refused
from grader.services.views import SubmissionView, submission_view


@dataclass(frozen=True)
class Target:
    assignment_id: int
    course_id: int
    staff: bool


def target(*, db: Database, user: User, ref: str, exercise: str) -> Target:
    """The assignment a submission goes to; NotFound for a non-member (or an
    unreleased assignment, for a student), Invalid for another exercise."""
    course, slug = parse_ref(ref)
    with db.reading() as session:
        found = find(session, course=course, slug=slug, user=user, unreleased=True)
        if exercise not in {e.exercise_slug for e in found.assignment.exercises}:
            raise Invalid(f"exercise {exercise[:100]!r} is not part of assignment {ref!r}")
        return Target(found.assignment.id, found.access.course.id, found.access.staff)


def admit(session: Session, *, target: Target, user: User, exercise: str,
          received_at: datetime) -> float:
    """The late penalty of a submission received now; Refused with why and
    when. Call inside the transaction that inserts it."""
    if not target.staff and session.get_bind().dialect.name == "postgresql":
        session.execute(select(CourseMember.id).where(
            CourseMember.course_id == target.course_id, CourseMember.user_id == user.id,
        ).with_for_update())
    assignment = session.get_one(Assignment, target.assignment_id)
    own = student_rules(assignment, latest_extension(session, assignment.id, user.id))
    if not target.staff:
        used = attempts_used(session, assignment.id, user.id).get(exercise, 0)
        refused = rules.refusal(own.deadlines, received_at, attempts_used=used,
                                max_attempts=own.max_attempts)
        if refused is not None:
            raise Refused(refused[1], refused[0].value)
    return rules.late_penalty(own.deadlines, received_at)


@dataclass
class Readers:
    """What one request knows about assignments and the caller's roles (so a
    list of submissions asks once per assignment)."""

    session: Session
    user: User
    assignments: dict[int, tuple[Assignment, str]]

    def of(self, assignment_id: int) -> tuple[Assignment, str]:
        if assignment_id not in self.assignments:
            assignment = self.session.get_one(Assignment, assignment_id)
            course = self.session.get_one(Course, assignment.course_id)
            self.assignments[assignment_id] = (assignment, course.slug)
        return self.assignments[assignment_id]

    def view(self, sub: Submission, history: list[Grading] | None = None, *,
             sees_all: bool) -> SubmissionView:
        """The submission as this reader may see it (`sees_all`: author or admin)."""
        shown = submission_view(sub, history, author=sees_all)
        shape(shown, sub, self, sees_all=sees_all)
        return shown

    def may_read(self, owner_id: int, assignment_id: int | None, *, sees_all: bool) -> bool:
        """Its owner, authors and admins, and the staff of its assignment's course."""
        if owner_id == self.user.id or sees_all:
            return True
        return assignment_id is not None and self.staff(assignment_id)

    def staff(self, assignment_id: int) -> bool:
        assignment, _ = self.of(assignment_id)
        role = member_role(self.session, assignment.course_id, self.user)
        return role is not None and role.staff


def assignment_id(session: Session, *, ref: str, user: User) -> int:
    """The id of "course/assignment" if the caller may see it (NotFound else)."""
    course, slug = parse_ref(ref)
    return find(session, course=course, slug=slug, user=user).assignment.id


def readers(session: Session, user: User) -> Readers:
    return Readers(session, user, {})


def staff_assignments(user: User) -> Select[int]:
    """The ids of the assignments in courses where the user is staff (a subquery)."""
    staff_roles = [rules.CourseRole.INSTRUCTOR.value, rules.CourseRole.ASSISTANT.value]
    return select(Assignment.id).join(
        CourseMember, CourseMember.course_id == Assignment.course_id).where(
        CourseMember.user_id == user.id, CourseMember.role.in_(staff_roles))


def shape(view: SubmissionView, sub: Submission, known: Readers, *, sees_all: bool) -> None:
    """Name the course and assignment, and hold back from a student what the
    assignment's options keep for later."""
    if sub.assignment_id is None:
        return
    assignment, course = known.of(sub.assignment_id)
    view.course, view.assignment = course, assignment.slug
    if sees_all or known.staff(sub.assignment_id):
        return
    if assignment.hide_scores_until_released and assignment.grades_released_at is None:
        view.score = view.max_score = None
        view.outcome = view.message = view.output = None
        view.tests = []
        for run in view.history:
            run.score = run.max_score = None
            run.outcome = None
        view.withheld = "scores are shown once the instructor releases the grades"
        return
    if assignment.hide_hidden_until_due:
        own = student_rules(assignment, latest_extension(known.session, assignment.id,
                                                         sub.user_id))
        if utcnow() < own.deadlines.due_at:
            view.tests = [t for t in view.tests if t.visibility != "hidden"]
            view.withheld = (f"hidden tests' feedback after "
                             f"{own.deadlines.due_at.strftime('%Y-%m-%d %H:%M UTC')}")
