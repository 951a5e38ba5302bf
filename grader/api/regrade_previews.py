"""/regrade-previews/{id}: a regrade's dry run, graded in the sandbox on a
worker. Asked for with `POST /exercises/{slug}/regrade?dry_run=true` or
`POST /courses/{c}/assignments/{a}/regrade?dry_run=true` (202, `Location`
here); read by those who may ask for it (others: 404, as for a preview
that does not exist, so ids cannot be probed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from grader.api.deps import CurrentUser
from grader.http.deps import ServicesDep
from grader.services import regrade_preview
from grader.services.regrade_preview_views import PreviewView

router = APIRouter(tags=["regrade previews"])
MAX_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL; larger ones are simply unknown
PreviewId = Annotated[int, Path(ge=1, le=MAX_ID, description="the preview's id")]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    404: {"description": "no such preview, or not yours to see"},
    422: {"description": "the id is not a whole number from 1 to 2147483647"},
}


def located(request: Request, response: Response, preview: PreviewView) -> PreviewView:
    """Point `Location` at the preview (the answer of a dry run)."""
    root = request.scope.get("root_path", "")
    response.headers["Location"] = f"{root}/api/v1/regrade-previews/{preview.id}"
    return preview


@router.get("/regrade-previews/{preview_id}", response_model=PreviewView, responses=ERRORS)
def read(preview_id: PreviewId, services: ServicesDep, user: CurrentUser) -> PreviewView:
    """Progress (`done_count` of `total`); once `done`, the summary (how many
    scores would change, up and down, mean and largest change in points and
    as a fraction of full marks) and every submission's score now and after."""
    return regrade_preview.get_preview(db=services.db, user=user, preview_id=preview_id)
