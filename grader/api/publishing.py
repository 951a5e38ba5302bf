"""Publishing exercises (authors): upload a pack, follow its proving, list,
roll back, add co-authors. Regrading is /exercises/{slug}/regrade (exercises.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from grader.api.deps import AuthorUser
from grader.api.upload_body import read_upload
from grader.exercises.archive import ArchiveLimits
from grader.http.deps import ServicesDep
from grader.http.version_stream import open_version_stream
from grader.services import publishing, repo_sync
from grader.services.errors import TooLarge
from grader.services.publishing_views import PublishResult, VersionView
from grader.services.repo_sync import SyncedPack

router = APIRouter(tags=["publishing"])
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; larger ones are simply unknown
VersionId = Annotated[int, Path(ge=1, le=MAX_ID)]
ARCHIVE_TYPES = ("application/gzip", "application/x-gzip", "application/zip",
                 "application/x-tar+gzip", "application/octet-stream")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    403: {"description": "not an author, or the exercise belongs to other authors"},
    404: {"description": "no such exercise or version"},
}
PUBLISH_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    409: {"description": "the slug is a pack in the server's exercises folder"},
    413: {"description": "archive over the upload cap"},
    415: {"description": "neither a .tar.gz/.zip body nor a multipart upload"},
    422: {"description": "the archive or the pack is refused; every problem is listed"},
}
OPENAPI_BODY = {"requestBody": {"required": True, "content": {
    **{kind: {"schema": {"type": "string", "format": "binary"}} for kind in ARCHIVE_TYPES[:3]},
    "multipart/form-data": {"schema": {"type": "object", "required": ["archive"], "properties": {
        "archive": {"type": "string", "format": "binary"}}}},
}}}


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=MAX_ID, description="the id of a proven version of this exercise")


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    repo: str = Field(min_length=1, max_length=1000, description=(
        "a git repository the server can reach: an http(s)://, ssh:// or git:// URL, or (when "
        "GRADER_SYNC_ALLOW_LOCAL is on) a path or file:// URL on the server"))
    ref: str | None = Field(None, max_length=250, description="branch, tag or commit; "
                            "default HEAD")


class CoauthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64, description="an author's user name")


async def _read_archive(request: Request, cap: int) -> tuple[bytes, str]:
    """The uploaded archive's bytes and name, never more than cap + 1 bytes read."""
    data, filename = await read_upload(
        request, part="archive", raw_types=ARCHIVE_TYPES, cap=cap,
        refusal=f"send the pack as {', '.join(ARCHIVE_TYPES[:3])} or as "
                "multipart/form-data with a part 'archive'")
    name = filename or "archive"
    if len(data) > cap:
        raise TooLarge(f"{name}: over the upload cap of {cap} bytes")
    return data, name


@router.post(
    "/exercises", status_code=202, response_model=PublishResult, responses=PUBLISH_ERRORS,
    openapi_extra=OPENAPI_BODY, summary="Publish a pack (.tar.gz or .zip of its folder)",
)
async def publish(request: Request, services: ServicesDep, user: AuthorUser) -> JSONResponse:
    """Checks the archive and the pack (every problem at once), stores the
    version and queues its proving; follow it at `Location` + `/events`.
    Students see it only once proven. The same content again answers 200
    with the version published before."""
    limits = ArchiveLimits.from_settings(services.settings)
    data, name = await _read_archive(request, limits.compressed_bytes)
    catalog = services.catalog
    await run_in_threadpool(catalog.packs)  # loaded, so its disk slugs are known
    result = await run_in_threadpool(lambda: publishing.publish(
        db=services.db, queue=services.queue, user=user, data=data,
        filename=name, disk_slugs=catalog.disk_slugs, limits=limits))
    location = f"{request.scope.get('root_path', '')}/api/v1/exercise-versions/" \
               f"{result.version.id}"
    return JSONResponse(result.model_dump(mode="json"), status_code=202 if result.created else 200,
                        headers={"Location": location})


@router.post(
    "/exercises/sync", response_model=list[SyncedPack], summary="Publish every pack of a git "
    "repository", responses={**ERRORS, 422: {"description": "the repository or ref is refused, "
                                              "cannot be cloned, or holds no pack"}},
)
async def sync(body: SyncIn, services: ServicesDep, user: AuthorUser) -> list[SyncedPack]:
    """Clones `repo` at `ref` on the server and publishes every pack in it,
    each as `POST /exercises` would; one outcome per pack (the version, or
    why it was refused: one refused pack does not stop the others)."""
    catalog = services.catalog
    await run_in_threadpool(catalog.packs)
    settings = services.settings
    return await run_in_threadpool(lambda: repo_sync.sync_repository(
        db=services.db, queue=services.queue, user=user, repo=body.repo, ref=body.ref,
        disk_slugs=catalog.disk_slugs, limits=ArchiveLimits.from_settings(settings),
        allow_local=settings.sync_allow_local))


@router.get("/exercises/{slug}/versions", response_model=list[VersionView], responses=ERRORS)
def versions(slug: str, services: ServicesDep, user: AuthorUser) -> list[VersionView]:
    """Every published version of the exercise, newest first; `active` is the one students see."""
    return publishing.list_versions(db=services.db, user=user, slug=slug)


@router.get("/exercise-versions/{version_id}", response_model=VersionView, responses=ERRORS)
def version(version_id: VersionId, services: ServicesDep, user: AuthorUser) -> VersionView:
    """Status, verdict and the proving log of one version."""
    return publishing.get_version(db=services.db, user=user, version_id=version_id)


@router.get(
    "/exercise-versions/{version_id}/events", response_class=StreamingResponse,
    responses={**ERRORS, 200: {"content": {"text/event-stream": {}},
                               "description": "log, status and verdict events"},
               429: {"description": "too many open streams; see Retry-After"}},
)
def version_events(version_id: VersionId, request: Request, services: ServicesDep,
                   user: AuthorUser) -> Response:
    return open_version_stream(request, services, user, version_id)


@router.post("/exercises/{slug}/rollback", response_model=VersionView,
             responses={**ERRORS, 409: {"description": "that version is not proven"}})
def rollback(slug: str, body: RollbackIn, services: ServicesDep, user: AuthorUser
             ) -> VersionView:
    """Show students an earlier proven version again (owners, co-authors, admins)."""
    view = publishing.rollback(db=services.db, user=user, slug=slug, version_id=body.version)
    services.catalog.reload()  # this process answers with it at once
    return view


@router.post("/exercises/{slug}/coauthors", response_model=list[str],
             responses={**ERRORS, 422: {"description": "no author of that name"}})
def add_coauthor(slug: str, body: CoauthorIn, services: ServicesDep, user: AuthorUser
                 ) -> list[str]:
    """Let another author publish this exercise too; answers every owner's name."""
    return publishing.add_coauthor(db=services.db, user=user, slug=slug, name=body.name)
