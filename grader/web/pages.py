"""Rendering: the Jinja2 environment (autoescaped), a `render` helper that
sets the session cookie and security headers, and the HTML error pages
(404, 403, ...) for every path outside the JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.templating import Jinja2Templates

from grader.http.deps import get_services
from grader.services.errors import ServiceError, status_of
from grader.web import session as web_session
from grader.web.charts import score_label

HERE = Path(__file__).resolve().parent
_env = Environment(loader=FileSystemLoader(HERE / "templates"),
                   autoescape=select_autoescape(["html", "svg"]), trim_blocks=True,
                   lstrip_blocks=True)
_env.filters["score"] = score_label
_env.filters["when"] = lambda value: value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"
templates = Jinja2Templates(env=_env)

# No inline script and no third-party origin: every asset is served by the app.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
API_PATHS = ("/api/", "/docs", "/openapi.json", "/redoc", "/healthz", "/readyz", "/metrics")


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status: int = 200) -> Response:
    services = get_services(request)
    sess = web_session.get_session(request, services)
    values = {"user": getattr(request.state, "web_user", None), "csrf": sess.csrf,
              **(context or {})}
    response = templates.TemplateResponse(request, name, values, status_code=status)
    finish(response, request)
    return response


def finish(response: Response, request: Request) -> Response:
    """Security headers, and the session cookie when this request made one."""
    response.headers.update(SECURITY_HEADERS)
    sess: web_session.WebSession | None = getattr(request.state, "web_session", None)
    if sess is not None and sess.fresh:
        web_session.store(response, get_services(request), sess)
        sess.fresh = False
    return response


def redirect(request: Request, url: str) -> Response:
    return finish(RedirectResponse(url, status_code=303), request)


TITLES = {400: "Bad request", 403: "Not allowed", 404: "Page not found",
          405: "Not allowed here", 413: "Too large", 422: "Not accepted",
          429: "Slow down", 500: "Something went wrong"}
HELP = {
    404: "There is no such page, or it is not yours to see. Check the address, or go "
         "back to the exercise list.",
    403: "Your account does not have access to this.",
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(API_PATHS):
        return await http_exception_handler(request, exc)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else ""
    if detail in ("Not Found", "Method Not Allowed"):
        detail = ""
    # A stale user id in a cookie is just "signed out": do not fail on it.
    try:
        web_session.optional_user(request, get_services(request),
                                  web_session.get_session(request, get_services(request)))
    except Exception:
        request.state.web_user = None
    return render(request, "error.html", {
        "status": status, "title": TITLES.get(status, "Error"),
        "detail": detail or HELP.get(status, ""),
    }, status=status)


async def _sign_in_first(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, web_session.SignInRequired)
    return redirect(request, "/signin?next=" + quote(exc.next_path, safe="/"))


async def _bad_form(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if request.url.path.startswith(API_PATHS):
        return await request_validation_exception_handler(request, exc)
    fields = ", ".join(str(err["loc"][-1]) for err in exc.errors() if err.get("loc"))
    return await _http_error(request, StarletteHTTPException(
        422, f"Some fields were not accepted ({fields}): too long, or not what was expected."))


def install_errors(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _bad_form)
    app.add_exception_handler(web_session.SignInRequired, _sign_in_first)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Domain errors as HTTP errors, which the handler above shows as pages."""
    try:
        yield
    except ServiceError as exc:
        raise HTTPException(status_of(exc), exc.message) from None
