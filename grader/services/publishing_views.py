"""What authors see of a published version: the API's answers, the events
stream and the pages all use these models (never the archive's bytes)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from grader.db.publishing import ExerciseVersion, VersionStatus


class VersionView(BaseModel):
    id: int
    slug: str
    title: str
    category: str
    content_hash: str
    status: VersionStatus
    active: bool  # the version students see now
    verdict: str | None
    published_by: str | None
    published_at: datetime
    started_at: datetime | None
    proven_at: datetime | None
    finished_at: datetime | None
    log: str | None = None  # the proving log, on the single-version answers only


class PublishResult(BaseModel):
    version: VersionView
    created: bool  # False: this content was published before (the same version)
    warnings: list[str]  # lint's warnings; the errors would have refused it


class RegradePlan(BaseModel):
    """What a regrade against the exercise's current version does, or would do.

    The counts: how many final submissions a regrade takes, how many of them
    were graded against another version, and their mean score now. The dry
    run's prediction of the new scores is a regrade preview
    (services/regrade_preview.py), graded on the workers and recorded apart."""

    slug: str
    exercise_id: int  # the `exercises` row (slug + content hash) they would be graded against
    content_hash: str
    dry_run: bool
    submissions: int  # final submissions that are (or would be) graded again
    on_other_versions: int  # of those, last graded against another version
    current_mean_score: float | None  # their mean fraction of full marks now (0-1)
    requeued: int  # 0 for a dry run
    ids: list[str]  # the submissions put back on the queue (none for a dry run)


def version_view(row: ExerciseVersion, *, active_id: int | None,
                 with_log: bool = False) -> VersionView:
    return VersionView(
        id=row.id, slug=row.slug, title=row.title, category=row.category,
        content_hash=row.content_hash, status=VersionStatus(row.status),
        active=row.id == active_id, verdict=row.verdict,
        published_by=row.publisher.name if row.publisher else None,
        published_at=row.published_at, started_at=row.started_at, proven_at=row.proven_at,
        finished_at=row.finished_at, log=row.log if with_log else None,
    )
