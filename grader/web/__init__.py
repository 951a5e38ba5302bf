"""The web pages (Jinja2) for students, authors and admins, on the same app
as the JSON API. `install(app)` adds the routes, the static files and the
HTML error pages (API paths keep their JSON errors)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from grader.web import (
    admin,
    assignments,
    author,
    courses,
    exercises,
    gradebook,
    lti,
    regrades,
    signin,
    submissions,
)
from grader.web.pages import HERE, install_errors
from grader.web.publishing import router as publishing_router

router = APIRouter(include_in_schema=False)
for module in (signin, exercises, submissions, author, admin, lti, assignments, gradebook,
               courses, regrades):
    router.include_router(module.router)
router.include_router(publishing_router)  # publishing packs (author pages)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)
    install_errors(app)


__all__ = ["install", "router"]
