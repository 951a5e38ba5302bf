"""Dependencies, as Annotated aliases the routers use in their signatures."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grader.api.services import Services
from grader.db import User
from grader.services import accounts
from grader.services.errors import Forbidden, Unauthorized
from grader.services.submissions import sees_all

bearer = HTTPBearer(auto_error=False, description="An API token from `grader tokens create`")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def current_user(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("an API token is required: Authorization: Bearer <token>")
    user = accounts.user_for_token(db=services.db, token=credentials.credentials)
    if user is None:
        raise Unauthorized("the API token is not valid (unknown or revoked)")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def author_user(user: CurrentUser) -> User:
    if not sees_all(user):
        raise Forbidden("this needs the author or admin role")
    return user


AuthorUser = Annotated[User, Depends(author_user)]
