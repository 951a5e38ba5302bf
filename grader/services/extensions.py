"""Per-student extensions: a new due date, extra attempts, or both, granted
by a course's instructors or assistants. Grants are never edited: each one
is a new row and the newest counts, so the table is the log of who granted
what and when. A grant reprices that student's stored late penalties."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from grader.db import CourseMember, Database, Extension, User, utcnow
from grader.services.assignment_input import CONTROL, MAX_ATTEMPTS, aware
from grader.services.assignment_views import ExtensionView, extension_view
from grader.services.assignments import find, reprice
from grader.services.course_access import staff_access
from grader.services.errors import Invalid, NotFound

MAX_REASON = 1000


def _reason(reason: str | None) -> str | None:
    if reason is None or not reason.strip():
        return None
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise Invalid(f"reason: at most {MAX_REASON} characters")
    if CONTROL.sub("", reason.replace("\t", " ")) != reason.replace("\t", " "):
        raise Invalid("reason: control characters are not allowed")
    return reason


def grant_extension(*, db: Database, user: User, course: str, assignment: str, student: str,
                    due_at: datetime | None = None, extra_attempts: int = 0,
                    reason: str | None = None) -> ExtensionView:
    """Staff only. `student` is the member's user name; the grant replaces
    their earlier one (it is not added to it)."""
    due_at = aware("due_at", due_at)
    if not 0 <= extra_attempts <= MAX_ATTEMPTS:
        raise Invalid(f"extra_attempts: from 0 to {MAX_ATTEMPTS}")
    if due_at is None and extra_attempts == 0:
        raise Invalid("give a new due_at, extra_attempts, or both")
    reason = _reason(reason)
    with db.session() as session:
        found = find(session, course=course, slug=assignment, user=user)
        staff_access(session, course, user)
        if due_at is not None and due_at <= found.assignment.release_at:
            raise Invalid("due_at: must be after the assignment's release_at")
        member = session.scalar(
            select(CourseMember).join(User, User.id == CourseMember.user_id).where(
                CourseMember.course_id == found.access.course.id, User.name == student))
        if member is None:
            raise NotFound(f"student: no member {student[:100]!r} in course {course!r}")
        row = Extension(assignment_id=found.assignment.id, user_id=member.user_id,
                        due_at=due_at, extra_attempts=extra_attempts, reason=reason,
                        granted_by=user.id, granted_at=utcnow())
        session.add(row)
        session.flush()
        reprice(session, found.assignment, user_id=member.user_id)
        return extension_view(row, student=member.user.name,
                              granted_by=user.name if user.id is not None else None)


def list_extensions(*, db: Database, user: User, course: str,
                    assignment: str) -> list[ExtensionView]:
    """Staff only: every grant, newest first, with who granted it and when."""
    with db.reading() as session:
        found = find(session, course=course, slug=assignment, user=user)
        staff_access(session, course, user)
        rows = session.scalars(select(Extension).where(
            Extension.assignment_id == found.assignment.id)
            .order_by(Extension.granted_at.desc(), Extension.id.desc())).all()
        ids = {r.user_id for r in rows} | {r.granted_by for r in rows if r.granted_by}
        found_names = session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
        names = {uid: name for uid, name in found_names}
        return [extension_view(r, student=names.get(r.user_id, "?"),
                               granted_by=names.get(r.granted_by) if r.granted_by else None)
                for r in rows]
