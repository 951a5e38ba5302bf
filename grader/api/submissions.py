"""/submissions: submit, read, list, regrade, and follow one (its events stream)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from grader.api.deps import CurrentUser
from grader.api.payload import OPENAPI_BODY, read_submission_body
from grader.http.arrival import arrived_at
from grader.http.deps import ServicesDep
from grader.http.status_stream import open_stream
from grader.services import regrade, submissions
from grader.services.callback_policy import policy_from_settings
from grader.services.views import SubmissionView

router = APIRouter(tags=["submissions"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    404: {"description": "no such submission, or not yours"},
}
SUBMIT_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid API token"},
    403: {"description": "callback_url sent with a student's token; or the assignment "
                         "refuses it (not released, closed, no attempts left: the detail "
                         "says why and when)"},
    409: {"description": "Idempotency-Key reused for a different request"},
    413: {"description": "request body over the server's cap (problem+json while streaming)"},
    415: {"description": "neither JSON nor multipart"},
    422: {"description": "unknown exercise, files the manifest refuses, non-UTF-8 text..."},
    429: {"description": "submission rate limit hit; see Retry-After"},
    503: {"description": "grading queue over its configured depth"},
}


@router.post(
    "/submissions", status_code=202, response_model=SubmissionView,
    openapi_extra=OPENAPI_BODY, responses=SUBMIT_ERRORS,
    summary="Submit files for grading (JSON or multipart)",
)
async def submit(
    request: Request, services: ServicesDep, user: CurrentUser,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> JSONResponse:
    # The body-limit middleware already cut the body off at this cap while it
    # streamed; the service checks the decoded text against the real one.
    payload = await read_submission_body(request, services.settings.request_bytes_cap())
    callbacks = policy_from_settings(services.settings)
    new = submissions.NewSubmission(
        user=user, exercise=payload.exercise, files=payload.files,
        callback_url=payload.callback_url, idempotency_key=idempotency_key,
        assignment=payload.assignment, received_at=arrived_at(request))
    view, created = await run_in_threadpool(
        lambda: submissions.create_submission(
            db=services.db, catalog=services.catalog, queue=services.queue,
            limiter=services.limiter, limits=services.limits, new=new, callbacks=callbacks)
    )
    # The scope's path is what request.url.path would parse out of a whole
    # URL built for it (about 2 % of a POST's CPU in a burst).
    headers = {"Location": f"{request.scope['path']}/{view.id}"}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(view.model_dump(mode="json"), status_code=202, headers=headers)


@router.get("/submissions", response_model=list[SubmissionView], responses=ERRORS)
def list_submissions(
    services: ServicesDep, user: CurrentUser,
    exercise: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    assignment: Annotated[str | None, Query(max_length=200)] = None,
) -> list[SubmissionView]:
    """Your own submissions, newest first (authors and admins: everyone's;
    course staff: also those in their courses' assignments). `assignment`:
    course-slug/assignment-slug, only those made there."""
    return submissions.list_submissions(
        db=services.db, user=user, exercise=exercise, limit=limit, offset=offset,
        assignment=assignment)


@router.get("/submissions/{submission_id}", response_model=SubmissionView, responses=ERRORS)
def get_submission(submission_id: str, services: ServicesDep, user: CurrentUser) -> SubmissionView:
    return submissions.get_submission(db=services.db, user=user, submission_id=submission_id)


@router.post(
    "/submissions/{submission_id}/regrade", status_code=202, response_model=SubmissionView,
    responses={**ERRORS, 403: {"description": "authors and admins only"},
               409: {"description": "still queued or running"}},
)
def regrade_submission(
    submission_id: str, services: ServicesDep, user: CurrentUser
) -> SubmissionView:
    """Grade again with the exercise's current version; the earlier result
    stays in `history`."""
    return regrade.regrade_submission(
        db=services.db, catalog=services.catalog, queue=services.queue, user=user,
        submission_id=submission_id,
    )


@router.get(
    "/submissions/{submission_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "status events"},
               401: {"description": "no valid API token"},
               404: {"description": "no such submission, or not yours"},
               429: {"content": {"application/problem+json": {}},
                     "description": "too many open streams (yours or the server's); "
                                    "see Retry-After"}},
)
def events(
    submission_id: str, request: Request, services: ServicesDep, user: CurrentUser
) -> Response:
    # Access is checked before the stream starts, so a missing id is a plain 404.
    return open_stream(request, services, user, submission_id)
