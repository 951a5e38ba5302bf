"""The JSON API (FastAPI): one router per resource under /api/v1 (OpenAPI at
/docs), health and metrics at the root too. `install(app)` adds the routes
and the API's error handlers; grader/app.py builds the app around them."""

from __future__ import annotations

from fastapi import FastAPI

from grader.api import (
    assignments,
    courses,
    errors,
    exercises,
    gradebook,
    health,
    regrade_previews,
    submissions,
    tokens,
)
from grader.api.publishing import router as publishing_router

PREFIX = "/api/v1"


def install(app: FastAPI) -> None:
    errors.install(app)
    for router in (submissions.router, exercises.router, tokens.router, assignments.router,
                   gradebook.router, courses.router, regrade_previews.router):
        app.include_router(router, prefix=PREFIX)
    app.include_router(publishing_router, prefix=PREFIX)
    app.include_router(health.router)
    app.include_router(health.router, prefix=PREFIX, include_in_schema=False)


__all__ = ["PREFIX", "install"]
