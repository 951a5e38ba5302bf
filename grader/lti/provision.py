"""What a valid launch changes here: the user of (platform, sub), the course
of (platform, context), the membership from the launch's roles, the resource
link's assignment and the assignment's line item (the AGS claim).

A platform's user is always a local account of its own, found again by
(platform, sub) only: a name or an email in a launch is never trusted to be
an existing local account. Names and course slugs are made valid and unique.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from grader.courses.rules import CourseRole
from grader.db import (
    Assignment,
    Course,
    CourseMember,
    Database,
    LtiContext,
    LtiIdentity,
    LtiLineItem,
    LtiResourceLink,
    Role,
    User,
    utcnow,
)
from grader.lti.launch import AGS, CONTEXT, CUSTOM, NRPS, RESOURCE_LINK, ROLES, ValidLaunch
from grader.services.errors import Invalid

CUSTOM_ASSIGNMENT = "grader_assignment"  # the custom parameter deep links carry
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"


@dataclass(frozen=True)
class Provisioned:
    user: User
    course: Course
    role: CourseRole
    assignment: Assignment | None


def course_role(roles: object) -> CourseRole:
    """Context roles only; anything unknown is a student (least power)."""
    names = [str(r) for r in roles] if isinstance(roles, list) else []
    if any(r.endswith("#TeachingAssistant") for r in names):
        return CourseRole.ASSISTANT
    context_roles = ("membership#Instructor", "membership#Administrator")
    if any(r.endswith(context_roles) or r in ("Instructor", "Administrator") for r in names):
        return CourseRole.INSTRUCTOR
    return CourseRole.STUDENT


def _unique(session: Session, column: InstrumentedAttribute[str], base: str, limit: int
            ) -> str:
    for n in range(1, 1000):
        suffix = "" if n == 1 else f"-{n}"
        candidate = base[: limit - len(suffix)] + suffix
        if session.scalar(select(column).where(column == candidate)) is None:
            return candidate
    raise Invalid(f"no free name like {base!r}")


def _user(session: Session, launch: ValidLaunch) -> User:
    sub = str(launch.claims.get("sub") or "")
    if not sub:
        raise Invalid("this launch has no user (sub): anonymous launches are not supported")
    return identity_user(session, platform_id=launch.platform.id, sub=sub,
                         email=launch.claims.get("email"), name=launch.claims.get("name"))


def identity_user(session: Session, *, platform_id: int, sub: str, email: object,
                  name: object) -> User:
    """The local user of (platform, sub), made on first sight (launch or roster)."""
    identity = session.scalar(select(LtiIdentity).where(
        LtiIdentity.platform_id == platform_id, LtiIdentity.sub == sub))
    if identity is not None:
        return session.get_one(User, identity.user_id)
    wanted = str(email or "").split("@")[0] or str(name or "") or "lti-user"
    base = re.sub(r"[^A-Za-z0-9._@-]+", "-", wanted).strip("-._@") or "lti-user"
    user = User(name=_unique(session, User.name, base, 64), role=Role.STUDENT.value)
    session.add(user)
    session.flush()
    session.add(LtiIdentity(platform_id=platform_id, sub=sub, user_id=user.id))
    return user


def _course(session: Session, launch: ValidLaunch, user: User, role: CourseRole) -> Course:
    context = launch.claim(CONTEXT)
    context_id = str(context.get("id") or "")
    if not context_id:
        raise Invalid("this launch has no course (context): add the tool inside a course")
    link = session.scalar(select(LtiContext).where(
        LtiContext.platform_id == launch.platform.id, LtiContext.context_id == context_id))
    members_url = launch.claim(NRPS).get("context_memberships_url")
    if link is None:
        title = str(context.get("title") or context.get("label") or context_id)[:200]
        base = re.sub(r"[^a-z0-9]+", "-", str(context.get("label") or title).lower()).strip("-")
        course = Course(slug=_unique(session, Course.slug, base or "course", 64), title=title,
                        created_by=user.id if role is CourseRole.INSTRUCTOR else None)
        session.add(course)
        session.flush()
        link = LtiContext(platform_id=launch.platform.id, context_id=context_id,
                          course_id=course.id)
        session.add(link)
    if isinstance(members_url, str):
        link.memberships_url = members_url
    link.updated_at = utcnow()
    return session.get_one(Course, link.course_id)


def member(session: Session, course: Course, user: User, role: CourseRole,
           email: str | None) -> bool:
    """Add or update; True when it was added."""
    row = session.scalar(select(CourseMember).where(
        CourseMember.course_id == course.id, CourseMember.user_id == user.id))
    if row is None:
        session.add(CourseMember(course_id=course.id, user_id=user.id, role=role.value,
                                 email=email))
        return True
    # The LMS is the source of truth for its own users' roles.
    row.role, row.email = role.value, email or row.email
    return False


def _link(session: Session, launch: ValidLaunch, course: Course) -> Assignment | None:
    rlid = str(launch.claim(RESOURCE_LINK).get("id") or "")
    if not rlid:
        return None
    link = session.scalar(select(LtiResourceLink).where(
        LtiResourceLink.platform_id == launch.platform.id,
        LtiResourceLink.resource_link_id == rlid))
    if link is None:
        link = LtiResourceLink(platform_id=launch.platform.id, resource_link_id=rlid,
                               course_id=course.id)
        session.add(link)
    wanted = launch.claim(CUSTOM).get(CUSTOM_ASSIGNMENT)
    if isinstance(wanted, str) and wanted:
        found = session.scalar(select(Assignment.id).where(
            Assignment.course_id == course.id, Assignment.slug == wanted))
        link.assignment_id = found if found is not None else link.assignment_id
    link.updated_at = utcnow()
    session.flush()
    if link.assignment_id is None:
        return None
    assignment = session.get_one(Assignment, link.assignment_id)
    _line_item(session, launch, assignment)
    return assignment


def _line_item(session: Session, launch: ValidLaunch, assignment: Assignment) -> None:
    ags = launch.claim(AGS)
    url, scopes = ags.get("lineitem"), ags.get("scope")
    if not isinstance(url, str) or not isinstance(scopes, list) or SCORE_SCOPE not in scopes:
        return  # no line item, or we may not post scores to it
    item = session.scalar(select(LtiLineItem).where(
        LtiLineItem.assignment_id == assignment.id,
        LtiLineItem.platform_id == launch.platform.id))
    if item is None:
        item = LtiLineItem(assignment_id=assignment.id, platform_id=launch.platform.id,
                           lineitem_url=url, scopes="")
        session.add(item)
    item.lineitem_url, item.scopes, item.updated_at = url, " ".join(map(str, scopes)), utcnow()


def provision(*, db: Database, launch: ValidLaunch) -> Provisioned:
    role = course_role(launch.claims.get(ROLES))
    email = launch.claims.get("email")
    with db.session() as session:
        user = _user(session, launch)
        course = _course(session, launch, user, role)
        member(session, course, user, role, str(email)[:320] if email else None)
        assignment = _link(session, launch, course)
        return Provisioned(user=user, course=course, role=role, assignment=assignment)
