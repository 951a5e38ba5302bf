"""Course pages: the caller's courses, and one course with the caller's role,
its assignments (grader/web/assignments.py's partial) and a link to the
gradebook; for staff the members table, and for instructors the enrol and
roster upload forms. A refused roster is shown with every problem listed,
and nothing of it is stored."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.courses.roster import MAX_BYTES, RosterError, decode_roster
from grader.courses.rules import CourseRole
from grader.db import User
from grader.http.deps import ServicesDep
from grader.services import courses
from grader.services.errors import Invalid, ServiceError, status_of
from grader.services.wiring import Services
from grader.web.assignments import course_assignments
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import Csrf, WebUser

router = APIRouter()

Slug = Annotated[str, Path(max_length=64)]
Text = Annotated[str, Form(max_length=400)]


@router.get("/courses")
def course_list(request: Request, services: ServicesDep, user: WebUser, *,
                error: str | None = None, status: int = 200) -> Response:
    views = courses.list_courses(db=services.db, user=user)
    return render(request, "courses.html", {"courses": views, "error": error}, status=status)


@router.post("/courses", dependencies=[Csrf])
def create(request: Request, services: ServicesDep, user: WebUser,
           slug: Annotated[str, Form(max_length=200)],
           title: Annotated[str, Form(max_length=1000)]) -> Response:
    """Authors and admins: a new course, the caller its first instructor."""
    try:
        view = courses.create_course(db=services.db, user=user, slug=slug.strip(),
                                     title=title)
    except ServiceError as exc:
        return course_list(request, services, user, error=exc.message,
                           status=status_of(exc))
    return redirect(request, f"/courses/{view.slug}")


def _page(request: Request, services: Services, user: User, slug: str, *,
          errors: list[str] | None = None, notice: str | None = None,
          status: int = 200) -> Response:
    with domain_errors():
        view = courses.get_course(db=services.db, user=user, course=slug)
        members = (courses.list_members(db=services.db, user=user, course=slug)
                   if view.role.staff else [])
        part: dict[str, Any] = course_assignments(services, user, slug)
    return render(request, "course.html", {
        "course": view, "members": members, "errors": errors or [], "notice": notice,
        "roles": [r.value for r in CourseRole], "course_assignments": part,
        "instructor": view.role is CourseRole.INSTRUCTOR, "max_bytes": MAX_BYTES,
    }, status=status)


@router.get("/courses/{slug}")
def course_page(request: Request, slug: Slug, services: ServicesDep, user: WebUser) -> Response:
    return _page(request, services, user, slug)


@router.post("/courses/{slug}/members", dependencies=[Csrf])
def enrol(request: Request, slug: Slug, services: ServicesDep, user: WebUser, name: Text,
          role: Text = "student", email: Text = "") -> Response:
    try:
        if role not in set(CourseRole):
            raise Invalid(f"role: {role[:40]!r} is not one of instructor, assistant, student")
        result = courses.enrol(db=services.db, user=user, course=slug, name=name.strip(),
                               role=CourseRole(role), email=email or None)
    except ServiceError as exc:
        return _page(request, services, user, slug, errors=[exc.message],
                     status=status_of(exc))
    created = " (a new account without a password)" if result.created_user else ""
    return _page(request, services, user, slug,
                 notice=f"{result.status} {result.member.name} as "
                        f"{result.member.role.value}{created}")


@router.post("/courses/{slug}/roster", dependencies=[Csrf])
async def roster(request: Request, slug: Slug, services: ServicesDep, user: WebUser,
                 roster: Annotated[UploadFile | None, File()] = None) -> Response:
    try:
        if roster is None or not roster.filename:
            raise Invalid("roster: choose a CSV file to upload")
        text = decode_roster(await roster.read(MAX_BYTES + 1))
        result = await run_in_threadpool(lambda: courses.import_roster(
            db=services.db, user=user, course=slug, text=text))
    except RosterError as exc:
        return _page(request, services, user, slug, errors=exc.errors, status=422)
    except courses.RosterInvalid as exc:
        return _page(request, services, user, slug, errors=exc.errors, status=422)
    except ServiceError as exc:
        return _page(request, services, user, slug, errors=[exc.message],
                     status=status_of(exc))
    return _page(request, services, user, slug, notice=(
        f"roster imported: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged, {len(result.created_users)} new accounts"))


@router.post("/courses/{slug}/members/{name}/remove", dependencies=[Csrf])
def remove(request: Request, slug: Slug, name: Annotated[str, Path(max_length=64)],
           services: ServicesDep, user: WebUser) -> Response:
    try:
        courses.remove_member(db=services.db, user=user, course=slug, name=name)
    except ServiceError as exc:
        return _page(request, services, user, slug, errors=[exc.message],
                     status=status_of(exc))
    return redirect(request, f"/courses/{slug}")
