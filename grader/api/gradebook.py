"""/courses/{slug}/gradebook: the course's gradebook as JSON, or as a CSV
file for spreadsheets (Accept: text/csv, or ?format=csv). Staff get every
student; a student gets only their own row; anyone else 404, like a course
that does not exist (services.gradebook)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from grader.api.deps import CurrentUser
from grader.http.deps import ServicesDep
from grader.services import gradebook
from grader.services.errors import Invalid

router = APIRouter(tags=["courses"])
FORMATS = ("json", "csv")
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    404: {"description": "no such course, or not a member"},
    422: {"description": "unknown format"},
}


def wants_csv(request: Request, format: str | None) -> bool:
    """?format wins over Accept; an unknown format is refused, naming the field."""
    if format is not None:
        if format not in FORMATS:
            raise Invalid(f"format: unknown value {format[:40]!r}; use one of "
                          + ", ".join(FORMATS))
        return format == "csv"
    return "text/csv" in request.headers.get("accept", "").lower()


@router.get(
    "/courses/{slug}/gradebook", response_model=gradebook.Gradebook,
    responses={**ERRORS, 200: {"content": {"text/csv": {}},
                               "description": "the gradebook (JSON, or CSV on request)"}},
)
def get_gradebook(slug: str, request: Request, services: ServicesDep, user: CurrentUser,
                  format: str | None = None) -> Any:
    """Students by assignment: counted score, late flag, attempts, extension."""
    csv_wanted = wants_csv(request, format)
    book = gradebook.course_gradebook(db=services.db, slug=slug, user=user)
    if not csv_wanted:
        return book
    return Response(
        gradebook.as_csv(book).encode("utf-8"), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{book.course}-gradebook.csv"'})
