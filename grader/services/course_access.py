"""Who is what in a course, and one student's deadlines: the lookups every
course service shares (courses, assignments, gradebook, LTI).

Visibility: a course is visible to its members and to admins (who act as its
instructors). Anyone else gets NotFound, the same as a course that does not
exist, so course slugs cannot be probed. Global authors may create courses
but see only those they are members of.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from grader.auth import Role
from grader.courses.rules import CourseRole, Deadlines, LatePolicy
from grader.db import Assignment, Course, CourseMember, Extension, User
from grader.services.errors import Forbidden, NotFound


@dataclass(frozen=True)
class CourseAccess:
    course: Course
    role: CourseRole

    @property
    def staff(self) -> bool:
        return self.role.staff


def member_role(session: Session, course_id: int, user: User) -> CourseRole | None:
    """The user's role in the course (admins: instructor), or None."""
    if user.role == Role.ADMIN:
        return CourseRole.INSTRUCTOR
    role = session.scalar(select(CourseMember.role).where(
        CourseMember.course_id == course_id, CourseMember.user_id == user.id))
    return CourseRole(role) if role is not None else None


def course_access(session: Session, slug: str, user: User) -> CourseAccess:
    """The course and the caller's role in it; NotFound if not visible."""
    course = session.scalar(select(Course).where(Course.slug == slug))
    role = member_role(session, course.id, user) if course is not None else None
    if course is None or role is None:
        raise NotFound(f"no course {slug!r}")
    return CourseAccess(course, role)


def staff_access(session: Session, slug: str, user: User) -> CourseAccess:
    """As course_access, for instructors and assistants only (Forbidden else)."""
    access = course_access(session, slug, user)
    if not access.staff:
        raise Forbidden(f"only the instructors and assistants of {slug!r} may do this")
    return access


def instructor_access(session: Session, slug: str, user: User) -> CourseAccess:
    access = course_access(session, slug, user)
    if access.role is not CourseRole.INSTRUCTOR:
        raise Forbidden(f"only the instructors of {slug!r} may do this")
    return access


def assignment_deadlines(assignment: Assignment) -> Deadlines:
    return Deadlines(
        release_at=assignment.release_at, due_at=assignment.due_at,
        late_until=assignment.late_until, late_policy=LatePolicy(assignment.late_policy),
        penalty=assignment.late_penalty,
    )


def latest_extension(session: Session, assignment_id: int, user_id: int) -> Extension | None:
    """The grant that counts: the newest (grants are never edited)."""
    return session.scalar(
        select(Extension)
        .where(Extension.assignment_id == assignment_id, Extension.user_id == user_id)
        .order_by(Extension.granted_at.desc(), Extension.id.desc()).limit(1))


@dataclass(frozen=True)
class StudentRules:
    """One student's deadlines and attempt limit for one assignment."""

    deadlines: Deadlines
    max_attempts: int | None
    extension: Extension | None


def student_rules(assignment: Assignment, extension: Extension | None) -> StudentRules:
    deadlines = assignment_deadlines(assignment)
    max_attempts = assignment.max_attempts
    if extension is not None:
        deadlines = deadlines.extended(extension.due_at)
        if max_attempts is not None:
            max_attempts += extension.extra_attempts
    return StudentRules(deadlines, max_attempts, extension)
