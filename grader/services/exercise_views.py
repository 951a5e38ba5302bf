"""The catalogue as students see it: never solutions, mutants or hidden tests,
only the prompt, the rules, the limits and the starter files. Both HTTP edges
show these (the API as JSON, the pages as HTML)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from grader.db import Database, Exercise, Grading, SubmissionStatus
from grader.exercises.pack import ExercisePack, pack_files
from grader.services.catalog import Catalog
from grader.settings import Settings


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


@dataclass(frozen=True)
class StarterArchive:
    filename: str  # <slug>-starter.zip
    data: bytes  # a zip of the starter files, under <slug>/


def _summary(pack: ExercisePack) -> dict[str, Any]:
    m = pack.manifest
    return {"slug": pack.slug, "title": m.title, "category": m.category.value,
            "difficulty": m.difficulty.value, "runner": m.runner.value,
            "version": pack.content_hash}


def _limits(pack: ExercisePack, settings: Settings) -> dict[str, float]:
    own = pack.manifest.limits.for_sandbox(settings.limit_caps())
    return {k: float(v) for k, v in asdict(own).items()}


def list_exercises(*, catalog: Catalog) -> list[ExerciseSummary]:
    packs = catalog.packs()
    return [ExerciseSummary(**_summary(packs[slug])) for slug in sorted(packs)]


def _points(db: Database, pack: ExercisePack) -> float | None:
    """The max score of the latest graded run of this version, if any."""
    with db.session() as session:
        return session.scalar(
            select(Grading.max_score).join(Exercise, Grading.exercise_id == Exercise.id)
            .where(Exercise.slug == pack.slug, Exercise.content_hash == pack.content_hash,
                   Grading.status == SubmissionStatus.GRADED)
            .order_by(Grading.id.desc()).limit(1)
        )


def exercise_detail(*, db: Database, catalog: Catalog, settings: Settings,
                    slug: str) -> ExerciseDetail:
    """NotFound for an unknown slug."""
    pack = catalog.get(slug)
    rules = pack.manifest.submission
    return ExerciseDetail(
        **_summary(pack),
        prompt=pack.readme.read_text(encoding="utf-8") if pack.readme.is_file() else "",
        categories=[pack.manifest.category.value],
        limits=_limits(pack, settings), points=_points(db, pack),
        starter_files=[p.relative_to(pack.starter).as_posix() for p in pack_files(pack.starter)],
        allowed_files=list(rules.files), required_files=list(rules.required),
        max_files=rules.max_files, max_bytes=rules.max_bytes,
    )


def starter_archive(*, catalog: Catalog, slug: str) -> StarterArchive:
    """The starter files only (from the pack's starter/ folder); NotFound for
    an unknown slug."""
    pack = catalog.get(slug)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in pack_files(pack.starter):
            archive.write(path, f"{slug}/{path.relative_to(pack.starter).as_posix()}")
    return StarterArchive(filename=f"{slug}-starter.zip", data=buffer.getvalue())
