"""/exercises: the catalogue as students see it (never solutions, mutants or
hidden tests: only the prompt, the rules, and the starter files)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel

from grader.api.deps import AuthorUser, CurrentUser
from grader.http.deps import ServicesDep
from grader.services import exercise_views, regrade
from grader.services.exercise_views import ExerciseDetail, ExerciseSummary

router = APIRouter(tags=["exercises"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"}, 404: {"description": "no such exercise"},
}


class RegradeOut(BaseModel):
    requeued: int
    ids: list[str]


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
    "/exercises/{slug}/regrade", status_code=202, response_model=RegradeOut,
    responses={**ERRORS, 403: {"description": "authors and admins only"}},
)
def regrade_exercise(slug: str, services: ServicesDep, user: AuthorUser) -> RegradeOut:
    """Grade every final submission of the exercise again with its current version."""
    ids = regrade.regrade_exercise(
        db=services.db, catalog=services.catalog, queue=services.queue, user=user, slug=slug
    )
    return RegradeOut(requeued=len(ids), ids=ids)
