"""Signing in (name and password, argon2-verified, throttled per name and
address), signing out here or everywhere, and changing one's password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.db import User
from grader.http.deps import ServicesDep, login_throttle
from grader.services import accounts
from grader.services.errors import RateLimited, ServiceError, Unauthorized, status_of
from grader.web import session as web_session
from grader.web.pages import redirect, render
from grader.web.session import Csrf, OptionalUser, WebUser

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/exercises"
    return target


def _refused(request: Request, page: str, context: Mapping[str, object],
             exc: ServiceError) -> Response:
    # The services' messages are phrases; a page shows sentences.
    message = exc.message[:1].upper() + exc.message[1:].rstrip(".") + "."
    response = render(request, page, {**context, "error": message}, status=status_of(exc))
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _check_password(request: Request, services: ServicesDep, name: str,
                          password: str) -> User:
    return await run_in_threadpool(
        accounts.sign_in, db=services.db, throttle=login_throttle(request), name=name,
        password=password,
        address=request.client.host if request.client else None)


@router.get("/signin")
def signin_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    if user is not None:
        return redirect(request, safe_next(next))
    return render(request, "signin.html", {"next": safe_next(next), "name": ""})


@router.post("/signin", dependencies=[Csrf])
async def signin(
    request: Request, services: ServicesDep,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/exercises",
) -> Response:
    context = {"next": safe_next(next), "name": name}
    try:
        user = await _check_password(request, services, name, password)
    except ServiceError as exc:
        return _refused(request, "signin.html", context, exc)
    web_session.begin(request, user)  # a fresh session: new CSRF token
    return redirect(request, safe_next(next))


@router.post("/signout", dependencies=[Csrf])
def signout(request: Request, services: ServicesDep) -> Response:
    response = redirect(request, "/signin")
    request.state.web_session = None
    web_session.clear(response, services)
    return response


@router.post("/signout/everywhere", dependencies=[Csrf])
async def signout_everywhere(request: Request, services: ServicesDep, user: WebUser
                             ) -> Response:
    """Ends every page session of the user, on every browser (API tokens are
    revoked separately, on the tokens page)."""
    await run_in_threadpool(accounts.end_sessions, db=services.db, user_id=user.id)
    return signout(request, services)


@router.get("/account")
def account_page(request: Request, user: WebUser) -> Response:
    return render(request, "account.html", {"notice": request.query_params.get("done")})


@router.post("/account/password", dependencies=[Csrf])
async def change_password(
    request: Request, services: ServicesDep, user: WebUser,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """The current password is checked (and throttled) like a sign-in; every
    other session ends, this one goes on under the new version."""
    try:
        try:
            await _check_password(request, services, user.name, current_password)
        except Unauthorized:
            raise Unauthorized("the current password is wrong") from None
        changed = await run_in_threadpool(accounts.set_password, db=services.db,
                                          name=user.name, password=new_password)
    except ServiceError as exc:
        return _refused(request, "account.html", {}, exc)
    web_session.begin(request, changed)
    return redirect(request, "/account?done=password+changed")
