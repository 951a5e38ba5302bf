"""Turning domain errors into the API's HTTP answers: a JSON `{"detail": ...}`
with a clear message and the status of grader.services.errors.status_of, and
never a traceback (unexpected errors are logged here and
the client gets a plain 500)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from grader.services.errors import (
    RateLimited,
    ServiceError,
    Unauthorized,
    Unavailable,
    status_of,
)

log = logging.getLogger(__name__)


def service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    status = status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited | Unavailable):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, Unauthorized):
        # The token route takes a password; everything else a Bearer token.
        basic = request.url.path.endswith("/tokens")
        headers["WWW-Authenticate"] = 'Basic realm="grader"' if basic else "Bearer"
    return JSONResponse({"detail": exc.message}, status_code=status, headers=headers)


def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error; it has been logged"}, status_code=500)


def install(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(Exception, unexpected_error)
