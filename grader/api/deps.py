"""The API's own dependencies (who calls, by API token), as Annotated aliases
the routers use in their signatures; ServicesDep is grader.http.deps's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grader.db import User
from grader.http.deps import ServicesDep
from grader.services import accounts
from grader.services.errors import Forbidden, Unauthorized
from grader.services.submissions import sees_all

bearer = HTTPBearer(auto_error=False, description="An API token from `grader tokens create`")


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
