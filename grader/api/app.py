"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from grader.api import errors, events, exercises, health, submissions, tokens
from grader.api.services import Services, build_services
from grader.settings import Settings, get_settings

log = logging.getLogger(__name__)
PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, services: Services | None = None,
               migrate: bool = True) -> FastAPI:
    """The API. `services` replaces the real wiring (tests pass their own
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

    app = FastAPI(
        title="grader", version="1", lifespan=lifespan,
        summary="Grades backend coding exercises in hardened sandboxes.",
        docs_url="/docs", openapi_url="/openapi.json",
    )
    app.state.services = wired
    errors.install(app)
    for router in (submissions.router, events.router, exercises.router, tokens.router):
        app.include_router(router, prefix=PREFIX)
    app.include_router(health.router)
    app.include_router(health.router, prefix=PREFIX, include_in_schema=False)
    from grader import web  # the pages at "/", after the API's routes

    web.install(app)
    return app
