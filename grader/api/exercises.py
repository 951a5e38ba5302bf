"""/exercises: the catalogue as students see it (never solutions, mutants or
hidden tests: only the prompt, the rules, and the starter files)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from grader.api.deps import AuthorUser, CurrentUser, ServicesDep
from grader.db import Exercise, Grading, Status
from grader.exercises.pack import ExercisePack, pack_files
from grader.services import regrade
from grader.settings import Settings
from sandbox.limits import Limits

router = APIRouter(tags=["exercises"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"}, 404: {"description": "no such exercise"},
}


class ExerciseSummary(BaseModel):
    slug: str
    title: str
    category: str
    difficulty: str
    runner: str
    version: str


class ExerciseDetail(ExerciseSummary):
    prompt: str  # the README, Markdown
    categories: list[str]
    limits: dict[str, float]  # the exercise's limits, capped by the server's
    points: float | None  # max score, once any submission of this version was graded
    starter_files: list[str]
    allowed_files: list[str]
    required_files: list[str]
    max_files: int
    max_bytes: int


class RegradeOut(BaseModel):
    requeued: int
    ids: list[str]


def _summary(pack: ExercisePack) -> dict[str, Any]:
    m = pack.manifest
    return {"slug": pack.slug, "title": m.title, "category": m.category.value,
            "difficulty": m.difficulty.value, "runner": m.runner.value,
            "version": pack.content_hash}


def _limits(pack: ExercisePack, settings: Settings) -> dict[str, float]:
    own = Limits(**pack.manifest.limits.model_dump()).capped(settings.limit_caps())
    return {k: float(v) for k, v in asdict(own).items()}


@router.get("/exercises", response_model=list[ExerciseSummary], responses=ERRORS)
def list_exercises(services: ServicesDep, _user: CurrentUser) -> list[ExerciseSummary]:
    packs = services.catalog.packs()
    return [ExerciseSummary(**_summary(packs[slug])) for slug in sorted(packs)]


@router.get("/exercises/{slug}", response_model=ExerciseDetail, responses=ERRORS)
def get_exercise(slug: str, services: ServicesDep, _user: CurrentUser) -> ExerciseDetail:
    pack = services.catalog.get(slug)
    rules = pack.manifest.submission
    with services.db.session() as session:
        points = session.scalar(
            select(Grading.max_score).join(Exercise, Grading.exercise_id == Exercise.id)
            .where(Exercise.slug == slug, Exercise.content_hash == pack.content_hash,
                   Grading.status == Status.GRADED)
            .order_by(Grading.id.desc()).limit(1)
        )
    return ExerciseDetail(
        **_summary(pack),
        prompt=pack.readme.read_text(encoding="utf-8") if pack.readme.is_file() else "",
        categories=[pack.manifest.category.value],
        limits=_limits(pack, services.settings), points=points,
        starter_files=[p.relative_to(pack.starter).as_posix() for p in pack_files(pack.starter)],
        allowed_files=list(rules.files), required_files=list(rules.required),
        max_files=rules.max_files, max_bytes=rules.max_bytes,
    )


@router.get(
    "/exercises/{slug}/starter.zip",
    responses={**ERRORS, 200: {"content": {"application/zip": {}}, "description": "the starter"}},
    response_class=Response,
)
def starter_zip(slug: str, services: ServicesDep, _user: CurrentUser) -> Response:
    """The starter files only (from the pack's starter/ folder)."""
    pack = services.catalog.get(slug)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in pack_files(pack.starter):
            archive.write(path, f"{slug}/{path.relative_to(pack.starter).as_posix()}")
    return Response(
        buffer.getvalue(), media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{slug}-starter.zip"'},
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
