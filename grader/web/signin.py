"""Signing in (name and password, argon2-verified) and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.api.deps import ServicesDep
from grader.services import accounts
from grader.web import session as web_session
from grader.web.pages import redirect, render
from grader.web.session import Csrf, OptionalUser

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/exercises"
    return target


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
    if services.limiter is not None and name:
        wait = services.limiter.hit(f"login:{name}")
        if wait is not None:
            return render(request, "signin.html", {
                **context, "error": f"Too many attempts for this name; try again in {wait} s."},
                status=429)
    user = None
    if name and password:
        user = await run_in_threadpool(accounts.user_for_password, db=services.db, name=name,
                                       password=password)
    if user is None:
        return render(request, "signin.html", {**context, "error": "Wrong name or password."},
                      status=401)
    # A fresh session (new CSRF token) for the signed-in user.
    request.state.web_session = web_session.new_session(user.id)
    return redirect(request, safe_next(next))


@router.post("/signout", dependencies=[Csrf])
def signout(request: Request, services: ServicesDep) -> Response:
    response = redirect(request, "/signin")
    request.state.web_session = None
    web_session.clear(response, services)
    return response
