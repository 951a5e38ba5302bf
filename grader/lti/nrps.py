"""Names and Role Provisioning: an instructor pulls the course's roster from
the LMS (every context linked to the course that gave a memberships URL).
Members are added or their role updated; nobody is ever removed (a local-only
member, or one the LMS dropped, stays until an instructor removes them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from grader.db import Course, Database, LtiContext, LtiPlatform, User
from grader.lti.keys import ToolKey
from grader.lti.provision import course_role, identity_user, member
from grader.lti.services import PlatformError, members
from grader.services.course_access import instructor_access
from grader.services.errors import Invalid, Unavailable


@dataclass
class RosterSync:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def sync_roster(*, db: Database, key: ToolKey, user: User, course: str) -> RosterSync:
    with db.reading() as session:
        access = instructor_access(session, course, user)
        links = [(ctx, session.get_one(LtiPlatform, ctx.platform_id)) for ctx in session.scalars(
            select(LtiContext).where(LtiContext.course_id == access.course.id,
                                     LtiContext.memberships_url.is_not(None)))]
    if not links:
        raise Invalid(f"{course!r} has no LMS roster to read: launch the tool from the LMS "
                      "course first (its launch tells us where the roster is)")
    result = RosterSync()
    for context, platform in links:
        try:
            people = members(platform=platform, key=key, memberships_url=context.memberships_url
                             or "")
        except PlatformError as exc:
            raise Unavailable(f"the LMS roster could not be read: {exc}") from None
        with db.session() as session:
            target = session.get_one(Course, context.course_id)
            for person in people:
                if str(person.get("status", "Active")) != "Active" or not person.get("user_id"):
                    continue
                local = identity_user(session, platform_id=platform.id,
                                      sub=str(person["user_id"]), email=person.get("email"),
                                      name=person.get("name"))
                email = person.get("email")
                added = member(session, target, local, course_role(person.get("roles")),
                               str(email)[:320] if email else None)
                (result.added if added else result.updated).append(local.name)
    return result
