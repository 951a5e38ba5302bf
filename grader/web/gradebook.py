"""/courses/{slug}/gradebook: staff see the table of students by assignment
(percent, late flag with its penalty, attempts, extension), sortable by any
column through links (?sort=<column>&dir=asc|desc, sorted here on the
server; an unknown column falls back to the name), and per assignment a
score distribution chart drawn in SVG (grader.web.charts). A student sees
their own row with the rules applied and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.http.deps import ServicesDep
from grader.services import gradebook
from grader.services.gradebook import Gradebook, StudentRow
from grader.web.charts import Histogram, histogram
from grader.web.pages import domain_errors, render
from grader.web.session import WebUser

router = APIRouter()
BUCKETS = 10  # as the author stats: 0-10 %, ..., 90-100 %
FIXED = ("name", "email", "total")


def columns(book: Gradebook) -> list[str]:
    """The sortable columns: name, email, each assignment's slug, total."""
    return ["name", "email", *(a.slug for a in book.assignments), "total"]


def sort_rows(book: Gradebook, key: str, descending: bool) -> tuple[list[StudentRow], str]:
    """The rows by `key` (an unknown key: by name), rows without a figure last
    either way, ties by name; and the key used."""
    if key not in columns(book):
        key = "name"
    by_name = sorted(book.students, key=lambda r: (r.name.casefold(), r.user_id))
    if key in ("name", "email"):
        text = sorted(by_name, key=lambda r: ((r.name if key == "name" else r.email or "")
                                              .casefold()), reverse=descending)
        return text, key
    index = next((i for i, a in enumerate(book.assignments) if a.slug == key), None)

    def figure(row: StudentRow) -> float | None:
        return row.total if index is None else row.cells[index].percent

    known = [r for r in by_name if figure(r) is not None]
    known.sort(key=lambda r: figure(r) or 0.0, reverse=descending)  # stable: ties by name
    return known + [r for r in by_name if figure(r) is None], key


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    histogram: Histogram


def distributions(book: Gradebook) -> list[Chart]:
    """Per assignment, how many students scored in each tenth (100 % in the last)."""
    charts = []
    for index, column in enumerate(book.assignments):
        buckets = [0] * BUCKETS
        for row in book.students:
            percent = row.cells[index].percent
            if percent is not None:
                buckets[min(BUCKETS - 1, int(percent // (100 / BUCKETS)))] += 1
        charts.append(Chart(column.slug, column.title, histogram(buckets)))
    return charts


def _links(keys: Sequence[str], current: str, descending: bool) -> dict[str, str]:
    """Each header's link: the other direction on the sorted column, else ascending."""
    return {key: f"?sort={quote(key)}&dir={'asc' if descending else 'desc'}"
            if key == current else f"?sort={quote(key)}&dir=asc" for key in keys}


@router.get("/courses/{slug}/gradebook.csv")
async def gradebook_csv(slug: str, services: ServicesDep, user: WebUser) -> Response:
    """The same CSV as the API's ?format=csv, for a signed-in browser (no token):
    staff get every student, a student their own row."""
    with domain_errors():
        book = await run_in_threadpool(gradebook.course_gradebook, db=services.db, slug=slug,
                                       user=user)
    return Response(
        gradebook.as_csv(book).encode("utf-8"), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{book.course}-gradebook.csv"'})


@router.get("/courses/{slug}/gradebook")
async def gradebook_page(request: Request, slug: str, services: ServicesDep, user: WebUser,
                         sort: str = "name", dir: str = "asc") -> Response:
    with domain_errors():
        book = await run_in_threadpool(gradebook.course_gradebook, db=services.db, slug=slug,
                                       user=user)
    descending = dir == "desc"  # anything else: ascending, no error
    rows, key = sort_rows(book, sort[:100], descending)
    return render(request, "gradebook.html", {
        "book": book, "rows": rows, "sort": key, "descending": descending,
        "links": _links(columns(book), key, descending),
        "charts": distributions(book) if book.staff else [],
    })
