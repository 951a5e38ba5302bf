"""Assignment pages: a course's assignments (the partial the course page
includes, also served alone), the create form for instructors, and one
assignment with the caller's deadlines, attempts and submissions; for staff
the extension form, the extensions log and the release-grades button.

Submitting goes through the exercise's own form, which carries the
assignment as a hidden field (grader/web/exercises.py). The form's
datetime-local inputs have no zone: they are read as UTC, and the form says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from grader.db import User
from grader.http.deps import ServicesDep
from grader.services import assignments, extensions, submissions
from grader.services.assignment_input import AssignmentSpec, ExerciseWeight
from grader.services.errors import Forbidden, Invalid, ServiceError, status_of
from grader.services.wiring import Services
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import Csrf, WebUser

router = APIRouter()

Course = Annotated[str, Path(max_length=64)]
Slug = Annotated[str, Path(max_length=64)]
Text = Annotated[str, Form(max_length=2000)]


def course_assignments(services: Services, user: User, course: str) -> dict[str, Any]:
    """What `_course_assignments.html` reads, under the name `course_assignments`
    (the course page passes it: {"course_assignments": course_assignments(...)})."""
    views = assignments.list_assignments(db=services.db, catalog=services.catalog, user=user,
                                         course=course)
    can_create = assignments.may_create(db=services.db, user=user, course=course)
    return {"course": course, "items": views, "can_create": can_create}


@router.get("/courses/{course}/assignments")
def assignment_list(request: Request, course: Course, services: ServicesDep,
                    user: WebUser) -> Response:
    with domain_errors():
        part = course_assignments(services, user, course)
    return render(request, "assignments.html", {"course_assignments": part})


def _form_page(request: Request, course: str, values: dict[str, str], error: str | None,
               status: int = 200) -> Response:
    return render(request, "assignment_form.html",
                  {"course": course, "values": values, "error": error}, status=status)


@router.get("/courses/{course}/assignments/new")
def new_form(request: Request, course: Course, services: ServicesDep, user: WebUser) -> Response:
    with domain_errors():
        if not assignments.may_create(db=services.db, user=user, course=course):
            raise Forbidden("only the course's instructors may create assignments")
    return _form_page(request, course, {"late_policy": "none", "score_policy": "best"}, None)


def _utc(name: str, value: str) -> datetime | None:
    """A datetime-local value (no zone), read as UTC."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{name}: not a date and time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _spec(form: dict[str, str]) -> AssignmentSpec:
    rows = []
    for line in form.get("exercises", "").replace(",", "\n").splitlines():
        slug, _, weight = line.strip().partition(":")
        if slug:
            try:
                rows.append(ExerciseWeight(slug=slug.strip(), weight=float(weight or 1)))
            except ValueError:
                raise Invalid(f"exercises: the weight in {line.strip()[:80]!r} is not a "
                              "number") from None
    attempts = form.get("max_attempts", "").strip()
    try:
        penalty = float(form.get("late_penalty") or 0) / 100  # the form asks for percent
        max_attempts = int(attempts) if attempts else None
    except ValueError:
        raise Invalid("late_penalty and max_attempts must be numbers") from None
    release, due = _utc("release_at", form.get("release_at", "")), \
        _utc("due_at", form.get("due_at", ""))
    if release is None or due is None:
        raise Invalid("release_at and due_at are required")
    return AssignmentSpec.model_validate({
        "slug": form.get("slug", "").strip(), "title": form.get("title", ""),
        "exercises": rows, "release_at": release, "due_at": due,
        "late_until": _utc("late_until", form.get("late_until", "")),
        "late_policy": form.get("late_policy") or "none", "late_penalty": penalty,
        "max_attempts": max_attempts, "score_policy": form.get("score_policy") or "best",
        "hide_hidden_until_due": form.get("hide_hidden_until_due") == "on",
        "hide_scores_until_released": form.get("hide_scores_until_released") == "on",
    })


@router.post("/courses/{course}/assignments", dependencies=[Csrf])
async def create(request: Request, course: Course, services: ServicesDep,
                 user: WebUser) -> Response:
    raw = await request.form()
    values = {k: v[:2000] for k, v in raw.items() if isinstance(v, str)}
    try:
        spec = _spec(values)
        view = assignments.create_assignment(db=services.db, catalog=services.catalog,
                                             user=user, course=course, spec=spec)
    except ServiceError as exc:
        return _form_page(request, course, values, exc.message, status_of(exc))
    except ValueError as exc:  # pydantic: a policy the select does not offer
        return _form_page(request, course, values, f"not accepted: {exc}"[:500], 422)
    return redirect(request, f"/courses/{course}/assignments/{view.slug}")


def _page(request: Request, services: Services, user: User, course: str, slug: str,
          error: str | None = None, status: int = 200, requeued: int | None = None) -> Response:
    with domain_errors():
        view = assignments.get_assignment(db=services.db, catalog=services.catalog,
                                          user=user, course=course, slug=slug)
        subs = submissions.list_submissions(db=services.db, user=user, limit=200,
                                            assignment=f"{course}/{slug}")
        log = extensions.list_extensions(db=services.db, user=user, course=course,
                                         assignment=slug) if view.staff else []
    return render(request, "assignment.html", {
        "a": view, "subs": subs, "log": log, "error": error, "ref": f"{course}/{slug}",
        "requeued": requeued,
    }, status=status)


@router.get("/courses/{course}/assignments/{slug}")
def assignment_page(request: Request, course: Course, slug: Slug, services: ServicesDep,
                    user: WebUser, requeued: Annotated[int | None, Query(ge=0, le=10**9)] = None
                    ) -> Response:
    return _page(request, services, user, course, slug, requeued=requeued)


@router.post("/courses/{course}/assignments/{slug}/extensions", dependencies=[Csrf])
def grant(request: Request, course: Course, slug: Slug, services: ServicesDep, user: WebUser,
          student: Text, due_at: Text = "", extra_attempts: Text = "0",
          reason: Text = "") -> Response:
    try:
        extra = int(extra_attempts or 0)
    except ValueError:
        return _page(request, services, user, course, slug,
                     "extra_attempts: a whole number", 422)
    try:
        extensions.grant_extension(
            db=services.db, user=user, course=course, assignment=slug, student=student,
            due_at=_utc("due_at", due_at), extra_attempts=extra, reason=reason or None)
    except ServiceError as exc:
        return _page(request, services, user, course, slug, exc.message, status_of(exc))
    return redirect(request, f"/courses/{course}/assignments/{slug}")


@router.post("/courses/{course}/assignments/{slug}/release-grades", dependencies=[Csrf])
def release(request: Request, course: Course, slug: Slug, services: ServicesDep,
            user: WebUser) -> Response:
    with domain_errors():
        assignments.release_grades(db=services.db, catalog=services.catalog, user=user,
                                   course=course, slug=slug)
    return redirect(request, f"/courses/{course}/assignments/{slug}")
