"""The API's own dependencies (who calls, by API token), as Annotated aliases
the routers use in their signatures; ServicesDep is grader.http.deps's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grader.db import User
from grader.http.deps import ServicesDep
from grader.services import accounts
from grader.services.errors import Forbidden, Unauthorized
from grader.services.submissions import sees_all

bearer = HTTPBearer(auto_error=False, description="An API token from `grader tokens create`")


async def current_user(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("an API token is required: Authorization: Bearer <token>")
    token = credentials.credentials
    # A token found valid a moment ago is answered from memory, on the event
    # loop (services.token_cache: a revocation elsewhere counts within 2 s);
    # else the query runs in the thread pool.
    user = accounts.remembered_user(db=services.db, token=token)
    if user is None:
        user = await run_in_threadpool(accounts.user_for_token, db=services.db, token=token)
    if user is None:
        raise Unauthorized("the API token is not valid (unknown or revoked)")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def author_user(user: CurrentUser) -> User:  # async: no thread hop for a check
    if not sees_all(user):
        raise Forbidden("this needs the author or admin role")
    return user


AuthorUser = Annotated[User, Depends(author_user)]
