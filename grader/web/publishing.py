"""Author pages for publishing: an upload form, a sync-from-git form (one
line per pack, each linked to its version), and a version's page that
follows its proving live (static/publish_live.js on the events stream;
without JavaScript it reloads itself), with the verdict, the log and the
version list (rollback buttons) once it is judged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from grader.exercises.archive import ArchiveLimits
from grader.http.deps import ServicesDep, get_services
from grader.http.version_stream import open_version_stream
from grader.services import publishing, repo_sync
from grader.services.errors import Invalid, ServiceError, TooLarge, status_of
from grader.services.repo_sync import SyncedPack
from grader.web.pages import domain_errors, finish, redirect, render
from grader.web.session import AuthorUser, Csrf

router = APIRouter()
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL
VersionId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _form(request: Request, error: str | None = None, status: int = 200, *,
          sync_error: str | None = None, synced: list[SyncedPack] | None = None,
          repo: str = "", ref: str = "") -> Response:
    return render(request, "publish.html", {
        "problems": error.splitlines() if error else [],
        "sync_problems": sync_error.splitlines() if sync_error else [],
        "synced": synced, "repo": repo, "ref": ref,
        "cap_bytes": get_services(request).settings.publish_max_upload_bytes}, status=status)


@router.get("/author/publish")
def publish_form(request: Request, user: AuthorUser) -> Response:
    return _form(request)


@router.post("/author/publish", dependencies=[Csrf])
async def publish(request: Request, services: ServicesDep, user: AuthorUser) -> Response:
    limits = ArchiveLimits.from_settings(services.settings)
    form = await request.form(max_files=1, max_fields=3)
    upload = form.get("archive")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("choose the pack's .tar.gz or .zip file")
        data = await upload.read(limits.compressed_bytes + 1)
        if len(data) > limits.compressed_bytes:
            raise TooLarge(f"{upload.filename}: over the upload cap of "
                           f"{limits.compressed_bytes} bytes")
        catalog = services.catalog
        await run_in_threadpool(catalog.packs)
        name = upload.filename
        result = await run_in_threadpool(lambda: publishing.publish(
            db=services.db, queue=services.queue, user=user,
            data=data, filename=name, disk_slugs=catalog.disk_slugs, limits=limits))
    except ServiceError as exc:
        return _form(request, exc.message, status_of(exc))
    return redirect(request, f"/author/versions/{result.version.id}")


@router.post("/author/publish/sync", dependencies=[Csrf])
async def sync(request: Request, services: ServicesDep, user: AuthorUser,
               repo: Annotated[str, Form(max_length=1000)] = "",
               ref: Annotated[str, Form(max_length=250)] = "") -> Response:
    """Clone a git repository on the server and publish each of its packs."""
    settings, catalog = services.settings, services.catalog
    try:
        if not repo.strip():
            raise Invalid("field 'repo': the repository's URL (or path) is required")
        await run_in_threadpool(catalog.packs)
        synced = await run_in_threadpool(lambda: repo_sync.sync_repository(
            db=services.db, queue=services.queue, user=user, repo=repo.strip(),
            ref=ref.strip() or None, disk_slugs=catalog.disk_slugs,
            limits=ArchiveLimits.from_settings(settings), allow_local=settings.sync_allow_local))
    except ServiceError as exc:
        return _form(request, sync_error=exc.message, status=status_of(exc), repo=repo, ref=ref)
    return _form(request, synced=synced, repo=repo, ref=ref)


@router.get("/author/versions/{version_id}")
def version_page(request: Request, version_id: VersionId, services: ServicesDep, user: AuthorUser
                 ) -> Response:
    with domain_errors():
        version = publishing.get_version(db=services.db, user=user, version_id=version_id)
        versions = publishing.list_versions(db=services.db, user=user, slug=version.slug)
    return render(request, "publish_version.html", {
        "v": version, "versions": versions, "final": version.status.final})


@router.get("/author/versions/{version_id}/events")
def version_events(request: Request, version_id: VersionId, services: ServicesDep, user: AuthorUser
                   ) -> Response:
    """The API's events stream, signed in by the session cookie."""
    with domain_errors():
        stream = open_version_stream(request, services, user, version_id)
    return finish(stream, request)


@router.post("/author/exercises/{slug}/rollback", dependencies=[Csrf])
def rollback(request: Request, slug: str, services: ServicesDep, user: AuthorUser,
             version: Annotated[int, Form(ge=1, le=MAX_ID)]) -> Response:
    with domain_errors():
        publishing.rollback(db=services.db, user=user, slug=slug, version_id=version)
    services.catalog.reload()
    return redirect(request, f"/author/versions/{version}")
