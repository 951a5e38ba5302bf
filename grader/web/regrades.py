"""Regrades on the pages beyond the exercise and submission buttons
(web/author.py, web/submissions.py): an assignment's regrade for its staff,
and regrade previews: an author asks for one from an exercise's page,
course staff from an assignment's page, and the preview's own page shows
the progress (it reloads itself while the workers grade) and then what a
real regrade would change, per submission.
The same services as the API's dry run (services/regrade_preview.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.http.deps import ServicesDep
from grader.services import regrade, regrade_preview
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import Csrf, WebUser

router = APIRouter()
PreviewId = Annotated[int, Path(ge=1, le=2**31 - 1)]  # ids are 32-bit on PostgreSQL


@router.post("/author/exercises/{slug}/regrade-preview", dependencies=[Csrf])
async def ask(request: Request, slug: str, services: ServicesDep, user: WebUser) -> Response:
    with domain_errors():
        view = await run_in_threadpool(
            regrade_preview.preview_exercise, db=services.db, catalog=services.catalog,
            queue=services.queue, user=user, slug=slug)
    return redirect(request, f"/regrade-previews/{view.id}")


@router.post("/courses/{course}/assignments/{slug}/regrade-preview", dependencies=[Csrf])
async def ask_assignment(request: Request, course: str, slug: str, services: ServicesDep,
                         user: WebUser) -> Response:
    with domain_errors():
        view = await run_in_threadpool(
            regrade_preview.preview_assignment, db=services.db, catalog=services.catalog,
            queue=services.queue, user=user, course=course, assignment=slug)
    return redirect(request, f"/regrade-previews/{view.id}")


@router.post("/courses/{course}/assignments/{slug}/regrade", dependencies=[Csrf])
async def regrade_assignment(request: Request, course: str, slug: str, services: ServicesDep,
                             user: WebUser) -> Response:
    with domain_errors():
        ids = await run_in_threadpool(
            regrade.regrade_assignment, db=services.db, catalog=services.catalog,
            queue=services.queue, user=user, course=course, assignment=slug)
    return redirect(request, f"/courses/{course}/assignments/{slug}?requeued={len(ids)}")


@router.get("/regrade-previews/{preview_id}")
def show(request: Request, preview_id: PreviewId, services: ServicesDep,
         user: WebUser) -> Response:
    with domain_errors():
        view = regrade_preview.get_preview(db=services.db, user=user, preview_id=preview_id)
    return render(request, "regrade_preview.html", {"preview": view})
