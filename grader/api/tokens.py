"""POST /tokens: a user trades their name and password (HTTP Basic) for a new
API token, shown once. Attempts are rate limited per name, like submissions,
so a password cannot be guessed at speed (argon2 makes each guess slow too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel

from grader.api.deps import ServicesDep
from grader.services import accounts
from grader.services.errors import RateLimited, Unauthorized

router = APIRouter(tags=["accounts"])
basic = HTTPBasic(auto_error=False, description="your user name and password")


class TokenOut(BaseModel):
    token: str
    user: str
    role: str


@router.post(
    "/tokens", status_code=201, response_model=TokenOut,
    responses={401: {"description": "wrong name or password"},
               429: {"description": "too many attempts; see Retry-After"}},
)
async def create_token(
    services: ServicesDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> TokenOut:
    """A new API token (keep it: it is not shown again)."""
    if credentials is None:
        raise Unauthorized("send your name and password with HTTP Basic authentication")
    if services.limiter is not None:
        wait = services.limiter.hit(f"login:{credentials.username}")
        if wait is not None:
            raise RateLimited("too many attempts for this user; try again later", wait)
    user = await run_in_threadpool(
        accounts.user_for_password, db=services.db, name=credentials.username,
        password=credentials.password,
    )
    if user is None:
        raise Unauthorized("wrong name or password")
    _, token = await run_in_threadpool(accounts.create_token, db=services.db, name=user.name)
    return TokenOut(token=token, user=user.name, role=user.role)
