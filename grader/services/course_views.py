"""What callers see of courses and members: the API's responses, the pages
and the CLI's tables all use these models (never ORM rows)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from grader.courses.rules import CourseRole
from grader.db import Course, CourseMember
from grader.services.errors import Invalid


class CourseView(BaseModel):
    slug: str
    title: str
    role: CourseRole  # the caller's (admins: instructor)
    created_at: datetime


class MemberView(BaseModel):
    name: str
    role: CourseRole
    email: str | None
    joined_at: datetime


class EnrolResult(BaseModel):
    member: MemberView
    status: str  # "added", "updated" or "unchanged"
    created_user: bool  # the name was unknown: a student account without a password


class RosterResult(BaseModel):
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    created_users: list[str]


class RosterInvalid(Invalid):
    """A roster that cannot be applied; `errors` has one entry per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"roster refused ({len(errors)} problems; nothing was imported): "
                         + "; ".join(errors))
        self.errors = errors


def course_view(course: Course, role: CourseRole) -> CourseView:
    return CourseView(slug=course.slug, title=course.title, role=role,
                      created_at=course.created_at)


def member_view(member: CourseMember) -> MemberView:
    return MemberView(name=member.user.name, role=CourseRole(member.role), email=member.email,
                      joined_at=member.created_at)
