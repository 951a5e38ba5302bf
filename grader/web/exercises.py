"""Exercise pages: the list (grouped by category, best scores, filter), one
exercise (prompt, limits, starter download, submit form) and submitting."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.db import User
from grader.exercises.pack import pack_files
from grader.http.arrival import arrived_at
from grader.http.deps import ServicesDep
from grader.services import exercise_views, stats, submissions
from grader.services.errors import ServiceError, status_of
from grader.services.wiring import Services
from grader.web.forms import FileRow, read_files
from grader.web.markdown import render_markdown
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import Csrf, OptionalUser, WebUser

router = APIRouter()


@router.get("/")
def home(request: Request, user: OptionalUser) -> Response:
    return redirect(request, "/exercises" if user else "/signin")


@router.get("/exercises")
def exercise_list(request: Request, services: ServicesDep, user: WebUser,
                  category: str | None = None) -> Response:
    packs = services.catalog.packs()
    best = stats.best_scores(db=services.db, user=user)
    categories = sorted({p.manifest.category.value for p in packs.values()})
    groups: dict[str, list[dict[str, Any]]] = {}
    for slug in sorted(packs, key=lambda s: (packs[s].manifest.title, s)):
        manifest = packs[slug].manifest
        if category and manifest.category.value != category:
            continue
        groups.setdefault(manifest.category.value, []).append({
            "slug": slug, "title": manifest.title, "difficulty": manifest.difficulty.value,
            "best": best.get(slug),
        })
    return render(request, "exercises.html", {
        "groups": dict(sorted(groups.items())), "categories": categories,
        "category": category if category in categories else None,
    })


def _starter_rows(services: Services, slug: str) -> list[FileRow]:
    pack = services.catalog.get(slug)
    rows: list[FileRow] = []
    for path in pack_files(pack.starter):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        rows.append(FileRow(index=len(rows), path=path.relative_to(pack.starter).as_posix(),
                            content=text))
    return rows


def _exercise_page(request: Request, services: Services, user: User, slug: str,
                   rows: list[FileRow] | None = None, error: str | None = None,
                   status: int = 200, assignment: str | None = None) -> Response:
    with domain_errors():
        detail = exercise_views.exercise_detail(db=services.db, catalog=services.catalog,
                                                settings=services.settings, slug=slug)
        rows = rows if rows is not None else _starter_rows(services, slug)
    for index, row in enumerate(rows):
        row.index = index  # the form reads rows 0, 1, ... up to the first gap
    extra = FileRow(index=len(rows), path="", content="", fixed=False)
    return render(request, "exercise.html", {
        "ex": detail, "prompt": render_markdown(detail.prompt), "rows": rows, "extra": extra,
        "error": error, "nonce": secrets.token_urlsafe(16),
        "best": stats.best_scores(db=services.db, user=user).get(slug),
        "assignment": assignment,  # "course/assignment": the form submits inside it
    }, status=status)


@router.get("/exercises/{slug}")
def exercise_page(request: Request, slug: str, services: ServicesDep, user: WebUser,
                  assignment: Annotated[str | None, Query(max_length=200)] = None
                  ) -> Response:
    return _exercise_page(request, services, user, slug, assignment=assignment or None)


@router.get("/exercises/{slug}/starter.zip")
def starter_zip(slug: str, services: ServicesDep, user: WebUser) -> Response:
    with domain_errors():
        archive = exercise_views.starter_archive(catalog=services.catalog, slug=slug)
    return Response(
        archive.data, media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{archive.filename}"'},
    )


@router.post("/exercises/{slug}/submit", dependencies=[Csrf])
async def submit(request: Request, slug: str, services: ServicesDep, user: WebUser
                 ) -> Response:
    with domain_errors():
        services.catalog.get(slug)
    form = await request.form()
    rows: list[FileRow] | None = None
    nonce = form.get("nonce")
    field = form.get("assignment")
    assignment = field[:200] if isinstance(field, str) and field else None
    try:
        files, rows = await read_files(form)
        new = submissions.NewSubmission(
            user=user, exercise=slug, files=files,
            # A double click sends the same form twice: one submission.
            idempotency_key=f"web:{nonce}" if isinstance(nonce, str) and nonce else None,
            assignment=assignment, received_at=arrived_at(request))
        view, _ = await run_in_threadpool(
            lambda: submissions.create_submission(
                db=services.db, catalog=services.catalog, queue=services.queue,
                limiter=services.limiter, limits=services.limits, new=new))
    except ServiceError as exc:
        shown = [row for row in rows or [] if row.fixed or row.path or row.content]
        return _exercise_page(request, services, user, slug, rows=rows and shown,
                              error=exc.message, status=status_of(exc), assignment=assignment)
    return redirect(request, f"/submissions/{view.id}")
