"""Admin pages: users and their roles, API tokens (a new token is shown once;
revoke one at a time)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from grader.db import Role
from grader.http.deps import ServicesDep
from grader.services import accounts, admin
from grader.services.errors import ServiceError, status_of
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import AdminUser, Csrf

router = APIRouter()
ROLES = [role.value for role in Role]


@router.get("/admin")
def admin_home(request: Request, user: AdminUser) -> Response:
    return redirect(request, "/admin/users")


def _users_page(request: Request, services: ServicesDep, error: str | None = None,
                status: int = 200) -> Response:
    return render(request, "admin_users.html", {
        "users": admin.list_users(db=services.db), "roles": ROLES, "error": error,
        "notice": request.query_params.get("done"),
    }, status=status)


@router.get("/admin/users")
def users_page(request: Request, services: ServicesDep, user: AdminUser) -> Response:
    return _users_page(request, services)


@router.post("/admin/users", dependencies=[Csrf])
async def add_user(
    request: Request, services: ServicesDep, user: AdminUser,
    name: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=16)] = "student",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        made = await run_in_threadpool(
            lambda: accounts.create_user(db=services.db, name=name.strip(),
                                         role=Role(role) if role in ROLES else Role.STUDENT,
                                         password=password or None))
    except ServiceError as exc:
        return _users_page(request, services, error=exc.message, status=status_of(exc))
    return redirect(request, f"/admin/users?done=added+{made.name}")


@router.post("/admin/users/{name}/role", dependencies=[Csrf])
def change_role(request: Request, name: str, services: ServicesDep, user: AdminUser,
                role: Annotated[str, Form(max_length=16)] = "") -> Response:
    try:
        changed = admin.set_role(db=services.db, name=name, role=role, acting=user)
    except ServiceError as exc:
        return _users_page(request, services, error=exc.message, status=status_of(exc))
    return redirect(request, f"/admin/users?done={changed.name}+is+now+{changed.role}")


def _tokens_page(request: Request, services: ServicesDep, *, status: int = 200,
                 **extra: object) -> Response:
    return render(request, "admin_tokens.html", {
        "tokens": admin.list_tokens(db=services.db),
        "users": [u.name for u in admin.list_users(db=services.db)],
        "notice": request.query_params.get("done"), **extra,
    }, status=status)


@router.get("/admin/tokens")
def tokens_page(request: Request, services: ServicesDep, user: AdminUser) -> Response:
    return _tokens_page(request, services)


@router.post("/admin/tokens", dependencies=[Csrf])
def create_token(request: Request, services: ServicesDep, user: AdminUser,
                 name: Annotated[str, Form(max_length=64)] = "") -> Response:
    try:
        owner, token = accounts.create_token(db=services.db, name=name)
    except ServiceError as exc:
        return _tokens_page(request, services, error=exc.message, status=status_of(exc))
    # Shown in this answer only (never stored in clear); the page is not cached.
    return _tokens_page(request, services, new_token=token, owner=owner.name, status=201)


@router.post("/admin/tokens/{token_id}/revoke", dependencies=[Csrf])
def revoke_token(request: Request, token_id: int, services: ServicesDep, user: AdminUser
                 ) -> Response:
    with domain_errors():
        info = admin.revoke_token(db=services.db, token_id=token_id)
    return redirect(request, f"/admin/tokens?done=token+{info.prefix}+of+{info.user}+revoked")
