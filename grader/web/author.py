"""Author pages: every exercise with its cohort's figures, and one exercise's
pass rate per test, score distribution (SVG) and recent submissions with
regrade buttons."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from grader.http.deps import ServicesDep
from grader.services import regrade, stats
from grader.web.charts import histogram
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import AuthorUser, Csrf

router = APIRouter()


@router.get("/author")
def author_index(request: Request, services: ServicesDep, user: AuthorUser) -> Response:
    packs = services.catalog.packs()
    rows = []
    for slug in sorted(packs):
        figures = stats.exercise_stats(db=services.db, slug=slug, recent=0)
        full = figures.buckets[-1] if figures.buckets else 0
        rows.append({"slug": slug, "title": packs[slug].manifest.title,
                     "category": packs[slug].manifest.category.value,
                     "graded": figures.graded, "students": figures.students, "full": full})
    return render(request, "author_index.html", {"rows": rows})


@router.get("/author/exercises/{slug}")
def exercise_stats(request: Request, slug: str, services: ServicesDep, user: AuthorUser
                   ) -> Response:
    with domain_errors():
        pack = services.catalog.get(slug)
    figures = stats.exercise_stats(db=services.db, slug=slug)
    return render(request, "author_stats.html", {
        "slug": slug, "title": pack.manifest.title, "stats": figures,
        "chart": histogram(figures.buckets),
        "notice": request.query_params.get("requeued"),
    })


@router.post("/author/exercises/{slug}/regrade", dependencies=[Csrf])
def regrade_all(request: Request, slug: str, services: ServicesDep, user: AuthorUser
                ) -> Response:
    with domain_errors():
        ids = regrade.regrade_exercise(db=services.db, catalog=services.catalog,
                                       queue=services.queue, user=user, slug=slug)
    return redirect(request, f"/author/exercises/{slug}?requeued={len(ids)}")
