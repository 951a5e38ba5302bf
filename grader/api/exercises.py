"""/exercises: the catalogue as students see it (never solutions, mutants or
hidden tests: only the prompt, the rules, and the starter files)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from grader.api.deps import AuthorUser, CurrentUser
from grader.api.regrade_previews import located
from grader.http.deps import ServicesDep
from grader.services import exercise_views, publish_regrade
from grader.services.exercise_views import ExerciseDetail, ExerciseSummary
from grader.services.publishing_views import RegradePlan
from grader.services.regrade_preview_views import PreviewView

router = APIRouter(tags=["exercises"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"}, 404: {"description": "no such exercise"},
}


@router.get("/exercises", response_model=list[ExerciseSummary], responses=ERRORS)
def list_exercises(services: ServicesDep, _user: CurrentUser) -> list[ExerciseSummary]:
    return exercise_views.list_exercises(catalog=services.catalog)


@router.get("/exercises/{slug}", response_model=ExerciseDetail, responses=ERRORS)
def get_exercise(slug: str, services: ServicesDep, _user: CurrentUser) -> ExerciseDetail:
    return exercise_views.exercise_detail(db=services.db, catalog=services.catalog,
                                          settings=services.settings, slug=slug)


@router.get(
    "/exercises/{slug}/starter.zip",
    responses={**ERRORS, 200: {"content": {"application/zip": {}}, "description": "the starter"}},
    response_class=Response,
)
def starter_zip(slug: str, services: ServicesDep, _user: CurrentUser) -> Response:
    """The starter files only (from the pack's starter/ folder)."""
    archive = exercise_views.starter_archive(catalog=services.catalog, slug=slug)
    return Response(
        archive.data, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{archive.filename}"'},
    )


@router.post(
    "/exercises/{slug}/regrade", status_code=202, response_model=RegradePlan | PreviewView,
    responses={**ERRORS, 403: {"description": "authors and admins only; a published "
                                              "exercise: its owners, co-authors and admins"}},
)
def regrade_exercise(slug: str, request: Request, response: Response, services: ServicesDep,
                     user: AuthorUser, dry_run: Annotated[bool, Query()] = False,
                     ) -> RegradePlan | PreviewView:
    """Grade every final submission of the exercise again with its current
    version (a RegradePlan). `dry_run=true` changes nothing: it answers a
    regrade preview (`Location`: `/regrade-previews/{id}`) that a worker
    grades in the sandbox, saying how many scores would change and by how
    much; its `plan` has the counts found at once."""
    if dry_run:
        return located(request, response, publish_regrade.preview_exercise(
            db=services.db, catalog=services.catalog, queue=services.queue, user=user,
            slug=slug))
    return publish_regrade.regrade_exercise(
        db=services.db, catalog=services.catalog, queue=services.queue, user=user, slug=slug,
        dry_run=False,
    )
