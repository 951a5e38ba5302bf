"""The application factory: the JSON API (grader.api) and the pages
(grader.web) on one FastAPI app, behind the body-limit middleware.

The one module that knows both edges: grader.api and grader.web never import
each other (both use grader.http and the services)."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from grader import api, web
from grader.api.body_limit import BodyLimit, BodyLimits
from grader.auth import LoginThrottle
from grader.http.arrival import ArrivalStamp
from grader.http.stream_slots import StreamSlots
from grader.services import config
from grader.services.status_events import Wakeups
from grader.services.wiring import Services, build_services
from grader.settings import Settings, get_settings
from grader.web.forms import MAX_ROWS
from grader.web.pages import API_PATHS, SECURITY_HEADERS, templates

log = logging.getLogger(__name__)
# The routes that take a submission's files; every other one takes a small form at most.
UPLOAD_PATHS = (re.compile(re.escape(api.PREFIX) + "/submissions"),
                re.compile("/exercises/[^/]+/submit"),
                # Published packs (api/publishing.py, web/publishing.py).
                re.compile(re.escape(api.PREFIX) + "/exercises"),
                re.compile("/author/publish"),
                # Course rosters (api/courses.py, web/courses.py), capped again by their reader.
                re.compile(re.escape(api.PREFIX) + "/courses/[^/]+/roster"),
                re.compile("/courses/[^/]+/roster"))


def _too_large_page(detail: str) -> Response:
    html = templates.env.get_template("error.html").render(
        status=413, title="Too large", detail=detail, user=None, csrf="")
    return HTMLResponse(html, status_code=413, headers=SECURITY_HEADERS)


def _form_limits(settings: Settings) -> dict[str, Any]:
    """For the forms FastAPI parses itself (the pages' Form() fields): part
    counts for the submit page's rows (path, content, fixed flag, upload) and a
    few more; a text field as large as a whole upload (one file pasted). Older
    FastAPI has no such option and keeps Starlette's (1000 parts, 1 MiB)."""
    if "form_limits" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"form_limits": {"max_fields": 4 * MAX_ROWS + 16, "max_files": MAX_ROWS + 8,
                            "max_part_size": settings.request_bytes_cap()}}


def create_app(settings: Settings | None = None, *, services: Services | None = None,
               migrate: bool = True) -> FastAPI:
    """The API and the pages. `services` replaces the real wiring (tests pass their own
    database or queue); otherwise everything is built from settings."""
    settings = settings or (services.settings if services else get_settings())
    wired = services or build_services(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            # The service migrates on start; safe when several processes race.
            await run_in_threadpool(wired.db.migrate)
        await run_in_threadpool(wired.catalog.reload)
        log.info("API ready: %d exercises, database %s", len(wired.catalog.packs()),
                 wired.db.engine.url.render_as_string(hide_password=True))
        yield
        await _app.state.status_wakeups.close()

    app = FastAPI(
        title="grader", version="1", lifespan=lifespan,
        summary="Grades backend coding exercises in hardened sandboxes.",
        docs_url="/docs", openapi_url="/openapi.json", **_form_limits(settings),
    )
    app.state.services = wired
    # One of each per app: the throttle's in-process fallback and the stream
    # counts must outlive a request (grader.http.deps, grader.http.stream_slots).
    app.state.login_throttle = LoginThrottle.from_settings(wired.redis, wired.settings)
    app.state.stream_slots = StreamSlots(per_user=wired.settings.max_streams_per_user,
                                         total=wired.settings.max_streams)
    app.state.status_wakeups = Wakeups(config.redis_url(wired.settings))
    api.install(app)
    web.install(app)  # the pages at "/", after the API's routes
    # Outermost of our middleware: no body is read past its limit, whoever reads it.
    app.add_middleware(BodyLimit, limits=BodyLimits(
        uploads=settings.request_bytes_cap(), small=settings.max_form_bytes,
        upload_paths=UPLOAD_PATHS, api_prefixes=API_PATHS, page=_too_large_page))
    # Outermost of all: a submission's received_at is when it got here, not
    # when a thread or the database lock was free (grader.http.arrival).
    app.add_middleware(ArrivalStamp)
    return app
