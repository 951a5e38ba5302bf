"""/courses: create and list courses; a course's members (list, enrol,
change a role, remove) and roster import (CSV as the body, or a multipart
upload with a part `file`). Who may do what is the services' rule: a course
the caller is not a member of is a 404, like one that does not exist."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from grader.api.deps import CurrentUser
from grader.api.upload_body import read_upload
from grader.courses.roster import MAX_BYTES, RosterError, decode_roster
from grader.courses.rules import CourseRole
from grader.http.deps import ServicesDep
from grader.services import courses
from grader.services.courses import CourseView, EnrolResult, MemberView, RosterResult
from grader.services.errors import Invalid, TooLarge

router = APIRouter(tags=["courses"])

Slug = Annotated[str, Path(max_length=64, description="the course's slug")]
Name = Annotated[str, Path(max_length=64, description="the member's user name")]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    403: {"description": "your course role does not allow this"},
    404: {"description": "no such course or member, or not yours to see"},
}
CHANGES = {**ERRORS, 409: {"description": "taken slug, or the course would lose its last "
                                          "instructor"},
           422: {"description": "a field is refused; the detail names it"}}
ROSTER_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
}}}


class CourseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str = Field(max_length=64)
    title: str = Field(max_length=1000)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=64, description="a user name; an unknown one is created")
    role: CourseRole = CourseRole.STUDENT
    email: str | None = Field(None, max_length=320)


class RoleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: CourseRole


@router.post("/courses", status_code=201, response_model=CourseView, responses=CHANGES)
def create(body: CourseIn, services: ServicesDep, user: CurrentUser) -> CourseView:
    """Authors and admins; you become the course's instructor."""
    return courses.create_course(db=services.db, user=user, slug=body.slug, title=body.title)


@router.get("/courses", response_model=list[CourseView], responses=ERRORS)
def list_all(services: ServicesDep, user: CurrentUser) -> list[CourseView]:
    """The courses you are a member of, with your role (admins: all)."""
    return courses.list_courses(db=services.db, user=user)


@router.get("/courses/{slug}", response_model=CourseView, responses=ERRORS)
def read(slug: Slug, services: ServicesDep, user: CurrentUser) -> CourseView:
    return courses.get_course(db=services.db, user=user, course=slug)


@router.get("/courses/{slug}/members", response_model=list[MemberView], responses=ERRORS)
def members(slug: Slug, services: ServicesDep, user: CurrentUser) -> list[MemberView]:
    """Instructors and assistants."""
    return courses.list_members(db=services.db, user=user, course=slug)


@router.post("/courses/{slug}/members", status_code=201, response_model=EnrolResult,
             responses=CHANGES)
def enrol(slug: Slug, body: MemberIn, response: Response, services: ServicesDep,
          user: CurrentUser) -> EnrolResult:
    """Instructors. 201 for a new member, 200 when an existing one changed or not."""
    result = courses.enrol(db=services.db, user=user, course=slug, name=body.name,
                           role=body.role, email=body.email)
    if result.status != "added":
        response.status_code = 200
    return result


@router.patch("/courses/{slug}/members/{name}", response_model=MemberView, responses=CHANGES)
def change_role(slug: Slug, name: Name, body: RoleIn, services: ServicesDep,
                user: CurrentUser) -> MemberView:
    """Instructors; the last instructor keeps the role."""
    return courses.set_role(db=services.db, user=user, course=slug, name=name, role=body.role)


@router.delete("/courses/{slug}/members/{name}", status_code=204, responses=CHANGES)
def remove(slug: Slug, name: Name, services: ServicesDep, user: CurrentUser) -> Response:
    """Instructors; the user's account and submissions stay."""
    courses.remove_member(db=services.db, user=user, course=slug, name=name)
    return Response(status_code=204)


async def _read_roster(request: Request) -> str:
    """The CSV text, never more than MAX_BYTES + 1 bytes read."""
    data, _ = await read_upload(
        request, part="file", raw_types=("text/csv", "text/plain"), cap=MAX_BYTES,
        refusal="send the roster as text/csv or as multipart/form-data with a part 'file'")
    if len(data) > MAX_BYTES:
        raise TooLarge(f"the roster is over the limit of {MAX_BYTES} bytes")
    try:
        return decode_roster(data)
    except RosterError as exc:
        raise Invalid(str(exc)) from None


@router.post("/courses/{slug}/roster", response_model=RosterResult, openapi_extra=ROSTER_BODY,
             responses={**CHANGES, 413: {"description": "over the roster's byte limit"},
                        415: {"description": "neither text/csv nor multipart"}})
async def roster(slug: Slug, request: Request, services: ServicesDep,
                 user: CurrentUser) -> RosterResult:
    """Instructors. Header `name[,email][,role]`; every problem is listed with
    its line and nothing is imported unless the whole file is right."""
    text = await _read_roster(request)
    return await run_in_threadpool(lambda: courses.import_roster(
        db=services.db, user=user, course=slug, text=text))
