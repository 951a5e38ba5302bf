"""Courses and their members: creating a course, enrolling people one by one
or from a roster, changing and removing members.

Authors and admins create courses; a course's instructors manage its
members; its staff (instructors and assistants) may list them. A course the
caller is not in is NotFound (grader.services.course_access). A course
never loses its last instructor: a change that would leave none is a
Conflict, checked with the course row locked (PostgreSQL; SQLite's write
transaction is exclusive), so two instructors demoting each other at once
cannot both succeed.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grader.auth import Role
from grader.courses.roster import CONTROL, EMAIL_RE, MAX_EMAIL, RosterError, parse_roster
from grader.courses.rules import CourseRole
from grader.db import Course, CourseMember, Database, User
from grader.exercises.manifest import SLUG_RE
from grader.services.accounts import NAME_RE
from grader.services.course_access import (
    CourseAccess,
    course_access,
    instructor_access,
    member_role,
    staff_access,
)
from grader.services.course_views import (
    CourseView,
    EnrolResult,
    MemberView,
    RosterInvalid,
    RosterResult,
    course_view,
    member_view,
)
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.services.submissions import sees_all

COURSE_SLUG = re.compile(SLUG_RE)
MAX_TITLE = 200


def _check_title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > MAX_TITLE or CONTROL.search(title):
        raise Invalid(f"title: 1-{MAX_TITLE} characters, no control characters")
    return title


def _check_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    if len(email) > MAX_EMAIL or not EMAIL_RE.fullmatch(email):
        raise Invalid(f"email: {email[:60]!r} is not an e-mail address")
    return email


def create_course(*, db: Database, user: User, slug: str, title: str,
                  owner: str | None = None) -> CourseView:
    """Authors and admins. The owner (default: the caller) becomes its instructor."""
    if not sees_all(user):
        raise Forbidden("creating a course needs the author or admin role")
    if not COURSE_SLUG.fullmatch(slug):
        raise Invalid("slug: 3-64 characters of a-z, 0-9 and '-', starting and ending "
                      "with a letter or digit")
    title = _check_title(title)
    with db.session() as session:
        if session.scalar(select(Course.id).where(Course.slug == slug)) is not None:
            raise Conflict(f"slug: a course {slug!r} exists already")
        instructor = user if owner is None else session.scalar(
            select(User).where(User.name == owner))
        if instructor is None or instructor.id is None:
            raise NotFound(f"owner: no user {owner!r}")
        course = Course(slug=slug, title=title, created_by=user.id)
        session.add(course)
        session.flush()
        session.add(CourseMember(course_id=course.id, user_id=instructor.id,
                                 role=CourseRole.INSTRUCTOR.value))
        session.flush()
        # The CLI's admin has no row (and an owner may be someone else): the
        # caller's role as course_access would see it.
        role = member_role(session, course.id, user) or CourseRole.INSTRUCTOR
        return course_view(course, role)


def list_courses(*, db: Database, user: User) -> list[CourseView]:
    """The caller's courses with their role in each; admins see every course."""
    with db.reading() as session:
        if user.role == Role.ADMIN:
            courses = session.scalars(select(Course).order_by(Course.slug)).all()
            return [course_view(c, CourseRole.INSTRUCTOR) for c in courses]
        rows = session.execute(
            select(Course, CourseMember.role)
            .join(CourseMember, CourseMember.course_id == Course.id)
            .where(CourseMember.user_id == user.id).order_by(Course.slug)).all()
        return [course_view(course, CourseRole(role)) for course, role in rows]


def get_course(*, db: Database, user: User, course: str) -> CourseView:
    with db.reading() as session:
        access = course_access(session, course, user)
        return course_view(access.course, access.role)


def list_members(*, db: Database, user: User, course: str) -> list[MemberView]:
    """Staff only: students get Forbidden (outsiders NotFound)."""
    with db.reading() as session:
        access = staff_access(session, course, user)
        members = session.scalars(
            select(CourseMember).join(User, User.id == CourseMember.user_id)
            .where(CourseMember.course_id == access.course.id).order_by(User.name)).all()
        return [member_view(m) for m in members]


def _lock_course(session: Session, course_id: int) -> None:
    session.execute(select(Course.id).where(Course.id == course_id).with_for_update())


def _keep_an_instructor(session: Session, course: Course) -> None:
    count = session.scalar(select(func.count()).select_from(CourseMember).where(
        CourseMember.course_id == course.id,
        CourseMember.role == CourseRole.INSTRUCTOR.value))
    if not count:
        raise Conflict(f"course {course.slug!r} would have no instructor left; "
                       "make someone else an instructor first")


def _existing_member(session: Session, user: User, course: str,
                     name: str) -> tuple[CourseAccess, CourseMember]:
    """For instructors changing a member: the course locked, the member found (NotFound)."""
    access = instructor_access(session, course, user)
    _lock_course(session, access.course.id)
    member = _member(session, access.course.id, name)
    if member is None:
        raise NotFound(f"no member {name[:64]!r} in course {course!r}")
    return access, member


def _member(session: Session, course_id: int, name: str) -> CourseMember | None:
    return session.scalar(select(CourseMember).join(User, User.id == CourseMember.user_id)
                          .where(CourseMember.course_id == course_id, User.name == name))


def enrol(*, db: Database, user: User, course: str, name: str,
          role: CourseRole = CourseRole.STUDENT, email: str | None = None) -> EnrolResult:
    """Instructors only. An unknown name becomes a global student without a
    password (created_user says so); an existing member gets the new role."""
    if not NAME_RE.fullmatch(name):
        raise Invalid(f"name: {name[:64]!r} is not a valid user name (1-64 letters, digits, "
                      "'.', '_', '@' or '-')")
    email = _check_email(email)
    with db.session() as session:
        access = instructor_access(session, course, user)
        _lock_course(session, access.course.id)
        member = _member(session, access.course.id, name)
        if member is not None:
            changed = member.role != role.value or (email is not None and email != member.email)
            member.role = role.value
            member.email = email or member.email
            session.flush()
            _keep_an_instructor(session, access.course)
            return EnrolResult(member=member_view(member), created_user=False,
                               status="updated" if changed else "unchanged")
        person = session.scalar(select(User).where(User.name == name))
        created = person is None
        if person is None:
            person = User(name=name, role=Role.STUDENT.value, password_hash=None)
            session.add(person)
            session.flush()
        member = CourseMember(course_id=access.course.id, user_id=person.id, role=role.value,
                              email=email, user=person)
        session.add(member)
        session.flush()
        return EnrolResult(member=member_view(member), status="added", created_user=created)


def set_role(*, db: Database, user: User, course: str, name: str,
             role: CourseRole) -> MemberView:
    """Instructors only; the last instructor cannot be demoted (Conflict)."""
    with db.session() as session:
        access, member = _existing_member(session, user, course, name)
        member.role = role.value
        session.flush()
        _keep_an_instructor(session, access.course)
        return member_view(member)


def remove_member(*, db: Database, user: User, course: str, name: str) -> None:
    """Instructors only; the user account and its submissions stay."""
    with db.session() as session:
        access, member = _existing_member(session, user, course, name)
        session.delete(member)
        session.flush()
        _keep_an_instructor(session, access.course)


def import_roster(*, db: Database, user: User, course: str, text: str) -> RosterResult:
    """Instructors only. The whole file is checked first (RosterInvalid lists
    every problem); then it is applied in one transaction, or not at all.
    A row without a role keeps an existing member's role (new ones: student);
    without an email, their email. Members not in the file stay."""
    try:
        rows = parse_roster(text)
    except RosterError as exc:
        raise RosterInvalid(exc.errors) from None
    result = RosterResult(added=[], updated=[], unchanged=[], created_users=[])
    with db.session() as session:
        access = instructor_access(session, course, user)
        _lock_course(session, access.course.id)
        names = [row.name for row in rows]
        users = {u.name: u for u in session.scalars(select(User).where(User.name.in_(names)))}
        members = {m.user.name: m for m in session.scalars(select(CourseMember).where(
            CourseMember.course_id == access.course.id, CourseMember.user_id.in_(
                [u.id for u in users.values()])))}
        for row in rows:
            member = members.get(row.name)
            if member is not None:
                role = row.role.value if row.role else member.role
                email = row.email or member.email
                changed = (role, email) != (member.role, member.email)
                member.role, member.email = role, email
                (result.updated if changed else result.unchanged).append(row.name)
                continue
            person = users.get(row.name)
            if person is None:
                person = User(name=row.name, role=Role.STUDENT.value, password_hash=None)
                session.add(person)
                result.created_users.append(row.name)
            session.add(CourseMember(course_id=access.course.id, user=person,
                                     role=(row.role or CourseRole.STUDENT).value,
                                     email=row.email))
            result.added.append(row.name)
        session.flush()
        _keep_an_instructor(session, access.course)
    return result


__all__ = [
    "CourseView", "EnrolResult", "MemberView", "RosterInvalid", "RosterResult", "create_course",
    "enrol", "get_course", "import_roster", "list_courses", "list_members", "remove_member",
    "set_role",
]
