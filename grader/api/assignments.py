"""/courses/{course}/assignments: create, list, read and change assignments,
grant and list extensions, release grades and regrade an assignment. Who
may do what is the services' rule (course roles); a course the caller is
not a member of is a 404, like one that does not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from grader.api.deps import CurrentUser
from grader.api.regrade_previews import located
from grader.http.deps import ServicesDep
from grader.services import assignments, extensions, regrade, regrade_preview
from grader.services.assignment_input import AssignmentChanges, AssignmentSpec
from grader.services.assignment_views import AssignmentView, ExtensionView
from grader.services.regrade_preview_views import PreviewView

router = APIRouter(tags=["assignments"])

Course = Annotated[str, Path(max_length=64, description="the course's slug")]
Slug = Annotated[str, Path(max_length=64, description="the assignment's slug")]
BASE = "/courses/{course}/assignments"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    403: {"description": "your course role does not allow this"},
    404: {"description": "no such course or assignment, or not yours to see"},
}
CHANGES = {**ERRORS, 409: {"description": "the course has an assignment with this slug"},
           422: {"description": "a field is refused; the detail names it"}}


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student: str = Field(max_length=200, description="the member's user name")
    due_at: datetime | None = Field(None, description="the new due date, with a time zone")
    extra_attempts: int = Field(0, description="added to max_attempts (per exercise)")
    reason: str | None = Field(None, max_length=5000)


class Regraded(BaseModel):
    requeued: list[str]


@router.post(BASE, status_code=201, response_model=AssignmentView, responses=CHANGES)
def create(course: Course, body: AssignmentSpec, services: ServicesDep,
           user: CurrentUser) -> AssignmentView:
    """Instructors only. Times need a time zone; every exercise must exist."""
    return assignments.create_assignment(db=services.db, catalog=services.catalog, user=user,
                                         course=course, spec=body)


@router.get(BASE, response_model=list[AssignmentView], responses=ERRORS)
def list_all(course: Course, services: ServicesDep, user: CurrentUser) -> list[AssignmentView]:
    """Students: the released ones; staff: all. Each with your own deadlines."""
    return assignments.list_assignments(db=services.db, catalog=services.catalog, user=user,
                                        course=course)


@router.get(BASE + "/{slug}", response_model=AssignmentView, responses=ERRORS)
def read(course: Course, slug: Slug, services: ServicesDep, user: CurrentUser) -> AssignmentView:
    return assignments.get_assignment(db=services.db, catalog=services.catalog, user=user,
                                      course=course, slug=slug)


@router.patch(BASE + "/{slug}", response_model=AssignmentView, responses=CHANGES)
def change(course: Course, slug: Slug, body: AssignmentChanges, services: ServicesDep,
           user: CurrentUser) -> AssignmentView:
    """Instructors only; stored late penalties are repriced from received_at."""
    return assignments.update_assignment(db=services.db, catalog=services.catalog, user=user,
                                         course=course, slug=slug, changes=body)


@router.post(BASE + "/{slug}/extensions", status_code=201, response_model=ExtensionView,
             responses=CHANGES)
def grant(course: Course, slug: Slug, body: ExtensionIn, services: ServicesDep,
          user: CurrentUser) -> ExtensionView:
    """Instructors and assistants; the newest grant to a student counts."""
    return extensions.grant_extension(
        db=services.db, user=user, course=course, assignment=slug, student=body.student,
        due_at=body.due_at, extra_attempts=body.extra_attempts, reason=body.reason)


@router.get(BASE + "/{slug}/extensions", response_model=list[ExtensionView], responses=ERRORS)
def extension_log(course: Course, slug: Slug, services: ServicesDep,
                  user: CurrentUser) -> list[ExtensionView]:
    """Instructors and assistants: every grant, newest first."""
    return extensions.list_extensions(db=services.db, user=user, course=course, assignment=slug)


@router.post(BASE + "/{slug}/release-grades", response_model=AssignmentView, responses=ERRORS)
def release(course: Course, slug: Slug, services: ServicesDep,
            user: CurrentUser) -> AssignmentView:
    """Instructors only: students see their scores from now on."""
    return assignments.release_grades(db=services.db, catalog=services.catalog, user=user,
                                      course=course, slug=slug)


@router.post(BASE + "/{slug}/regrade", status_code=202, response_model=Regraded | PreviewView,
             responses=ERRORS)
def regrade_all(course: Course, slug: Slug, request: Request, response: Response,
                services: ServicesDep, user: CurrentUser,
                dry_run: Annotated[bool, Query()] = False) -> Regraded | PreviewView:
    """Instructors and assistants: grade the assignment's final submissions
    again; each keeps its time of receipt, penalty and attempt number.
    `dry_run=true` changes nothing: it answers a regrade preview (`Location`:
    `/regrade-previews/{id}`) saying how many scores would change and by how much."""
    if dry_run:
        return located(request, response, regrade_preview.preview_assignment(
            db=services.db, catalog=services.catalog, queue=services.queue, user=user,
            course=course, assignment=slug))
    return Regraded(requeued=regrade.regrade_assignment(
        db=services.db, catalog=services.catalog, queue=services.queue, user=user,
        course=course, assignment=slug))
