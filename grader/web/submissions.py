"""Submission pages: one submission (live status, then results), the
student's own history, and the events stream for the page's script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from grader.http.deps import ServicesDep
from grader.http.status_stream import open_stream
from grader.services import regrade, stats, submissions
from grader.services.submissions import sees_all
from grader.services.views import SubmissionView
from grader.web.charts import sparkline
from grader.web.pages import domain_errors, finish, redirect, render
from grader.web.session import AuthorUser, Csrf, WebUser
from grader.web.signin import safe_next

router = APIRouter()

# What each overall outcome means, in the student's words.
OUTCOMES = {
    "passed": "Every test passed.",
    "failed": "Some tests failed: see which below, with hints.",
    "error": "No test could run: your code did not start (a syntax error, a missing module, "
             "or an app that never came up). The message below says what went wrong.",
    "timeout": "Time limit reached: your code took too long, or did not answer a call in "
               "time. Tests that finished kept their points; the rest scored 0.",
    "memory_exceeded": "Memory limit exceeded: your code used more memory than allowed and "
                       "was stopped.",
    "output_exceeded": "Output limit exceeded: your code printed more than allowed and was "
                       "stopped.",
}
NOT_GRADABLE = ("This submission could not be graded because of a problem on our side, not "
                "in your code. It did not cost you an attempt; submit again later.")


def _context(view: SubmissionView) -> dict[str, object]:
    return {"sub": view, "final": view.status.final,
            "explain": NOT_GRADABLE if view.status == "not_gradable"
            else OUTCOMES.get(view.outcome or "", "")}


@router.get("/submissions")
def my_submissions(request: Request, services: ServicesDep, user: WebUser) -> Response:
    history = stats.own_history(db=services.db, user=user)
    titles = {slug: pack.manifest.title for slug, pack in services.catalog.packs().items()}
    groups = []
    for slug, attempts in sorted(history.items()):
        graded = [a.score / a.max_score for a in attempts
                  if a.score is not None and a.max_score]
        groups.append({"slug": slug, "title": titles.get(slug, slug),
                       "attempts": list(reversed(attempts)), "spark": sparkline(graded)})
    return render(request, "my_submissions.html", {"groups": groups})


@router.get("/submissions/{submission_id}")
def submission_page(request: Request, submission_id: str, services: ServicesDep,
                    user: WebUser) -> Response:
    with domain_errors():
        view = submissions.get_submission(db=services.db, user=user,
                                          submission_id=submission_id)
    return render(request, "submission.html",
                  {**_context(view), "can_regrade": sees_all(user)})


@router.get("/submissions/{submission_id}/result")
def submission_result(request: Request, submission_id: str, services: ServicesDep,
                      user: WebUser) -> Response:
    """The results part of the page alone, for the script to swap in once final."""
    with domain_errors():
        view = submissions.get_submission(db=services.db, user=user,
                                          submission_id=submission_id)
    return render(request, "_result.html", _context(view))


@router.get("/submissions/{submission_id}/events")
def submission_events(request: Request, submission_id: str, services: ServicesDep,
                      user: WebUser) -> Response:
    """The API's events stream (same generator, same access rule), signed in by
    the session cookie: a browser's EventSource cannot send a Bearer token."""
    with domain_errors():
        # A StreamingResponse, or a 429 when the user's streams are at the cap.
        stream = open_stream(request, services, user, submission_id)
    return finish(stream, request)


@router.post("/submissions/{submission_id}/regrade", dependencies=[Csrf])
def regrade_one(request: Request, submission_id: str, services: ServicesDep,
                user: AuthorUser, back: Annotated[str, Form(max_length=2000)] = "") -> Response:
    with domain_errors():
        view = regrade.regrade_submission(db=services.db, catalog=services.catalog,
                                          queue=services.queue, user=user,
                                          submission_id=submission_id)
    return redirect(request, safe_next(back) if back else f"/submissions/{view.id}")
